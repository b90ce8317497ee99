/** One health check, HTTP or shell, bounded by `timeout_secs`. */
import { spawn } from 'node:child_process';
import { get } from 'node:http';
import type { HttpHealthChecker } from '../../jobspec/types.js';
import { signalGroup } from '../../util/proc.js';

export interface ProbeResult {
  passed: boolean;
  reason?: string;
}

export type Probe = () => Promise<ProbeResult>;

const MAX_BODY_BYTES = 64 * 1024;

/** Aurora's HttpSignaler rule: code 0 accepts any status; an empty expected body accepts any body. */
export function judgeHttpResponse(checker: HttpHealthChecker, status: number, body: string): ProbeResult {
  if (checker.expected_response_code !== 0 && status !== checker.expected_response_code) {
    return { passed: false, reason: `expected status ${checker.expected_response_code}, got ${status}` };
  }
  const expected = checker.expected_response.trim();
  if (expected !== '' && body.trim().toLowerCase() !== expected.toLowerCase()) {
    return {
      passed: false,
      reason: `expected response ${JSON.stringify(expected)}, got ${JSON.stringify(body.trim())}`,
    };
  }
  return { passed: true };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function httpProbe(checker: HttpHealthChecker, port: number, timeoutSecs: number): Probe {
  return () =>
    new Promise((resolve) => {
      const signal = AbortSignal.timeout(timeoutSecs * 1000);
      const request = get(
        { host: '127.0.0.1', port, path: checker.endpoint, agent: false, signal },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            if (body.length < MAX_BODY_BYTES) body += chunk;
          });
          response.on('end', () => resolve(judgeHttpResponse(checker, response.statusCode ?? 0, body)));
          response.on('error', (error) => resolve({ passed: false, reason: errorText(error) }));
        },
      );
      request.on('error', (error) =>
        resolve({
          passed: false,
          reason: signal.aborted ? `timed out after ${timeoutSecs}s` : errorText(error),
        }),
      );
    });
}

export interface ShellProbeOptions {
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutSecs: number;
}

/** Runs in its own process group so a timed-out check is killed with everything it started. */
export function shellProbe(options: ShellProbeOptions): Probe {
  return () =>
    new Promise((resolve) => {
      const child = spawn('bash', ['-c', options.command], {
        cwd: options.cwd,
        env: options.env,
        detached: true,
        stdio: 'ignore',
      });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      }, options.timeoutSecs * 1000);
      child.on('error', (error) => {
        clearTimeout(timer);
        resolve({ passed: false, reason: errorText(error) });
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
        if (timedOut) resolve({ passed: false, reason: `timed out after ${options.timeoutSecs}s` });
        else if (code === 0) resolve({ passed: true });
        else resolve({ passed: false, reason: `shell check exited with ${code ?? signal ?? 'unknown'}` });
      });
    });
}
