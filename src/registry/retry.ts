/**
 * Retrying what a registry may refuse for a moment (429, 502, 503, 504) or a connection that
 * broke: exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
 * Jitter"), `Retry-After` honoured, and a bound on the whole time spent, after which the caller
 * gives up with one line.
 */

/** RetryPolicy bounds the retries of one request or one blob download. */
export interface RetryPolicy {
  /** maxElapsedMs is how long retries may go on in all */
  maxElapsedMs: number;
  /** baseMs is the first delay's ceiling; it doubles with each attempt up to maxDelayMs */
  baseMs: number;
  maxDelayMs: number;
}

/** retrySeconds is how long to keep retrying: UNDOCKER_RETRY_SECONDS, else a minute. */
function retrySeconds(): number {
  const asked = Number(process.env.UNDOCKER_RETRY_SECONDS);
  return process.env.UNDOCKER_RETRY_SECONDS !== undefined && Number.isFinite(asked) && asked >= 0 ? asked : 60;
}

/** DEFAULT_RETRY gives a registry a minute (UNDOCKER_RETRY_SECONDS) to come back. */
export const DEFAULT_RETRY: RetryPolicy = { maxElapsedMs: retrySeconds() * 1000, baseMs: 250, maxDelayMs: 10_000 };

/** RETRY_STATUSES are the HTTP statuses that say "try again later". */
export const RETRY_STATUSES = new Set([429, 502, 503, 504]);

/** parseRetryAfter reads a Retry-After header (seconds or an HTTP date) as milliseconds from now. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Backoff hands out the delays of one retried operation, and says when to stop. */
export class Backoff {
  private readonly started = Date.now();
  /** attempts counts the retries handed out so far. */
  attempts = 0;

  constructor(private readonly policy: RetryPolicy = DEFAULT_RETRY) {}

  /** next is the delay before the next attempt, or undefined once the time is spent; `asked` is a Retry-After. */
  next(asked?: number): number | undefined {
    const ceiling = Math.min(this.policy.maxDelayMs, this.policy.baseMs * 2 ** this.attempts);
    const delay = asked ?? Math.round(Math.random() * ceiling);
    if (Date.now() - this.started + delay >= this.policy.maxElapsedMs) return undefined;
    this.attempts++;
    return delay;
  }

  /** elapsedSeconds is how long the operation has been tried, for the message that gives up. */
  elapsedSeconds(): number {
    return Math.round((Date.now() - this.started) / 1000);
  }
}

/** sleep waits `ms`, or throws the signal's reason when it is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', stop, { once: true });
  });
}
