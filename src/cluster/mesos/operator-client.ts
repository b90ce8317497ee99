/**
 * The Mesos v1 operator API (`POST /api/v1` on the leading master): the read-only calls
 * `borealis status` and `plan` need to see a cluster without subscribing as the framework
 * (the master keeps a single scheduler subscription per framework, and the reconciler
 * holds it). Non-leading masters answer every call with a 307, which is followed; answers
 * are parsed losslessly (TimeInfo nanoseconds are beyond 2^53, doubles may be bare Infinity).
 */
import { BorealisError } from '../../errors.js';
import { arrayElements, type Element } from './json-stream.js';
import { parseMesosJson } from './json.js';
import { postToLeader } from './leader-http.js';
import type {
  MesosJsonObject,
  OperatorAgent,
  OperatorFrameworks,
  OperatorMaster,
  OperatorState,
  OperatorTasks,
} from './operator-types.js';
import {
  agentsView,
  frameworksView,
  healthView,
  masterView,
  objectOf,
  stateView,
  tasksView,
} from './operator-views.js';

export interface OperatorClientOptions {
  /** Master base URLs (`http://host:5050`), tried in order; any of them will do. */
  masters: readonly string[];
  /** How long each master gets to answer (default 10 s). */
  timeoutMs?: number;
  /** How long a streamed GET_TASKS may take to arrive whole (default 2 min). */
  streamTimeoutMs?: number;
}

const PATH = '/api/v1';

export class OperatorClient {
  private lastLeader: string | undefined;

  constructor(private readonly options: OperatorClientOptions) {}

  /** The master that answered the last call, which is tried first next time. */
  get leader(): string | undefined {
    return this.lastLeader;
  }

  async getHealth(): Promise<boolean> {
    return healthView(await this.call('GET_HEALTH'));
  }

  async getState(): Promise<OperatorState> {
    return stateView(await this.call('GET_STATE'));
  }

  async getTasks(): Promise<OperatorTasks> {
    return tasksView(await this.call('GET_TASKS'));
  }

  async getAgents(): Promise<OperatorAgent[]> {
    return agentsView(await this.call('GET_AGENTS'));
  }

  async getFrameworks(): Promise<OperatorFrameworks> {
    return frameworksView(await this.call('GET_FRAMEWORKS'));
  }

  async getMaster(): Promise<OperatorMaster> {
    return masterView(await this.call('GET_MASTER'));
  }

  /**
   * Any call without arguments, e.g. `GET_ROLES`; resolves with the response's payload
   * (`get_roles`), parsed but not interpreted.
   */
  async call(type: string): Promise<MesosJsonObject> {
    const { response, master } = await postToLeader(
      this.mastersToTry(),
      { type },
      {
        path: PATH,
        call: type,
        timeoutMs: this.options.timeoutMs ?? 10_000,
      },
    );
    const body = await response.text();
    if (response.status !== 200) {
      throw new BorealisError(
        'MESOS_OPERATOR_CALL_FAILED',
        `${type} to ${master}${PATH} answered ${response.status}: ${body.trim() || '(empty body)'}`,
      );
    }
    this.lastLeader = master;
    const answer = objectOf(parseAnswer(body, type, master));
    if (answer.type !== type) {
      const answered = typeof answer.type === 'string' ? `a ${answer.type}` : 'an untyped';
      throw new BorealisError(
        'MESOS_OPERATOR_BAD_RESPONSE',
        `${type} to ${master}${PATH} answered ${answered} response`,
      );
    }
    return objectOf(answer[type.toLowerCase()]);
  }

  /**
   * GET_TASKS as it streams in: `visit` gets each task of every list as soon as its bytes
   * have arrived, so a large cluster's tasks are never held at once, as text or as trees.
   */
  async eachTask(visit: (task: MesosJsonObject, list: TaskList) => void): Promise<void> {
    const { response, master } = await postToLeader(
      this.mastersToTry(),
      { type: 'GET_TASKS' },
      // The whole answer must arrive within this, and a large cluster's is very large.
      { path: PATH, call: 'GET_TASKS', timeoutMs: this.options.streamTimeoutMs ?? 120_000 },
    );
    if (response.status !== 200 || !response.body) {
      const body = await response.text();
      throw new BorealisError(
        'MESOS_OPERATOR_CALL_FAILED',
        `GET_TASKS to ${master}${PATH} answered ${response.status}: ${body.trim() || '(empty body)'}`,
      );
    }
    this.lastLeader = master;
    for await (const element of arrayElements(response.body as AsyncIterable<Uint8Array>, Object.keys(LISTS)))
      visit(objectOf(parseElement(element)), LISTS[element.array]!);
  }

  private mastersToTry(): readonly string[] {
    const leader = this.lastLeader;
    if (leader === undefined) return this.options.masters;
    return [leader, ...this.options.masters.filter((m) => m.replace(/\/+$/, '') !== leader)];
  }
}

export type TaskList = 'tasks' | 'unreachable' | 'completed';

const LISTS: Record<string, TaskList> = {
  'get_tasks.tasks': 'tasks',
  'get_tasks.unreachable_tasks': 'unreachable',
  'get_tasks.completed_tasks': 'completed',
};

/** One task: the native parser when the splitter saw it is exact (nearly always), else the lossless one. */
function parseElement(element: Element): unknown {
  return element.exact ? JSON.parse(element.text) : parseMesosJson(element.text);
}

function parseAnswer(body: string, type: string, master: string): unknown {
  try {
    return parseMesosJson(body);
  } catch (error) {
    throw new BorealisError(
      'MESOS_OPERATOR_BAD_RESPONSE',
      `${type} to ${master}${PATH} answered invalid JSON: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
