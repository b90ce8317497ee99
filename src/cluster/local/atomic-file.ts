/**
 * Sandbox file I/O. Supervisor and cluster run in different processes and may crash at any
 * point, so every write goes to a temporary file that is fsynced and renamed into place: a
 * reader sees the old content or the new, never half of one.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { isMissing, readTextIfExists as readDurableText, writeFileDurably } from '../../util/durable-file.js';

let sequence = 0;

function temporaryPath(path: string): string {
  sequence += 1;
  return `${path}.${process.pid}.${sequence}.tmp`;
}

/** Sandbox writes get the same crash guarantees as the state store's. */
export function writeFileAtomic(path: string, data: string): Promise<void> {
  return writeFileDurably(path, data);
}

/** The supervisor writes synchronously so that its writes can never land out of order. */
export function writeFileAtomicSync(path: string, data: string): void {
  const temporary = temporaryPath(path);
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

export function toJsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, toJsonText(value));
}

export function writeJsonAtomicSync(path: string, value: unknown): void {
  writeFileAtomicSync(path, toJsonText(value));
}

export async function readTextIfExists(path: string): Promise<string | undefined> {
  return (await readDurableText(path)) ?? undefined;
}

/** Missing, unparsable or wrongly shaped content all read as "not there yet". */
export async function readJsonIfExists<T>(
  path: string,
  guard: (value: unknown) => value is T,
): Promise<T | undefined> {
  const text = await readTextIfExists(path);
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return guard(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}
