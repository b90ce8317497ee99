/** Moving a damaged file out of the state directory, keeping it for a post-mortem. */
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errorCode, isMissing, syncDirectory } from '../../util/durable-file.js';

/** Moves `from` to `to` (creating its directory); false when `from` does not exist. */
export async function moveAside(from: string, to: string): Promise<boolean> {
  await mkdir(dirname(to), { recursive: true });
  try {
    await rename(from, to);
  } catch (error) {
    if (isMissing(error)) return false;
    if (errorCode(error) !== 'EXDEV') throw error;
    await copyFile(from, to);
    await rm(from);
  }
  await syncDirectory(dirname(from));
  return true;
}
