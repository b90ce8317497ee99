import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeployEnv } from '../support/deploy-env.js';
import { sleeperJob } from '../support/jobs.js';

const job = (name: string, cmdline = 'exec sleep 1000') => sleeperJob(name, {}, cmdline);

describe('plan and reconcile commands', () => {
  let env: DeployEnv;

  before(async () => {
    env = new DeployEnv();
    env.commitJobs('two jobs', [job('a'), job('b')]);
    const first = await env.cli('reconcile');
    assert.equal(first.code, 0, first.stdout + first.stderr);
  });
  after(() => env.cleanup());

  it('plan --detailed-exitcode: 0 when converged, 2 when a commit changes something', async () => {
    assert.equal((await env.cli('plan', '--detailed-exitcode')).code, 0);
    env.commitJobs('change a', [job('a', 'exec sleep 2000'), job('b')]);
    const changed = await env.cli('plan', '--detailed-exitcode');
    assert.equal(changed.code, 2);
    assert.match(changed.stdout, /-\/\+ local\/www-data\/prod\/a: restart 1 instance \[0\]/);
    assert.equal((await env.cli('plan')).code, 0, 'without the flag a plan with changes exits 0');
  });

  it('plan changes nothing on the cluster', async () => {
    const before = await env.tasks();
    await env.cli('plan', '-o', 'json');
    const after = await env.tasks();
    assert.deepEqual(
      after.map((t) => [t.taskId, t.state]).sort(),
      before.map((t) => [t.taskId, t.state]).sort(),
    );
  });

  it('plan --ref previews another branch as Markdown without touching the cluster', async () => {
    env.repo.git('checkout', '-q', '-b', 'feature');
    env.commitJobs('feature: add c', [job('a', 'exec sleep 2000'), job('b'), job('c')]);
    env.repo.git('checkout', '-q', 'main');
    const before = await env.tasks();
    const preview = await env.cli('plan', '--ref', 'feature', '-o', 'markdown');
    assert.equal(preview.code, 0, preview.stderr);
    assert.match(preview.stdout, /\| `\+` \| `local\/www-data\/prod\/c` \| create \|/);
    assert.match(preview.stdout, /\| `-\/\+` \| `local\/www-data\/prod\/a` \| update \|/);
    assert.deepEqual((await env.tasks()).map((t) => t.taskId).sort(), before.map((t) => t.taskId).sort());
  });

  it('an invalid commit is refused with its problems and applies nothing', async () => {
    const before = await env.tasks();
    env.repo.commit('broken', { 'jobs/a.yaml': 'name: [unclosed' });
    const run = await env.cli('reconcile');
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^jobs\/a\.yaml:1:7: invalid YAML/m);
    assert.deepEqual(
      (await env.tasks()).map((t) => [t.taskId, t.state]).sort(),
      before.map((t) => [t.taskId, t.state]).sort(),
    );
    const json = await env.cli('plan', '-o', 'json');
    assert.equal(json.code, 1);
    const parsed = JSON.parse(json.stdout) as { errors: { file: string; line: number }[] };
    assert.deepEqual(
      parsed.errors.map((e) => [e.file, e.line]),
      [['jobs/a.yaml', 1]],
    );
  });

  it('--notes writes the outcome as a git note that git log --notes=borealis shows', async () => {
    const commit = env.commitJobs('add n', [job('a', 'exec sleep 2000'), job('b'), job('n')]);
    const run = await env.cli('reconcile', '--notes');
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const log = env.repo.git('log', '-1', '--notes=borealis', '--format=%H%n%N', commit);
    assert.match(log, /borealis: succeeded on cluster local \(manual, /);
    assert.match(log, /local\/www-data\/prod\/n: create succeeded/);
  });

  it('refuses to kill every running job unless --allow-mass-kill is given', async () => {
    env.commitJobs('delete everything', []);
    const refused = await env.cli('reconcile');
    assert.equal(refused.code, 1);
    assert.match(
      refused.stdout,
      /Rejected commit [0-9a-f]{12}: refused: this plan would kill every running job; pass --allow-mass-kill/,
    );
    assert.equal((await env.liveTasks()).length, 3, 'nothing was killed');
    const allowed = await env.cli('reconcile', '--allow-mass-kill');
    assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
    assert.equal((await env.liveTasks()).length, 0);
  });
});
