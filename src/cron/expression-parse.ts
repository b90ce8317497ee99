/**
 * The schedule language of Vixie cron, parsed once into the sets of values each field
 * allows. One parser serves both the job file checks (`cronProblem`) and the fire-time
 * computation (`nextFires`), so a schedule that validates is exactly one that fires.
 */

/** A schedule's fields as sets: `minutes[5]` is true when minute 5 matches, and so on. */
export interface ParsedCron {
  /** The matching minutes and hours, ascending. */
  minutes: readonly number[];
  hours: readonly number[];
  /** Indexed 1-31, 1-12 and 0-6 (Sunday 0; a written 7 is stored as 0). */
  daysOfMonth: readonly boolean[];
  months: readonly boolean[];
  daysOfWeek: readonly boolean[];
  /**
   * Vixie cron's day rule: when neither day field starts with `*`, a day matches if either
   * field matches; otherwise both must.
   */
  eitherDay: boolean;
  /**
   * The hour field starts with `*` (`*` or `*\/n`): across daylight-saving changes the
   * schedule follows the clock (Vixie cron's wildcard jobs); otherwise it is a fixed-time
   * schedule, fired once for a wall-clock time skipped or repeated.
   */
  followsClock: boolean;
}

/** Why an expression is not a schedule: one line, shown as a job file problem. */
export interface CronProblem {
  problem: string;
}

interface Field {
  name: string;
  min: number;
  max: number;
  /** The last value `*` and `a/n` reach (day-of-week: 6, though 7 is accepted for Sunday). */
  last: number;
  names?: readonly string[];
  /** How the allowed values read in a problem. */
  allowed: string;
}

const FIELDS: readonly Field[] = [
  { name: 'minute', min: 0, max: 59, last: 59, allowed: '0-59' },
  { name: 'hour', min: 0, max: 23, last: 23, allowed: '0-23' },
  { name: 'day-of-month', min: 1, max: 31, last: 31, allowed: '1-31' },
  {
    name: 'month',
    min: 1,
    max: 12,
    last: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
    allowed: '1-12 or a name JAN-DEC',
  },
  {
    name: 'day-of-week',
    min: 0,
    max: 7,
    last: 6,
    names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
    allowed: '0-7 (0 and 7 are Sunday) or a name SUN-SAT',
  },
];

/** Vixie cron's shorthands (no `@reboot`: a reconciler has no boot to run at). */
export const CRON_SHORTHANDS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const ITEM = /^(?:\*|([A-Za-z0-9]+)(?:-([A-Za-z0-9]+))?)(?:\/([0-9]+))?$/;
const ITEM_FORMS = 'must be *, a value, a range a-b, a list a,b or a step */n, a-b/n or a/n';

/** Days in each month of a leap year, so a schedule for 29 February is possible. */
const MAX_DAYS = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function isCronProblem(parsed: ParsedCron | CronProblem): parsed is CronProblem {
  return 'problem' in parsed;
}

/**
 * The schedule an expression describes, or the first thing wrong with it, including a
 * schedule that can never fire.
 */
export function parseCron(expression: string): ParsedCron | CronProblem {
  const parsed = parseCronFields(expression);
  if (isCronProblem(parsed)) return parsed;
  return neverFires(parsed, expression) ?? parsed;
}

/** `parseCron` without the never-fires check: such a schedule simply has no fires. */
export function parseCronFields(expression: string): ParsedCron | CronProblem {
  const text = expression.trim();
  if (text.startsWith('@')) {
    const fields = CRON_SHORTHANDS[text];
    if (fields !== undefined) return parseCronFields(fields);
    return {
      problem: `unknown shorthand ${JSON.stringify(text)}; known: ${Object.keys(CRON_SHORTHANDS).join(', ')}`,
    };
  }
  const texts = text === '' ? [] : text.split(/\s+/);
  if (texts.length !== FIELDS.length) {
    return {
      problem: `must have five fields (minute hour day-of-month month day-of-week) or be a shorthand like @daily (got ${texts.length} field${texts.length === 1 ? '' : 's'})`,
    };
  }
  const sets: boolean[][] = [];
  for (const [index, field] of FIELDS.entries()) {
    const set = parseField(texts[index]!, field);
    if (!Array.isArray(set)) return set;
    sets.push(set);
  }
  const [minutes, hours, daysOfMonth, months, weekdays] = sets as [
    boolean[],
    boolean[],
    boolean[],
    boolean[],
    boolean[],
  ];
  return {
    minutes: members(minutes),
    hours: members(hours),
    daysOfMonth,
    months,
    daysOfWeek: weekdays.slice(0, 7).map((on, day) => on || (day === 0 && weekdays[7] === true)),
    eitherDay: !texts[2]!.startsWith('*') && !texts[4]!.startsWith('*'),
    followsClock: texts[1]!.startsWith('*'),
  };
}

function members(set: readonly boolean[]): number[] {
  return set.flatMap((on, value) => (on ? [value] : []));
}

function parseField(text: string, field: Field): boolean[] | CronProblem {
  const set = new Array<boolean>(field.max + 1).fill(false);
  for (const item of text.split(',')) {
    const problem = addItem(item, field, set);
    if (problem) return { problem: `${field.name} ${problem} (got ${JSON.stringify(text)})` };
  }
  return set;
}

/** Marks the values of one list item in `set`; the problem with the item, if any. */
function addItem(item: string, field: Field, set: boolean[]): string | undefined {
  const match = ITEM.exec(item);
  if (!match) return ITEM_FORMS;
  const [, lowText, highText, stepText] = match;
  const low = lowText === undefined ? field.min : value(lowText, field);
  const high =
    highText !== undefined ? value(highText, field) : lowText === undefined || stepText ? field.last : low;
  if (low === undefined || high === undefined) return `must be ${field.allowed}`;
  const step = stepText === undefined ? 1 : Number(stepText);
  if (step < 1 || step > field.max) return `step must be 1-${field.max}`;
  if (low > high) {
    return highText === undefined
      ? `value ${lowText} is past ${field.last}, where a/n ends`
      : `range ${item} runs backwards; write it as a list: ${lowText}-${field.last},${field.min}-${highText}`;
  }
  for (let at = low; at <= high; at += step) set[at] = true;
  return undefined;
}

function value(text: string, field: Field): number | undefined {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return named + field.min;
  if (!/^[0-9]+$/.test(text)) return undefined;
  const number = Number(text);
  return number >= field.min && number <= field.max ? number : undefined;
}

/**
 * A schedule whose day-of-month exists in none of its months never fires (`0 0 30 2 *`).
 * Under the either-day rule a matching weekday always comes, so only the other case can.
 */
function neverFires(parsed: ParsedCron, expression: string): CronProblem | undefined {
  if (parsed.eitherDay) return undefined;
  for (let month = 1; month <= 12; month++) {
    if (!parsed.months[month]) continue;
    for (let day = 1; day <= MAX_DAYS[month]!; day++) if (parsed.daysOfMonth[day]) return undefined;
  }
  const [, , dayText, monthText] = expression.trim().split(/\s+/);
  return {
    problem: `never fires: no month in ${JSON.stringify(monthText)} has a day ${JSON.stringify(dayText)}`,
  };
}
