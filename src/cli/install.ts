/**
 * `undocker install ARCHIVE [IMAGE] --name NAME` makes a machinectl image (or, with
 * `--runtime lxc`, an LXC container); `undocker uninstall NAME` removes what install made.
 */
import type { Command } from 'commander';
import { UndockerError, UsageError } from '../errors.js';
import { type NspawnNetwork, renderNspawnLauncher, renderNspawnUnit } from '../generate/nspawn-unit.js';
import { helperTree } from '../install/helper-tree.js';
import { defaultLxcPath, installLxcContainer, uninstallLxcContainer } from '../install/lxc-container.js';
import { installNspawnMachine, MACHINES_DIR, NSPAWN_DIR, uninstallNspawnMachine } from '../install/nspawn-machine.js';
import type { Image } from '../image/types.js';
import { ARCHIVE_HELP, type ImageOptions, registryFlags, withImage } from './archive.js';
import { networkOption, runtimeOption, USERNS_HELP, usernsOption } from './choice-options.js';
import type { Userns } from '../launch/run-request.js';
import { containerName, headerOf, runSpecOf, Warnings } from './generate.js';
import { lxcTemplateFiles } from './lxc-template.js';
import { printLine, printWarning } from './output.js';
import { privilegesOf, securityFlags, securityOf, type SecurityFlags } from './security-options.js';
import { type WallFlags, wallFlags, wallsOf } from './wall-options.js';
import { findIdentityHelper } from '../launch/identity-helper.js';
import { keepYoungGenerationSmall } from '../host/young-generation.js';

interface Places {
  machinesDir: string;
  nspawnDir: string;
  lxcpath?: string;
}

interface InstallOptions extends Places, ImageOptions, SecurityFlags, WallFlags {
  name?: string;
  runtime: 'nspawn' | 'lxc';
  network: NspawnNetwork;
  volumeDir?: string;
  executeOnly?: boolean;
  force?: boolean;
  platform?: string;
  userns: Userns;
}

function placeOptions(command: Command): Command {
  return command
    .option('--machines-dir <dir>', 'where machine images go', MACHINES_DIR)
    .option('--nspawn-dir <dir>', 'where .nspawn settings files go', NSPAWN_DIR)
    .option('--lxcpath <dir>', "where LXC containers go (default: LXC's lxc.lxcpath)");
}

async function installNspawn(
  image: Image,
  input: string,
  name: string,
  options: InstallOptions,
  signal: AbortSignal,
  warnings: Warnings,
): Promise<void> {
  const { spec, hasGetent } = await runSpecOf(image, input, name, warnings.add, signal);
  // The machine's tree is undocker's: the identity helper goes in it, so no getent is needed, and the launcher
  // beside it holds the command whole.
  const helper = findIdentityHelper();
  const unitOptions = {
    name,
    network: options.network,
    hasGetent,
    header: headerOf(image),
    warn: warnings.add,
    helper,
    ...privilegesOf(options),
    walls: wallsOf(options),
    userns: options.userns,
    ...(options.volumeDir !== undefined ? { volumeDir: options.volumeDir } : {}),
  };
  const unit = renderNspawnUnit(spec, unitOptions);
  const launcher = renderNspawnLauncher(spec, unitOptions);
  const paths = await installNspawnMachine(image, name, unit, {
    ...options,
    helper: helperTree(helper, launcher),
    force: options.force ?? false,
    signal,
    warn: printWarning,
  });
  warnings.print();
  printLine(`installed machine ${name}: ${paths.rootfs} and ${paths.unit}`);
  printLine(`run it with: systemd-nspawn -M ${name}   (or machinectl start ${name}, where systemd runs machines)`);
}

async function installLxc(
  image: Image,
  input: string,
  name: string,
  options: InstallOptions,
  signal: AbortSignal,
  warnings: Warnings,
): Promise<void> {
  const files = await lxcTemplateFiles(
    image,
    input,
    name,
    { ...options, ...privilegesOf(options), walls: wallsOf(options) },
    signal,
    warnings,
  );
  const lxcPath = options.lxcpath ?? (await defaultLxcPath());
  const dir = await installLxcContainer(image, name, files, {
    lxcPath,
    network: options.network,
    force: options.force ?? false,
    signal,
    warn: printWarning,
  });
  warnings.print();
  printLine(`installed LXC container ${name}: ${dir}`);
  printLine(`run it with: lxc-${options.executeOnly ? 'execute' : 'start'} -P ${lxcPath} -n ${name}`);
}

/** registerInstall adds the install command. */
export function registerInstall(program: Command, signal: AbortSignal): void {
  placeOptions(
    wallFlags(securityFlags(registryFlags(program.command('install'))))
      .description(
        'make a machinectl image (/var/lib/machines/NAME and its .nspawn), or an LXC container with --runtime lxc',
      )
      .argument('<archive>', ARCHIVE_HELP)
      .argument('[image]', 'IMAGE[:TAG], or an image id or digest prefix')
      .option('--name <name>', 'machine or container name (default: from the image name)')
      .addOption(runtimeOption('systemd-nspawn machine or LXC container'))
      .addOption(networkOption("the host's network, none, or a private veth pair"))
      .addOption(usernsOption(USERNS_HELP))
      .option(
        '--volume-dir <dir>',
        "bind each of the image's volumes from a folder under DIR instead of a temporary file system",
      )
      .option('--execute-only', "LXC: leave lxc.init.cmd out, so lxc-start boots the image's own /sbin/init")
      .option('--force', 'replace a machine or container of that name')
      .option('--platform <os/arch[/variant]>', "which platform of a multi-platform image (default: this machine's)"),
  ).action(async (input: string, selector: string | undefined, options: InstallOptions) => {
    securityOf(options); // checked before the image is opened
    wallsOf(options);
    if (options.runtime === 'lxc' && options.userns === 'auto')
      throw new UsageError(
        'install --runtime lxc: --userns auto is for systemd-nspawn machines and undocker run; an installed LXC ' +
          "container takes its ids from lxc.idmap, with root's /etc/subuid range, in the config lxc-create is given",
      );
    keepYoungGenerationSmall();
    await withImage(input, selector, options, signal, async (image) => {
      const name = containerName(options, image);
      const install = options.runtime === 'lxc' ? installLxc : installNspawn;
      await install(image, input, name, options, signal, new Warnings());
    });
  });
}

/** registerUninstall adds the uninstall command. */
export function registerUninstall(program: Command): void {
  placeOptions(
    program
      .command('uninstall')
      .description('remove a machine or LXC container that undocker install made, and nothing else')
      .argument('<name>', 'the name given to install'),
  ).action(async (name: string, options: Places) => {
    const machine = await uninstallNspawnMachine(name, options);
    if (machine) printLine(`removed machine ${name}`);
    const lxcPath = options.lxcpath ?? (await defaultLxcPath().catch(() => undefined));
    const container = lxcPath !== undefined && (await uninstallLxcContainer(name, lxcPath));
    if (container) printLine(`removed LXC container ${name}`);
    if (!machine && !container)
      throw new UndockerError(
        'UNDOCKER_NOT_FOUND',
        `uninstall: nothing named ${name} was installed in ${options.machinesDir}, ` +
          `${options.nspawnDir}${lxcPath ? ` or ${lxcPath}` : ''}`,
      );
  });
}
