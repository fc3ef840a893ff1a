/**
 * Everything the CLI prints goes through here; it is the only user of chalk. Colour only on a
 * terminal, and never when NO_COLOR is set (chalk 5 itself ignores NO_COLOR).
 */
import { Chalk, type ChalkInstance } from 'chalk';

let made: ChalkInstance | undefined;
/** colour is made at the first warning or error: a run that has none never starts chalk (see scripts/bundle.ts). */
function colour(): ChalkInstance {
  made ??= new Chalk({
    level: process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '' ? 0 : process.stderr.isTTY ? 1 : 0,
  });
  return made;
}

/** printLine writes one line of results to standard output. */
export function printLine(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** printJson writes a value as indented JSON to standard output. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** printWarning writes a warning line to standard error. */
export function printWarning(text: string): void {
  process.stderr.write(`${colour().yellow(text)}\n`);
}

/** printError writes the one line a failure gets, to standard error. */
export function printError(text: string): void {
  process.stderr.write(`${colour().red('undocker:')} ${text}\n`);
}

/** formatTable aligns rows of cells into columns, the last column left ragged. */
export function formatTable(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** formatBytes renders a byte count the way `docker images` does (kB, MB, GB; powers of 1000). */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '-';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes}B` : `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)}${units[unit]}`;
}

/** formatAge renders a duration in milliseconds as `docker images` does: "5 minutes ago". */
export function formatAge(milliseconds: number): string {
  const seconds = Math.max(0, Math.round(milliseconds / 1000));
  const steps: Array<[number, string]> = [
    [60, 'second'],
    [60, 'minute'],
    [24, 'hour'],
    [7, 'day'],
    [Number.POSITIVE_INFINITY, 'week'],
  ];
  let value = seconds;
  for (const [size, unit] of steps) {
    if (value < size) return `${value} ${unit}${value === 1 ? '' : 's'} ago`;
    value = Math.floor(value / size);
  }
  return 'long ago';
}
