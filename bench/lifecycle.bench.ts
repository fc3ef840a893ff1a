/**
 * `npm run bench`, part three: containers that keep running, beside the Docker engine in the same
 * run, on the same image (the tests' busybox base, made with `docker import` and saved for
 * undocker):
 * - `run -d` until it returns (the container is up), against `docker run -d`;
 * - `exec NAME true` on a running container, against `docker exec ID true`;
 * - `ps`, `logs` and `stop` with a handful of containers, against `node -e 0` (target: within
 *   150 ms of it);
 * - the monitor's resident memory (VmRSS), one per running container.
 * Needs root, systemd-nspawn and dockerd; says so and stops otherwise.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importBaseImage, startDockerEngine } from '../test/helpers/docker-engine.js';
import { AS_THE_BIN_STARTS_NODE } from './node-start.js';

const UNDOCKER = fileURLToPath(new URL('../../bin/undocker.cjs', import.meta.url));
// Idle until stopped: a busy container would slow everything measured beside it.
const COMMAND = ['sh', '-c', 'trap "exit 0" TERM; sleep 100000 & wait'];
const CONTAINERS = 5;
const REPEAT = 10;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** timed runs a command to its end and returns its wall time in ms, and its stdout. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv = {}): { ms: number; stdout: string } {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.toString()}`);
  return { ms, stdout: result.stdout.toString() };
}

function rssMb(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb ?? 0) / 1024;
}

async function main(): Promise<void> {
  const tools = ['systemd-nspawn', 'dockerd'].filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (process.getuid?.() !== 0 || tools.length > 0) {
    process.stdout.write(`lifecycle benchmark skipped: it needs root, systemd-nspawn and dockerd\n`);
    return;
  }
  const dir = await mkdtemp(join(process.env.TMPDIR ?? tmpdir(), 'undocker-lifecycle-bench-'));
  const env = { UNDOCKER_CACHE: join(dir, 'cache') };
  const u = (args: string[]): { ms: number; stdout: string } => timed(UNDOCKER, args, env);
  const engine = await startDockerEngine();
  try {
    importBaseImage(engine);
    const archive = join(dir, 'base.tar');
    engine.docker(['save', '-o', archive, 'undocker-base:latest']);
    // The first run flattens the image into the cache: not what is measured.
    u(['run', '--rm', '-q', archive, 'true']);

    const runD: number[] = [];
    const dockerRunD: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < CONTAINERS; i++) {
      runD.push(u(['run', '-d', '-q', '--name', `bench${i}`, archive, ...COMMAND]).ms);
      const started = process.hrtime.bigint();
      ids.push(engine.docker(['run', '-d', '--network', 'none', 'undocker-base:latest', ...COMMAND]).trim());
      dockerRunD.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    const exec: number[] = [];
    const dockerExec: number[] = [];
    for (let i = 0; i < REPEAT; i++) {
      exec.push(u(['exec', `bench${i % CONTAINERS}`, 'true']).ms);
      const started = process.hrtime.bigint();
      engine.docker(['exec', ids[i % CONTAINERS] as string, 'true']);
      dockerExec.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    const ps: number[] = [];
    const logs: number[] = [];
    const node: number[] = [];
    for (let i = 0; i < REPEAT; i++) {
      ps.push(u(['ps']).ms);
      logs.push(u(['logs', `bench${i % CONTAINERS}`]).ms);
      node.push(timed(process.execPath, ['-e', '0'], AS_THE_BIN_STARTS_NODE).ms);
    }
    const monitors = readdirSync(join(env.UNDOCKER_CACHE, 'containers')).flatMap((id) => {
      try {
        const owner = JSON.parse(readFileSync(join(env.UNDOCKER_CACHE, 'containers', id, 'owner.json'), 'utf8')) as {
          pid: number;
        };
        return [rssMb(owner.pid)];
      } catch {
        return [];
      }
    });
    const stop: number[] = [];
    for (let i = 0; i < CONTAINERS; i++) stop.push(u(['stop', `bench${i}`]).ms);
    engine.docker(['rm', '-f', ...ids]);

    const f = (ms: number): string => `${ms.toFixed(0)} ms`.padStart(7);
    const base = median(node);
    const near = (ms: number): string =>
      `${f(ms - base)} over node -e 0 (target < 150 ms: ${ms - base < 150 ? 'met' : 'NOT met'})`;
    const row = (label: string, ms: number, beside: string): string => `${label.padEnd(44)}median ${f(ms)}   ${beside}`;
    const lines = [
      row('undocker run -d (returns with it up)', median(runD), `docker run -d ${f(median(dockerRunD))}`),
      row('undocker exec NAME true', median(exec), `docker exec   ${f(median(dockerExec))}`),
      row(`undocker ps (${CONTAINERS} containers)`, median(ps), near(median(ps))),
      row('undocker logs NAME', median(logs), near(median(logs))),
      row('undocker stop NAME (its trap exits at once)', median(stop), near(median(stop))),
      row('node -e 0', base, ''),
      `${'monitor VmRSS'.padEnd(44)}median ${median(monitors).toFixed(1)} MB (${monitors.length} monitors)`,
      `(run -d and stop: ${CONTAINERS} containers; others: ${REPEAT} runs; docker: the tests' 20.10 engine on vfs)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (let i = 0; i < CONTAINERS; i++)
      spawnSync(UNDOCKER, ['rm', '-f', '-v', `bench${i}`], { env: { ...process.env, ...env } });
    await engine.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
