/**
 * docker run's --restart policies, and when and how soon the monitor restarts a container that
 * exited: the delay starts at 100 ms and doubles at each restart up to a minute, and falls back
 * to 100 ms after a run that lasted 10 seconds, as the Docker engine does.
 */
import { UsageError } from '../errors.js';

/** RestartPolicy is docker's HostConfig.RestartPolicy. */
export interface RestartPolicy {
  name: 'no' | 'on-failure' | 'always' | 'unless-stopped';
  /** maximumRetryCount bounds on-failure's restarts; 0 is no bound */
  maximumRetryCount: number;
}

/** NO_RESTART is docker's default policy. */
export const NO_RESTART: RestartPolicy = { name: 'no', maximumRetryCount: 0 };

const FIRST_DELAY_MS = 100;
const LONGEST_DELAY_MS = 60_000;
/** A run this long resets the delay. */
const STEADY_RUN_MS = 10_000;

/** parseRestartPolicy reads --restart no|on-failure[:N]|always|unless-stopped. */
export function parseRestartPolicy(text: string): RestartPolicy {
  const match = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(text);
  const name = match?.[1] as RestartPolicy['name'] | undefined;
  if (name === undefined || (match?.[2] !== undefined && name !== 'on-failure'))
    throw new UsageError(`--restart ${text}: use no, on-failure[:N], always or unless-stopped`);
  return { name, maximumRetryCount: Number(match?.[2] ?? 0) };
}

/** formatRestartPolicy writes a policy as --restart takes it. */
export function formatRestartPolicy(policy: RestartPolicy): string {
  return policy.name === 'on-failure' && policy.maximumRetryCount > 0
    ? `on-failure:${policy.maximumRetryCount}`
    : policy.name;
}

/** shouldRestart tells whether a container that exited with `status` restarts, `restarts` restarts on. */
export function shouldRestart(
  policy: RestartPolicy,
  status: number,
  restarts: number,
  stoppedByUser: boolean,
): boolean {
  if (stoppedByUser) return false;
  switch (policy.name) {
    case 'no':
      return false;
    case 'on-failure':
      return status !== 0 && (policy.maximumRetryCount === 0 || restarts < policy.maximumRetryCount);
    default:
      return true;
  }
}

/** nextDelay is how long to wait before the next restart, after one that waited `previous` ms and ran `ranMs`. */
export function nextDelay(previous: number | undefined, ranMs: number): number {
  if (previous === undefined || ranMs >= STEADY_RUN_MS) return FIRST_DELAY_MS;
  return Math.min(previous * 2, LONGEST_DELAY_MS);
}

/**
 * restartsAtBoot tells whether a container starts when its host boots, as when the Docker engine
 * starts: `always`, and `unless-stopped` unless it was stopped by hand. A running one is left alone.
 */
export function restartsAtBoot(policy: RestartPolicy, running: boolean, stoppedByHand: boolean): boolean {
  if (running) return false;
  if (policy.name === 'always') return true;
  return policy.name === 'unless-stopped' && !stoppedByHand;
}
