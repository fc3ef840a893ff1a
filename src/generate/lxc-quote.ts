/**
 * Quoting for LXC configs (lxc.container.conf(5)), which have no escapes. Found by running
 * LXC 5.0: lxc.execute.cmd is split by lxc_string_split_quoted (a word that starts with `'` or
 * `"` runs to the next same quote; other words run to whitespace, quotes in them literal);
 * lxc.init.cmd is split on spaces only, quotes literal; every value is trimmed of surrounding
 * whitespace; and lxc-create's `local` template rewrites LXC_NAME, LXC_PATH, LXC_ROOTFS,
 * LXC_TEMPLATE_CONFIG and LXC_HOOK_DIR anywhere in the file. What cannot be written is
 * refused, naming it: a mangled command is never written.
 */
import { UndockerError } from '../errors.js';

/** TEMPLATE_WORDS are what lxc-local's sed replaces in the config it installs. */
export const TEMPLATE_WORDS = ['LXC_NAME', 'LXC_PATH', 'LXC_ROOTFS', 'LXC_TEMPLATE_CONFIG', 'LXC_HOOK_DIR'];

function refuse(what: string, value: string, why: string): never {
  throw new UndockerError(
    'UNDOCKER_UNSUPPORTED',
    `${what} ${JSON.stringify(value)} cannot be written in an LXC config: ${why}`,
  );
}

function checkValue(value: string, what: string): void {
  if (/[\n\r\0]/.test(value)) refuse(what, value, 'it holds a newline or carriage return');
  const word = TEMPLATE_WORDS.find((w) => value.includes(w));
  if (word !== undefined) refuse(what, value, `it holds ${word}, which lxc-create's local template rewrites`);
}

/** quoteExecuteWord writes one lxc.execute.cmd word. */
export function quoteExecuteWord(word: string, what: string): string {
  checkValue(word, what);
  if (word !== '' && !/\s/.test(word) && !/^['"]/.test(word)) return word;
  if (!word.includes('"')) return `"${word}"`;
  if (!word.includes("'")) return `'${word}'`;
  return refuse(what, word, 'it needs quoting and holds both kinds of quote');
}

/** toInitWord checks one lxc.init.cmd word, which is split on spaces with no quoting at all. */
export function toInitWord(word: string, what: string): string {
  checkValue(word, what);
  if (word === '') refuse(what, word, 'lxc.init.cmd, which lxc-start runs, cannot hold an empty word');
  if (word.includes(' '))
    refuse(what, word, 'lxc.init.cmd, which lxc-start runs, splits on every space, quotes or not');
  return word;
}

/** toLxcValue checks a value that runs to the end of its line, such as an lxc.environment entry. */
export function toLxcValue(value: string, what: string): string {
  checkValue(value, what);
  if (/\s$/.test(value)) refuse(what, value, 'LXC trims the whitespace it ends in');
  return value;
}
