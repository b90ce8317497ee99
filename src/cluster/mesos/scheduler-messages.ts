/**
 * The scheduler API messages Borealis sends, built exactly as `scheduler.proto` names them
 * (real Mesos drops misspelled fields silently, so these builders are the one place the
 * names are written).
 */
export const DEFAULT_FAILOVER_TIMEOUT_SECONDS = 7 * 24 * 3600;

export interface FrameworkSettings {
  user: string;
  roles: string[];
  /** Seconds Mesos keeps our tasks running while no scheduler is subscribed. */
  failoverTimeoutSeconds?: number;
  hostname?: string;
  webuiUrl?: string;
}

const CAPABILITIES = ['MULTI_ROLE', 'TASK_KILLING_STATE', 'PARTITION_AWARE'] as const;

export function frameworkInfo(settings: FrameworkSettings, frameworkId?: string): Record<string, unknown> {
  const info: Record<string, unknown> = {
    user: settings.user,
    name: 'borealis',
    roles: settings.roles,
    capabilities: CAPABILITIES.map((type) => ({ type })),
    failover_timeout: settings.failoverTimeoutSeconds ?? DEFAULT_FAILOVER_TIMEOUT_SECONDS,
    checkpoint: true,
  };
  if (settings.hostname) info.hostname = settings.hostname;
  if (settings.webuiUrl) info.webui_url = settings.webuiUrl;
  if (frameworkId) info.id = { value: frameworkId };
  return info;
}

/** A re-subscribe sets the framework id twice, top level and in framework_info, and they must match. */
export function subscribeCall(settings: FrameworkSettings, frameworkId?: string): Record<string, unknown> {
  const call: Record<string, unknown> = {
    type: 'SUBSCRIBE',
    subscribe: { framework_info: frameworkInfo(settings, frameworkId) },
  };
  if (frameworkId) call.framework_id = { value: frameworkId };
  return call;
}

export type SchedulerCall =
  | {
      type: 'ACCEPT';
      accept: {
        offer_ids: { value: string }[];
        operations: Record<string, unknown>[];
        filters?: { refuse_seconds: number };
      };
    }
  | { type: 'DECLINE'; decline: { offer_ids: { value: string }[]; filters?: { refuse_seconds: number } } }
  | { type: 'KILL'; kill: { task_id: { value: string }; agent_id?: { value: string } } }
  | {
      type: 'ACKNOWLEDGE';
      acknowledge: { agent_id: { value: string }; task_id: { value: string }; uuid: string };
    }
  | {
      type: 'RECONCILE';
      reconcile: { tasks: { task_id: { value: string }; agent_id?: { value: string } }[] };
    }
  | { type: 'SUPPRESS'; suppress: { roles: string[] } }
  | { type: 'REVIVE'; revive: { roles: string[] } }
  | { type: 'TEARDOWN' };

const ids = (values: readonly string[]) => values.map((value) => ({ value }));

export const calls = {
  launch: (
    offerIds: readonly string[],
    taskInfos: Record<string, unknown>[],
    refuseSeconds?: number,
  ): SchedulerCall => ({
    type: 'ACCEPT',
    accept: {
      offer_ids: ids(offerIds),
      operations: [{ type: 'LAUNCH', launch: { task_infos: taskInfos } }],
      ...(refuseSeconds === undefined ? {} : { filters: { refuse_seconds: refuseSeconds } }),
    },
  }),
  decline: (offerIds: readonly string[], refuseSeconds: number): SchedulerCall => ({
    type: 'DECLINE',
    decline: { offer_ids: ids(offerIds), filters: { refuse_seconds: refuseSeconds } },
  }),
  kill: (taskId: string, agentId?: string): SchedulerCall => ({
    type: 'KILL',
    kill: { task_id: { value: taskId }, ...(agentId ? { agent_id: { value: agentId } } : {}) },
  }),
  acknowledge: (agentId: string, taskId: string, uuid: string): SchedulerCall => ({
    type: 'ACKNOWLEDGE',
    acknowledge: { agent_id: { value: agentId }, task_id: { value: taskId }, uuid },
  }),
  /** With no tasks: implicit reconciliation (the master sends every task it knows). */
  reconcile: (tasks: readonly { taskId: string; agentId?: string }[]): SchedulerCall => ({
    type: 'RECONCILE',
    reconcile: {
      tasks: tasks.map((task) => ({
        task_id: { value: task.taskId },
        ...(task.agentId ? { agent_id: { value: task.agentId } } : {}),
      })),
    },
  }),
  suppress: (roles: readonly string[]): SchedulerCall => ({
    type: 'SUPPRESS',
    suppress: { roles: [...roles] },
  }),
  revive: (roles: readonly string[]): SchedulerCall => ({ type: 'REVIVE', revive: { roles: [...roles] } }),
};
