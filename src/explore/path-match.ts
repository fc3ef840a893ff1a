/**
 * Matching layer entry paths (`/etc/passwd`) as `find` takes them: a glob, where `*` and `?`
 * stay within one name and `**` crosses folders, anchored at the root when it starts with `/`
 * and matching at any depth otherwise; or a regular expression, searched in the path.
 */
import { UsageError } from '../errors.js';

/** toPathMatcher turns `pattern` into a test on `/path`; `command` names the flag's owner in errors. */
export function toPathMatcher(pattern: string, regex: boolean, command: string): (path: string) => boolean {
  if (regex) {
    let compiled: RegExp;
    try {
      compiled = new RegExp(pattern);
    } catch (error) {
      throw new UsageError(`${command}: ${pattern}: not a regular expression: ${(error as Error).message}`);
    }
    return (path) => compiled.test(path);
  }
  const anchored = pattern.startsWith('/') ? pattern.slice(1) : `**/${pattern}`;
  const source = anchored
    .split(/(\*\*\/|\*\*|\*|\?)/)
    .map((piece) => {
      if (piece === '**/') return '(?:.*/)?';
      if (piece === '**') return '.*';
      if (piece === '*') return '[^/]*';
      if (piece === '?') return '[^/]';
      return piece.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  const compiled = new RegExp(`^/${source}$`);
  return (path) => compiled.test(path);
}
