/** The end of a file, as `tail -n` prints it: read backwards, so a large log costs its last lines only. */
import { open } from 'node:fs/promises';

const CHUNK = 64 * 1024;

/** The last `count` lines of the file at `path` ('' when it does not exist), ending as the file ends. */
export async function lastLines(path: string, count: number): Promise<string> {
  if (count === 0) return '';
  const file = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!file) return '';
  try {
    const { size } = await file.stat();
    let start = size;
    let text = Buffer.alloc(0);
    // `count` separators: the text holds the start of the first wanted line.
    const wanted = () => separators(text) >= count || start === 0;
    while (!wanted()) {
      const from = Math.max(0, start - CHUNK);
      const chunk = Buffer.alloc(start - from);
      await file.read(chunk, 0, chunk.length, from);
      text = Buffer.concat([chunk, text]);
      start = from;
    }
    return keepLast(text.toString('utf8'), count);
  } finally {
    await file.close();
  }
}

/** Newlines in the file's last bytes `text` that begin a line (the file's final newline ends one). */
function separators(text: Buffer): number {
  let found = 0;
  for (const byte of text) if (byte === 0x0a) found++;
  return text.at(-1) === 0x0a ? found - 1 : found;
}

function keepLast(text: string, count: number): string {
  const ended = text.endsWith('\n');
  const lines = (ended ? text.slice(0, -1) : text).split('\n');
  const kept = lines.slice(-count).join('\n');
  return ended ? `${kept}\n` : kept;
}
