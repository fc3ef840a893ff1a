/**
 * runContainer starts the runtime with the user's terminal, waits for it, and passes its exit
 * status back. On Ctrl-C or SIGTERM (the abort signal) the container gets the image's
 * StopSignal, then, after the stop timeout, is killed, as `docker stop` does. The runtime runs
 * through node:child_process rather than execa: importing execa alone takes longer than a warm
 * run's whole budget of 150 ms on a small machine.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { UndockerError } from '../errors.js';
import type { Runtime } from './run-request.js';

/** Launch is one runtime invocation. */
export interface Launch {
  runtime: Runtime;
  program: string;
  args: string[];
  /** stopSignal goes to the container's PID 1 on abort */
  stopSignal: string;
  stopTimeout: number;
  interactive: boolean;
  /** lxc: where to find the container's init pid */
  lxc?: { lxcPath: string; name: string };
  /** env adds to the runtime's environment */
  env?: Record<string, string>;
  /** setupFailure, when set, makes the error for what the launch wrote to fd 3 before exec'ing the runtime */
  setupFailure?: (detail: string) => Error;
}

async function lxcInitPid(lxc: { lxcPath: string; name: string }): Promise<number | undefined> {
  const { stdout } = await promisify(execFile)('lxc-info', ['-P', lxc.lxcPath, '-n', lxc.name, '-p', '-H']);
  const pid = Number(stdout.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function stop(launch: Launch, child: ChildProcess, final: boolean): Promise<void> {
  if (launch.lxc === undefined) {
    // nspawn sends --kill-signal to PID 1 on the first SIGTERM, and kills everything on the second.
    child.kill('SIGTERM');
    return;
  }
  const pid = await lxcInitPid(launch.lxc);
  // lxc-execute's init (init.lxc) forwards the signal to the command.
  if (pid !== undefined) process.kill(pid, final ? 'SIGKILL' : (launch.stopSignal as NodeJS.Signals));
}

/** KILLED is docker's status for a container killed with SIGKILL: 128 + 9. */
export const KILLED = 137;

/** RUNTIME_SAW_A_SIGNAL is what systemd-nspawn and lxc-execute both exit with when the command died of a signal. */
export const RUNTIME_SAW_A_SIGNAL = 1;

function statusOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal !== null ? constants.signals[signal] : 1);
}

/** RunHooks let the caller follow a run: its pid, its output, and how long a stop may take. */
export interface RunHooks {
  /** started gets the runtime's pid */
  started?: (pid: number) => void;
  /** output, when given, gets the runtime's stdout and stderr as pipes, in place of the terminal's */
  output?: (stdout: Readable, stderr: Readable) => void;
  /** setUp is told once the launch's own setup (the overlay, the cgroup) is done and the runtime starts */
  setUp?: () => void;
  /** stopTimeout, asked at the abort, replaces the launch's (docker stop -t) */
  stopTimeout?: () => number;
}

/** runContainer runs the runtime to its end and returns the container's exit status. */
export async function runContainer(launch: Launch, signal: AbortSignal, hooks: RunHooks = {}): Promise<number> {
  // Its own process group: a Ctrl-C at the terminal reaches undocker alone, which stops the
  // container once, with the image's StopSignal (on a -t console it is a keystroke, as in docker).
  const stdin = launch.interactive ? 'inherit' : 'ignore';
  const out = hooks.output !== undefined ? 'pipe' : 'inherit';
  const child = spawn(launch.program, launch.args, {
    stdio: launch.setupFailure ? [stdin, out, out, 'pipe'] : [stdin, out, out],
    detached: true,
    ...(launch.env !== undefined ? { env: { ...process.env, ...launch.env } } : {}),
  });
  if (child.pid !== undefined) hooks.started?.(child.pid);
  if (hooks.output !== undefined && child.stdout !== null && child.stderr !== null)
    hooks.output(child.stdout, child.stderr);
  let setupOutput = '';
  const setupChannel = child.stdio[3];
  if (setupChannel) {
    setupChannel.on('data', (chunk: Buffer) => {
      setupOutput += chunk.toString();
    });
    setupChannel.on('end', () => {
      if (setupOutput === '') hooks.setUp?.();
    });
  } else if (child.pid !== undefined) hooks.setUp?.();
  let timer: NodeJS.Timeout | undefined;
  let killed = false;
  const onAbort = (): void => {
    void stop(launch, child, false).catch(() => undefined);
    timer = setTimeout(
      () => {
        killed = true;
        void stop(launch, child, true).catch(() => undefined);
      },
      (hooks.stopTimeout?.() ?? launch.stopTimeout) * 1000,
    );
  };
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (error) =>
        reject(
          new UndockerError('UNDOCKER_MISSING_TOOL', `cannot start ${launch.program}: ${error.message}`, {
            cause: error,
          }),
        ),
      );
      child.once('close', (code, killedBy) => {
        if (setupOutput !== '' && launch.setupFailure) reject(launch.setupFailure(setupOutput));
        // A container killed at the stop timeout exited 137 under docker; the runtimes only say it died of a signal.
        else resolve(killed && code === RUNTIME_SAW_A_SIGNAL ? KILLED : statusOf(code, killedBy));
      });
    });
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (timer !== undefined) clearTimeout(timer);
  }
}
