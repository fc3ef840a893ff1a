/**
 * A running container's leader: the host pid of its PID 1, whose namespaces `exec` enters and to
 * which `kill` signals go. Under systemd-nspawn it is the runtime's child in another pid
 * namespace; under LXC, lxc-info names it.
 */
import { execFileSync } from 'node:child_process';
import { childrenOf, isLiving, pidNamespaceOf } from '../host/process-identity.js';
import { type Container, reloadState } from './records.js';
import { lxcPathOf } from '../launch/lxc-userns-paths.js';

function nspawnLeader(runtime: number): number | undefined {
  const own = pidNamespaceOf(runtime);
  let generation = childrenOf(runtime);
  // nspawn forks once more on some versions before the container's PID 1: look two levels down.
  for (let depth = 0; depth < 2; depth += 1) {
    const inside = generation.find((pid) => pidNamespaceOf(pid) !== own);
    if (inside !== undefined) return inside;
    generation = generation.flatMap(childrenOf);
  }
  return undefined;
}

function lxcLeader(container: Container): number | undefined {
  try {
    const text = execFileSync(
      'lxc-info',
      ['-P', lxcPathOf(container.dirs, container.config.request), '-n', container.config.request.name, '-p', '-H'],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    ).toString();
    const pid = Number(text.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * leaderOf is the container's PID 1 as the host sees it, or undefined when it is not running:
 * asked of its runtime, or, when the runtime was killed and PID 1 lives on, as recorded.
 */
export function leaderOf(container: Container): number | undefined {
  const { runtime, leader } = reloadState(container);
  if (runtime !== undefined && isLiving(runtime))
    return container.config.request.runtime === 'lxc' ? lxcLeader(container) : nspawnLeader(runtime.pid);
  return leader !== undefined && isLiving(leader) ? leader.pid : undefined;
}
