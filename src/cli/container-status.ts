/**
 * How `docker ps` words a container's state and ages ("Up 3 minutes", "Exited (137) 2 seconds
 * ago", "Restarting (1) 5 seconds ago", "Created"), with the Docker CLI's own rounding.
 */
import type { ContainerConfig, ContainerState } from '../container/records.js';

/** humanDuration is Docker's HumanDuration: "Less than a second", "About a minute", "3 hours", "2 weeks". */
export function humanDuration(milliseconds: number): string {
  const seconds = Math.floor(milliseconds / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(milliseconds / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(milliseconds / 3_600_000 / 24 / 365)} years`;
}

const since = (time: string | undefined, now: number): number => now - Date.parse(time ?? '');

/** statusText is the STATUS column of `docker ps`. */
export function statusText(state: ContainerState, now: number): string {
  const code = state.exitCode ?? 'unknown';
  switch (state.status) {
    case 'created':
      return 'Created';
    case 'running':
      return `Up ${humanDuration(since(state.startedAt, now))}`;
    case 'restarting':
      return `Restarting (${code}) ${humanDuration(since(state.finishedAt, now))} ago`;
    default:
      return state.finishedAt === undefined
        ? `Exited (${code})`
        : `Exited (${code}) ${humanDuration(since(state.finishedAt, now))} ago`;
  }
}

/** commandText is the COMMAND column: the command in quotes, cut at 20 characters as docker ps does. */
export function commandText(config: ContainerConfig, full: boolean): string {
  const command = config.spec.argv.join(' ');
  return `"${full || command.length <= 20 ? command : `${command.slice(0, 19)}…`}"`;
}

/** portsText is the PORTS column: published ports as host->container, else the exposed ones. */
export function portsText(config: ContainerConfig): string {
  const published = config.request.publish.map((p) => `0.0.0.0:${p.host}->${p.container}/${p.protocol}`);
  if (published.length > 0) return published.join(', ');
  return config.spec.ports.map((p) => `${p.port}${p.end !== p.port ? `-${p.end}` : ''}/${p.protocol}`).join(', ');
}
