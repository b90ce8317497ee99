import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatRanges, summaryLine } from '../../src/plan/describe.js';
import { plan } from '../../src/plan/planner.js';
import { renderJson } from '../../src/plan/render-json.js';
import { renderMarkdown } from '../../src/plan/render-markdown.js';
import { renderText } from '../../src/plan/render-text.js';
import { recorded, running, spec } from '../support/specs.js';

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
});
