/**
 * `undocker logs [-f] [--tail N] [--since T] [-t] CONTAINER`: what a detached container wrote,
 * across its restarts, stdout to stdout and stderr to stderr, as docker logs prints its
 * json-file log. With -f it keeps printing new lines until the container stops for good.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { cacheRoot } from '../cache/cache-root.js';
import { LogCursor, type LogEntry, logFiles } from '../container/log-file.js';
import { isRunning } from '../container/ownership.js';
import { findContainer } from '../container/records.js';

interface LogsOptions {
  follow?: boolean;
  tail: number;
  since?: number;
  timestamps?: boolean;
}

const FOLLOW_MS = 100;

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** parseSince reads --since as docker does: an RFC 3339 time, Unix seconds, or a duration before now (10m, 1h30m). */
export function parseSince(text: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length > 0 && parts.map((p) => p[0]).join('') === text)
    return now - parts.reduce((sum, [, value, unit]) => sum + Number(value) * (DURATION_UNITS[unit ?? 's'] ?? 0), 0);
  const time = Date.parse(text);
  if (Number.isNaN(time))
    throw new InvalidArgumentError('Give a time (2026-12-01T10:00:00Z), Unix seconds, or a duration like 10m.');
  return time;
}

function tailCount(text: string): number {
  if (text === 'all') return Number.POSITIVE_INFINITY;
  const count = Number(text);
  if (!Number.isInteger(count) || count < 0) throw new InvalidArgumentError('Give a number of lines, or all.');
  return count;
}

function print(entry: LogEntry, timestamps: boolean): void {
  const text = timestamps ? `${entry.time} ${entry.log}` : entry.log;
  (entry.stream === 'stderr' ? process.stderr : process.stdout).write(text);
}

/** registerLogs adds the logs command. */
export function registerLogs(program: Command, signal: AbortSignal): void {
  program
    .command('logs')
    .description('print what a container wrote (stdout and stderr), kept across restarts')
    .argument('<container>', 'container name or id')
    .option('-f, --follow', 'keep printing new output until the container stops')
    .option('-n, --tail <lines>', 'print only the last lines (or all)', tailCount, Number.POSITIVE_INFINITY)
    .option('--since <time>', 'print only lines written since a time (RFC 3339, Unix seconds, or 10m ago)', (t) =>
      parseSince(t),
    )
    .option('-t, --timestamps', 'start each line with the time it was written')
    .action(async (reference: string, options: LogsOptions) => {
      const container = findContainer(cacheRoot(), reference);
      const timestamps = options.timestamps ?? false;
      const wanted = (entry: LogEntry): boolean =>
        options.since === undefined || Date.parse(entry.time) >= options.since;
      const files = logFiles(container.dirs.dir);
      const current = new LogCursor(files.at(-1) as string);
      // Without --tail each line is printed as it is read; with it, only the last lines are kept (trimmed in
      // batches), so a long log is never held whole.
      const last: LogEntry[] = [];
      const keep = (entries: LogEntry[]): void => {
        for (const entry of entries.filter(wanted)) {
          if (!Number.isFinite(options.tail)) print(entry, timestamps);
          else if (last.push(entry) > 2 * options.tail + 1024) last.splice(0, last.length - options.tail);
        }
      };
      for (const file of files.slice(0, -1)) {
        const cursor = new LogCursor(file);
        for (let batch = cursor.read(); batch.length > 0; batch = cursor.read()) keep(batch);
      }
      for (let batch = current.read(); batch.length > 0; batch = current.read()) keep(batch);
      for (const entry of last.slice(Math.max(0, last.length - options.tail))) print(entry, timestamps);
      if (!options.follow) return;
      for (;;) {
        // Asked before reading, so the lines of a container that just stopped are still printed.
        const running = isRunning(container);
        for (const entry of current.read().filter(wanted)) print(entry, timestamps);
        if (!running) {
          for (const entry of current.read().filter(wanted)) print(entry, timestamps);
          return;
        }
        try {
          await sleep(FOLLOW_MS, undefined, { signal });
        } catch {
          return;
        }
      }
    });
}
