/**
 * Errors that reach the operator. A `BorealisError` is expected (bad input, unreachable
 * cluster) and is printed as one line `borealis: CODE: message` with an optional hint;
 * anything else is a bug and is printed with its stack.
 */

/**
 * Every code an operator can meet, closed so that each one is documented (README, "Errors")
 * and scripts can match on it.
 */
export type ErrorCode =
  // command line
  | 'UNKNOWN_OPTION'
  | 'UNKNOWN_COMMAND'
  | 'BAD_OPTION_VALUE'
  | 'USAGE'
  // repository and commits
  | 'NOT_A_GIT_REPOSITORY'
  | 'NO_BRANCH'
  | 'NO_SUCH_BRANCH'
  | 'NO_SUCH_COMMIT'
  | 'NO_SUCH_PATH'
  | 'NO_SUCH_DIRECTORY'
  | 'SOURCE_UNREADABLE'
  | 'CLONE_FAILED'
  | 'UNKNOWN_CLUSTER'
  | 'CLUSTERS_INVALID'
  | 'NO_TRUSTED_KEYS'
  | 'MASS_KILL_REFUSED'
  | 'TEMPLATE_UNBOUND'
  // state
  | 'STATE_UNUSABLE'
  | 'STATE_CORRUPT'
  | 'STATE_FORMAT'
  | 'STATE_CONFLICT'
  | 'STATE_LOCKED'
  | 'STATE_FENCED'
  | 'STATE_UNKNOWN_OUTCOME'
  | 'NO_DEPLOYMENT'
  // ZooKeeper and leadership
  | 'BAD_ZK_URL'
  | 'ZK_UNREACHABLE'
  | 'ZK_FAILED'
  | 'NOT_LEADER'
  // clusters and tasks
  | 'LOCAL_ONLY'
  | 'UNKNOWN_JOB'
  | 'UNKNOWN_TASK'
  | 'BAD_TARGET'
  | 'NO_LOGS'
  | 'UNKNOWN_PROCESS'
  | 'MESOS_NO_LEADER'
  | 'MESOS_BAD_MASTER_INFO'
  | 'MESOS_BAD_REDIRECT'
  | 'MESOS_BAD_STREAM'
  | 'MESOS_READ_ONLY'
  | 'MESOS_SUBSCRIBE_REFUSED'
  | 'MESOS_SUBSCRIBE_FAILED'
  | 'MESOS_CALL_FAILED'
  | 'MESOS_OPERATOR_CALL_FAILED'
  | 'MESOS_OPERATOR_BAD_RESPONSE'
  // the daemon
  | 'ADDRESS_IN_USE'
  | 'LISTEN_FAILED'
  | 'BAD_NOTIFY_SINK'
  | 'BAD_NOTIFY_URL'
  | 'BAD_NOTIFY_OPTIONS'
  | 'DEPLOY_INTERNAL_ERROR'
  | 'DEPLOY_CRASHED'
  // asking the daemon over HTTP (`cron start`)
  | 'NO_DAEMON'
  | 'API_UNAUTHORIZED'
  | 'API_FAILED'
  // cron jobs
  | 'CRON_SKIPPED'
  | 'CRON_PAUSED'
  | 'CRON_UNAVAILABLE'
  // the machine
  | 'SYSTEM';

/** Exit codes, as in sysexits.h where one fits. */
export const EXIT = {
  /** An operational failure: bad input, something unreachable or refused. */
  failure: 1,
  /** The command line itself is wrong (EX_USAGE). */
  usage: 64,
  /** A bug (EX_SOFTWARE). */
  internal: 70,
} as const;

export class BorealisError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(
    code: ErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown; exitCode?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'BorealisError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? EXIT.failure;
  }
}

/** Thrown by a command to end with a specific exit code after it has printed its own output. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
    this.name = 'ExitCode';
  }
}
