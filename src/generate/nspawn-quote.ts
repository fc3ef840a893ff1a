/**
 * Quoting for `.nspawn` files (systemd.nspawn(5)), as systemd 252 reads Parameters= and
 * Environment= (extract_first_word with EXTRACT_UNQUOTE|EXTRACT_RETAIN_ESCAPE), found by
 * running the real parser: `'…'` and `"…"` quote anything but their own quote character,
 * backslashes are always literal (no escapes, even before a quote), quoted and bare pieces
 * join into one word, and `%` and `$` mean nothing. A trailing backslash would continue the
 * line, and a newline or carriage return cannot be written at all.
 */
import { UndockerError } from '../errors.js';

const BARE = /^[A-Za-z0-9_@%+=:,./-]+$/;
const UNWRITABLE = /[\n\r\0]/;

/** quoteNspawnWord writes one word so systemd reads it back exactly; `what` names it in errors. */
export function quoteNspawnWord(word: string, what: string): string {
  if (UNWRITABLE.test(word)) {
    throw new UndockerError(
      'UNDOCKER_UNSUPPORTED',
      `${what} ${JSON.stringify(word)} holds a newline or carriage return, which a .nspawn file cannot express; ` +
        `run it with undocker run or systemd-nspawn directly`,
    );
  }
  if (BARE.test(word)) return word;
  // Double-quote runs without `"`; a `"` itself goes in single quotes; the pieces join.
  return (
    word
      .split(/(")/)
      .filter((piece) => piece !== '')
      .map((piece) => (piece === '"' ? `'"'` : `"${piece}"`))
      .join('') || '""'
  );
}

/** toNspawnPath checks a path for settings that take the rest of the line unquoted (WorkingDirectory=). */
export function toNspawnPath(path: string, what: string): string {
  if (UNWRITABLE.test(path) || path.trim() !== path) {
    throw new UndockerError(
      'UNDOCKER_UNSUPPORTED',
      `${what} ${JSON.stringify(path)} has a newline or surrounding whitespace, which a .nspawn file cannot express`,
    );
  }
  return path;
}
