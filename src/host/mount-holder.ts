/**
 * An overlay mount that only this process reaches: it is mounted in a mount namespace of its own
 * (by overlay-exec, or unshare(1) where the build had no C compiler), held open by a child (`cat`
 * reading this process's pipe), and reached through /proc/PID/root.
 * Nothing is ever mounted in the host's namespace, so a killed undocker (even with SIGKILL: the
 * pipe closes, `cat` ends, the namespace goes) leaves no mount behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { overlayExecArgs, overlayExecProgram } from './c-helpers.js';
import { UndockerError } from '../errors.js';

/**
 * HOLD, where overlay-exec was not built, runs as `sh -c HOLD sh DIR OPTIONS MOUNTPOINT TOKEN`: the
 * overlay's relative paths are taken from DIR (short paths keep many layers within one mount's
 * option page, as Docker's overlay2 does), then it says TOKEN and waits for EOF.
 */
const MOUNTED = 'undocker-overlay-mounted';
const HOLD = 'cd "$1" && mount -t overlay overlay -o "$2" "$3" 2>&1 || exit 1; echo "$4"; exec cat >/dev/null';

/** HeldMount is a mounted overlay: `path` reaches its root from this process, `release` unmounts it. */
export interface HeldMount {
  path: string;
  release(): Promise<void>;
}

/** Holder is the child holding the namespace, whether it mounted the overlay (false if not), and what it said. */
interface Holder {
  child: ChildProcess;
  mounted: Promise<boolean>;
  said: () => string;
}

/**
 * withOverlayExec holds the mount with overlay-exec and `cat`: two programs where there were four
 * (unshare, sh, mount and cat). Its report fd ends, empty, once the overlay is mounted and cat runs.
 */
function withOverlayExec(helper: string, dir: string, options: string, mountpoint: string): Holder {
  const child = spawn(helper, overlayExecArgs(dir, options, mountpoint, ['cat']), {
    stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
  });
  let said = '';
  for (const stream of [child.stderr as Readable, child.stdio[3] as Readable]) {
    stream.setEncoding('utf8');
    stream.on('data', (text: string) => {
      said += text;
    });
  }
  const report = child.stdio[3] as Readable;
  const mounted = new Promise<boolean>((resolve) => {
    report.once('end', () => resolve(said === ''));
    report.once('error', () => resolve(false));
    child.once('error', () => resolve(false));
  });
  return { child, mounted, said: () => said };
}

/** withUnshare holds the mount with unshare, sh, mount and cat, which says MOUNTED once it is. */
function withUnshare(dir: string, options: string, mountpoint: string): Holder {
  const child = spawn(
    'unshare',
    ['--mount', '--propagation', 'private', 'sh', '-c', HOLD, 'sh', dir, options, mountpoint, MOUNTED],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let said = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    said += text;
  });
  const mounted = new Promise<boolean>((resolve) => {
    child.stdout.on('data', (text: string) => {
      said += text;
      if (said.split('\n').includes(MOUNTED)) resolve(true);
    });
    child.once('close', () => resolve(false));
    child.once('error', () => resolve(false));
  });
  return { child, mounted, said: () => said };
}

/**
 * holdOverlay mounts an overlay of `options` (paths relative to `dir`) on `mountpoint`, an empty
 * folder, in a private mount namespace; `what` names it in errors. `helper` is overlay-exec, when built.
 */
export async function holdOverlay(
  dir: string,
  options: string,
  mountpoint: string,
  what: string,
  helper: string | undefined = overlayExecProgram(),
): Promise<HeldMount> {
  const { child, mounted, said } =
    helper !== undefined ? withOverlayExec(helper, dir, options, mountpoint) : withUnshare(dir, options, mountpoint);
  // 'close', not 'exit': what it said is all read by then.
  const ended = new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    child.once('error', resolve);
    child.once('close', () => resolve(undefined));
  });
  if (!(await mounted)) {
    const error = await ended;
    if (error?.code === 'ENOENT')
      throw new UndockerError(
        'UNDOCKER_MISSING_TOOL',
        helper === undefined ? 'unshare not found: install the util-linux package' : `${helper} is gone: npm run build`,
        { cause: error },
      );
    // mount(8) adds a line pointing at dmesg: the first says what failed.
    const detail = said().trim().split('\n')[0] ?? '';
    throw new UndockerError(
      'UNDOCKER_FS_REFUSED',
      `cannot mount the overlay of ${what}: ${detail || 'no reason given'}`,
    );
  }
  const pid = child.pid as number;
  return {
    path: `/proc/${pid}/root${mountpoint}`,
    async release() {
      child.stdin?.end();
      await ended;
    },
  };
}
