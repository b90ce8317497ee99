/**
 * Commit signature verification for `--require-signed-commits`: in that mode a commit is
 * deployed only when its signature comes out `good`; every other status refuses it.
 *
 * Git does the cryptography (`git log --format=%G?…`, which runs ssh-keygen, gpg or gpgsm).
 * The raw commit object is read as well, because git's letter alone is not enough. In
 * git 2.39 it prints `N` (the "unsigned" letter) for a commit that does carry a signature
 * when no allowed signers file is configured, or when an x509 signature cannot be parsed.
 * So "unsigned" is only reported when the object has no `gpgsig` header.
 *
 * What git 2.39 prints, and what it means for deployment (only `good` deploys):
 *
 * | %G? | case seen in git 2.39                                   | status       | deploy |
 * |-----|---------------------------------------------------------|--------------|--------|
 * | G   | SSH key in the allowed signers file; GPG key valid      | good         | yes    |
 * | U   | SSH key NOT in the allowed signers file, file missing,  | untrusted    | no     |
 * |     | file empty, or its entry outside valid-after/-before;   |              |        |
 * |     | GPG key present but not certified (validity unknown)    |              |        |
 * | B   | altered commit or corrupt signature; SSH key listed in  | bad          | no     |
 * |     | gpg.ssh.revocationFile (git 2.39 cannot tell these two) |              |        |
 * | X   | GPG signature past its own expiry                       | expired      | no     |
 * | Y   | GPG signature by a key that has since expired           | expired      | no     |
 * | R   | GPG signature by a revoked key                          | revoked      | no     |
 * | E   | GPG key not in the keyring (cannot be checked)          | unverifiable | no     |
 * | N   | `gpgsig` present but no allowed signers file configured,| unverifiable | no     |
 * |     | or an x509 signature gpgsm cannot parse                 |              |        |
 * | —   | `git log` fails on a `gpgsig` of unknown format         | unverifiable | no     |
 * | N   | no `gpgsig` header                                      | unsigned     | no     |
 *
 * Trust roots. `allowedSignersFile` is passed as `-c gpg.ssh.allowedSignersFile`, and
 * `gpgHome` as GNUPGHOME. When either is omitted, git's own configuration applies (the
 * operator's ~/.gitconfig, ~/.gnupg). A GPG key only yields `good` when gpg considers it
 * valid: generated in that home, certified (`gpg --quick-lsign-key`), given ownertrust, or
 * trusted by `trust-model always` in `<gpgHome>/gpg.conf`. A key that was only imported
 * yields `untrusted`.
 *
 * Caveats of git 2.39 worth knowing:
 * - For SSH, `signer` is the principal the allowed signers file gives the key. Git does
 *   not compare it with the committer, and it checks valid-after/valid-before against the
 *   committer date, which the signer chose.
 * - gpg.minTrustLevel is not reflected in %G? (and %GT, which would show the trust level,
 *   aborts git 2.39). So a GPG key with marginal or full validity counts as `good`.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';

export interface SignaturePolicy {
  /** SSH allowed-signers file (git's gpg.ssh.allowedSignersFile format). */
  allowedSignersFile?: string;
  /** A GNUPGHOME holding the trusted public keys, for GPG signatures. */
  gpgHome?: string;
}

export type SignatureStatus =
  'good' | 'untrusted' | 'bad' | 'expired' | 'revoked' | 'unverifiable' | 'unsigned';

export type SignatureFormat = 'ssh' | 'gpg' | 'x509';

export interface CommitSignature {
  status: SignatureStatus;
  /** True only for `good`: the one status under which a commit may be deployed. */
  trusted: boolean;
  format?: SignatureFormat;
  /** Fingerprint (`SHA256:…` for SSH, the full fingerprint for GPG) or, failing that, the key id. */
  key?: string;
  /** The allowed-signers principal (SSH) or the key's user id (GPG). */
  signer?: string;
  /** One sentence for a person: what was found and why it is or is not trusted. */
  detail: string;
}

/** Verifies one commit's signature. Throws when `commit` does not name a commit in `repoDir`. */
export async function verifyCommitSignature(
  repoDir: string,
  commit: string,
  policy: SignaturePolicy,
): Promise<CommitSignature> {
  repoDir = resolve(repoDir);
  // Spawning git in a missing directory fails with "spawn git ENOENT", which reads as if git were missing.
  const isDirectory = await stat(repoDir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDirectory) throw new Error(`${repoDir} is not a directory, so not a Git repository`);
  const allowedSignersFile =
    policy.allowedSignersFile === undefined ? undefined : resolve(policy.allowedSignersFile);
  const gpgHome = policy.gpgHome === undefined ? undefined : resolve(policy.gpgHome);
  const git = gitRunner(repoDir, allowedSignersFile, gpgHome);

  const id = await resolveCommit(git, repoDir, commit);
  // Both read the same immutable object; running them together saves one process round trip.
  const [raw, log] = await Promise.all([
    git(['cat-file', 'commit', id]),
    // --no-show-signature: with log.showSignature set, git would mix the verification
    // text into the output and the fields could no longer be split.
    git(['log', '-1', '--no-show-signature', `--format=${LOG_FORMAT}`, id]),
  ]);
  if (raw.code !== 0) throw new Error(`cannot read commit ${id} in ${repoDir}: ${firstLine(raw.stderr)}`);
  const signature = signatureHeader(raw.stdout);
  const format = signature === undefined ? undefined : formatOf(signature);

  if (log.code !== 0) {
    // Git 2.39 dies ("bad/incompatible signature") on a gpgsig it has no verifier for.
    if (signature !== undefined) {
      return verdict('unverifiable', {
        format,
        detail: `the signature cannot be checked: ${firstLine(log.stderr) || 'git could not read it'}`,
      });
    }
    throw new Error(`git log failed for commit ${id} in ${repoDir}: ${firstLine(log.stderr)}`);
  }

  const [letter = '', keyId = '', signer = '', fingerprint = '', message = ''] = log.stdout.split('\0');
  const found: Found = {
    format,
    key: fingerprint || keyId || undefined,
    signer: signer.trim() || undefined,
    message,
    stderr: log.stderr,
  };
  return interpret(letter.trim(), signature !== undefined, found, allowedSignersFile, gpgHome);
}

/** %G? letter, key id, signer, fingerprint, raw verifier output; NUL-separated (none can hold NUL). */
const LOG_FORMAT = '%G?%x00%GK%x00%GS%x00%GF%x00%GG';

interface Found {
  format: SignatureFormat | undefined;
  key: string | undefined;
  signer: string | undefined;
  /** %GG: what ssh-keygen or gpg printed, used only to word `detail`. */
  message: string;
  stderr: string;
}

async function interpret(
  letter: string,
  signed: boolean,
  found: Found,
  allowedSignersFile: string | undefined,
  gpgHome: string | undefined,
): Promise<CommitSignature> {
  const { format } = found;
  const who = describeSigner(found);
  const fields = { format, key: found.key, signer: found.signer };
  switch (letter) {
    case 'G':
      return verdict('good', { ...fields, detail: `good ${formatName(format)} signature by ${who}` });
    case 'U':
      return verdict('untrusted', { ...fields, detail: await untrustedDetail(found, allowedSignersFile) });
    case 'B':
      return verdict('bad', {
        ...fields,
        detail:
          format === 'ssh'
            ? // ssh-keygen reports both as "Could not verify signature." and git prints B for both.
              'the SSH signature does not match the commit (altered after signing, corrupt, or made with a revoked key)'
            : `bad ${formatName(format)} signature: the commit was altered after signing or the signature is corrupt`,
      });
    case 'X':
      return verdict('expired', { ...fields, detail: `the signature by ${who} has expired` });
    case 'Y':
      return verdict('expired', { ...fields, detail: `signed by ${who}, whose key has expired` });
    case 'R':
      return verdict('revoked', { ...fields, detail: `signed by ${who}, whose key has been revoked` });
    case 'E':
      return verdict('unverifiable', {
        ...fields,
        detail:
          format === 'gpg' || format === undefined
            ? `cannot check the signature: key ${found.key ?? '(unknown)'} is not in ${gpgHome ?? 'the GPG keyring'}`
            : `cannot check the ${formatName(format)} signature: ${firstLine(found.message) || 'the key is missing'}`,
      });
    case 'N':
      if (!signed) return verdict('unsigned', { detail: 'commit is not signed' });
      return verdict('unverifiable', { ...fields, detail: unverifiableDetail(found, allowedSignersFile) });
    default:
      return verdict('unverifiable', {
        ...fields,
        detail: `git reported an unknown signature status ${JSON.stringify(letter)}`,
      });
  }
}

/** Says why a signature that verified cryptographically is still not trusted. */
async function untrustedDetail(found: Found, allowedSignersFile: string | undefined): Promise<string> {
  const who = describeSigner(found);
  if (found.format !== 'ssh') {
    return `good ${formatName(found.format)} signature by ${who}, but the key is not certified as trusted in the keyring`;
  }
  // Git prints U for all of these; say which one so the operator knows what to fix.
  if (allowedSignersFile !== undefined) {
    const entries = await allowedSignerEntries(allowedSignersFile);
    if (entries === 'missing')
      return `signed by SSH key ${who}, but the allowed signers file ${allowedSignersFile} does not exist`;
    if (entries === 0)
      return `signed by SSH key ${who}, but the allowed signers file ${allowedSignersFile} has no entries`;
  }
  if (/key has expired|key is not yet valid/.test(found.message)) {
    return `signed by SSH key ${who}, whose entry in the allowed signers file is outside its validity period`;
  }
  return `signed by a key not in the allowed signers file (${who})`;
}

function unverifiableDetail(found: Found, allowedSignersFile: string | undefined): string {
  if (found.format === 'ssh' && allowedSignersFile === undefined) {
    return 'the commit has an SSH signature but no allowed signers file is configured to check it against';
  }
  const reason = firstLine(found.message) || firstLine(found.stderr);
  return `the ${formatName(found.format)} signature cannot be checked${reason ? `: ${reason}` : ''}`;
}

/** The number of key lines in an allowed signers file, or 'missing' when it cannot be read. */
async function allowedSignerEntries(file: string): Promise<number | 'missing'> {
  try {
    const text = await readFile(file, 'utf8');
    return text.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#')).length;
  } catch {
    return 'missing';
  }
}

function verdict(
  status: SignatureStatus,
  rest: Omit<CommitSignature, 'status' | 'trusted'>,
): CommitSignature {
  // Undefined fields are left out so results compare and serialise cleanly.
  const result: CommitSignature = { status, trusted: status === 'good', detail: rest.detail };
  if (rest.format !== undefined) result.format = rest.format;
  if (rest.key !== undefined) result.key = rest.key;
  if (rest.signer !== undefined) result.signer = rest.signer;
  return result;
}

function describeSigner(found: Found): string {
  if (found.signer && found.key) return `${found.signer} (${found.key})`;
  return found.signer ?? found.key ?? 'an unknown key';
}

function formatName(format: SignatureFormat | undefined): string {
  return format === undefined ? 'commit' : format === 'x509' ? 'X.509' : format.toUpperCase();
}

/**
 * The value of the commit's `gpgsig` (or, for SHA-256 repositories, `gpgsig-sha256`)
 * header, continuation lines joined. Only headers are scanned. A `mergetag` header can
 * embed a tag's PGP signature, and that must not be taken for the commit's own.
 */
function signatureHeader(rawCommit: string): string | undefined {
  const lines = rawCommit.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') break; // end of headers; the message follows
    const match = /^(gpgsig|gpgsig-sha256) (.*)$/.exec(line);
    if (!match) continue;
    const value = [match[2]!];
    while (lines[i + 1]?.startsWith(' ')) value.push(lines[++i]!.slice(1));
    return value.join('\n');
  }
  return undefined;
}

/** The same armour prefixes git itself uses to pick a verifier. */
function formatOf(signature: string): SignatureFormat | undefined {
  if (signature.startsWith('-----BEGIN SSH SIGNATURE-----')) return 'ssh';
  if (
    signature.startsWith('-----BEGIN PGP SIGNATURE-----') ||
    signature.startsWith('-----BEGIN PGP MESSAGE-----')
  ) {
    return 'gpg';
  }
  if (signature.startsWith('-----BEGIN SIGNED MESSAGE-----')) return 'x509';
  return undefined;
}

async function resolveCommit(git: GitRunner, repoDir: string, commit: string): Promise<string> {
  // A leading '-' would be read as an option; newlines and NULs are never part of a revision.
  if (commit === '' || commit.startsWith('-') || /[\0\n\r]/.test(commit)) {
    throw new Error(`invalid commit id ${JSON.stringify(commit)}`);
  }
  const result = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${commit}^{commit}`]);
  const id = result.stdout.trim();
  if (result.code === 0 && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(id)) return id;
  const reason = firstLine(result.stderr);
  throw new Error(
    `${JSON.stringify(commit)} is not a commit in ${repoDir}${reason ? ` (${reason.replace(/^(fatal|error): /, '')})` : ''}`,
  );
}

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

type GitRunner = (args: string[]) => Promise<GitResult>;

/**
 * Variables that point git at another repository or object store (`git rev-parse
 * --local-env-vars`), set when Borealis runs inside a git hook, say. GIT_CONFIG_PARAMETERS
 * and GIT_CONFIG_COUNT carry a parent's `-c` options, which could override the trust roots.
 */
const REPOSITORY_ENV = [
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_CONFIG',
  'GIT_CONFIG_PARAMETERS',
  'GIT_CONFIG_COUNT',
  'GIT_OBJECT_DIRECTORY',
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_IMPLICIT_WORK_TREE',
  'GIT_GRAFT_FILE',
  'GIT_INDEX_FILE',
  'GIT_NO_REPLACE_OBJECTS',
  'GIT_REPLACE_REF_BASE',
  'GIT_PREFIX',
  'GIT_INTERNAL_SUPER_PREFIX',
  'GIT_SHALLOW_FILE',
  'GIT_COMMON_DIR',
];

function gitRunner(
  repoDir: string,
  allowedSignersFile: string | undefined,
  gpgHome: string | undefined,
): GitRunner {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of REPOSITORY_ENV) delete env[name];
  // A pushed refs/replace/<id> would make git read (and verify) a different object than
  // the commit named; the signature must be the one on the real object.
  env.GIT_NO_REPLACE_OBJECTS = '1';
  // English verifier messages, which untrustedDetail() looks at.
  env.LC_ALL = 'C';
  if (gpgHome !== undefined) env.GNUPGHOME = gpgHome;
  const config =
    allowedSignersFile === undefined ? [] : ['-c', `gpg.ssh.allowedSignersFile=${allowedSignersFile}`];

  return (args) =>
    new Promise((resolvePromise, reject) => {
      execFile(
        'git',
        [...config, ...args],
        // The timeout guards against a verifier that waits for something (a keyserver
        // fetch configured in gpg.conf, a pinentry) instead of answering.
        { cwd: repoDir, env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 60_000 },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== 'number') {
            // Not an exit status: git missing, repoDir missing, killed by the timeout.
            reject(new Error(`cannot run git in ${repoDir}: ${error.message}`));
            return;
          }
          resolvePromise({ code: error ? Number(error.code) : 0, stdout, stderr });
        },
      );
    });
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line !== '') ?? ''
  );
}
