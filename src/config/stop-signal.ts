/**
 * StopSignal as Docker accepts it (`SIGTERM`, `TERM`, `15`, `SIGRTMIN+3`), normalised to the
 * `SIGNAME` spelling that both systemd-nspawn's KillSignal= and LXC's lxc.signal.stop read.
 */
import { constants } from 'node:os';
import { UndockerError } from '../errors.js';

/** DEFAULT_STOP_SIGNAL is what Docker sends when the image names none. */
export const DEFAULT_STOP_SIGNAL = 'SIGTERM';

const BY_NUMBER = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name]));
const REALTIME = /^(SIG)?RTM(IN|AX)([+-]\d+)?$/;

/** toStopSignal normalises a StopSignal field; `where` names the image for messages. */
export function toStopSignal(field: string, where: string): string {
  if (field === '') return DEFAULT_STOP_SIGNAL;
  const upper = field.toUpperCase();
  if (/^\d+$/.test(upper)) {
    const name = BY_NUMBER.get(Number(upper));
    if (name !== undefined) return name;
  } else {
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    if (name in constants.signals) return name;
    if (REALTIME.test(upper)) return name;
  }
  throw new UndockerError('UNDOCKER_BAD_ARCHIVE', `${where}: StopSignal ${JSON.stringify(field)} is not a signal`);
}
