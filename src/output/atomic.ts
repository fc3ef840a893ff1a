/**
 * Outputs appear whole or not at all: each is built under a temporary name beside the target
 * and renamed into place at the end; on failure or interruption the temporary is removed.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { UndockerError, isErrno, outputError } from '../errors.js';

function temporaryName(target: string, kind: string): string {
  return join(dirname(target), `.${basename(target)}.undocker-${kind}-${randomBytes(4).toString('hex')}`);
}

/** checkParent fails with one clear line when the folder an output goes in is missing. */
export async function checkParent(target: string): Promise<void> {
  const parent = dirname(target);
  try {
    if ((await stat(parent)).isDirectory()) return;
  } catch (error) {
    if (!isErrno(error, 'ENOENT', 'ENOTDIR')) throw error;
  }
  throw new UndockerError('UNDOCKER_NOT_FOUND', `cannot create ${target}: ${parent} is not an existing directory`);
}

/** writeFileAtomically gives `write` a stream to a temporary file and renames it to `target` once `write` resolves. */
export async function writeFileAtomically(target: string, write: (stream: Writable) => Promise<void>): Promise<void> {
  await checkParent(target);
  const temporary = temporaryName(target, 'tmp');
  const stream = createWriteStream(temporary, { flags: 'wx', mode: 0o644 });
  // Opened before anything can fail: a stream destroyed before it opens would create the file after the unlink below.
  await once(stream, 'open').catch((error: unknown) => Promise.reject(outputError(target, error)));
  try {
    await write(stream);
    await rename(temporary, target);
  } catch (error) {
    stream.destroy();
    await unlink(temporary).catch(() => undefined);
    throw outputError(target, error);
  }
}

/** FileOutput is one file of a set written together: its target and what writes it. */
export interface FileOutput {
  target: string;
  write: (stream: Writable) => Promise<void>;
}

/**
 * writeFilesTogether writes every output under a temporary name and renames them all only when
 * all are written, so a failure leaves none of them; existing targets are refused unless `force`.
 */
export async function writeFilesTogether(outputs: FileOutput[], force: boolean): Promise<void> {
  for (const { target } of outputs) {
    await checkParent(target);
    const exists = await stat(target).then(
      () => true,
      (error: unknown) => (isErrno(error, 'ENOENT') ? false : Promise.reject(error)),
    );
    if (exists && !force)
      throw new UndockerError('UNDOCKER_OUTPUT_EXISTS', `${target} exists: pass --force to replace it`);
  }
  const written: string[] = [];
  let current = outputs[0]?.target ?? '';
  try {
    for (const { target, write } of outputs) {
      current = target;
      const temporary = temporaryName(target, 'tmp');
      written.push(temporary);
      const stream = createWriteStream(temporary, { flags: 'wx', mode: 0o644 });
      await once(stream, 'open');
      try {
        await write(stream);
      } finally {
        stream.destroy();
      }
    }
    for (const [i, { target }] of outputs.entries()) await rename(written[i] as string, target);
  } catch (error) {
    for (const temporary of written) await unlink(temporary).catch(() => undefined);
    throw outputError(current, error);
  }
}

async function directoryState(path: string): Promise<'missing' | 'empty' | 'full'> {
  try {
    const info = await stat(path);
    if (!info.isDirectory()) throw new UndockerError('UNDOCKER_OUTPUT_EXISTS', `${path} exists and is not a directory`);
    return (await readdir(path)).length === 0 ? 'empty' : 'full';
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return 'missing';
    throw error;
  }
}

/**
 * checkDirectoryTarget fails with one clear line unless `target` can be filled: new or empty,
 * or replaced with `force`, in an existing folder. Callers with slow work check first.
 */
export async function checkDirectoryTarget(target: string, force: boolean): Promise<'missing' | 'empty' | 'full'> {
  const state = await directoryState(target);
  if (state === 'full' && !force) {
    throw new UndockerError(
      'UNDOCKER_OUTPUT_EXISTS',
      `${target} is not empty: choose an empty or new directory, or pass --force to replace it`,
    );
  }
  await checkParent(target);
  return state;
}

/**
 * fillDirectoryAtomically lets `fill` populate a fresh 0700 directory, then moves it to
 * `target`. An existing non-empty target is refused unless `force`, which replaces it.
 */
export async function fillDirectoryAtomically(
  target: string,
  force: boolean,
  fill: (directory: string) => Promise<void>,
): Promise<void> {
  const state = await checkDirectoryTarget(target, force);
  const temporary = temporaryName(target, 'tmp');
  await mkdir(temporary, { mode: 0o700 }).catch((error: unknown) => Promise.reject(outputError(target, error)));
  try {
    await fill(temporary);
    if (state === 'full') {
      const old = temporaryName(target, 'old');
      await rename(target, old);
      await rename(temporary, target);
      await rm(old, { recursive: true, force: true });
    } else {
      // rename(2) replaces an empty directory in one step.
      await rename(temporary, target);
    }
  } catch (error) {
    await rm(temporary, { recursive: true, force: true }).catch(() => undefined);
    throw outputError(target, error);
  }
}
