/**
 * The monitor: one small process per detached container, as podman's conmon. `undocker start`
 * spawns it in a session of its own (so a closed terminal never reaches it), and it owns the
 * container until it exits for good: it runs it, writes its log, restarts it as its policy says,
 * and stops it on SIGTERM. It tells its starter on fd 3 how the first start went, then closes it:
 * `started`, `running` (another owner had it), or `failed MESSAGE`.
 *
 * Run as `node monitor.js CACHE_ROOT CONTAINER_ID`, or as its bundle, monitor.bundle.cjs.
 */
import { createWriteStream } from 'node:fs';
import { loadContainer } from './records.js';
import { claimContainer, releaseContainer } from './ownership.js';
import { removeContainer } from './remove.js';
import { superviseContainer } from './supervise.js';

async function monitor(root: string, id: string): Promise<void> {
  const report = createWriteStream('', { fd: 3 });
  let told = false;
  const tell = (line: string): void => {
    if (told) return;
    told = true;
    report.end(`${line}\n`);
  };
  const container = loadContainer(root, id);
  if (container === undefined) {
    tell(`failed no such container: ${id}`);
    return;
  }
  if (!claimContainer(container)) {
    tell('running');
    return;
  }
  const stop = new AbortController();
  process.on('SIGTERM', () => stop.abort());
  try {
    await superviseContainer(container, {
      cacheRoot: root,
      signal: stop.signal,
      detached: true,
      started: (error) => tell(error === undefined ? 'started' : `failed ${error.message.split('\n')[0] ?? ''}`),
    });
  } catch {
    /* recorded in the state, and told */
  } finally {
    releaseContainer(container);
  }
  if (container.config.autoRemove) removeContainer(root, container, { volumes: true });
}

// A hangup or an interrupt meant for a terminal the monitor left is not for it.
process.on('SIGHUP', () => undefined);
process.on('SIGINT', () => undefined);
const [root, id] = process.argv.slice(2);
if (root === undefined || id === undefined) {
  process.stderr.write('usage: monitor.js CACHE_ROOT CONTAINER_ID\n');
  process.exitCode = 2;
} else {
  // No top-level await: the monitor runs as a CommonJS bundle (scripts/bundle.ts). A failure goes
  // to monitor.log, its stderr, as one line.
  monitor(root, id).catch((error: unknown) => {
    process.stderr.write(`monitor: ${(error as Error)?.message ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
