/**
 * RunRequest is what `undocker run` was asked beyond the image's run spec: the runtime, mounts,
 * networking and terminal, with docker run's names and meanings.
 */
import { UsageError } from '../errors.js';

/** Runtime names the container runtimes undocker launches. */
export type Runtime = 'nspawn' | 'lxc';

/** Network is docker run's --network, as these runtimes offer it. */
export type Network = 'host' | 'none' | 'veth';

/** BindMount is one -v HOST:CONTAINER[:ro]. */
export interface BindMount {
  host: string;
  container: string;
  readOnly: boolean;
}

/** Publish is one -p [HOST:]CONTAINER[/PROTOCOL]. */
export interface Publish {
  host: number;
  container: number;
  protocol: 'tcp' | 'udp';
}

/** RunRequest is the launch-time part of a run. */
export interface RunRequest {
  runtime: Runtime;
  network: Network;
  volumes: BindMount[];
  publish: Publish[];
  tty: boolean;
  interactive: boolean;
  readOnly: boolean;
  /** machine name: the container's name in the runtime */
  name: string;
  /** seconds between the stop signal and a kill, as docker stop's default */
  stopTimeout: number;
}

/** parseBindMount reads -v HOST:CONTAINER[:ro|rw]; both paths must be absolute. */
export function parseBindMount(text: string): BindMount {
  const parts = text.split(':');
  const [host, container, mode] = parts;
  if (
    parts.length < 2 ||
    parts.length > 3 ||
    !host?.startsWith('/') ||
    !container?.startsWith('/') ||
    (mode !== undefined && mode !== 'ro' && mode !== 'rw')
  ) {
    throw new UsageError(`-v ${text}: use HOST:CONTAINER or HOST:CONTAINER:ro, with absolute paths`);
  }
  return { host, container, readOnly: mode === 'ro' };
}

/** parsePublish reads -p [HOST:]CONTAINER[/tcp|udp]. */
export function parsePublish(text: string): Publish {
  const match = /^(?:(\d+):)?(\d+)(?:\/(tcp|udp))?$/.exec(text);
  const container = Number(match?.[2]);
  const host = match?.[1] !== undefined ? Number(match[1]) : container;
  if (match === null || host < 1 || host > 65535 || container < 1 || container > 65535) {
    throw new UsageError(`-p ${text}: use [HOST:]CONTAINER[/tcp|udp], ports 1 to 65535`);
  }
  return { host, container, protocol: (match[3] ?? 'tcp') as Publish['protocol'] };
}
