/**
 * Mutual exclusion between processes sharing one store directory, built only from
 * operations that are atomic on a local filesystem.
 *
 * An attempt creates a file in `@locks/` named after this process and attempt
 * (`<pid>.<start>.<boot>.<n>.lock`, see `process-identity.ts`), then lists the directory.
 * It holds the lock if no other live owner's file is there; otherwise it removes its file
 * and retries after a short randomised backoff. Two simultaneous attempts may both back off
 * but can never both win: each creates its file before listing, so whichever lists second
 * sees the other's file.
 *
 * Why not the classic single `@lock` file created with `open(path, 'wx')`: breaking it when
 * its owner died needs "delete it only if it is still the dead owner's", which POSIX cannot
 * do atomically, so a second breaker can delete the lock a first breaker just took. Here a
 * lock file's name belongs to one attempt of one process forever: removing a dead owner's
 * file can never remove anyone else's.
 */
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { BorealisError } from '../../errors.js';
import { isAlive, ownIdentity, type ProcessIdentity } from './process-identity.js';

const OWNER_FILE = /^(\d+)\.(\d+)\.([0-9a-f]+)\.(\d+)\.lock$/;
const MAX_BACKOFF_MS = 16;

let attempts = 0;

function parseOwnerFile(name: string): ProcessIdentity | undefined {
  const match = OWNER_FILE.exec(name);
  if (match === null) return undefined;
  const [, pid, start, boot] = match as unknown as [string, string, string, string];
  return { pid: Number(pid), start, boot };
}

function ownerFileName(): string {
  attempts += 1;
  const { pid, start, boot } = ownIdentity();
  return `${pid}.${start}.${boot}.${attempts}.lock`;
}

/** Exponential backoff with jitter, so contenders that collided do not collide again. */
function backoffMs(round: number): number {
  return Math.min(2 ** round, MAX_BACKOFF_MS) * (0.5 + Math.random());
}

export type Release = () => Promise<void>;

export class DirectoryLock {
  constructor(
    /** The `@locks` directory; it must exist. */
    readonly directory: string,
    private readonly timeoutMs: number,
  ) {}

  async acquire(): Promise<Release> {
    const deadline = Date.now() + this.timeoutMs;
    for (let round = 0; ; round += 1) {
      const held = await this.tryOnce();
      if (held !== undefined) return () => rm(held, { force: true });
      if (Date.now() >= deadline) throw await this.timeoutError();
      await delay(backoffMs(round));
    }
  }

  /** The path of our owner file when the lock is ours, otherwise undefined. */
  private async tryOnce(): Promise<string | undefined> {
    // Do not even contend while someone holds it: that keeps collisions to release moments.
    if ((await this.liveOwnerFiles()).length > 0) return undefined;
    const name = ownerFileName();
    const path = join(this.directory, name);
    const { pid, start, boot } = ownIdentity();
    await writeFile(path, `${JSON.stringify({ pid, start, boot, since: new Date().toISOString() })}\n`, {
      flag: 'wx',
    });
    const others = (await this.liveOwnerFiles()).filter((other) => other !== name);
    if (others.length === 0) return path;
    await rm(path, { force: true });
    return undefined;
  }

  /** Owner files of live processes; those of dead processes are removed on the way. */
  private async liveOwnerFiles(): Promise<string[]> {
    const live: string[] = [];
    for (const name of await readdir(this.directory)) {
      const owner = parseOwnerFile(name);
      // Anything else (an operator's note, an editor's swap file) is not a lock.
      if (owner === undefined) continue;
      if (isAlive(owner)) live.push(name);
      else await rm(join(this.directory, name), { force: true });
    }
    return live;
  }

  private async timeoutError(): Promise<BorealisError> {
    const holders = await this.liveOwnerFiles();
    const pids = holders.map((name) => parseOwnerFile(name)?.pid).join(', ');
    return new BorealisError(
      'STATE_LOCKED',
      `file state store: ${this.directory} is still locked by pid ${pids || '(released)'} after ${this.timeoutMs} ms`,
      {
        hint: `another Borealis process is writing this state directory; if pid ${pids} is not Borealis, remove ${holders.map((name) => join(this.directory, name)).join(' ')}`,
      },
    );
  }
}
