/** Checks the five fields of a cron schedule, so a schedule that can never fire is caught at review time. */
const FIELDS: { name: string; min: number; max: number; names?: string[] }[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

const ITEM = /^(\*|([A-Za-z0-9]+)(?:-([A-Za-z0-9]+))?)(?:\/([0-9]+))?$/;

/** The first problem with a five-field schedule, or undefined when every field is valid. */
export function cronProblem(schedule: string): string | undefined {
  const parts = schedule.trim().split(/\s+/);
  for (const [index, field] of FIELDS.entries()) {
    const text = parts[index] ?? '';
    for (const item of text.split(',')) {
      const problem = itemProblem(item, field);
      if (problem) return `${field.name} ${problem} (got ${JSON.stringify(text)})`;
    }
  }
  return undefined;
}

function itemProblem(item: string, field: (typeof FIELDS)[number]): string | undefined {
  const match = ITEM.exec(item);
  if (!match) return `must be *, a value, a range a-b or a step */n`;
  const [, , low, high, step] = match;
  if (step !== undefined && Number(step) === 0) return 'step must be at least 1';
  for (const value of [low, high]) {
    if (value === undefined) continue;
    const number = field.names?.includes(value.toUpperCase()) ? field.min : Number(value);
    if (!Number.isInteger(number) || number < field.min || number > field.max) {
      return `must be ${field.min}-${field.max}${field.names ? ` or a name like ${field.names[0]}` : ''}`;
    }
  }
  return undefined;
}
