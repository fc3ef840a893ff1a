/**
 * `undocker pull REF [-o FILE.tar | --oci DIR]`, `undocker save REF -o FILE.tar` and
 * `undocker push ARCHIVE [IMAGE] REF`: images to and from registries, without Docker.
 */
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { UsageError, UndockerError } from '../errors.js';
import { parsePlatform } from '../image/platform.js';
import type { BlobStore } from '../registry/blob-store.js';
import { chooseCredentials, type Credentials, parseCreds } from '../registry/credentials.js';
import { storeFor } from '../registry/image-archive.js';
import { pullImage } from '../registry/pull.js';
import { pushImage } from '../registry/push.js';
import { familiarName, formatReference, parseReference, type Reference } from '../registry/reference.js';
import { readStoredImage, saveDockerArchive, saveOciLayout } from '../registry/save.js';
import { checkDirectoryTarget, checkParent, fillDirectoryAtomically, writeFileAtomically } from '../output/atomic.js';
import { type ImageOptions, registryFlags, warnPlainHttp, withImage } from './archive.js';
import { printLine } from './output.js';
import { terminalProgress } from './progress.js';

interface RegistryCliOptions extends ImageOptions {
  output?: string;
  oci?: string;
  force?: boolean;
}

/** referenceOf reads REF, with or without docker://; http:// asks for plain HTTP. */
function referenceOf(text: string, options: ImageOptions): { reference: Reference; insecure: boolean } {
  const bare = text.replace(/^docker:\/\//, '');
  const insecure = /^http:\/\//.test(bare) || (options.insecure ?? false);
  const reference = parseReference(bare.replace(/^https?:\/\//, ''));
  if (insecure) warnPlainHttp(reference.registry);
  return { reference, insecure };
}

function credentialsOf(reference: Reference, options: ImageOptions): Credentials | undefined {
  return chooseCredentials(reference.registry, {
    credentials: options.creds === undefined ? undefined : parseCreds(options.creds),
    authFile: options.authfile,
  });
}

async function writeStored(
  store: BlobStore,
  reference: Reference,
  digest: string,
  options: RegistryCliOptions,
): Promise<void> {
  const image = await readStoredImage(store, digest);
  const tags = reference.tag !== undefined ? [familiarName(reference)] : [];
  if (options.output !== undefined) {
    const write = (stream: Writable): Promise<void> => saveDockerArchive(store, image, tags, stream);
    if (options.output === '-') await write(process.stdout);
    else await writeFileAtomically(options.output, write);
  }
  if (options.oci !== undefined)
    await fillDirectoryAtomically(options.oci, options.force ?? false, (dir) => saveOciLayout(store, image, tags, dir));
}

function outputFlags(command: Command): Command {
  return command
    .option('-o, --output <file>', 'write a docker save archive (docker load takes it), or - for standard output')
    .option('--oci <dir>', 'write an OCI image layout directory')
    .option('--force', 'replace a non-empty --oci directory');
}

/** checkOutputs refuses outputs that cannot be written before anything is downloaded. */
async function checkOutputs(options: RegistryCliOptions, command: string): Promise<void> {
  if (options.output === '-' && process.stdout.isTTY)
    throw new UsageError(`${command}: refusing to write an image archive to a terminal; redirect it or name a file`);
  if (options.output !== undefined && options.output !== '-') await checkParent(options.output);
  if (options.oci !== undefined) await checkDirectoryTarget(options.oci, options.force ?? false);
}

/** registerPull adds the pull command. */
export function registerPull(program: Command, signal: AbortSignal): void {
  outputFlags(
    registryFlags(program.command('pull'))
      .description('pull an image from a registry into the local store, and write it as an archive or OCI layout')
      .argument('<ref>', 'nginx, nginx:1.27, ghcr.io/org/app:v1, localhost:5000/app@sha256:...')
      .option('--platform <os/arch[/variant]>', "which platform of a multi-platform image (default: this machine's)")
      .option('-q, --quiet', 'no progress display'),
  ).action(async (text: string, options: RegistryCliOptions) => {
    await checkOutputs(options, 'pull');
    const { reference, insecure } = referenceOf(text, options);
    const store = storeFor();
    const credentials = credentialsOf(reference, options);
    const progress = terminalProgress(`pulling ${formatReference(reference)}`, options.quiet);
    const { manifestDigest } = await pullImage(reference, {
      store,
      insecure,
      signal,
      ...(credentials ? { credentials } : {}),
      ...(progress ? { progress } : {}),
      ...(options.platform !== undefined ? { platform: parsePlatform(options.platform) } : {}),
    });
    await writeStored(store, reference, manifestDigest, options);
    if (options.output !== '-') printLine(`${formatReference(reference)} ${manifestDigest}`);
  });
}

/** registerSave adds the save command. */
export function registerSave(program: Command): void {
  outputFlags(
    program
      .command('save')
      .description('write an image pulled earlier, from the local store, with no network')
      .argument('<ref>', 'the reference it was pulled as'),
  ).action(async (text: string, options: RegistryCliOptions) => {
    await checkOutputs(options, 'save');
    if (options.output === undefined && options.oci === undefined)
      throw new UsageError('save: name the output with -o FILE.tar or --oci DIR');
    const { reference } = referenceOf(text, options);
    const store = storeFor();
    const digest = await store.getRef(formatReference(reference));
    if (digest === undefined || !store.has(digest))
      throw new UndockerError(
        'UNDOCKER_NOT_FOUND',
        `${formatReference(reference)} is not in the local store: undocker pull ${text} first`,
      );
    await writeStored(store, reference, digest, options);
  });
}

/** registerPush adds the push command. */
export function registerPush(program: Command, signal: AbortSignal): void {
  registryFlags(program.command('push'))
    .description('push an image from any archive undocker reads to a registry')
    .argument('<archive>', 'image archive, OCI layout directory, docker://REF, or - for standard input')
    .argument('<image-and-ref...>', '[IMAGE[:TAG]] REF')
    .option('--platform <os/arch[/variant]>', "which platform of a multi-platform image (default: this machine's)")
    .action(async (input: string, rest: string[], options: RegistryCliOptions) => {
      if (rest.length > 2) throw new UsageError(`push: too many arguments: ${rest.join(' ')}`);
      const target = rest[rest.length - 1] as string;
      const selector = rest.length === 2 ? rest[0] : undefined;
      const { reference, insecure } = referenceOf(target, options);
      const credentials = credentialsOf(reference, options);
      // A docker:// source is reached as asked for the target, but with its own registry's credentials.
      const { creds: _targetOnly, ...sourceOptions } = options;
      await withImage(input, selector, sourceOptions, signal, async (image) => {
        const digest = await pushImage(image, reference, { insecure, signal, ...(credentials ? { credentials } : {}) });
        printLine(`${formatReference(reference)} ${digest}`);
      });
    });
}
