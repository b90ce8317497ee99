/**
 * When schedules fire: tables of next fires (steps, ranges, lists, names, the day rule,
 * month edges, shorthands, daylight-saving edges), windows, and problems; and a property
 * comparing `nextFires` in UTC with a minute-by-minute matcher written plainly here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  firesBetween,
  isCronProblem,
  nextFires,
  parseCron,
  SEARCH_HORIZON_DAYS,
  type FiresInWindow,
} from '../../src/cron/expression.js';

/** A fixed instant from its ISO 8601 UTC text. */
const at = (iso: string) => {
  const instant = Date.parse(iso);
  assert.ok(Number.isFinite(instant), `bad instant in the table: ${iso}`);
  return instant;
};
const iso = (instant: number) => new Date(instant).toISOString().replace(':00.000Z', 'Z');

interface NextCase {
  name: string;
  expression: string;
  timezone?: string;
  after: string;
  /** The next fires, as ISO 8601 UTC minutes (`2026-01-01T00:15Z`). */
  fires: string[];
}

const NEXT: NextCase[] = [
  // steps
  {
    name: '*/15 in the minute field',
    expression: '*/15 * * * *',
    after: '2026-01-01T00:07Z',
    fires: ['2026-01-01T00:15Z', '2026-01-01T00:30Z', '2026-01-01T00:45Z', '2026-01-01T01:00Z'],
  },
  {
    name: '*/6 in the hour field',
    expression: '0 */6 * * *',
    after: '2026-01-01T05:00Z',
    fires: ['2026-01-01T06:00Z', '2026-01-01T12:00Z', '2026-01-01T18:00Z', '2026-01-02T00:00Z'],
  },
  {
    name: '*/10 in the day-of-month field counts from the 1st',
    expression: '0 0 */10 * *',
    after: '2026-01-01T00:00Z',
    fires: ['2026-01-11T00:00Z', '2026-01-21T00:00Z', '2026-01-31T00:00Z', '2026-02-01T00:00Z'],
  },
  {
    name: '*/4 in the month field counts from January',
    expression: '0 0 1 */4 *',
    after: '2026-01-01T00:00Z',
    fires: ['2026-05-01T00:00Z', '2026-09-01T00:00Z', '2027-01-01T00:00Z'],
  },
  {
    name: '*/3 in the day-of-week field: Sunday, Wednesday, Saturday',
    expression: '0 0 * * */3',
    after: '2026-01-01T00:00Z', // a Thursday
    fires: ['2026-01-03T00:00Z', '2026-01-04T00:00Z', '2026-01-07T00:00Z', '2026-01-10T00:00Z'],
  },
  {
    name: 'a step over a range',
    expression: '0 9-17/4 * * *',
    after: '2026-01-01T00:00Z',
    fires: ['2026-01-01T09:00Z', '2026-01-01T13:00Z', '2026-01-01T17:00Z', '2026-01-02T09:00Z'],
  },
  {
    name: 'a/n runs from a to the end of the field',
    expression: '5/20 * * * *',
    after: '2026-01-01T00:00Z',
    fires: ['2026-01-01T00:05Z', '2026-01-01T00:25Z', '2026-01-01T00:45Z', '2026-01-01T01:05Z'],
  },
  {
    name: 'a/n in the day-of-week field ends at Saturday: Monday, Wednesday, Friday',
    expression: '0 0 * * 1/2',
    after: '2026-01-03T00:00Z', // a Saturday
    fires: ['2026-01-05T00:00Z', '2026-01-07T00:00Z', '2026-01-09T00:00Z', '2026-01-12T00:00Z'],
  },
  // ranges and lists
  {
    name: 'a range of minutes',
    expression: '10-12 9 * * *',
    after: '2026-01-01T09:10Z',
    fires: ['2026-01-01T09:11Z', '2026-01-01T09:12Z', '2026-01-02T09:10Z'],
  },
  {
    name: 'a list of hours',
    expression: '0 8,12,18 * * *',
    after: '2026-01-01T12:00Z',
    fires: ['2026-01-01T18:00Z', '2026-01-02T08:00Z', '2026-01-02T12:00Z'],
  },
  {
    name: 'a list mixing values, ranges and steps',
    expression: '0,20-21,50/5 * * * *',
    after: '2026-01-01T00:00Z',
    fires: ['2026-01-01T00:20Z', '2026-01-01T00:21Z', '2026-01-01T00:50Z', '2026-01-01T00:55Z'],
  },
  // names
  {
    name: 'day names in a range, any case',
    expression: '0 12 * * mon-Fri',
    after: '2026-01-02T12:00Z', // a Friday
    fires: ['2026-01-05T12:00Z', '2026-01-06T12:00Z', '2026-01-07T12:00Z'],
  },
  {
    name: 'month names in a range',
    expression: '0 0 1 FEB-apr *',
    after: '2026-01-01T00:00Z',
    fires: ['2026-02-01T00:00Z', '2026-03-01T00:00Z', '2026-04-01T00:00Z', '2027-02-01T00:00Z'],
  },
  {
    name: 'month names in a list',
    expression: '0 0 1 jan,JUL *',
    after: '2026-01-01T00:00Z',
    fires: ['2026-07-01T00:00Z', '2027-01-01T00:00Z'],
  },
  // Sunday is 0 and 7
  {
    name: 'Sunday as 0',
    expression: '0 0 * * 0',
    after: '2026-01-01T00:00Z',
    fires: ['2026-01-04T00:00Z', '2026-01-11T00:00Z'],
  },
  {
    name: 'Sunday as 7',
    expression: '0 0 * * 7',
    after: '2026-01-01T00:00Z',
    fires: ['2026-01-04T00:00Z', '2026-01-11T00:00Z'],
  },
  {
    name: 'a range ending at 7 reaches Sunday',
    expression: '0 0 * * 5-7',
    after: '2026-01-01T00:00Z',
    fires: ['2026-01-02T00:00Z', '2026-01-03T00:00Z', '2026-01-04T00:00Z', '2026-01-09T00:00Z'],
  },
  // the day rule
  {
    name: 'both day fields restricted: the 13th or any Friday',
    expression: '0 0 13 * FRI',
    after: '2026-01-01T00:00Z',
    fires: [
      '2026-01-02T00:00Z',
      '2026-01-09T00:00Z',
      '2026-01-13T00:00Z',
      '2026-01-16T00:00Z',
      '2026-01-23T00:00Z',
    ],
  },
  {
    name: 'a Friday the 13th fires once',
    expression: '0 0 13 * FRI',
    after: '2026-02-10T00:00Z',
    fires: ['2026-02-13T00:00Z', '2026-02-20T00:00Z'],
  },
  {
    name: 'day-of-month starting with * : both must match (odd days that are Mondays)',
    expression: '0 0 */2 * MON',
    after: '2026-01-01T00:00Z',
    fires: ['2026-01-05T00:00Z', '2026-01-19T00:00Z', '2026-02-09T00:00Z'],
  },
  {
    name: 'day-of-week *: only the day of month',
    expression: '0 0 13 * *',
    after: '2026-01-01T00:00Z',
    fires: ['2026-01-13T00:00Z', '2026-02-13T00:00Z'],
  },
  {
    name: 'the 30th of February or any Monday in February: the Mondays',
    expression: '0 0 30 2 MON',
    after: '2026-01-01T00:00Z',
    fires: [
      '2026-02-02T00:00Z',
      '2026-02-09T00:00Z',
      '2026-02-16T00:00Z',
      '2026-02-23T00:00Z',
      '2027-02-01T00:00Z',
    ],
  },
  // month edges
  {
    name: 'the 31st only in long months',
    expression: '0 0 31 * *',
    after: '2026-01-01T00:00Z',
    fires: ['2026-01-31T00:00Z', '2026-03-31T00:00Z', '2026-05-31T00:00Z', '2026-07-31T00:00Z'],
  },
  {
    name: '29 February only in leap years',
    expression: '0 0 29 2 *',
    after: '2026-01-01T00:00Z',
    fires: ['2028-02-29T00:00Z', '2032-02-29T00:00Z'],
  },
  {
    name: '29 February skips 2100, eight years',
    expression: '0 0 29 2 *',
    after: '2096-03-01T00:00Z',
    fires: ['2104-02-29T00:00Z'],
  },
  // year boundary and the strict after
  {
    name: 'across the year boundary',
    expression: '59 23 31 12 *',
    after: '2026-12-31T23:59Z',
    fires: ['2027-12-31T23:59Z'],
  },
  {
    name: 'midnight on New Year',
    expression: '0 0 * * *',
    after: '2026-12-31T12:00Z',
    fires: ['2027-01-01T00:00Z', '2027-01-02T00:00Z'],
  },
  {
    name: 'strictly after: a fire at `after` is not next',
    expression: '0 0 * * *',
    after: '2026-01-01T00:00Z',
    fires: ['2026-01-02T00:00Z'],
  },
  {
    name: 'within a minute: the next whole minute',
    expression: '* * * * *',
    after: '2026-01-01T00:00:30Z',
    fires: ['2026-01-01T00:01Z', '2026-01-01T00:02Z'],
  },
  {
    name: 'extra whitespace between fields',
    expression: '  0\t0  * *   * ',
    after: '2026-01-01T00:00Z',
    fires: ['2026-01-02T00:00Z'],
  },
  // shorthands
  ...(
    [
      ['@yearly', ['2027-01-01T00:00Z', '2028-01-01T00:00Z']],
      ['@annually', ['2027-01-01T00:00Z', '2028-01-01T00:00Z']],
      ['@monthly', ['2026-02-01T00:00Z', '2026-03-01T00:00Z']],
      ['@weekly', ['2026-01-04T00:00Z', '2026-01-11T00:00Z']],
      ['@daily', ['2026-01-02T00:00Z', '2026-01-03T00:00Z']],
      ['@midnight', ['2026-01-02T00:00Z', '2026-01-03T00:00Z']],
      ['@hourly', ['2026-01-01T01:00Z', '2026-01-01T02:00Z']],
    ] as const
  ).map(([expression, fires]) => ({
    name: `the shorthand ${expression}`,
    expression,
    after: '2026-01-01T00:00Z',
    fires: [...fires],
  })),
  // time zones without daylight saving
  {
    name: 'a zone without daylight saving',
    expression: '0 9 * * *',
    timezone: 'Asia/Tokyo',
    after: '2026-01-01T00:00Z',
    fires: ['2026-01-02T00:00Z', '2026-01-03T00:00Z'],
  },
  {
    name: 'the local day decides the day of week (Monday in Tokyo, Sunday in UTC)',
    expression: '0 1 * * MON',
    timezone: 'Asia/Tokyo',
    after: '2026-01-01T00:00Z',
    fires: ['2026-01-04T16:00Z', '2026-01-11T16:00Z'],
  },
  // Europe/Berlin 2026: spring forward 29 March 02:00 CET → 03:00 CEST (01:00Z);
  // fall back 25 October 03:00 CEST → 02:00 CET (01:00Z), 02:00-02:59 twice.
  {
    name: 'Berlin spring forward: 02:30 fires at 03:00 CEST',
    expression: '30 2 * * *',
    timezone: 'Europe/Berlin',
    after: '2026-03-28T12:00Z',
    fires: ['2026-03-29T01:00Z', '2026-03-30T00:30Z'],
  },
  {
    name: 'Berlin spring forward: several skipped times fire once',
    expression: '0,30 2 * * *',
    timezone: 'Europe/Berlin',
    after: '2026-03-28T12:00Z',
    fires: ['2026-03-29T01:00Z', '2026-03-30T00:00Z', '2026-03-30T00:30Z'],
  },
  {
    name: 'Berlin spring forward: a whole skipped hour of minutes fires once',
    expression: '* 2 * * *',
    timezone: 'Europe/Berlin',
    after: '2026-03-28T12:00Z',
    fires: ['2026-03-29T01:00Z', '2026-03-30T00:00Z', '2026-03-30T00:01Z'],
  },
  {
    name: 'Berlin spring forward: a skipped time and 03:00 fire once together',
    expression: '0 2,3 * * *',
    timezone: 'Europe/Berlin',
    after: '2026-03-28T12:00Z',
    fires: ['2026-03-29T01:00Z', '2026-03-30T00:00Z', '2026-03-30T01:00Z'],
  },
  {
    name: 'Berlin spring forward: hour * follows the clock, the skipped hour has no fires',
    expression: '30 * * * *',
    timezone: 'Europe/Berlin',
    after: '2026-03-29T00:00Z',
    fires: ['2026-03-29T00:30Z', '2026-03-29T01:30Z', '2026-03-29T02:30Z'],
  },
  {
    name: 'Berlin fall back: 02:30 fires once, at its first occurrence',
    expression: '30 2 * * *',
    timezone: 'Europe/Berlin',
    after: '2026-10-24T12:00Z',
    fires: ['2026-10-25T00:30Z', '2026-10-26T01:30Z'],
  },
  {
    name: 'Berlin fall back: hour * fires at both occurrences',
    expression: '30 * * * *',
    timezone: 'Europe/Berlin',
    after: '2026-10-24T23:00Z',
    fires: ['2026-10-24T23:30Z', '2026-10-25T00:30Z', '2026-10-25T01:30Z', '2026-10-25T02:30Z'],
  },
  {
    name: 'Berlin fall back: hour */2 follows the clock as well',
    expression: '30 */2 * * *',
    timezone: 'Europe/Berlin',
    after: '2026-10-24T21:00Z',
    fires: ['2026-10-24T22:30Z', '2026-10-25T00:30Z', '2026-10-25T01:30Z', '2026-10-25T03:30Z'],
  },
  // America/New_York 2026: spring forward 8 March 02:00 EST → 03:00 EDT (07:00Z);
  // fall back 1 November 02:00 EDT → 01:00 EST (06:00Z), 01:00-01:59 twice.
  {
    name: 'New York spring forward: 02:30 fires at 03:00 EDT',
    expression: '30 2 * * *',
    timezone: 'America/New_York',
    after: '2026-03-07T12:00Z',
    fires: ['2026-03-08T07:00Z', '2026-03-09T06:30Z'],
  },
  {
    name: 'New York spring forward: hour * follows the clock',
    expression: '0 * * * *',
    timezone: 'America/New_York',
    after: '2026-03-08T05:30Z',
    fires: ['2026-03-08T06:00Z', '2026-03-08T07:00Z', '2026-03-08T08:00Z'],
  },
  {
    name: 'New York fall back: 01:30 fires once, at its first occurrence (EDT)',
    expression: '30 1 * * *',
    timezone: 'America/New_York',
    after: '2026-10-31T12:00Z',
    fires: ['2026-11-01T05:30Z', '2026-11-02T06:30Z'],
  },
  {
    name: 'New York fall back: hour * fires at both occurrences',
    expression: '30 * * * *',
    timezone: 'America/New_York',
    after: '2026-11-01T04:00Z',
    fires: ['2026-11-01T04:30Z', '2026-11-01T05:30Z', '2026-11-01T06:30Z', '2026-11-01T07:30Z'],
  },
];

describe('nextFires', () => {
  for (const c of NEXT) {
    it(c.name, () => {
      const schedule = { expression: c.expression, timezone: c.timezone ?? 'UTC' };
      assert.deepEqual(nextFires(schedule, at(c.after), c.fires.length).map(iso), c.fires);
    });
  }

  it('gives fewer fires when the schedule never fires again within the horizon', () => {
    assert.deepEqual(
      nextFires({ expression: '0 0 31 2 *', timezone: 'UTC' }, at('2026-01-01T00:00Z'), 3),
      [],
    );
    const horizon = at('2026-01-01T00:00Z') + SEARCH_HORIZON_DAYS * 86_400_000;
    assert.ok(
      horizon > at('2034-01-01T00:00Z'),
      'the horizon covers the eight years between two 29 Februaries',
    );
  });

  it('gives nothing for a count of 0', () => {
    assert.deepEqual(nextFires({ expression: '* * * * *', timezone: 'UTC' }, 0, 0), []);
  });
});

interface WindowCase {
  name: string;
  expression: string;
  timezone?: string;
  after: string;
  until: string;
  countLimit: number;
  expected: { count: number; capped: boolean; first?: string; latest?: string };
}

const WINDOWS: WindowCase[] = [
  {
    name: 'a day of hourly fires; `until` is inclusive, `after` is not',
    expression: '0 * * * *',
    after: '2026-01-01T00:00Z',
    until: '2026-01-02T00:00Z',
    countLimit: 100,
    expected: { count: 24, capped: false, first: '2026-01-01T01:00Z', latest: '2026-01-02T00:00Z' },
  },
  {
    name: 'exactly the limit is not capped',
    expression: '0 * * * *',
    after: '2026-01-01T00:00Z',
    until: '2026-01-02T00:00Z',
    countLimit: 24,
    expected: { count: 24, capped: false, first: '2026-01-01T01:00Z', latest: '2026-01-02T00:00Z' },
  },
  {
    name: 'one more than the limit is capped, and the latest is still exact',
    expression: '0 * * * *',
    after: '2026-01-01T00:00Z',
    until: '2026-01-02T00:00Z',
    countLimit: 23,
    expected: { count: 23, capped: true, first: '2026-01-01T01:00Z', latest: '2026-01-02T00:00Z' },
  },
  {
    name: 'an empty window',
    expression: '0 0 1 1 *',
    after: '2026-01-02T00:00Z',
    until: '2026-12-31T23:59Z',
    countLimit: 10,
    expected: { count: 0, capped: false },
  },
  {
    name: 'a year of every minute in Berlin, capped at 1000',
    expression: '* * * * *',
    timezone: 'Europe/Berlin',
    after: '2025-01-01T00:00Z',
    until: '2026-01-01T00:00:30Z',
    countLimit: 1000,
    expected: { count: 1000, capped: true, first: '2025-01-01T00:01Z', latest: '2026-01-01T00:00Z' },
  },
  {
    name: 'a thousand years of every minute, capped at 10 (a minute-by-minute walk would not finish)',
    expression: '* * * * *',
    timezone: 'America/New_York',
    after: '2026-01-01T00:00Z',
    until: '3026-06-15T13:37:59Z',
    countLimit: 10,
    expected: { count: 10, capped: true, first: '2026-01-01T00:01Z', latest: '3026-06-15T13:37Z' },
  },
  {
    name: 'a year of a daily 02:30 in Berlin: once a day, DST days included',
    expression: '30 2 * * *',
    timezone: 'Europe/Berlin',
    after: '2025-12-31T23:00Z',
    until: '2026-12-31T23:00Z',
    countLimit: 1000,
    expected: { count: 365, capped: false, first: '2026-01-01T01:30Z', latest: '2026-12-31T01:30Z' },
  },
  {
    name: 'the fall-back day in Berlin has 25 hourly fires with hour *',
    expression: '30 * * * *',
    timezone: 'Europe/Berlin',
    after: '2026-10-24T22:00Z',
    until: '2026-10-25T23:00Z',
    countLimit: 1000,
    expected: { count: 25, capped: false, first: '2026-10-24T22:30Z', latest: '2026-10-25T22:30Z' },
  },
  {
    name: 'the spring-forward day in Berlin has 23 hourly fires with hour *',
    expression: '30 * * * *',
    timezone: 'Europe/Berlin',
    after: '2026-03-28T23:00Z',
    until: '2026-03-29T22:00Z',
    countLimit: 1000,
    expected: { count: 23, capped: false, first: '2026-03-28T23:30Z', latest: '2026-03-29T21:30Z' },
  },
  {
    name: 'capped with a sparse schedule: the latest found searching back',
    expression: '0 0 29 2 *',
    after: '2000-01-01T00:00Z',
    until: '2030-01-01T00:00Z',
    countLimit: 2,
    expected: { count: 2, capped: true, first: '2000-02-29T00:00Z', latest: '2028-02-29T00:00Z' },
  },
];

describe('firesBetween', () => {
  for (const c of WINDOWS) {
    it(c.name, () => {
      const schedule = { expression: c.expression, timezone: c.timezone ?? 'UTC' };
      const found: FiresInWindow = firesBetween(schedule, at(c.after), at(c.until), c.countLimit);
      assert.deepEqual(
        {
          count: found.count,
          capped: found.capped,
          ...(found.first === undefined ? {} : { first: iso(found.first) }),
          ...(found.latest === undefined ? {} : { latest: iso(found.latest) }),
        },
        c.expected,
      );
    });
  }
});

const PROBLEMS: [expression: string, problem: string][] = [
  [
    '',
    'must have five fields (minute hour day-of-month month day-of-week) or be a shorthand like @daily (got 0 fields)',
  ],
  [
    '* * * *',
    'must have five fields (minute hour day-of-month month day-of-week) or be a shorthand like @daily (got 4 fields)',
  ],
  [
    '* * * * * *',
    'must have five fields (minute hour day-of-month month day-of-week) or be a shorthand like @daily (got 6 fields)',
  ],
  ['60 * * * *', 'minute must be 0-59 (got "60")'],
  ['* 24 * * *', 'hour must be 0-23 (got "24")'],
  ['* * 0 * *', 'day-of-month must be 1-31 (got "0")'],
  ['* * * 13 *', 'month must be 1-12 or a name JAN-DEC (got "13")'],
  ['* * * JANUARY *', 'month must be 1-12 or a name JAN-DEC (got "JANUARY")'],
  ['* * * * 8', 'day-of-week must be 0-7 (0 and 7 are Sunday) or a name SUN-SAT (got "8")'],
  ['* * * * MON-FRY', 'day-of-week must be 0-7 (0 and 7 are Sunday) or a name SUN-SAT (got "MON-FRY")'],
  ['* * 1 * JAN', 'day-of-week must be 0-7 (0 and 7 are Sunday) or a name SUN-SAT (got "JAN")'],
  ['*/0 * * * *', 'minute step must be 1-59 (got "*/0")'],
  ['* */24 * * *', 'hour step must be 1-23 (got "*/24")'],
  ['5-1 * * * *', 'minute range 5-1 runs backwards; write it as a list: 5-59,0-1 (got "5-1")'],
  ['* 22-2 * * *', 'hour range 22-2 runs backwards; write it as a list: 22-23,0-2 (got "22-2")'],
  ['* * * * 7/2', 'day-of-week value 7 is past 6, where a/n ends (got "7/2")'],
  [
    '1,,2 * * * *',
    'minute must be *, a value, a range a-b, a list a,b or a step */n, a-b/n or a/n (got "1,,2")',
  ],
  [
    '1.5 * * * *',
    'minute must be *, a value, a range a-b, a list a,b or a step */n, a-b/n or a/n (got "1.5")',
  ],
  ['-1 * * * *', 'minute must be *, a value, a range a-b, a list a,b or a step */n, a-b/n or a/n (got "-1")'],
  ['? * * * *', 'minute must be *, a value, a range a-b, a list a,b or a step */n, a-b/n or a/n (got "?")'],
  [
    '@reboot',
    'unknown shorthand "@reboot"; known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly',
  ],
  [
    '@DAILY',
    'unknown shorthand "@DAILY"; known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly',
  ],
  ['0 0 30 2 *', 'never fires: no month in "2" has a day "30"'],
  ['0 0 31 4,6,9,11 *', 'never fires: no month in "4,6,9,11" has a day "31"'],
  ['0 0 30-31 FEB */2', 'never fires: no month in "FEB" has a day "30-31"'],
];

const VALID = [
  '0 0 29 2 *',
  '0 0 31 2 MON',
  '0 0 31 * *',
  '@daily',
  ' @hourly ',
  '59 23 31 DEC 0-7',
  '0-59/59 0-23/23 * * *',
];

describe('parseCron', () => {
  for (const [expression, problem] of PROBLEMS) {
    it(`rejects ${JSON.stringify(expression)}`, () => {
      assert.deepEqual(parseCron(expression), { problem });
    });
  }
  for (const expression of VALID) {
    it(`accepts ${JSON.stringify(expression)}`, () => {
      const parsed = parseCron(expression);
      assert.ok(!isCronProblem(parsed), isCronProblem(parsed) ? parsed.problem : '');
    });
  }
});

// The property: a brute-force matcher over a structured expression, rendered to text.

interface FieldShape {
  min: number;
  max: number;
  /** Where `*` and `a/n` end. */
  last: number;
  names?: string[];
}

const MINUTE: FieldShape = { min: 0, max: 59, last: 59 };
const HOUR: FieldShape = { min: 0, max: 23, last: 23 };
const DAY: FieldShape = { min: 1, max: 31, last: 31 };
const MONTH: FieldShape = {
  min: 1,
  max: 12,
  last: 12,
  names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
};
const WEEKDAY: FieldShape = {
  min: 0,
  max: 7,
  last: 6,
  names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
};

type Item =
  | { kind: 'star'; step: number }
  | { kind: 'value'; value: number; step?: number }
  | { kind: 'range'; low: number; high: number; step: number };

interface Written {
  items: Item[];
  /** Written values as names where the field has them (and the value is not 7). */
  named: boolean;
  lowerCase: boolean;
}

function itemArbitrary(field: FieldShape): fc.Arbitrary<Item> {
  const step = fc.integer({ min: 1, max: field.max });
  return fc.oneof(
    fc.record({ kind: fc.constant('star' as const), step }),
    fc.record({ kind: fc.constant('value' as const), value: fc.integer({ min: field.min, max: field.max }) }),
    fc.record({
      kind: fc.constant('value' as const),
      value: fc.integer({ min: field.min, max: field.last }),
      step,
    }),
    fc
      .tuple(
        fc.integer({ min: field.min, max: field.max }),
        fc.integer({ min: field.min, max: field.max }),
        step,
      )
      .map(([a, b, s]): Item => ({ kind: 'range', low: Math.min(a, b), high: Math.max(a, b), step: s })),
  );
}

function writtenArbitrary(field: FieldShape): fc.Arbitrary<Written> {
  return fc.record({
    items: fc.array(itemArbitrary(field), { minLength: 1, maxLength: 3 }),
    named: fc.boolean(),
    lowerCase: fc.boolean(),
  });
}

function render(field: FieldShape, written: Written): string {
  const value = (n: number) => {
    const name = written.named && field.names ? field.names[n - field.min] : undefined;
    if (name === undefined) return String(n);
    return written.lowerCase ? name.toLowerCase() : name;
  };
  return written.items
    .map((item) => {
      if (item.kind === 'star') return item.step === 1 ? '*' : `*/${item.step}`;
      if (item.kind === 'value')
        return item.step === undefined ? value(item.value) : `${value(item.value)}/${item.step}`;
      return `${value(item.low)}-${value(item.high)}${item.step === 1 ? '' : `/${item.step}`}`;
    })
    .join(',');
}

/** Whether one item matches `n`; day-of-week's 7 is Sunday, 0. */
function itemMatches(field: FieldShape, item: Item, n: number): boolean {
  const hits = (value: number) => {
    if (item.kind === 'star') return value <= field.last && (value - field.min) % item.step === 0;
    if (item.kind === 'value') {
      if (item.step === undefined) return value === item.value;
      return value >= item.value && value <= field.last && (value - item.value) % item.step === 0;
    }
    return value >= item.low && value <= item.high && (value - item.low) % item.step === 0;
  };
  return hits(n) || (field === WEEKDAY && n === 0 && hits(7));
}

const fieldMatches = (field: FieldShape, written: Written, n: number) =>
  written.items.some((item) => itemMatches(field, item, n));

interface Expression {
  minute: Written;
  hour: Written;
  day: Written;
  month: Written;
  weekday: Written;
}

const expressionArbitrary: fc.Arbitrary<Expression> = fc.record({
  minute: writtenArbitrary(MINUTE),
  hour: writtenArbitrary(HOUR),
  day: writtenArbitrary(DAY),
  month: writtenArbitrary(MONTH),
  weekday: writtenArbitrary(WEEKDAY),
});

const text = (e: Expression) =>
  [
    render(MINUTE, e.minute),
    render(HOUR, e.hour),
    render(DAY, e.day),
    render(MONTH, e.month),
    render(WEEKDAY, e.weekday),
  ].join(' ');

/** Every minute after `after`, in UTC, a day at a time; stops a horizon after the last fire. */
function bruteForce(e: Expression, after: number, count: number): number[] {
  const either = !render(DAY, e.day).startsWith('*') && !render(WEEKDAY, e.weekday).startsWith('*');
  const fires: number[] = [];
  const minute = 60_000;
  const day = 1440 * minute;
  let t = (Math.floor(after / minute) + 1) * minute;
  let lastFire = t;
  while (fires.length < count && t - lastFire <= (SEARCH_HORIZON_DAYS + 1) * day) {
    const date = new Date(t);
    const dayOfMonth = fieldMatches(DAY, e.day, date.getUTCDate());
    const dayOfWeek = fieldMatches(WEEKDAY, e.weekday, date.getUTCDay());
    const dayMatches =
      fieldMatches(MONTH, e.month, date.getUTCMonth() + 1) &&
      (either ? dayOfMonth || dayOfWeek : dayOfMonth && dayOfWeek);
    if (!dayMatches) {
      t = (Math.floor(t / day) + 1) * day;
      continue;
    }
    if (
      fieldMatches(HOUR, e.hour, date.getUTCHours()) &&
      fieldMatches(MINUTE, e.minute, date.getUTCMinutes())
    ) {
      fires.push(t);
      lastFire = t;
    }
    t += minute;
  }
  return fires;
}

describe('nextFires in UTC against a minute-by-minute matcher', () => {
  it('agrees on random expressions and instants', () => {
    const instant = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2090, 0, 1) });
    fc.assert(
      fc.property(expressionArbitrary, instant, (expression, after) => {
        const written = text(expression);
        const parsed = parseCron(written);
        if (isCronProblem(parsed)) {
          // only a schedule that never fires may be refused
          assert.match(parsed.problem, /^never fires/, `${written}: ${parsed.problem}`);
          assert.deepEqual(bruteForce(expression, after, 1), [], written);
          return;
        }
        const expected = bruteForce(expression, after, 3);
        assert.deepEqual(
          nextFires({ expression: written, timezone: 'UTC' }, after, 3).map(iso),
          expected.map(iso),
          written,
        );
      }),
      { numRuns: 200, seed: 23, includeErrorInReport: true },
    );
  });
});
