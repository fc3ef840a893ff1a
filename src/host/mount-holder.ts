/**
 * An overlay mount that only this process reaches: it is mounted in a mount namespace of its own,
 * held open by a child (`cat` reading this process's pipe), and reached through /proc/PID/root.
 * Nothing is ever mounted in the host's namespace, so a killed undocker (even with SIGKILL: the
 * pipe closes, `cat` ends, the namespace goes) leaves no mount behind.
 */
import { spawn } from 'node:child_process';
import { UndockerError } from '../errors.js';

/**
 * HOLD runs as `sh -c HOLD sh DIR OPTIONS MOUNTPOINT TOKEN`: the overlay's relative paths are taken from DIR
 * (short paths keep many layers within one mount's option page, as Docker's overlay2 does), then it says TOKEN
 * and waits for EOF.
 */
const MOUNTED = 'undocker-overlay-mounted';
const HOLD = 'cd "$1" && mount -t overlay overlay -o "$2" "$3" 2>&1 || exit 1; echo "$4"; exec cat >/dev/null';

/** HeldMount is a mounted overlay: `path` reaches its root from this process, `release` unmounts it. */
export interface HeldMount {
  path: string;
  release(): Promise<void>;
}

/**
 * holdOverlay mounts an overlay of `options` (paths relative to `dir`) on `mountpoint`, an empty folder, in a private
 * mount namespace; `what` names it in errors.
 */
export async function holdOverlay(dir: string, options: string, mountpoint: string, what: string): Promise<HeldMount> {
  const child = spawn(
    'unshare',
    ['--mount', '--propagation', 'private', 'sh', '-c', HOLD, 'sh', dir, options, mountpoint, MOUNTED],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  // 'close', not 'exit': what it said is all read by then.
  const ended = new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    child.once('error', resolve);
    child.once('close', () => resolve(undefined));
  });
  let said = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    said += text;
  });
  const mounted = await new Promise<boolean>((resolve) => {
    child.stdout.on('data', (text: string) => {
      said += text;
      if (said.split('\n').includes(MOUNTED)) resolve(true);
    });
    void ended.then(() => resolve(false));
  });
  if (!mounted) {
    const error = await ended;
    if (error?.code === 'ENOENT')
      throw new UndockerError('UNDOCKER_MISSING_TOOL', 'unshare not found: install the util-linux package', {
        cause: error,
      });
    // mount(8) adds a line pointing at dmesg: the first says what failed.
    const detail = said.trim().split('\n')[0] ?? '';
    throw new UndockerError(
      'UNDOCKER_FS_REFUSED',
      `cannot mount the overlay of ${what}: ${detail || 'no reason given'}`,
    );
  }
  const pid = child.pid as number;
  return {
    path: `/proc/${pid}/root${mountpoint}`,
    async release() {
      child.stdin.end();
      await ended;
    },
  };
}
