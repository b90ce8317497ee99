/**
 * A test seam for the daemon's failure paths, inert unless BOREALIS_FAILPOINT is set. Its
 * value `<phase>:<how>:<commit>` makes that phase of that commit's deployment (a commit id
 * or a prefix of one) fail. `how`: `throw` an internal error; `unreachable`, an error of the
 * environment (a connection reset, as a store or cluster out of reach gives); `kill` the
 * process with SIGKILL, as the kernel's out-of-memory killer would. `rollout` is a
 * rollout's first reported step, once something was done. `cron-recorded` is the moment the
 * cron scheduler has saved a new run of a job (the job id in place of the commit) and
 * launched nothing yet: the hardest moment for a leader to die. Tests need a poison commit that
 * stays poison whatever the validation of the day rejects; nothing else sets this variable.
 */
export const FAILPOINT_ENV = 'BOREALIS_FAILPOINT';

export type FailpointPhase = 'planning' | 'applying' | 'rollout' | 'cron-recorded';

export function failpoint(phase: FailpointPhase, commit: string): void {
  const value = process.env[FAILPOINT_ENV];
  if (!value) return;
  const [at, how, prefix] = value.split(':');
  if (at !== phase || !prefix || !commit.startsWith(prefix)) return;
  if (how === 'kill') process.kill(process.pid, 'SIGKILL');
  const error = new Error(`${FAILPOINT_ENV}: injected fault while ${phase} ${commit.slice(0, 12)}`);
  throw how === 'unreachable' ? Object.assign(error, { code: 'ECONNRESET' }) : error;
}
