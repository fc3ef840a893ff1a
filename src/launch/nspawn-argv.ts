/**
 * toNspawnArgv builds the systemd-nspawn command line for a run. Everything goes in argv
 * (--setenv, --chdir, --user, the command after --), so no value needs quoting. The command is
 * PID 1, as under docker run, and --kill-signal makes nspawn send the image's StopSignal to it
 * when nspawn gets SIGTERM.
 */
import type { RunSpec } from '../config/run-spec.js';
import type { RunRequest } from './run-request.js';

/** toNspawnArgv returns the arguments (without the program) that run `spec` on `rootfs`. */
export function toNspawnArgv(spec: RunSpec, rootfs: string, request: RunRequest): string[] {
  const args = [
    '--quiet',
    '--register=no',
    '--keep-unit',
    `--directory=${rootfs}`,
    `--machine=${request.name}`,
    `--hostname=${spec.hostname}`,
    `--chdir=${spec.workingDir}`,
    `--kill-signal=${spec.stopSignal}`,
    `--console=${!request.tty ? 'pipe' : request.interactive ? 'interactive' : 'read-only'}`,
  ];
  if (spec.user.uid !== 0 || spec.user.gid !== 0) args.push(`--user=${spec.user.name ?? String(spec.user.uid)}`);
  for (const [name, value] of spec.env) args.push(`--setenv=${name}=${value}`);
  for (const volume of request.volumes)
    args.push(`--bind${volume.readOnly ? '-ro' : ''}=${volume.host}:${volume.container}`);
  if (request.readOnly) args.push('--read-only');
  if (request.network === 'none') args.push('--private-network');
  if (request.network === 'veth') args.push('--network-veth');
  for (const p of request.publish) args.push(`--port=${p.protocol}:${p.host}:${p.container}`);
  return [...args, '--', ...spec.argv];
}
