/** A validation problem as one line, as `validate` prints it and the daemon logs it. */
import type { Problem } from './types.js';

export function formatProblem(problem: Problem): string {
  const field = problem.path ? `${problem.path}: ` : '';
  return `${problem.file}:${problem.line}:${problem.column}: ${field}${problem.message}`;
}

/** The first `max` problems, one line each, and `and N more` for the rest. */
export function problemLines(problems: readonly Problem[], max: number): string[] {
  const lines = problems.slice(0, max).map(formatProblem);
  if (problems.length > max) lines.push(`and ${problems.length - max} more`);
  return lines;
}
