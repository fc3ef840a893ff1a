/**
 * `undocker lxcconfig ARCHIVE [IMAGE] [FILE|-]`: an LXC container config for the image.
 */
import type { Command } from 'commander';
import { renderLxcConfig, TEMPLATE_CONFIG } from '../generate/lxc-config.js';
import { withImage } from './archive.js';
import {
  containerName,
  emit,
  generatorCommand,
  type GeneratorOptions,
  headerOf,
  runSpecOf,
  splitImageAndOutput,
  Warnings,
} from './generate.js';
import { privilegesOf } from './security-options.js';
import { wallsOf } from './wall-options.js';

/** LxcCommandOptions are the options of the LXC generators. */
export interface LxcCommandOptions extends GeneratorOptions {
  templateConfig?: string;
  executeOnly?: boolean;
}

/** registerLxcConfig adds the lxcconfig command. */
export function registerLxcConfig(program: Command, signal: AbortSignal): void {
  generatorCommand(program, 'lxcconfig', "write an LXC container config that runs the image's command", 'FILE|-')
    .option(
      '--template-config <dir>',
      `LXC's config folder for lxc.include (default: ${TEMPLATE_CONFIG}, which lxc-create -t local fills in)`,
    )
    .option(
      '--execute-only',
      'leave lxc.init.cmd out, for a command that only lxc.execute.cmd can hold (arguments with spaces)',
    )
    .action(async (input: string, rest: string[], options: LxcCommandOptions) => {
      const { selector, output } = splitImageAndOutput('lxcconfig', rest);
      const privileges = privilegesOf(options); // checked before the image is opened
      const walls = wallsOf(options);
      await withImage(input, selector, options, signal, async (image) => {
        const name = containerName(options, image, { path: output, suffix: /\.conf$/ });
        const warnings = new Warnings();
        const { spec } = await runSpecOf(image, input, name, warnings.add, signal);
        const text = renderLxcConfig(spec, {
          templateConfig: options.templateConfig ?? TEMPLATE_CONFIG,
          executeOnly: options.executeOnly ?? false,
          header: headerOf(image),
          warn: warnings.add,
          ...privileges,
          walls,
          ...(options.volumeDir !== undefined ? { volumeDir: options.volumeDir } : {}),
        });
        await emit(text, output);
        warnings.print();
      });
    });
}
