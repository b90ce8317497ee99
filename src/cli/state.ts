/**
 * `borealis state repair [--dry-run]`: move unreadable state records aside into
 * `<state>/corrupt/<time>/` and rebuild what can be rebuilt from Git and the deployment
 * history (see src/state/repair.ts); print what it did. Nothing is deleted.
 */
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { jobsFor } from '../reconciler/reconcile.js';
import { readJournal } from '../state/file/journal.js';
import { FileStateStore } from '../state/file/file-store.js';
import { moveAside } from '../state/file/set-aside.js';
import { movedTo, repairState, type RepairAction } from '../state/repair.js';
import { StateCorruptError } from '../state/types.js';
import { isZkUrl } from '../zookeeper/url.js';
import { loadCommit } from './compose/load-commit.js';
import { asideDir, localDir } from './compose/local-dir.js';
import { openRecords } from './compose/open-records.js';
import { globalOptions, type GlobalOptions } from './global-options.js';
import type { Io } from './io.js';

/** The local caches: rebuilt on their own when unreadable, moved aside here so the next run starts clean. */
const CACHE_FILES = ['cache/specs.json', 'cache/job-records.json'];

export function registerState(program: Command, io: Io): void {
  const state = program.command('state').description('the state directory (or ZooKeeper state) itself');
  state
    .command('repair')
    .description(
      'move unreadable state records aside into <state>/corrupt/ and rebuild them from Git and the deployment history',
    )
    .option('--dry-run', 'only say what would be done')
    .action(async (options: { dryRun?: boolean }, command: Command) => {
      const global = globalOptions(command);
      const dryRun = options.dryRun === true;
      const aside = asideDir(global);
      const journal = await repairJournal(global, aside, dryRun);
      const actions = [...journal, ...(await repairCaches(global, aside, dryRun))];
      if (dryRun && journal.length > 0) {
        // The store cannot be opened while the journal is there.
        io.stdout.write(
          report(actions, dryRun, aside) + 'The records are checked once the journal is moved aside.\n',
        );
        return;
      }
      const records = await openRecords(global);
      try {
        actions.push(
          ...(await repairState({
            records,
            asideDir: aside,
            dryRun,
            jobsAt: async (commit) =>
              jobsFor((await loadCommit(global, commit)).repository.jobs, global.cluster),
            now: Date.now,
          })),
        );
      } finally {
        await records.store.close();
      }
      io.stdout.write(report(actions, dryRun, aside));
    });
}

/** A transaction journal that cannot be read stops every use of a file store, opening it too. */
async function repairJournal(
  options: GlobalOptions,
  aside: string,
  dryRun: boolean,
): Promise<RepairAction[]> {
  if (isZkUrl(options.state)) return [];
  const root = resolve(options.state, 'store');
  try {
    await readJournal(root);
    return [];
  } catch (error) {
    if (!(error instanceof StateCorruptError)) throw error;
    const moved = dryRun ? undefined : await FileStateStore.setAsideJournal(root, aside);
    const detail = `${error.message}; ${movedTo(moved, aside)}: the transaction it held is lost, the records it touched are checked below`;
    return [{ kind: 'moved', key: '(journal)', detail }];
  }
}

async function repairCaches(options: GlobalOptions, aside: string, dryRun: boolean): Promise<RepairAction[]> {
  const actions: RepairAction[] = [];
  const home = localDir(options);
  for (const name of CACHE_FILES) {
    const file = join(home, name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // none yet
    }
    try {
      JSON.parse(text);
    } catch (error) {
      const target = join(aside, relative(home, file));
      if (!dryRun) await moveAside(file, target);
      const detail = `${(error as Error).message}; ${movedTo(dryRun ? undefined : target, aside)}, rebuilt on the next run`;
      actions.push({ kind: 'moved', key: file, detail });
    }
  }
  return actions;
}

function report(actions: readonly RepairAction[], dryRun: boolean, aside: string): string {
  const changes = actions.filter((action) => action.kind !== 'left');
  if (changes.length === 0 && actions.length === 0) return 'Nothing to repair: every state record reads.\n';
  const lines = actions.map(
    (action) =>
      `  ${(dryRun && action.kind !== 'left' ? `would be ${action.kind}` : action.kind).padEnd(16)} ${action.key}: ${action.detail}`,
  );
  const count = (kind: RepairAction['kind']) => actions.filter((action) => action.kind === kind).length;
  const summary = `${count('moved')} moved aside${count('moved') > 0 ? ` (into ${aside})` : ''}, ${count('rebuilt')} rebuilt, ${count('closed')} closed, ${count('lost')} not rebuilt, ${count('left')} left alone`;
  return `${lines.join('\n')}\n\n${dryRun ? `Dry run, nothing changed: ${summary}.` : `Repaired: ${summary}.`}\n`;
}
