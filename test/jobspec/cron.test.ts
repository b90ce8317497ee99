/**
 * The job file checks of the cron fields: the schedule (one parser with `nextFires`, so
 * its problems are tested with it), the time zone with a suggestion, and the schema's
 * pattern, which must let every shorthand through to the parser and nothing else that
 * starts with `@`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CRON_SHORTHANDS } from '../../src/cron/expression.js';
import { cronProblem, timezoneProblem } from '../../src/jobspec/cron.js';

const ZONES: [name: string, problem: string | undefined][] = [
  ['UTC', undefined],
  ['Europe/Berlin', undefined],
  ['America/New_York', undefined],
  ['US/Pacific', undefined],
  ['Europe/Berln', 'unknown time zone "Europe/Berln"; did you mean Europe/Berlin?'],
  ['America/NewYork', 'unknown time zone "America/NewYork"; did you mean America/New_York?'],
  ['Berlin', 'unknown time zone "Berlin"; did you mean Europe/Berlin?'],
  ['Los Angeles', 'unknown time zone "Los Angeles"; did you mean America/Los_Angeles?'],
  ['Mars/Olympus_Mons', 'unknown time zone "Mars/Olympus_Mons"; use an IANA name like Europe/Berlin, or UTC'],
  ['', 'unknown time zone ""; use an IANA name like Europe/Berlin, or UTC'],
];

describe('cron_timezone', () => {
  for (const [name, problem] of ZONES) {
    it(`${JSON.stringify(name)}: ${problem ?? 'known'}`, () => {
      assert.equal(timezoneProblem(name), problem);
    });
  }
});

describe('cron_schedule', () => {
  it('is checked by the parser nextFires uses, never-firing schedules included', () => {
    assert.equal(cronProblem('0 3 * * 1-5'), undefined);
    assert.equal(cronProblem('@weekly'), undefined);
    assert.equal(
      cronProblem('0 3 * * 1-8'),
      'day-of-week must be 0-7 (0 and 7 are Sunday) or a name SUN-SAT (got "1-8")',
    );
    assert.equal(cronProblem('0 0 30 2 *'), 'never fires: no month in "2" has a day "30"');
  });

  it('has a schema pattern that lets exactly the shorthands through (and five fields)', () => {
    const schema = JSON.parse(
      readFileSync(new URL('../../../schemas/job.schema.json', import.meta.url), 'utf8'),
    ) as {
      properties: { cron_schedule: { pattern: string } };
    };
    const pattern = new RegExp(schema.properties.cron_schedule.pattern, 'u');
    for (const shorthand of Object.keys(CRON_SHORTHANDS)) assert.ok(pattern.test(shorthand), shorthand);
    for (const other of ['@reboot', '@Daily', '@every 5m', '* * * *', '* * * * * *'])
      assert.ok(!pattern.test(other), other);
    assert.ok(pattern.test(' */5 1-3 * JAN mon '));
  });
});
