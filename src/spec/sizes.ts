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

/** MiB → the shortest exact human form, for plans and status output. */
export function formatMiB(mib: number): string {
  if (mib >= 1024 && Number.isInteger(mib / 1024)) return `${mib / 1024}GiB`;
  return `${Number(mib.toFixed(3))}MiB`;
}
