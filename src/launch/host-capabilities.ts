/**
 * The capabilities this host can hand a container: undocker's own bounding set, which is what
 * ALL and --privileged mean here (a machine without CAP_SYS_RESOURCE cannot give it).
 */
import { readFileSync } from 'node:fs';
import { CAPABILITIES, type Capability, capabilitiesOfMask } from '../config/capabilities.js';

/** hostCapabilities is this process's bounding set, limited to the capabilities this kernel knows. */
export function hostCapabilities(): Capability[] {
  const status = readFileSync('/proc/self/status', 'utf8');
  const bounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  const lastCap = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  const known = CAPABILITIES.slice(0, lastCap + 1);
  return bounding === undefined ? [...known] : capabilitiesOfMask(bounding).filter((cap) => known.includes(cap));
}
