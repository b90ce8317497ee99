/**
 * A child process for `durable-file.test.ts`. It replaces functions of `node:fs` and
 * `node:fs/promises` (syncBuiltinESMExports makes the module under test see them) to watch
 * or stop a real write:
 *
 *   crash <file> <async|sync> <text>  writes <text> to <file> durably but stops where it
 *                                     would rename, prints `stopped <temp file>` and waits
 *                                     to be killed
 *   trace <file> <async|sync> <text>  writes, then prints the steps on disk as one JSON line
 *
 * It runs only with BOREALIS_DURABLE_CHILD=1 (`node --test dist/test/` loads it too).
 */
import { writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { basename, dirname, resolve } from 'node:path';
import { writeFileDurably, writeFileDurablySync } from '../../src/util/durable-file.js';

type Fs = typeof import('node:fs');
type FsPromises = typeof import('node:fs/promises');
type FileHandle = Awaited<ReturnType<FsPromises['open']>>;

const require = createRequire(import.meta.url);
const fs = require('node:fs') as Fs;
const fsPromises = require('node:fs/promises') as FsPromises;

function say(line: string): void {
  writeSync(1, `${line}\n`); // synchronous: `crash sync` blocks the thread right after
}

function write(mode: string, file: string, text: string): Promise<void> {
  if (mode === 'sync') {
    writeFileDurablySync(file, text);
    return Promise.resolve();
  }
  return writeFileDurably(file, text);
}

async function crash(file: string, mode: string, text: string): Promise<void> {
  fsPromises.rename = async (from) => {
    say(`stopped ${String(from)}`);
    await new Promise(() => undefined); // never settles; the timer below keeps us alive
  };
  fs.renameSync = (from) => {
    say(`stopped ${String(from)}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  };
  syncBuiltinESMExports();
  setInterval(() => undefined, 60_000);
  await write(mode, file, text);
}

/** Records which file each descriptor is, then every write, fsync and rename, by role. */
async function trace(file: string, mode: string, text: string): Promise<void> {
  const steps: string[] = [];
  const names = new Map<number, string>();
  const role = (path: unknown) => {
    const name = basename(String(path));
    if (String(path) === dirname(file)) return 'directory';
    return name.startsWith('@') ? 'temp' : name;
  };
  const { open: openAsync, rename } = fsPromises;
  const { openSync, renameSync, fsyncSync, writeFileSync } = fs;
  fsPromises.open = async (path, ...rest) => {
    const handle = await openAsync(path, ...rest);
    names.set(handle.fd, role(path));
    return handle;
  };
  fsPromises.rename = async (from, to) => {
    steps.push(`rename ${role(from)} ${role(to)}`);
    await rename(from, to);
  };
  fs.openSync = (path, ...rest) => {
    const fd = openSync(path, ...rest);
    names.set(fd, role(path));
    return fd;
  };
  fs.renameSync = (from, to) => {
    steps.push(`rename ${role(from)} ${role(to)}`);
    renameSync(from, to);
  };
  fs.fsyncSync = (fd) => {
    steps.push(`fsync ${names.get(fd)}`);
    fsyncSync(fd);
  };
  fs.writeFileSync = (target, ...rest) => {
    steps.push(`write ${typeof target === 'number' ? names.get(target) : role(target)}`);
    writeFileSync(target, ...rest);
  };
  await traceFileHandles(steps, names);
  syncBuiltinESMExports();
  await write(mode, file, text);
  say(JSON.stringify(steps));
}

/** FileHandle is not exported: its prototype is reached through a handle. */
async function traceFileHandles(steps: string[], names: Map<number, string>): Promise<void> {
  const handle = await open(process.execPath, 'r');
  const prototype = Object.getPrototypeOf(handle) as FileHandle;
  await handle.close();
  // Taken with Reflect.get: they are called below with the handle as `this`.
  const sync = Reflect.get(prototype, 'sync');
  const writeFile = Reflect.get(prototype, 'writeFile');
  prototype.sync = function (this: FileHandle) {
    steps.push(`fsync ${names.get(this.fd)}`);
    return sync.call(this);
  };
  prototype.writeFile = function (this: FileHandle, ...args: Parameters<FileHandle['writeFile']>) {
    steps.push(`write ${names.get(this.fd)}`);
    return writeFile.apply(this, args);
  };
}

if (process.env.BOREALIS_DURABLE_CHILD === '1') {
  const [command, file = '', mode = 'async', text = ''] = process.argv.slice(2);
  if (command === 'crash') await crash(resolve(file), mode, text);
  else if (command === 'trace') await trace(resolve(file), mode, text);
  else throw new Error(`unknown command ${command}`);
}
