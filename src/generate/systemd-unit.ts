/**
 * systemd service units for containers (from templates/undocker-container.service) and the boot
 * service that starts containers with a restart policy (templates/undocker-restart.service).
 * A container's unit runs it in the foreground (`undocker start --attach`), so its output goes
 * to the journal, and maps its --restart policy onto Restart=, as podman's Quadlet units do.
 */
import { renderTemplate } from './template.js';

/** UnitPolicy is a container's restart policy, as a unit needs it. */
export interface UnitPolicy {
  name: 'no' | 'on-failure' | 'always' | 'unless-stopped';
  maximumRetryCount: number;
}

/** UnitInput is what a container's unit names. */
export interface UnitInput {
  header: string;
  name: string;
  image: string;
  /** undocker is the argv that runs undocker (node and the script) */
  undocker: string[];
  cacheRoot: string;
  stopTimeout: number;
  restart: UnitPolicy;
}

/**
 * quoteSystemdWord writes one word of an Exec*= line so systemd reads it back as it is: double
 * quotes with `\\` and `"` escaped, and `%` and `$` doubled, since systemd expands both.
 */
export function quoteSystemdWord(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

/** cacheSettings fill the slots that name the cache: RequiresMountsFor=, and the Environment= naming it. */
function cacheSettings(cacheRoot: string): { cache: string; environment: string } {
  const path = cacheRoot.replace(/%/g, '%%');
  return { cache: path, environment: `"${`UNDOCKER_CACHE=${path}`.replace(/[\\"]/g, (c) => `\\${c}`)}"` };
}

/** unitName is the file name of a container's unit. */
export function unitName(container: string): string {
  return `undocker-${container}.service`;
}

const RESTART: Record<UnitPolicy['name'], string> = {
  no: 'no',
  'on-failure': 'on-failure',
  always: 'always',
  // systemd never restarts a unit stopped by hand, which is what unless-stopped asks.
  'unless-stopped': 'always',
};

/** renderContainerUnit renders a container's service unit. */
export function renderContainerUnit(input: UnitInput): string {
  const undocker = input.undocker.map(quoteSystemdWord).join(' ');
  const retries = input.restart.name === 'on-failure' ? input.restart.maximumRetryCount : 0;
  return `${renderTemplate('undocker-container.service', {
    header: input.header,
    name: input.name,
    unit: unitName(input.name),
    image: input.image.replace(/%/g, '%%'),
    ...cacheSettings(input.cacheRoot),
    undocker,
    stop_timeout: String(input.stopTimeout),
    // The unit's own stop waits for undocker stop's: its timeout, and some seconds to spare.
    stop_timeout_sec: String(input.stopTimeout + 10),
    restart: RESTART[input.restart.name],
    // on-failure:N: N restarts, then the unit stays failed (the first start is one more).
    restart_limit: retries > 0 ? ['StartLimitIntervalSec=infinity', `StartLimitBurst=${retries + 1}`] : [],
  })}\n`;
}

/** renderRestartUnit renders the boot service that starts containers with a restart policy. */
export function renderRestartUnit(header: string, undocker: string[], cacheRoot: string): string {
  return `${renderTemplate('undocker-restart.service', {
    header,
    ...cacheSettings(cacheRoot),
    undocker: undocker.map(quoteSystemdWord).join(' '),
  })}\n`;
}
