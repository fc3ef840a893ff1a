/**
 * Where undocker keeps flattened images and containers: /var/lib/undocker as root, else
 * $XDG_CACHE_HOME/undocker (~/.cache/undocker); UNDOCKER_CACHE overrides both.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** cacheRoot returns the cache folder for this user and environment. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.UNDOCKER_CACHE) return env.UNDOCKER_CACHE;
  if (process.getuid?.() === 0) return '/var/lib/undocker';
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'undocker');
}
