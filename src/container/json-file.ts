/**
 * The small JSON files containers and volumes are recorded in: written whole under a temporary
 * name and renamed, so a reader never sees half of one; read as undefined when missing or cut.
 * A record's folder is made under a dot name and renamed too, so listings skip dot names.
 */
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** writeJson replaces `file` with `value` by rename. */
export function writeJson(file: string, value: unknown): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(temporary, file);
}

/** readJson reads a JSON file, or undefined when it is missing or half made. */
export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** recordNames lists the complete records in `dir`: every entry but those being made (dot names); none if no dir. */
export function recordNames(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => !name.startsWith('.'));
  } catch {
    return [];
  }
}
