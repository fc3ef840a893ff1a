/**
 * The undocker command line: one subcommand per file, registered here. Only the command being
 * run is loaded: loading every command's libraries would add about 100 ms to each start, and a
 * warm `undocker run` should cost little more than the runtime itself. Help and unknown words
 * load them all.
 */
import { Command } from 'commander';
import { ExitStatus, FAILED_TO_START } from './exit-status.js';
import { printError } from './output.js';
import { VERSION } from './version.js';

type Register = (program: Command, signal: AbortSignal) => void;

/** COMMANDS loads each subcommand's registration, in the order help lists them. */
const COMMANDS: Record<string, () => Promise<Register>> = {
  list: async () => (await import('./list.js')).registerList,
  layers: async () => (await import('./layers.js')).registerLayers,
  diff: async () => (await import('./explore.js')).registerDiff,
  find: async () => (await import('./explore.js')).registerFind,
  layer: async () => (await import('./explore.js')).registerLayer,
  config: async () => (await import('./config.js')).registerConfig,
  rootfs: async () => (await import('./rootfs.js')).registerRootfs,
  'nspawn-unit': async () => (await import('./nspawn-unit.js')).registerNspawnUnit,
  lxcconfig: async () => (await import('./lxcconfig.js')).registerLxcConfig,
  'lxc-template': async () => (await import('./lxc-template.js')).registerLxcTemplate,
  run: async () => (await import('./run.js')).registerRun,
  create: async () => (await import('./run.js')).registerCreate,
  ps: async () => (await import('./containers.js')).registerPs,
  inspect: async () => (await import('./containers.js')).registerInspect,
  logs: async () => (await import('./logs.js')).registerLogs,
  exec: async () => (await import('./exec.js')).registerExec,
  start: async () => (await import('./lifecycle.js')).registerStart,
  stop: async () => (await import('./lifecycle.js')).registerStop,
  restart: async () => (await import('./lifecycle.js')).registerRestart,
  kill: async () => (await import('./lifecycle.js')).registerKill,
  wait: async () => (await import('./lifecycle.js')).registerWait,
  rm: async () => (await import('./lifecycle.js')).registerRm,
  volume: async () => (await import('./volume.js')).registerVolume,
  generate: async () => (await import('./systemd.js')).registerGenerate,
  images: async () => (await import('./images.js')).registerImages,
  rmi: async () => (await import('./images.js')).registerRmi,
  prune: async () => (await import('./images.js')).registerPrune,
  system: async () => (await import('./system.js')).registerSystem,
  pull: async () => (await import('./registry.js')).registerPull,
  save: async () => (await import('./registry.js')).registerSave,
  push: async () => (await import('./registry.js')).registerPush,
  import: async () => (await import('./import.js')).registerImport,
  install: async () => (await import('./install.js')).registerInstall,
  uninstall: async () => (await import('./install.js')).registerUninstall,
};

const outputError = (text: string): void => printError(text.replace(/^error: /, '').trim());

/**
 * commandsFor names the subcommands to load for the first word of the command line: that
 * subcommand alone, none for --version, and every one for help or a word commander is to suggest
 * a subcommand for.
 */
export function commandsFor(word: string | undefined): string[] {
  if (word === '--version' || word === '-V') return [];
  return word !== undefined && Object.hasOwn(COMMANDS, word) ? [word] : Object.keys(COMMANDS);
}

/**
 * buildProgram makes the commander program; `signal` aborts running work on Ctrl-C. Only the
 * subcommands named are loaded, every one by default.
 */
export async function buildProgram(signal: AbortSignal, names = Object.keys(COMMANDS)): Promise<Command> {
  const program = new Command('undocker')
    .description('Turn Docker and OCI images into root filesystems for systemd-nspawn and LXC, without Docker')
    .version(VERSION)
    .showHelpAfterError('(run undocker --help for usage)')
    .exitOverride()
    .enablePositionalOptions()
    .configureOutput({ outputError });
  const registers = await Promise.all(names.map((name) => (COMMANDS[name] as () => Promise<Register>)()));
  for (const register of registers) register(program, signal);
  for (const command of program.commands) {
    command
      .exitOverride((error) => {
        // docker run's convention: a run that never started exits 125, usage errors included.
        if ((command.name() === 'run' || command.name() === 'create') && error.exitCode !== 0)
          throw new ExitStatus(FAILED_TO_START);
        throw error;
      })
      .configureOutput({ outputError });
  }
  return program;
}
