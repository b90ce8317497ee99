/** Sizes as written in job files (`128MiB`, `1GiB`, `512MB`) and their value in MiB. */
const UNIT_BYTES: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
};

const SIZE = /^([0-9]+(?:\.[0-9]+)?)\s?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/;

/** MiB for a valid size string, or undefined when it is not one. */
export function sizeToMiB(text: string): number | undefined {
  const match = SIZE.exec(text);
  if (!match) return undefined;
  return (Number(match[1]) * UNIT_BYTES[match[2]!]!) / 2 ** 20;
}

/**
 * Neither Mesos nor a process can use less than a mebibyte of memory or disk, and below it
 * a size would print as `0MiB`; so 1MiB is the floor for both, and `0B` and `0.0000001B`
 * fail the same way.
 */
export const MIN_SIZE_MIB = 1;

/**
 * What one machine can have: the largest single servers hold 32–48 TiB of memory, and a
 * petabyte of local disk is beyond any agent's.
 */
export const MAX_SIZE_MIB = {
  ram: 64 * 2 ** 20,
  disk: 1024 * 2 ** 20,
} as const;

/** Why a written ram or disk size is out of range, or undefined when it is in range. */
export function sizeRangeProblem(field: keyof typeof MAX_SIZE_MIB, text: string): string | undefined {
  const mib = sizeToMiB(text);
  if (mib === undefined) return undefined;
  if (mib < MIN_SIZE_MIB) return `must be at least ${formatMiB(MIN_SIZE_MIB)} (got ${preview(text)})`;
  const max = MAX_SIZE_MIB[field];
  if (!(mib <= max)) return `must be at most ${formatMiB(max)} (got ${preview(text)})`;
  return undefined;
}

function preview(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

/** MiB → the shortest exact human form, for plans and status output. */
export function formatMiB(mib: number): string {
  if (mib >= 2 ** 20 && Number.isInteger(mib / 2 ** 20)) return `${mib / 2 ** 20}TiB`;
  if (mib >= 1024 && Number.isInteger(mib / 1024)) return `${mib / 1024}GiB`;
  return `${Number(mib.toFixed(3))}MiB`;
}
