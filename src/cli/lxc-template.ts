/**
 * `undocker lxc-template ARCHIVE [IMAGE] DIR`: DIR/meta.tar.xz and DIR/rootfs.tar.xz for
 * `lxc-create -t local`, and the command line that imports them.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { renderLxcConfig, renderLxcLauncher, TEMPLATE_CONFIG } from '../generate/lxc-config.js';
import { helperTree } from '../install/helper-tree.js';
import { findIdentityHelper } from '../launch/identity-helper.js';
import { lxcCreateArgs, type LxcTemplateFiles, writeLxcTemplate } from '../install/lxc-template.js';
import { renderTemplate } from '../generate/template.js';
import { describeImage } from '../image/select.js';
import type { Image } from '../image/types.js';
import { withImage } from './archive.js';
import { containerName, generatorCommand, headerOf, runSpecOf, Warnings } from './generate.js';
import type { LxcCommandOptions } from './lxcconfig.js';
import { printLine, printWarning } from './output.js';
import { privilegesOf, type Privileges } from './security-options.js';
import { wallsOf } from './wall-options.js';
import type { Walls } from '../config/tmpfs-ulimits.js';
import { keepYoungGenerationSmall } from '../host/young-generation.js';

function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** lxcTemplateFiles renders what goes into meta.tar.xz: the container config and the create message. */
export async function lxcTemplateFiles(
  image: Image,
  input: string,
  name: string,
  options: LxcCommandOptions & Privileges & { walls: Walls },
  signal: AbortSignal,
  warnings: Warnings,
): Promise<LxcTemplateFiles> {
  const { spec } = await runSpecOf(image, input, name, warnings.add, signal);
  // The rootfs is undocker's to write: the launcher in it holds the command whole, for lxc-start and lxc-execute.
  const helper = findIdentityHelper();
  const configOptions = {
    templateConfig: TEMPLATE_CONFIG,
    launcher: helper,
    executeOnly: options.executeOnly ?? false,
    header: headerOf(image),
    warn: warnings.add,
    ...(options.capabilities !== undefined ? { capabilities: options.capabilities } : {}),
    ...(options.privileged ? { privileged: true } : {}),
    ...(options.noNewPrivileges ? { noNewPrivileges: true } : {}),
    ...(options.seccomp === false ? { seccomp: false } : {}),
    walls: options.walls,
    ...(options.volumeDir !== undefined ? { volumeDir: options.volumeDir } : {}),
  };
  const config = renderLxcConfig(spec, configOptions);
  const launcher = renderLxcLauncher(spec, configOptions);
  const createMessage = renderTemplate('lxc-create-message', {
    image: describeImage(image),
    start_line: options.executeOnly
      ? "lxc-start boots the image's own /sbin/init (made with --execute-only)."
      : 'Start it as a service with lxc-start -n NAME.',
  });
  return { config, createMessage, helper: helperTree(helper, launcher) };
}

/** registerLxcTemplate adds the lxc-template command. */
export function registerLxcTemplate(program: Command, signal: AbortSignal): void {
  generatorCommand(
    program,
    'lxc-template',
    'write meta.tar.xz and rootfs.tar.xz for lxc-create -t local, and print the lxc-create line',
    'DIR',
  )
    .usage('[options] <archive> [image] <dir>')
    .option(
      '--execute-only',
      "leave lxc.init.cmd out, so lxc-start boots the image's own /sbin/init; lxc-execute still runs the command",
    )
    .option('--force', 'replace meta.tar.xz and rootfs.tar.xz if DIR has them')
    .action(async (input: string, rest: string[], options: LxcCommandOptions & { force?: boolean }) => {
      if (rest.length === 0)
        throw new UsageError('lxc-template: name the DIR to write meta.tar.xz and rootfs.tar.xz into');
      if (rest.length > 2) throw new UsageError(`lxc-template: too many arguments: ${rest.join(' ')}`);
      const dir = rest[rest.length - 1] as string;
      const selector = rest.length === 2 ? rest[0] : undefined;
      const privileges = privilegesOf(options); // checked before the image is opened
      const walls = wallsOf(options);
      keepYoungGenerationSmall();
      await withImage(input, selector, options, signal, async (image) => {
        const name = containerName(options, image);
        const warnings = new Warnings();
        const files = await lxcTemplateFiles(
          image,
          input,
          name,
          { ...options, ...privileges, walls },
          signal,
          warnings,
        );
        await writeLxcTemplate(image, dir, files, { signal, force: options.force ?? false, warn: printWarning });
        warnings.print();
        printLine(lxcCreateArgs(name, dir).map(shellWord).join(' '));
      });
    });
}
