/** `borealis history [COMMIT] [-o json]`: the deployment log, newest first, or one deployment in full. */
import type { Command } from 'commander';
import { BorealisError } from '../errors.js';
import { renderText as renderPlanText } from '../plan/render-text.js';
import { historyListDocument, historyOneDocument } from '../state/deployment-wire.js';
import { DeploymentLog, type DeploymentRecord } from '../state/deployments.js';
import { openRecords } from './compose/open-records.js';
import { globalOptions } from './global-options.js';
import type { Io } from './io.js';
import { outputOption, type Output } from './output.js';
import { formatProblem } from './problems.js';
import { positiveInteger } from './option-values.js';

export function registerHistory(program: Command, io: Io): void {
  program
    .command('history')
    .description('the deployment log, newest first; with a commit, that deployment in full')
    .argument('[COMMIT]', 'a commit id or a unique prefix of one')
    .option('-n, --limit <N>', 'how many deployments to list', positiveInteger, 20)
    .addOption(outputOption(['text', 'json']))
    .action(
      async (commit: string | undefined, options: { limit: number; output: Output }, command: Command) => {
        const records = await openRecords(globalOptions(command));
        try {
          const log = new DeploymentLog(records.store);
          const json = options.output === 'json';
          if (commit) {
            const found = await findOne(log, commit);
            io.stdout.write(json ? renderJson(historyOneDocument(found)) : renderOne(found));
          } else {
            const listed = await log.list(options.limit);
            io.stdout.write(json ? renderJson(historyListDocument(listed)) : renderList(listed));
          }
        } finally {
          await records.store.close();
        }
      },
    );
}

async function findOne(log: DeploymentLog, commit: string): Promise<DeploymentRecord> {
  const found = await log.find(commit);
  if (!found) throw new BorealisError('NO_DEPLOYMENT', `no deployment of a commit ${commit} is recorded`);
  return found;
}

function renderList(deployments: DeploymentRecord[]): string {
  if (deployments.length === 0) return 'No deployments recorded yet.\n';
  // The reason column is as wide as the longest reason listed, and left out when none has one.
  const reasonWidth = Math.max(0, ...deployments.map((d) => d.reason?.length ?? 0));
  const rows = deployments.map((d) =>
    [
      d.started_at.slice(0, 19).replace('T', ' '),
      d.commit.slice(0, 12),
      d.outcome.padEnd(11),
      ...(reasonWidth > 0 ? [(d.reason ?? '').padEnd(reasonWidth)] : []),
      d.trigger.padEnd(7),
      d.author.name,
      firstLine(d.message),
    ].join('  '),
  );
  return `${rows.join('\n')}\n`;
}

function renderOne(d: DeploymentRecord): string {
  const lines = [
    `commit     ${d.commit}`,
    `outcome    ${d.outcome}${because(d.reason, d.detail)}`,
    `author     ${d.author.name} <${d.author.email}>`,
    `committer  ${d.committer.name} <${d.committer.email}>`,
    `date       ${d.date}`,
    `trigger    ${d.trigger} on cluster ${d.cluster}`,
    `signature  ${d.signature.status}: ${d.signature.detail}`,
    `applied    after ${d.parent_applied?.slice(0, 12) ?? '(nothing)'}; ${d.started_at} → ${d.finished_at ?? '(not finished)'}`,
    ...(d.planned_at ? [`planned    in ${Date.parse(d.planned_at) - Date.parse(d.started_at)} ms`] : []),
    '',
    ...d.message.split('\n').map((line) => `    ${line}`),
    '',
  ];
  if (d.superseded_by) lines.push(`superseded by ${d.superseded_by}`, '');
  for (const problem of d.errors) lines.push(formatProblem(problem));
  if (d.plan) lines.push(renderPlanText(d.plan).trimEnd(), '');
  for (const job of d.jobs) {
    lines.push(`${job.job}: ${job.action} → ${job.result}${because(job.reason, job.message)}`);
    for (const event of job.events) {
      const where = event.instance === undefined ? '' : ` ${event.instance}`;
      lines.push(
        `  ${new Date(event.at).toISOString().slice(11, 23)}${where} ${event.event}${event.detail ? ` ${event.detail}` : ''}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** ` (CODE) — the sentence`, as much of it as there is. */
function because(reason: string | undefined, detail: string | undefined): string {
  return `${reason ? ` (${reason})` : ''}${detail ? ` — ${detail}` : ''}`;
}

function renderJson(document: object): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 72 ? `${line.slice(0, 69)}...` : line;
}
