#!/usr/bin/env node
// Runs on Mesos agents for tasks of several processes; see src/cluster/mesos/agent-supervisor.ts.
import { runAgentTask, sandboxHealthy, sandboxOf } from '../dist/src/cluster/mesos/agent-supervisor.js';

const [mode, spec] = process.argv.slice(2);
if (mode === '--healthy') {
  process.exitCode = sandboxHealthy(sandboxOf()) ? 0 : 1;
} else if (mode === '--task' && spec !== undefined) {
  try {
    process.exitCode = await runAgentTask(spec, sandboxOf());
  } catch (error) {
    process.stderr.write(
      `borealis-task-supervisor: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  }
} else {
  process.stderr.write('usage: borealis-task-supervisor --task <json> | --healthy\n');
  process.exitCode = 2;
}
