/**
 * The job model after loading: Aurora's field names, defaults filled, sizes in MiB.
 *
 * Field names deliberately match the YAML a user writes, so a plan's field-level diff
 * (`task.processes[0].cmdline`) and a validation error (`task.resources.ram`) name the
 * same path the user sees in their file.
 */

/** `cluster/role/environment/name`: the identity of a job across the whole system. */
export type JobId = string;

export interface JobKey {
  cluster: string;
  role: string;
  environment: string;
  name: string;
}

export interface ProcessConfig {
  name: string;
  /** Runs in `bash -c`; may use `{{mesos.instance}}`, `{{mesos.hostname}}`, `{{thermos.ports[name]}}`, `{{thermos.task_id}}`. */
  cmdline: string;
  /** Failed runs before the process counts as failed; 0 = restart forever. */
  max_failures: number;
  /** A daemon process is restarted even when it exits successfully. */
  daemon: boolean;
  /** The task does not wait for an ephemeral process to finish. */
  ephemeral: boolean;
  /** Seconds that must pass between two starts of the process. */
  min_duration: number;
  /** Final processes run only after every other process has finished (or on kill), for clean-up. */
  final: boolean;
}

export interface OrderConstraint {
  order: string[];
}

export interface Resources {
  cpu: number;
  /** MiB */
  ram: number;
  /** MiB */
  disk: number;
  gpu: number;
  /** Port names requested from the cluster; each gets a port number at launch. */
  ports: string[];
}

export interface TaskConfig {
  name: string;
  processes: ProcessConfig[];
  constraints: OrderConstraint[];
  resources: Resources;
  /** Failed processes before the task fails. */
  max_failures: number;
  /** Processes running at once; 0 = unlimited. */
  max_concurrency: number;
  /** Seconds between SIGTERM and SIGKILL when the task is killed. */
  finalization_wait: number;
}

export interface UpdateConfig {
  batch_size: number;
  watch_secs: number;
  max_per_shard_failures: number;
  max_total_failures: number;
  rollback_on_failure: boolean;
  wait_for_batch_completion: boolean;
  /**
   * A rollout that moves no instance along for this long fails (and rolls back when
   * `rollback_on_failure`). Unset means DEFAULT_PROGRESS_DEADLINE_SECS beyond `watch_secs`:
   * the schema gives no default, so configurations written before it existed keep their
   * hash and record, and none becomes invalid because its watch is long.
   */
  progress_deadline_secs?: number;
}

/** Nomad's default `progress_deadline`: ten minutes without progress fails a rollout. */
export const DEFAULT_PROGRESS_DEADLINE_SECS = 600;

/**
 * The progress deadline a job's rollouts run under. Unset, it is ten minutes beyond the
 * watch: an instance being watched is not stuck, and a job's watch period alone must not
 * make it invalid.
 */
export function progressDeadlineSecs(settings: UpdateConfig): number {
  return settings.progress_deadline_secs ?? settings.watch_secs + DEFAULT_PROGRESS_DEADLINE_SECS;
}

export interface HttpHealthChecker {
  endpoint: string;
  expected_response: string;
  /** 0 = any status code */
  expected_response_code: number;
}

export interface ShellHealthChecker {
  shell_command: string;
}

export interface HealthCheckConfig {
  http?: HttpHealthChecker;
  shell?: ShellHealthChecker;
  initial_interval_secs: number;
  interval_secs: number;
  timeout_secs: number;
  max_consecutive_failures: number;
  min_consecutive_successes: number;
}

export interface AnnounceConfig {
  primary_port: string;
  /** Alias → port name or fixed port number. */
  portmap: Record<string, string | number>;
}

export interface DockerParameter {
  name: string;
  value: string;
}

export interface ContainerConfig {
  docker?: { image: string; parameters: DockerParameter[] };
  mesos?: { image: string };
}

export type CronCollisionPolicy = 'KILL_EXISTING' | 'CANCEL_NEW';

export interface CronConfig {
  cron_schedule: string;
  cron_collision_policy: CronCollisionPolicy;
  /** IANA time zone the schedule is read in; UTC when absent. */
  cron_timezone?: string;
  /** No run starts while true; runs in progress go on. */
  cron_paused: boolean;
}

/** A job's normalised configuration, exactly as the planner and the clusters see it. */
export interface JobConfig extends JobKey {
  instances: number;
  service: boolean;
  contact?: string;
  tier?: string;
  priority: number;
  production: boolean;
  max_task_failures: number;
  cron_schedule?: string;
  cron_collision_policy: CronCollisionPolicy;
  cron_timezone?: string;
  cron_paused: boolean;
  constraints: Record<string, string>;
  metadata: Record<string, string>;
  env: Record<string, string>;
  container?: ContainerConfig;
  update_config: UpdateConfig;
  health_check_config?: HealthCheckConfig;
  announce?: AnnounceConfig;
  task: TaskConfig;
}

/**
 * Everything that shapes one running instance. Two instances with equal `InstanceConfig`
 * are interchangeable; a change here restarts instances, a change elsewhere does not.
 */
export interface InstanceConfig {
  task: TaskConfig;
  env: Record<string, string>;
  container?: ContainerConfig;
  health_check_config?: HealthCheckConfig;
  announce?: AnnounceConfig;
  constraints: Record<string, string>;
  metadata: Record<string, string>;
  tier?: string;
  priority: number;
  production: boolean;
}

/** A validated, normalised job as declared by one commit. */
export interface JobSpec {
  id: JobId;
  key: JobKey;
  /** Path of the declaring file, relative to the job root. */
  file: string;
  config: JobConfig;
  instance: InstanceConfig;
  /** Canonical hash of `instance`: stable across key order, whitespace, file moves and defaults. */
  configHash: string;
}

export type ClusterType = 'local' | 'mesos';

/** Limits a cluster puts on every job that names it (clusters.yaml `limits`). */
export interface ClusterLimits {
  /** Most instances, and largest update batch, of one job; see `maxInstancesPerJob`. */
  max_instances_per_job?: number;
}

export interface LocalClusterConfig {
  name: string;
  type: 'local';
  limits?: ClusterLimits;
  /** Directory holding task sandboxes; relative to the state directory when not absolute. */
  sandbox_root?: string;
}

export interface MesosClusterConfig {
  name: string;
  type: 'mesos';
  limits?: ClusterLimits;
  /** `http(s)://host:port` of a master (several allowed) or `zk://host:port,…/mesos`. */
  master: string | string[];
  zookeeper?: { connect: string; chroot: string };
  role?: string;
  user?: string;
}

export type ClusterConfig = LocalClusterConfig | MesosClusterConfig;

/** One problem found in a repository, pointing at the exact place in the file. */
export interface Problem {
  /** Relative to the job root. */
  file: string;
  line: number;
  column: number;
  /** Dotted field path such as `task.processes[0].cmdline`; empty for problems not tied to a field. */
  path: string;
  message: string;
}

export interface LoadedRepository {
  clusters: ClusterConfig[];
  jobs: JobSpec[];
  problems: Problem[];
}
