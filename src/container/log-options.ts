/**
 * docker run's --log-opt for the json-file log: max-size (bytes, with k, m or g) and max-file.
 * Docker's json-file defaults keep one file and never cap it; with max-size, the log rotates
 * into max-file files, the oldest dropped.
 */
import { UsageError } from '../errors.js';

/** LogOptions cap a container's log. */
export interface LogOptions {
  /** maxSize is the size in bytes at which the log rotates; 0 is no cap */
  maxSize: number;
  /** maxFile is how many files, the current one included, are kept */
  maxFile: number;
}

/** DEFAULT_LOG_OPTIONS are json-file's: no cap, one file. */
export const DEFAULT_LOG_OPTIONS: LogOptions = { maxSize: 0, maxFile: 1 };

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** parseLogOptions reads every --log-opt KEY=VALUE given. */
export function parseLogOptions(values: readonly string[]): LogOptions {
  const options = { ...DEFAULT_LOG_OPTIONS };
  for (const value of values) {
    const [key, text = ''] = value.split(/=(.*)/s);
    if (key === 'max-size') {
      const match = /^(\d+)([bkmg]?)$/i.exec(text);
      if (match === null || Number(match[1]) <= 0)
        throw new UsageError(`--log-opt ${value}: give a size like 10m (k, m or g)`);
      options.maxSize = Number(match[1]) * (UNITS[(match[2] ?? '').toLowerCase()] ?? 1);
    } else if (key === 'max-file') {
      const count = Number(text);
      if (!Number.isInteger(count) || count < 1)
        throw new UsageError(`--log-opt ${value}: give a whole number of files`);
      options.maxFile = count;
    } else {
      throw new UsageError(`--log-opt ${value}: undocker's json-file log takes max-size and max-file`);
    }
  }
  if (options.maxFile > 1 && options.maxSize === 0)
    throw new UsageError('--log-opt max-file needs max-size: without a size the log never rotates');
  return options;
}
