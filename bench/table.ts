/** The benchmark's one table: each figure beside its floor (or target) and the ratio. */
export interface Row {
  name: string;
  value: number;
  unit: string;
  /** A measured floor for the same work, when there is one. */
  floor?: number;
  /** The target: value ≤ target (or ratio ≤ target when `targetIsRatio`). */
  target?: number;
  targetIsRatio?: boolean;
}

export function passed(row: Row): boolean {
  if (row.target === undefined) return true;
  const measured = row.targetIsRatio ? row.value / row.floor! : row.value;
  return measured <= row.target;
}

export function renderTable(rows: readonly Row[]): string {
  const header = ['figure', 'value', 'floor', 'ratio', 'target', 'ok'];
  const body = rows.map((row) => [
    row.name,
    `${format(row.value)} ${row.unit}`,
    row.floor === undefined ? '-' : `${format(row.floor)} ${row.unit}`,
    row.floor === undefined ? '-' : `${(row.value / row.floor).toFixed(2)}×`,
    row.target === undefined
      ? '-'
      : row.targetIsRatio
        ? `≤ ${row.target}×`
        : `≤ ${format(row.target)} ${row.unit}`,
    passed(row) ? 'yes' : 'NO',
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((cells) => cells[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

function format(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}
