/**
 * Deployment outcomes as Git notes under refs/notes/borealis, so `git log --notes=borealis`
 * shows next to each commit what became of it.
 */
import { simpleGit } from 'simple-git';
import type { DeploymentRecord } from '../state/deployments.js';

export const NOTES_REF = 'borealis';

export function noteText(record: DeploymentRecord): string {
  const lines = [
    `borealis: ${record.outcome} on cluster ${record.cluster} (${record.trigger}, ${record.finished_at ?? record.started_at})`,
  ];
  if (record.detail) lines.push(record.detail);
  for (const job of record.jobs) lines.push(`${job.job}: ${job.action} ${job.result}`);
  for (const problem of record.errors.slice(0, 10))
    lines.push(`${problem.file}:${problem.line}:${problem.column}: ${problem.message}`);
  return lines.join('\n');
}

export async function writeNote(repoDir: string, record: DeploymentRecord): Promise<void> {
  await simpleGit({ baseDir: repoDir }).raw([
    'notes',
    `--ref=${NOTES_REF}`,
    'add',
    '-f',
    '-m',
    noteText(record),
    record.commit,
  ]);
}
