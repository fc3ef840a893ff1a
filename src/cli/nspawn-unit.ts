/**
 * `undocker nspawn-unit ARCHIVE [IMAGE] [FILE|-]`: a systemd-nspawn settings file for the image.
 */
import type { Command } from 'commander';
import { type NspawnNetwork, renderNspawnUnit } from '../generate/nspawn-unit.js';
import { withImage } from './archive.js';
import { networkOption, USERNS_HELP, usernsOption } from './choice-options.js';
import type { Userns } from '../launch/run-request.js';
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

type UnitOptions = GeneratorOptions & { network: NspawnNetwork; userns: Userns };

/** registerNspawnUnit adds the nspawn-unit command. */
export function registerNspawnUnit(program: Command, signal: AbortSignal): void {
  generatorCommand(
    program,
    'nspawn-unit',
    "write a systemd-nspawn settings file (NAME.nspawn) that runs the image's command",
    'FILE.nspawn|-',
  )
    .addOption(networkOption("the host's network, none, or a veth pair with the image's ports mapped"))
    .addOption(usernsOption(USERNS_HELP))
    .action(async (input: string, rest: string[], options: UnitOptions) => {
      const { selector, output } = splitImageAndOutput('nspawn-unit', rest);
      const privileges = privilegesOf(options); // checked before the image is opened
      const walls = wallsOf(options);
      await withImage(input, selector, options, signal, async (image) => {
        const name = containerName(options, image, { path: output, suffix: /\.nspawn$/ });
        const warnings = new Warnings();
        const { spec, hasGetent } = await runSpecOf(image, input, name, warnings.add, signal);
        const text = renderNspawnUnit(spec, {
          name,
          network: options.network,
          hasGetent,
          header: headerOf(image),
          warn: warnings.add,
          ...privileges,
          walls,
          userns: options.userns,
          ...(options.volumeDir !== undefined ? { volumeDir: options.volumeDir } : {}),
        });
        await emit(text, output);
        warnings.print();
      });
    });
}
