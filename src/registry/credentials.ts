/**
 * Registry credentials: `--creds USER:PASS`, else the `auths` of an auth file (`--authfile`, else
 * `~/.docker/config.json`), where Docker and skopeo keep them as base64 `user:password`. Docker
 * Hub is filed under its historic key `https://index.docker.io/v1/`.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { DOCKER_HUB } from './reference.js';

/** Credentials are a user name and password (or token). */
export interface Credentials {
  username: string;
  password: string;
}

/** parseCreds reads --creds USER:PASS. */
export function parseCreds(text: string): Credentials {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new UsageError('--creds: use USER:PASSWORD');
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

function keysFor(registry: string): string[] {
  if (registry === DOCKER_HUB)
    return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
  return [registry, `https://${registry}`, `http://${registry}`];
}

/** credentialsFor looks up `registry` in an auth file; a missing default file means anonymous. */
export function credentialsFor(registry: string, authFile?: string): Credentials | undefined {
  const path = authFile ?? join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (authFile === undefined) return undefined;
    throw new UsageError(`--authfile ${authFile}: ${(error as Error).message}`);
  }
  let auths: Record<string, { auth?: string; username?: string; password?: string }> | undefined;
  try {
    auths = (JSON.parse(text) as { auths?: typeof auths }).auths;
  } catch (error) {
    throw new UsageError(`${path}: not JSON: ${(error as Error).message}`);
  }
  for (const key of keysFor(registry)) {
    const entry = auths?.[key] ?? auths?.[`${key}/`];
    if (entry === undefined) continue;
    if (entry.username !== undefined && entry.password !== undefined)
      return { username: entry.username, password: entry.password };
    if (entry.auth !== undefined) return parseCreds(Buffer.from(entry.auth, 'base64').toString('utf8'));
  }
  return undefined;
}

/** chooseCredentials picks given credentials (--creds), else the auth file's entry for `registry`. */
export function chooseCredentials(
  registry: string,
  given: { credentials?: Credentials | undefined; authFile?: string | undefined },
): Credentials | undefined {
  return given.credentials ?? credentialsFor(registry, given.authFile);
}
