/**
 * Runs the undocker CLI as a user does: the real bin script in a child process.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** UNDOCKER is the path of the bin script. */
export const UNDOCKER = fileURLToPath(new URL('../../../bin/undocker.cjs', import.meta.url));

/** CliResult is what a run printed and returned. */
export interface CliResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

/** undocker runs the CLI with arguments and optional standard input. */
export function undocker(
  args: string[],
  options: { input?: Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): CliResult {
  const result = spawnSync(UNDOCKER, args, {
    input: options.input,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    maxBuffer: 1 << 30,
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString() };
}
