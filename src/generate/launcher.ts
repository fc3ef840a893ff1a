/**
 * The launcher: a shell script in a tree undocker writes (install, lxc-template) that holds the
 * command and its environment, so a config file only names the script and every argument runs
 * byte for byte (newlines, both quotes, spaces), which neither a .nspawn file nor an LXC config
 * can hold. Debian's static busybox reads it; the final exec goes through the identity helper's
 * setpriv (a plain execvp), since busybox sh would run its own applets for names like `ls`.
 */
import type { RunSpec } from '../config/run-spec.js';
import { HELPER_DIR } from './helper-argv.js';

/** LAUNCHER is the script's path inside the container; config files run it with no arguments. */
export const LAUNCHER = `${HELPER_DIR}/launch`;

/** LAUNCHER_SHELL is the static busybox that runs the script and sets the environment, beside it. */
export const LAUNCHER_SHELL = `${HELPER_DIR}/busybox`;

/** toShellWord quotes `word` for sh: inside '…' every byte is literal but `'` itself. */
export function toShellWord(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * toEnvArgv is the argv prefix that gives the command exactly `env`, as docker run does, and
 * nothing of the runtime's own (systemd-nspawn's container=, USER=root, NOTIFY_SOCKET=, LXC's
 * container=lxc); with `tty`, TERM=xterm after HOSTNAME unless set, as Docker adds for -t. env,
 * not sh's export: Docker allows names sh cannot assign (a.b=1), and env sets any of them. It is
 * followed by the identity helper, never by the command: busybox would run its own applet for
 * a bare name like `ls`.
 */
export function toEnvArgv(env: ReadonlyArray<readonly [string, string]>, tty = false): string[] {
  const words = env.map(([name, value]) => `${name}=${value}`);
  if (tty && !env.some(([name]) => name === 'TERM')) {
    const hostname = env.findIndex(([name]) => name === 'HOSTNAME');
    words.splice(hostname + 1, 0, 'TERM=xterm');
  }
  return [LAUNCHER_SHELL, 'env', '-i', '--', ...words];
}

/**
 * renderLauncher returns the script that runs `spec`'s command with its environment after
 * `helper`, the identity helper's argv prefix (ending in `--`).
 */
export function renderLauncher(spec: RunSpec, helper: readonly string[], header: string): string {
  const words = [...toEnvArgv(spec.env), ...helper, ...spec.argv];
  return [
    `#!${LAUNCHER_SHELL} sh`,
    `# ${header}`,
    `# Runs the image's command with its environment, every byte as the image says, as docker run would.`,
    `exec ${words.map(toShellWord).join(' \\\n  ')}`,
    '',
  ].join('\n');
}
