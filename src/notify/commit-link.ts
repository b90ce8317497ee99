/**
 * The web page of a commit, for the links in chat messages. A template is the operator's own
 * answer and always wins; without one, only hosts whose URL layout is known are linked, since
 * a wrong link is worse than none. GitHub Enterprise and self-managed GitLab serve the same
 * layout as their public sites but cannot be told apart from Gitea, Bitbucket Server and the
 * rest by a path alone, so they are recognised only by the conventional host names
 * `github.*`, `*.ghe.com` and `gitlab.*`; anything else needs the template.
 */

type Forge = 'github' | 'gitlab';

interface RepositoryLocation {
  host: string;
  /** `owner/repo`, or `group/subgroup/repo` on GitLab. */
  path: string;
  depth: number;
}

const SHA = /^[0-9a-f]{4,64}$/i;
const SEGMENT = /^[A-Za-z0-9_.-]+$/;
/** `git@host:owner/repo.git`, the scp-like form git accepts for SSH. */
const SCP_LIKE = /^(?:[^@/:]+@)?([^@/:]+):(?!\/)(.+)$/;

export function commitUrl(remote: string | undefined, sha: string, template?: string): string | undefined {
  if (!SHA.test(sha)) return undefined;
  if (template !== undefined && template !== '') return template.replaceAll('{sha}', sha);
  if (remote === undefined) return undefined;
  const location = repositoryOf(remote.trim());
  if (location === undefined) return undefined;
  const forge = forgeOf(location.host);
  // GitHub has no nested namespaces: a deeper path is not a repository.
  if (forge === 'github' && location.depth === 2) {
    return `https://${location.host}/${location.path}/commit/${sha}`;
  }
  if (forge === 'gitlab') return `https://${location.host}/${location.path}/-/commit/${sha}`;
  return undefined;
}

/**
 * Host and repository path of a remote. Only the host and path are kept, so user names and
 * tokens in `https://user:token@host/…` cannot reach a link; a port is dropped because an SSH
 * or custom HTTP port says nothing about where the web pages are.
 */
function repositoryOf(remote: string): RepositoryLocation | undefined {
  const scp = SCP_LIKE.exec(remote);
  if (scp?.[1] !== undefined && scp[2] !== undefined && !remote.includes('://')) {
    return location(scp[1], scp[2]);
  }
  let url: URL;
  try {
    url = new URL(remote);
  } catch {
    return undefined;
  }
  if (!['https:', 'http:', 'ssh:', 'git:', 'git+ssh:'].includes(url.protocol)) return undefined;
  return location(url.hostname, url.pathname);
}

function location(host: string, rawPath: string): RepositoryLocation | undefined {
  const segments = rawPath
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .split('/')
    .filter((segment) => segment !== '');
  const valid = segments.every((segment) => SEGMENT.test(segment) && !/^\.+$/.test(segment));
  if (segments.length < 2 || !valid || host === '') return undefined;
  return { host: host.toLowerCase(), path: segments.join('/'), depth: segments.length };
}

function forgeOf(host: string): Forge | undefined {
  if (host === 'github.com' || host.startsWith('github.') || host.endsWith('.ghe.com')) return 'github';
  if (host === 'gitlab.com' || host.startsWith('gitlab.')) return 'gitlab';
  return undefined;
}
