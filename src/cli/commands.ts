/**
 * Every subcommand of the CLI, each loaded from its own file on first use. bin/undocker.cjs runs
 * the bundle made from main.ts, which holds them all, for every command but `run` (run-main.ts).
 */
import type { CommandTable } from './program.js';

/** COMMANDS are every subcommand, in the order help lists them. */
export const COMMANDS: CommandTable = {
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
