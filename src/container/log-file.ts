/**
 * A container's log in Docker's json-file format: one JSON object per line of output,
 * `{"log":"text\n","stream":"stdout","time":"RFC 3339"}`, appended across restarts. With a
 * max-size the file rotates to `.1`, `.2` … up to max-file files, the oldest dropped. Reading
 * goes line by line, oldest file first, so a long log is never held whole.
 */
import {
  appendFileSync,
  closeSync,
  existsSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
} from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { LogOptions } from './log-options.js';

/** LOG_FILE is the log's name in the container's folder. */
export const LOG_FILE = 'container-json.log';

/** LogStream is where a line was written. */
export type LogStream = 'stdout' | 'stderr';

/** LogEntry is one line of the log. */
export interface LogEntry {
  log: string;
  stream: LogStream;
  time: string;
}

/** A line longer than this is logged in pieces, as Docker does at 16 KiB. */
const MAX_LINE = 16 * 1024;

/** LogWriter appends a running container's output to its log. */
export class LogWriter {
  private readonly path: string;
  private size: number;
  private readonly partial: Record<LogStream, string> = { stdout: '', stderr: '' };
  // A character split between two chunks is decoded whole.
  private readonly decoders: Record<LogStream, StringDecoder> = {
    stdout: new StringDecoder('utf8'),
    stderr: new StringDecoder('utf8'),
  };

  constructor(
    dir: string,
    private readonly options: LogOptions,
  ) {
    this.path = join(dir, LOG_FILE);
    this.size = fileSize(this.path);
  }

  /** write logs a chunk of one stream's output; an unfinished line waits for its end. */
  write(stream: LogStream, chunk: Buffer): void {
    const text = this.partial[stream] + this.decoders[stream].write(chunk);
    const lines = text.split(/(?<=\n)/);
    const last = lines.at(-1) ?? '';
    const complete = last.endsWith('\n') ? lines : lines.slice(0, -1);
    this.partial[stream] = last.endsWith('\n') ? '' : last;
    while (this.partial[stream].length > MAX_LINE) {
      complete.push(this.partial[stream].slice(0, MAX_LINE));
      this.partial[stream] = this.partial[stream].slice(MAX_LINE);
    }
    this.append(stream, complete);
  }

  /** flush logs what is left of unfinished lines, as the container's output ends. */
  flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream] !== '') this.append(stream, [this.partial[stream]]);
      this.partial[stream] = '';
    }
  }

  private append(stream: LogStream, lines: string[]): void {
    if (lines.length === 0) return;
    const time = new Date().toISOString();
    const text = lines.map((log) => `${JSON.stringify({ log, stream, time } satisfies LogEntry)}\n`).join('');
    const bytes = Buffer.byteLength(text);
    if (this.options.maxSize > 0 && this.size > 0 && this.size + bytes > this.options.maxSize) this.rotate();
    appendFileSync(this.path, text);
    this.size += bytes;
  }

  private rotate(): void {
    const { maxFile } = this.options;
    if (maxFile <= 1) truncateSync(this.path);
    else {
      rmSync(`${this.path}.${maxFile - 1}`, { force: true });
      for (let index = maxFile - 2; index >= 1; index -= 1)
        renameIfThere(`${this.path}.${index}`, `${this.path}.${index + 1}`);
      renameIfThere(this.path, `${this.path}.1`);
    }
    this.size = 0;
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function renameIfThere(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    /* not rotated that far yet */
  }
}

/** logFiles are the container's log files, oldest first. */
export function logFiles(dir: string): string[] {
  const path = join(dir, LOG_FILE);
  const rotated: string[] = [];
  for (let index = 1; existsSync(`${path}.${index}`); index += 1) rotated.unshift(`${path}.${index}`);
  return [...rotated, path];
}

/** LogCursor reads a log file's complete lines from an offset on, so a follower reads each line once. */
export class LogCursor {
  private offset = 0;
  private rest = '';
  private decoder = new StringDecoder('utf8');
  private inode: number | undefined;

  constructor(private readonly path: string) {}

  /** read returns the entries written since the last read; a rotated or truncated file is read from its start. */
  read(): LogEntry[] {
    let info;
    try {
      info = statSync(this.path);
    } catch {
      return [];
    }
    if (info.ino !== this.inode || info.size < this.offset) {
      this.inode = info.ino;
      this.offset = 0;
      this.rest = '';
      this.decoder = new StringDecoder('utf8');
    }
    const entries: LogEntry[] = [];
    const fd = openSync(this.path, 'r');
    try {
      const buffer = Buffer.alloc(64 * 1024);
      for (;;) {
        const count = readSync(fd, buffer, 0, buffer.length, this.offset);
        if (count === 0) break;
        this.offset += count;
        const lines = (this.rest + this.decoder.write(buffer.subarray(0, count))).split('\n');
        this.rest = lines.pop() ?? '';
        for (const line of lines) {
          try {
            entries.push(JSON.parse(line) as LogEntry);
          } catch {
            /* a line cut short by a crash: skipped, as docker logs does */
          }
        }
        if (entries.length >= 4096) break;
      }
    } finally {
      closeSync(fd);
    }
    return entries;
  }
}
