/**
 * Parsers for option values that several commands take, checked by commander before anything is
 * opened: whole seconds (run's --stop-timeout, stop's --time) and signals (run's --stop-signal,
 * kill's --signal).
 */
import { InvalidArgumentError } from 'commander';
import { toStopSignal } from '../config/stop-signal.js';

/** wholeSeconds reads a number of whole seconds, 0 or more. */
export function wholeSeconds(text: string): number {
  const seconds = Number(text);
  if (text.trim() === '' || !Number.isInteger(seconds) || seconds < 0)
    throw new InvalidArgumentError('Give whole seconds, like 10.');
  return seconds;
}

/** signalName reads a signal by name, short name or number, and returns its full name (SIGTERM). */
export function signalName(text: string): string {
  try {
    return toStopSignal(text, 'signal');
  } catch {
    throw new InvalidArgumentError('Give a signal name or number, like SIGINT, INT or 2.');
  }
}
