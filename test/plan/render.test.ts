import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatRanges, hasChanges, hasWork, summaryLine } from '../../src/plan/describe.js';
import { plan } from '../../src/plan/planner.js';
import { renderJson } from '../../src/plan/render-json.js';
import { renderMarkdown } from '../../src/plan/render-markdown.js';
import { renderText } from '../../src/plan/render-text.js';
import { recorded, running, spec, task } from '../support/specs.js';

const web = spec({ name: 'web', instances: 3, service: true });
const webChanged = spec({
  name: 'web',
  instances: 4,
  service: true,
  task: {
    processes: [{ name: 'main', cmdline: 'sleep 2000' }],
    resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB' },
  },
});
const api = spec({ name: 'api', service: true });
const old = spec({ name: 'old' });
const quiet = spec({ name: 'quiet' });

const mixed = plan({
  commit: '0123456789abcdef0123',
  cluster: 'local',
  desired: [webChanged, api, quiet],
  observed: [...running(web), ...running(old), ...running(quiet)],
  recorded: [recorded(web), recorded(old), recorded(quiet)],
  now: 0,
});

describe('renderers', () => {
  it('formats instance ranges', () => {
    assert.equal(formatRanges([0, 1, 2, 5, 7, 8]), '0-2, 5, 7-8');
    assert.equal(formatRanges([]), '');
    assert.equal(formatRanges([3]), '3');
  });

  it('text: markers, field diffs and the summary line, no colour when not asked', () => {
    const text = renderText(mixed);
    assert.match(text, /^ {2}\+ local\/www-data\/prod\/api: create 1 instance \[0\]$/m);
    assert.match(
      text,
      /^-\/\+ local\/www-data\/prod\/web: restart 3 instances \[0-2\] with the new configuration; scale 3 → 4; add \[3\]$/m,
    );
    assert.match(text, /^ {6}task\.processes\[0\]\.cmdline: "sleep 1000" → "sleep 2000"$/m);
    assert.match(text, /^ {6}instances: 3 → 4$/m);
    assert.match(text, /^ {2}- local\/www-data\/prod\/old: kill 1 instance \[0\]$/m);
    assert.doesNotMatch(text, /quiet/, 'noop jobs are not listed');
    assert.match(text, /^Plan: 1 to create, 1 to update, 1 to kill\.$/m);
    assert.ok(!text.includes('\x1b['), 'no escape codes');
    assert.ok(renderText(mixed, { colour: true }).includes('\x1b[32m  + local'), 'green create line');
  });

  it('text: says "no changes" for a converged cluster', () => {
    const converged = plan({
      commit: 'c',
      cluster: 'local',
      desired: [web],
      observed: running(web),
      recorded: [recorded(web)],
      now: 0,
    });
    assert.match(renderText(converged), /No changes/);
    assert.equal(summaryLine(converged), 'Plan: 0 to create, 0 to update, 0 to kill.');
  });

  it('json: versioned, parseable, with the documented fields', () => {
    const parsed = JSON.parse(renderJson(mixed)) as Record<string, unknown> & {
      changes: { job: string; action: string; instances: unknown; diff: unknown[] }[];
    };
    assert.equal(parsed.format_version, 3);
    assert.equal(parsed.commit, '0123456789abcdef0123');
    assert.equal(parsed.cluster, 'local');
    assert.deepEqual(parsed.summary, {
      create: 1,
      update: 1,
      scale: 0,
      kill: 1,
      heal: 0,
      orphan: 0,
      schedule: 0,
      reschedule: 0,
      deschedule: 0,
      noop: 1,
    });
    assert.deepEqual(
      parsed.changes.map((c) => [c.job, c.action]),
      [
        ['local/www-data/prod/api', 'create'],
        ['local/www-data/prod/old', 'kill'],
        ['local/www-data/prod/web', 'update'],
      ],
    );
    const webChange = parsed.changes.find((c) => c.action === 'update')!;
    assert.deepEqual(webChange.diff, [
      { path: 'instances', from: 3, to: 4 },
      { path: 'task.processes[0].cmdline', from: 'sleep 1000', to: 'sleep 2000' },
    ]);
  });

  it('markdown: a table naming every changed job, long diffs folded', () => {
    const markdown = renderMarkdown(mixed);
    for (const job of ['api', 'old', 'web'])
      assert.match(markdown, new RegExp(`\\| \`local/www-data/prod/${job}\` \\|`));
    assert.match(
      markdown,
      /```diff\n- instances: 3\n\+ instances: 4\n- task\.processes\[0\]\.cmdline: "sleep 1000"\n\+ task\.processes\[0\]\.cmdline: "sleep 2000"\n```/,
    );
    assert.match(markdown, /\*\*Plan: 1 to create, 1 to update, 1 to kill\.\*\*/);
    const many = spec({
      name: 'web',
      instances: 3,
      service: true,
      env: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`V${i}`, 'x'])),
    });
    const long = plan({
      commit: 'c',
      cluster: 'local',
      desired: [many],
      observed: running(web),
      recorded: [recorded(web)],
      now: 0,
    });
    assert.match(
      renderMarkdown(long),
      /<details><summary><code>local\/www-data\/prod\/web<\/code>: 12 fields changed<\/summary>/,
    );
  });

  describe('cron jobs', () => {
    // 2026-12-07T12:00Z: "0 3 * * *" next fires on the 8th, 9th and 10th.
    const NOON = Date.UTC(2026, 11, 7, 12);
    const cron = (name: string, fields: Record<string, unknown> = {}) =>
      spec({ name, instances: 2, cron_schedule: '0 3 * * *', ...fields });
    const backup = cron('backup');
    const report = cron('report', { cron_timezone: 'Europe/Berlin' });
    const reportPaused = cron('report', { cron_timezone: 'Europe/Berlin', cron_paused: true });
    const nightly = cron('nightly');
    const legacy = cron('legacy');
    const web2 = spec({ name: 'web', instances: 2, service: true });
    const webAsCron = cron('web');
    const aRun = (job: typeof backup) => task(job, 0, { cronRun: 'schedule-20261207T0300Z' });
    const cronPlan = plan({
      commit: 'c',
      cluster: 'local',
      desired: [backup, reportPaused, nightly, webAsCron],
      observed: [aRun(report), aRun(nightly), aRun(legacy), ...running(web2)],
      recorded: [recorded(report), recorded(nightly), recorded(legacy), recorded(web2)],
      now: NOON,
    });
    const next = 'next 2026-12-08 03:00Z, 2026-12-09 03:00Z, 2026-12-10 03:00Z';

    it('text: schedule with the zone and the next three runs, reschedule with its diff, deschedule', () => {
      const lines = renderText(cronPlan).split('\n');
      const expected = [
        `  + local/www-data/prod/backup: schedule "0 3 * * *" UTC, ${next}`,
        '  - local/www-data/prod/legacy: deschedule "0 3 * * *" UTC: no more runs; a run in progress finishes',
        '  ~ local/www-data/prod/report: reschedule "0 3 * * *" Europe/Berlin, paused; the next run uses it, a run in progress goes on',
        '      cron_paused: false → true',
        `  + local/www-data/prod/web: schedule "0 3 * * *" UTC, ${next}; kill 2 instances [0-1] that no run started`,
      ];
      for (const line of expected) assert.ok(lines.includes(line), `${line}\nin:\n${lines.join('\n')}`);
      assert.ok(
        !lines.some((line) => line.includes('nightly')),
        'a scheduled job with nothing to change is not listed',
      );
      assert.ok(
        lines.includes(
          'Plan: 0 to create, 0 to update, 0 to kill, 2 to schedule, 1 to reschedule, 1 to deschedule.',
        ),
      );
    });

    it('text: a zone other than UTC shows the next runs in UTC', () => {
      const berlin = plan({
        commit: 'c',
        cluster: 'local',
        desired: [report],
        observed: [],
        recorded: [],
        now: NOON,
      });
      assert.match(
        renderText(berlin),
        /schedule "0 3 \* \* \*" Europe\/Berlin, next 2026-12-08 02:00Z, 2026-12-09 02:00Z/,
      );
    });

    it('markdown: the cron actions in the table', () => {
      const markdown = renderMarkdown(cronPlan);
      assert.ok(
        markdown.includes(
          `| \`+\` | \`local/www-data/prod/backup\` | schedule | schedule "0 3 * * *" UTC, ${next} |`,
        ),
      );
      assert.ok(
        markdown.includes(
          '| `-` | `local/www-data/prod/legacy` | deschedule | deschedule "0 3 * * *" UTC: no more runs; a run in progress finishes |',
        ),
      );
      assert.ok(
        markdown.includes(
          '**`local/www-data/prod/report`** (1 field changed)\n```diff\n- cron_paused: false\n+ cron_paused: true',
        ),
      );
    });

    it('json: the cron actions, their schedule and next runs, summary counts', () => {
      const parsed = JSON.parse(renderJson(cronPlan)) as {
        changes: { job: string; action: string; cron?: Record<string, unknown> }[];
        summary: Record<string, number>;
      };
      const backupChange = parsed.changes.find((change) => change.job === backup.id)!;
      assert.equal(backupChange.action, 'schedule');
      assert.deepEqual(backupChange.cron, {
        schedule: '0 3 * * *',
        timezone: 'UTC',
        collision_policy: 'KILL_EXISTING',
        paused: false,
        next_runs: ['2026-12-08T03:00:00.000Z', '2026-12-09T03:00:00.000Z', '2026-12-10T03:00:00.000Z'],
      });
      assert.deepEqual(parsed.changes.find((change) => change.job === report.id)!.cron?.next_runs, []);
      assert.deepEqual(
        [parsed.summary.schedule, parsed.summary.reschedule, parsed.summary.deschedule, parsed.summary.noop],
        [2, 1, 1, 1],
      );
    });

    it('a scheduled cron job whose runs come and go is no change; the cron actions are', () => {
      const steady = plan({
        commit: 'c',
        cluster: 'local',
        desired: [nightly],
        observed: [aRun(nightly), task(nightly, 1, { cronRun: 'x', state: 'FAILED' })],
        recorded: [recorded(nightly)],
        now: NOON,
      });
      assert.ok(!hasWork(steady) && !hasChanges(steady));
      assert.match(renderText(steady), /No changes/);
      assert.ok(hasWork(cronPlan) && hasChanges(cronPlan));
      for (const action of ['schedule', 'reschedule', 'deschedule'] as const) {
        const only = { ...cronPlan, changes: cronPlan.changes.filter((change) => change.action === action) };
        assert.ok(hasWork(only) && hasChanges(only), action);
      }
    });
  });
});
