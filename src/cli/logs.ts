/** `borealis logs JOB/INSTANCE [PROCESS] [-n N] [-f]`: a local task's process logs, from its sandbox. */
import type { Command } from 'commander';
import type { Io } from './io.js';
import { createReadStream, watch } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readSandbox } from '../cluster/local/status-reader.js';
import { LOG_DIR, sandboxPaths } from '../cluster/local/sandbox-layout.js';
import { isTerminal, type ObservedTask } from '../cluster/types.js';
import { BorealisError } from '../errors.js';
import { openLocalCluster } from './compose/cluster-choice.js';
import { globalOptions } from './global-options.js';
import { lastLines } from './tail.js';
import { wholeNumber } from './option-values.js';

interface LogsOptions {
  follow?: boolean;
  tail?: number;
}

export function registerLogs(program: Command, io: Io): void {
  program
    .command('logs')
    .description("print a local task's process logs (the live task of the instance, else its latest)")
    .argument('<JOB/INSTANCE>', 'e.g. local/www-data/prod/hello_http/0 or www-data/prod/hello_http/0')
    .argument('[PROCESS]', 'only this process (default: every process)')
    .option('-f, --follow', 'keep printing as the logs grow, until interrupted')
    .option('-n, --tail <N>', 'only the last N lines of each log (then follow, with -f)', wholeNumber)
    .action(
      async (target: string, processName: string | undefined, options: LogsOptions, command: Command) => {
        const cluster = await openLocalCluster(globalOptions(command));
        try {
          const task = pickTask(await cluster.snapshot(), target);
          const sandbox = cluster.sandboxPath(task.taskId);
          const dir = join(sandbox, LOG_DIR);
          const names = processName
            ? [await knownProcess(sandbox, task, processName)]
            : (await readdir(dir).catch(() => [])).map((file) => file.replace(/\.log$/, '')).sort();
          if (names.length === 0)
            throw new BorealisError('NO_LOGS', `task ${task.taskId} has no process logs yet`);
          for (const name of names) {
            const header = names.length > 1 ? name : undefined;
            await printLog(join(dir, `${name}.log`), header, options.tail, io);
          }
          if (options.follow)
            await follow(
              names.map((name) => join(dir, `${name}.log`)),
              io,
            );
        } finally {
          await cluster.close();
        }
      },
    );
}

function pickTask(tasks: readonly ObservedTask[], target: string): ObservedTask {
  const match = /^(.*)\/(\d+)$/.exec(target);
  if (!match)
    throw new BorealisError(
      'BAD_TARGET',
      `${target}: expected JOB/INSTANCE, e.g. www-data/prod/hello_http/0`,
    );
  const [, job = '', instance = ''] = match;
  const candidates = tasks
    .filter(
      (task) => (task.jobId === job || task.jobId.endsWith(`/${job}`)) && task.instance === Number(instance),
    )
    .sort((a, b) => Number(isTerminal(a.state)) - Number(isTerminal(b.state)) || b.launchedAt - a.launchedAt);
  if (!candidates[0]) throw new BorealisError('UNKNOWN_TASK', `no task for ${target} in the local cluster`);
  return candidates[0];
}

/** The process named, when the task has it; else an error naming the processes it has. */
async function knownProcess(sandbox: string, task: ObservedTask, name: string): Promise<string> {
  const view = await readSandbox(sandboxPaths(sandbox));
  const names = view?.record.config.task.processes.map((process) => process.name) ?? [];
  if (names.includes(name)) return name;
  throw new BorealisError('UNKNOWN_PROCESS', `task ${task.taskId} has no process "${name}"`, {
    hint: names.length > 0 ? `its processes: ${names.join(', ')}` : undefined,
  });
}

async function printLog(
  path: string,
  header: string | undefined,
  tail: number | undefined,
  io: Io,
): Promise<void> {
  if (header) io.stdout.write(`==> ${header} <==\n`);
  if (tail !== undefined) {
    io.stdout.write(await lastLines(path, tail));
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(path);
    stream.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ENOENT' ? resolve() : reject(error),
    );
    stream.on('end', resolve);
    stream.pipe(io.stdout, { end: false });
  });
}

/** Prints what is appended to each file, as `tail -f` does, until SIGINT or SIGTERM. */
async function follow(paths: string[], io: Io): Promise<void> {
  const offsets = new Map(
    await Promise.all(
      paths.map(async (path) => [path, (await stat(path).catch(() => ({ size: 0 }))).size] as const),
    ),
  );
  const watchers = paths.map((path) =>
    watch(path, () => {
      void stat(path).then(({ size }) => {
        const from = offsets.get(path) ?? 0;
        if (size <= from) return;
        offsets.set(path, size);
        createReadStream(path, { start: from, end: size - 1 }).pipe(io.stdout, { end: false });
      });
    }),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  for (const watcher of watchers) watcher.close();
}
