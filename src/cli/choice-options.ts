/**
 * Options whose values are one of a few words, shared by the commands that take them: commander
 * refuses any other value before the command opens an image or pulls one.
 */
import { Option } from 'commander';

/** runtimeOption is --runtime: systemd-nspawn (the default) or LXC. */
export function runtimeOption(description: string): Option {
  return new Option('--runtime <runtime>', description).choices(['nspawn', 'lxc']).default('nspawn');
}

/** networkOption is --network: the host's (the default), none, or a veth pair. */
export function networkOption(description: string): Option {
  return new Option('--network <network>', description).choices(['host', 'none', 'veth']).default('host');
}
