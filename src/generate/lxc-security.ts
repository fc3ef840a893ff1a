/**
 * LXC's side of docker run's privileges: common.conf's capability drops replaced by Docker's set
 * (lxc.cap.keep, where `none` keeps none), or by nothing under --privileged; no_new_privs and an
 * empty seccomp profile as asked. Used by the generated configs and by `undocker run` alike.
 */
import type { Capability } from '../config/capabilities.js';

/** LxcSecurity is what the lines say. */
export interface LxcSecurity {
  capabilities: readonly Capability[];
  privileged: boolean;
  noNewPrivileges: boolean;
  /** seccomp is false for seccomp=unconfined */
  seccomp: boolean;
}

/** lxcSecurityLines returns the config lines for `security`. */
export function lxcSecurityLines(security: LxcSecurity): string[] {
  const names = security.capabilities.map((cap) => cap.slice('CAP_'.length).toLowerCase());
  return [
    'lxc.cap.drop =',
    ...(security.privileged ? [] : [`lxc.cap.keep = ${names.length > 0 ? names.join(' ') : 'none'}`]),
    ...(security.noNewPrivileges ? ['lxc.no_new_privs = 1'] : []),
    ...(security.seccomp ? [] : ['lxc.seccomp.profile =']),
  ];
}
