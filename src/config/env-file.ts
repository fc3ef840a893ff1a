/**
 * docker run's --env-file and -e formats: `NAME=VALUE` taken as written (no quotes, no
 * expansion), `NAME` alone takes the host's value and is left out when the host has none,
 * blank lines and `#` comments are skipped.
 */
import { UsageError } from '../errors.js';

/** toEnvEntry turns one -e or env-file entry into NAME=VALUE, or undefined when NAME is unset on the host. */
export function toEnvEntry(entry: string, where: string, hostEnv: NodeJS.ProcessEnv = process.env): string | undefined {
  const equals = entry.indexOf('=');
  const name = equals < 0 ? entry : entry.slice(0, equals);
  if (name === '' || /\s/.test(name))
    throw new UsageError(
      `${where}: ${JSON.stringify(entry)}: the variable name ${name === '' ? 'is empty' : 'holds whitespace'}`,
    );
  if (equals >= 0) return entry;
  const value = hostEnv[name];
  return value === undefined ? undefined : `${name}=${value}`;
}

/** parseEnvFile reads an env file's text; `file` names it in errors. */
export function parseEnvFile(text: string, file: string, hostEnv: NodeJS.ProcessEnv = process.env): string[] {
  const entries: string[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.replace(/\r$/, '').replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const entry = toEnvEntry(line, `${file} line ${index + 1}`, hostEnv);
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}
