/**
 * What the generator commands share: `ARCHIVE [IMAGE] [FILE|-]` arguments, the run spec of
 * the chosen image, and writing the result to a file (whole or not at all) or to stdout.
 */
import { basename } from 'node:path';
import type { Command } from 'commander';
import { loadRunSpec, type ImageRunSpec, USER_DB_FILES } from '../config/load-run-spec.js';
import { probeRootfs } from '../flatten/rootfs-probe.js';
import { checkMachineName, toMachineName } from '../config/machine-name.js';
import { securityFlags, type SecurityFlags } from './security-options.js';
import { type WallFlags, wallFlags } from './wall-options.js';
import { UsageError } from '../errors.js';
import { generatedHeader } from '../generate/header.js';
import { describeImage } from '../image/select.js';
import { shortId } from '../image/digest.js';
import type { Image } from '../image/types.js';
import { writeFileAtomically } from '../output/atomic.js';
import { type ImageOptions, registryFlags } from './archive.js';
import { VERSION } from './version.js';
import { printWarning } from './output.js';

/** GeneratorOptions are the options every generator takes. */
export interface GeneratorOptions extends ImageOptions, SecurityFlags, WallFlags {
  name?: string;
  volumeDir?: string;
}

/** splitImageAndOutput reads `[IMAGE] [FILE|-]`: one argument is the output, as with rootfs. */
export function splitImageAndOutput(command: string, rest: string[]): { selector?: string; output?: string } {
  if (rest.length > 2) throw new UsageError(`${command}: too many arguments: ${rest.join(' ')}`);
  if (rest.length === 2) return { selector: rest[0] as string, output: rest[1] as string };
  return rest.length === 1 ? { output: rest[0] as string } : {};
}

/** generatorCommand adds a subcommand with the generators' shared arguments and options. */
export function generatorCommand(program: Command, name: string, description: string, outputHelp: string): Command {
  return wallFlags(
    securityFlags(
      registryFlags(
        program
          .command(name)
          .description(description)
          .argument('<archive>', 'image archive, OCI layout directory, or - for standard input')
          .argument('[image-and-output...]', `[IMAGE[:TAG]] [${outputHelp}]`)
          .option('--name <name>', 'container and machine name (default: from the output file or the image name)')
          .option(
            '--volume-dir <dir>',
            "bind each of the image's volumes from a folder under DIR instead of a temporary file system",
          )
          .option(
            '--platform <os/arch[/variant]>',
            "which platform of a multi-platform image (default: this machine's)",
          ),
      ),
    ),
  );
}

/** headerOf is the first comment line of a generated file. */
export function headerOf(image: Image): string {
  return generatedHeader(VERSION, describeImage(image), shortId(image.id));
}

/** containerName picks the name: --name, else the output file's (NAME.nspawn), else the image's. */
export function containerName(
  options: GeneratorOptions,
  image: Image,
  output?: { path: string | undefined; suffix: RegExp },
): string {
  if (options.name !== undefined) return checkMachineName(options.name);
  if (output?.path !== undefined && output.path !== '-') {
    const { path, suffix } = output;
    const fromFile = basename(path).replace(suffix, '');
    if (fromFile !== basename(path) && fromFile !== '') return checkMachineName(fromFile);
  }
  return toMachineName(describeImage(image));
}

/** runSpecOf loads the run spec of `image`. */
export async function runSpecOf(
  image: Image,
  input: string,
  name: string,
  warn: (message: string) => void,
  signal: AbortSignal,
): Promise<ImageRunSpec> {
  const probe = await probeRootfs(image, USER_DB_FILES, { signal });
  return loadRunSpec(image, {
    where: `image ${describeImage(image)} of ${input === '-' ? 'standard input' : input}`,
    name,
    warn,
    probe,
  });
}

/**
 * Warnings holds a generator's warnings until it has succeeded: a run that fails prints only
 * its one error line.
 */
export class Warnings {
  private readonly messages: string[] = [];
  readonly add = (message: string): void => {
    this.messages.push(message);
  };

  /** print writes each warning once. */
  print(): void {
    for (const message of new Set(this.messages)) printWarning(`warning: ${message}`);
  }
}

/** emit writes generated text to `output` (a file, renamed into place) or to stdout. */
export async function emit(text: string, output: string | undefined): Promise<void> {
  const data = text.endsWith('\n') ? text : `${text}\n`;
  if (output === undefined || output === '-') {
    process.stdout.write(data);
    return;
  }
  await writeFileAtomically(output, async (stream) => {
    await new Promise<void>((resolve, reject) =>
      stream.end(data, (error?: Error | null) => (error ? reject(error) : resolve())),
    );
  });
}
