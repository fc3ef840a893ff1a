/**
 * docker run's privilege flags, shared by `run`, `install` and the generators: --cap-add,
 * --cap-drop, --privileged and --security-opt, checked before any image is opened.
 */
import type { Command } from 'commander';
import { type Capability, CAPABILITIES, toCapabilities } from '../config/capabilities.js';
import { hostCapabilities } from '../launch/host-capabilities.js';
import { parseSecurityOpts, type Security } from '../launch/run-request.js';
import { collect } from './repeatable.js';

/** SecurityFlags are the flags as commander gives them. */
export interface SecurityFlags {
  capAdd: string[];
  capDrop: string[];
  privileged?: boolean;
  securityOpt: string[];
}

/** securityFlags adds the flags to `command`. */
export function securityFlags(command: Command): Command {
  return command
    .option(
      '--cap-add <capability>',
      "add a Linux capability to docker run's default set, or ALL (repeatable)",
      collect,
      [],
    )
    .option('--cap-drop <capability>', 'drop a Linux capability, or ALL (repeatable)', collect, [])
    .option('--privileged', 'every capability this host can give, as docker run --privileged gives them')
    .option('--security-opt <option>', 'no-new-privileges, or seccomp=unconfined (repeatable)', collect, []);
}

/** securityOf reads the flags; capability names are checked now, against this host's set at the launch. */
export function securityOf(flags: SecurityFlags): Security {
  const capabilities = { add: flags.capAdd, drop: flags.capDrop, privileged: flags.privileged ?? false };
  toCapabilities(capabilities, CAPABILITIES);
  return { capabilities, ...parseSecurityOpts(flags.securityOpt) };
}

/** Privileges are what a generated file grants: docker run's default capabilities when absent. */
export interface Privileges {
  capabilities?: readonly Capability[];
  privileged?: boolean;
  noNewPrivileges?: boolean;
  /** seccomp false is seccomp=unconfined */
  seccomp?: boolean;
}

/** privilegesOf turns the flags into what the generators write, with this host's capabilities for ALL. */
export function privilegesOf(flags: SecurityFlags): Privileges {
  const security = securityOf(flags);
  return {
    capabilities: toCapabilities(security.capabilities, hostCapabilities()),
    privileged: security.capabilities.privileged,
    noNewPrivileges: security.noNewPrivileges,
    seccomp: security.seccomp,
  };
}
