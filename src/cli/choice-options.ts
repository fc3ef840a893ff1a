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

/** USERNS_HELP says what --userns does, for run, create, install and nspawn-unit. */
export const USERNS_HELP =
  "host: container root is the host's root, as in docker run; auto: the container's ids are a range of 65536 " +
  'unprivileged host ids, picked at each start, the tree idmapped to them (never chowned)';

/** usernsOption is --userns: the host's user namespace (the default, as docker run's), or auto. */
export function usernsOption(description: string): Option {
  return new Option('--userns <mode>', description).choices(['host', 'auto']).default('host');
}
