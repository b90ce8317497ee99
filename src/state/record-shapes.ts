/**
 * What each kind of state record must look like before Borealis uses it. A record edited by
 * hand, cut short by a full disk or written by something else can parse as JSON and still
 * not be one: that is caught here, on read, and reported with the record's place, instead of
 * failing later on a missing field (a stack trace, exit 70, on every run).
 *
 * Each check returns what is wrong, in a few words, or undefined. Only the fields Borealis
 * relies on are checked; extra fields are a newer writer's business (its `format` says).
 */
import { BorealisError } from '../errors.js';
import { configHash } from '../jobspec/hash.js';
import { instanceConfig } from '../jobspec/normalise.js';
import type { InstanceConfig, JobConfig } from '../jobspec/types.js';
import { CORRUPT_HINT, StateCorruptError, type StateStore } from './types.js';

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'string|null' | 'object?';

export type ShapeCheck = (value: Record<string, unknown>) => string | undefined;

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function fits(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case 'string|null':
      return value === null || typeof value === 'string';
    case 'object?':
      return value === undefined || kindOf(value) === 'object';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    default:
      return kindOf(value) === kind;
  }
}

/** The first field that is missing or of another kind, as `field (expected kind)`. */
export function fields(spec: Record<string, Kind>): ShapeCheck {
  return (value) => {
    for (const [name, kind] of Object.entries(spec))
      if (!fits(value[name], kind)) return `field ${name} is ${kindOf(value[name])}, expected ${kind}`;
    return undefined;
  };
}

export function all(...checks: ShapeCheck[]): ShapeCheck {
  return (value) => {
    for (const check of checks) {
      const wrong = check(value);
      if (wrong !== undefined) return wrong;
    }
    return undefined;
  };
}

/** A nested object's fields, reported with the path to them. */
function nested(name: string, check: ShapeCheck): ShapeCheck {
  return (value) => {
    const inner = value[name];
    if (kindOf(inner) !== 'object') return `field ${name} is ${kindOf(inner)}, expected object`;
    return check(inner as Record<string, unknown>)?.replace(/^field /, `field ${name}.`);
  };
}

export const appliedShape = fields({ commit: 'string', appliedAt: 'number' });

export const jobsStampShape = fields({ token: 'string' });

export const openDriftShape = fields({ open: 'array' });

export const jobRecordShape = all(
  fields({
    id: 'string',
    commit: 'string',
    config: 'object',
    configHash: 'string',
    appliedAt: 'number',
    held: 'object?',
  }),
  nested('config', fields({ instances: 'number', task: 'object' })),
);

const person = fields({ name: 'string', email: 'string' });

export const deploymentShape = all(
  fields({
    sequence: 'number',
    commit: 'string',
    parent_applied: 'string|null',
    date: 'string',
    message: 'string',
    signature: 'object',
    trigger: 'string',
    cluster: 'string',
    outcome: 'string',
    jobs: 'array',
    errors: 'array',
    started_at: 'string',
    finished_at: 'string|null',
  }),
  nested('author', person),
  nested('committer', person),
);

const configVersion = fields({ configHash: 'string', config: 'object' });

/** A rollout is resumed by launching its target: its config must still hash to its hash. */
export const rolloutShape = all(
  fields({
    jobId: 'string',
    commit: 'string',
    status: 'string',
    target: 'object',
    previous: 'object?',
    previousInstances: 'number',
    settings: 'object',
    finishIsSuccess: 'boolean',
    instances: 'array',
    removals: 'array',
    startedAt: 'number',
    updatedAt: 'number',
  }),
  nested('target', configVersion),
  (value) => hashMismatch('target', value.target),
  (value) => (value.previous === undefined ? undefined : hashMismatch('previous', value.previous)),
);

function hashMismatch(name: string, version: unknown): string | undefined {
  const { config, configHash: hash } = version as {
    config: Parameters<typeof configHash>[0];
    configHash: string;
  };
  if (kindOf(config) !== 'object') return `field ${name}.config is ${kindOf(config)}, expected object`;
  return configHash(config) === hash
    ? undefined
    : `${name}.config does not hash to ${name}.configHash ${hash}`;
}

/**
 * `value` as a record of one kind: an object whose format field (`format`, or a rollout's
 * `version`) is `format`, in `shape`. Anything else is a `StateCorruptError` naming the
 * record's place, but a well-formed record of another format, which another Borealis wrote
 * (`STATE_FORMAT`).
 */
export function checkRecord<T>(
  store: StateStore,
  key: string,
  value: unknown,
  expected: { shape: ShapeCheck; format: number; formatField?: string },
): T {
  const corrupt = (what: string) => new StateCorruptError(key, store.locate(key), new Error(what));
  if (kindOf(value) !== 'object') throw corrupt(`it holds ${kindOf(value)}, not a record`);
  const record = value as Record<string, unknown>;
  const field = expected.formatField ?? 'format';
  const format = record[field];
  if (!Number.isSafeInteger(format)) throw corrupt(`it has no ${field} (found ${kindOf(format)})`);
  if (format !== expected.format) {
    throw new BorealisError(
      'STATE_FORMAT',
      `state record ${key} at ${store.locate(key)} has ${field} ${String(format)}; this Borealis reads ${field} ${expected.format}`,
      { hint: 'run the Borealis version that wrote this state, or point --state at another one' },
    );
  }
  const wrong = expected.shape(record);
  if (wrong !== undefined) throw corrupt(wrong);
  return value as T;
}

/**
 * A job record's configuration, checked against its hash before it is launched (a held
 * job's instances, a rollback): a large cluster has very many job records, not all
 * hashed on every read, so the few that run are hashed where they run.
 */
export function recordedInstance(record: {
  id: string;
  config: JobConfig;
  configHash: string;
}): InstanceConfig {
  const instance = instanceConfig(record.config);
  if (configHash(instance) !== record.configHash) {
    throw new BorealisError(
      'STATE_CORRUPT',
      `the job record of ${record.id} is damaged: its configuration does not hash to its hash ${record.configHash}`,
      { hint: CORRUPT_HINT },
    );
  }
  return instance;
}
