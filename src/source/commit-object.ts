/**
 * A raw Git commit object read into what `git show -s` would print of it, so a daemon
 * that already holds a `git cat-file` process need not spawn git for every commit.
 */
import type { CommitInfo, Person } from './tracked.js';

/** The `git show -s --format` that prints what `commitFromShow` reads back. */
export const SHOW_FORMAT = ['%H', '%P', '%an', '%ae', '%cn', '%ce', '%cI', '%B'].join('%x00');

/** Reads `git show -s --format=${SHOW_FORMAT}` output: git's own answer for any commit. */
export function commitFromShow(shown: string): CommitInfo {
  const [hash = '', parents = '', an = '', ae = '', cn = '', ce = '', date = '', ...message] =
    shown.split('\0');
  return {
    id: hash,
    parents: parents.split(' ').filter(Boolean),
    author: { name: an, email: ae },
    committer: { name: cn, email: ce },
    date,
    message: message.join('\0').trim(),
  };
}

/**
 * The commit's fields, or undefined where git itself must answer: a message in another
 * encoding (git re-encodes it) or a header this parser does not understand.
 */
export function parseCommit(id: string, content: Buffer): CommitInfo | undefined {
  const text = content.toString('utf8');
  const headerEnd = text.indexOf('\n\n');
  const headers = (headerEnd < 0 ? text : text.slice(0, headerEnd)).split('\n');
  const message = headerEnd < 0 ? '' : text.slice(headerEnd + 2);
  const parents: string[] = [];
  let author: Signature | undefined;
  let committer: Signature | undefined;
  for (const line of headers) {
    if (line.startsWith(' ')) continue; // a continuation of a multi-line header (gpgsig, mergetag)
    const space = line.indexOf(' ');
    const [name, value] = [line.slice(0, space), line.slice(space + 1)];
    if (name === 'parent') parents.push(value);
    else if (name === 'author') author = parseSignature(value);
    else if (name === 'committer') committer = parseSignature(value);
    else if (name === 'encoding' && !/^utf-?8$/i.test(value)) return undefined;
  }
  if (!author || !committer) return undefined;
  return {
    id,
    parents,
    author: author.person,
    committer: committer.person,
    date: committer.date,
    message: message.trim(),
  };
}

interface Signature {
  person: Person;
  /** ISO 8601 in the signer's own offset, as git's `%cI` prints it. */
  date: string;
}

/** `Name <email> 1700000000 +0100` */
function parseSignature(value: string): Signature | undefined {
  const match = /^(.*?) ?<([^>]*)> (\d+) ([+-])(\d\d)(\d\d)$/.exec(value);
  if (!match) return undefined;
  const [, name = '', email = '', seconds = '0', sign = '+', hours = '00', minutes = '00'] = match;
  const offsetMinutes = (sign === '-' ? -1 : 1) * (Number(hours) * 60 + Number(minutes));
  const local = new Date(Number(seconds) * 1000 + offsetMinutes * 60_000).toISOString().slice(0, 19);
  return { person: { name, email }, date: `${local}${sign}${hours}:${minutes}` };
}
