/**
 * Two composition rules of the source, checked on the source itself so that a new module
 * cannot quietly break them:
 * - only the command line's `Io` (and the task supervisor, a program of its own) writes
 *   to the process's standard streams; everything else is handed a notice, a log or the
 *   warning sink by its entry point;
 * - the ZooKeeper paths under the chroot are built in `zookeeper/layout.ts` alone.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../../src', import.meta.url));

/** Every TypeScript file under src/, relative to it, with its text. */
function sources(): { file: string; text: string }[] {
  const entries = readdirSync(SRC, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .map((path) => ({ file: relative(SRC, path), text: readFileSync(path, 'utf8') }));
}

/** Lines matching `pattern`, as `file:line: text`, outside comments. */
function occurrences(pattern: RegExp, allowed: readonly string[]): string[] {
  return sources()
    .filter(({ file }) => !allowed.includes(file))
    .flatMap(({ file, text }) =>
      text.split('\n').flatMap((line, index) => {
        const code = line.trimStart();
        if (code.startsWith('*') || code.startsWith('/*') || code.startsWith('//')) return [];
        return pattern.test(line) ? [`${file}:${index + 1}: ${code}`] : [];
      }),
    );
}

describe('composition rules of the source', () => {
  it('writes to standard output and error only through the command line Io', () => {
    const found = occurrences(/process\.(stdout|stderr)\b|console\.\w+\(/, [
      'cli/io.ts',
      'cluster/local/supervisor-main.ts',
      'cluster/local/supervisor-boot.ts',
    ]);
    assert.deepEqual(found, []);
  });

  it('builds the leader and state znode paths in zookeeper/layout.ts only', () => {
    const found = occurrences(/\}\/(leader|state)\b/, ['zookeeper/layout.ts']);
    assert.deepEqual(found, []);
  });
});
