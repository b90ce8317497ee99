/**
 * A test seam for the daemon's failure paths, inert unless BOREALIS_FAILPOINT is set. Its
 * value `<phase>:<throw|kill>:<commit>` makes that phase of that commit's deployment (a
 * commit id or a prefix of one) throw an internal error, or SIGKILL the process as the
 * kernel's out-of-memory killer would. Tests need a poison commit that stays poison
 * whatever the validation of the day rejects; nothing else sets this variable.
 */
export const FAILPOINT_ENV = 'BOREALIS_FAILPOINT';

export type FailpointPhase = 'planning' | 'applying';

export function failpoint(phase: FailpointPhase, commit: string): void {
  const value = process.env[FAILPOINT_ENV];
  if (!value) return;
  const [at, how, prefix] = value.split(':');
  if (at !== phase || !prefix || !commit.startsWith(prefix)) return;
  if (how === 'kill') process.kill(process.pid, 'SIGKILL');
  throw new Error(`${FAILPOINT_ENV}: injected fault while ${phase} ${commit.slice(0, 12)}`);
}
