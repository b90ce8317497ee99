/** The durable-write module: what it writes, and what a crash in the middle leaves behind. */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  readJsonIfExists,
  writeFileDurably,
  writeJsonDurably,
  writeJsonDurablySync,
} from '../../src/util/durable-file.js';
import { killed, spawnLineChild } from '../support/line-child.js';

const CHILD = fileURLToPath(new URL('./durable-file-child.js', import.meta.url));
const MODES = ['async', 'sync'] as const;

const isNumberBox = (value: unknown): value is { n: number } =>
  typeof value === 'object' && value !== null && typeof (value as { n?: unknown }).n === 'number';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'borealis-durable-'));
  dirs.push(dir);
  return dir;
}

function child(...args: string[]) {
  return spawnLineChild(CHILD, { BOREALIS_DURABLE_CHILD: '1' }, args);
}

describe('durable files', () => {
  it('reads back what was written, leaving no temporary file', async () => {
    const dir = await tempDir();
    await writeJsonDurably(join(dir, 'a.json'), { n: 1 });
    writeJsonDurablySync(join(dir, 'a.json'), { n: 2 });
    assert.deepEqual(await readJsonIfExists(join(dir, 'a.json'), isNumberBox), { n: 2 });
    assert.deepEqual(await readdir(dir), ['a.json']);
  });

  it('reads a missing or malformed file as undefined', async () => {
    const dir = await tempDir();
    assert.equal(await readJsonIfExists(join(dir, 'missing.json'), isNumberBox), undefined);
    await writeJsonDurably(join(dir, 'wrong.json'), { n: 'x' });
    assert.equal(await readJsonIfExists(join(dir, 'wrong.json'), isNumberBox), undefined);
  });

  for (const mode of MODES) {
    it(`(${mode}) fsyncs the new content before the rename and the directory after it`, async () => {
      const file = join(await tempDir(), 'a.json');
      const tracer = child('trace', file, mode, 'new');
      const steps: unknown = JSON.parse(await tracer.line());
      assert.deepEqual(steps, ['write temp', 'fsync temp', 'rename temp a.json', 'fsync directory']);
      assert.equal((await tracer.exit).code, 0);
      assert.equal(await readFile(file, 'utf8'), 'new');
    });

    it(`(${mode}) leaves the old content when killed between the write and the rename`, async () => {
      const file = join(await tempDir(), 'a.json');
      await writeFile(file, 'old');
      const crashed = child('crash', file, mode, 'new');
      const stopped = /^stopped (.+)$/.exec(await crashed.line());
      await killed(crashed);
      assert.equal(await readFile(file, 'utf8'), 'old');
      // The new content was complete, in a temp file beside the target (a rename never copies).
      const temporary = stopped?.[1] ?? '';
      assert.equal(dirname(temporary), dirname(file));
      assert.equal(await readFile(temporary, 'utf8'), 'new');
      // What the crash left does not stand in the way of the next write.
      await writeFileDurably(file, 'newer');
      assert.equal(await readFile(file, 'utf8'), 'newer');
    });
  }
});
