/**
 * What a command says besides its output (a fallback it took) goes to the command's own
 * standard error, the `Io` it was given, never to the process's: a leader that does not
 * plan, or gives no view, is said once and the command goes on. A real HTTP server plays
 * a leader that answers every request with 500.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { announceWatch } from '../../src/cli/compose/leader-address.js';
import { leaderView } from '../../src/cli/compose/leader-view-prefetch.js';
import { TempGitRepo } from '../support/git-repo.js';
import { LOCAL_CLUSTERS } from '../support/jobs.js';
import { runCli } from '../support/run-cli.js';

describe('a leader that answers 500', () => {
  let repo: TempGitRepo;
  let state: string;
  let server: Server;
  let withdraw: () => Promise<void>;

  before(async () => {
    repo = new TempGitRepo('borealis-notices-');
    repo.commit('no jobs', { 'clusters.yaml': LOCAL_CLUSTERS });
    state = mkdtempSync(join(tmpdir(), 'borealis-notices-state-'));
    server = createServer((_request, response) => response.writeHead(500).end('broken'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    withdraw = await announceWatch(state, 'local', `http://127.0.0.1:${port}`);
  });
  after(async () => {
    await withdraw();
    await new Promise((resolve) => server.close(resolve));
    repo.remove();
    rmSync(state, { recursive: true, force: true });
  });

  it('plan says on its standard error that it plans here, and plans', async () => {
    const run = await runCli(['--repo', repo.dir, '--state', state, 'plan']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, 'borealis: the leading reconciler did not plan (answered 500); planning here\n');
    assert.match(run.stdout, /No changes|nothing/i);
  });

  it("the leader's view is given up, saying why, and the master is asked", async () => {
    const options = { repo: repo.dir, path: '', cluster: 'local', state };
    const answer = await leaderView(options);
    assert.equal(answer.tasks, undefined);
    assert.match(
      answer.failure ?? '',
      /^the leading reconciler gave no view of local \(.*500.*\); asking the Mesos master$/,
    );
  });
});
