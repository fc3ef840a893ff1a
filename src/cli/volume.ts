/**
 * `undocker volume create|ls|inspect|rm|prune`: the volumes containers mount, as docker volume
 * lists and frees them. A volume some container mounts is never removed; prune removes the
 * anonymous volumes no container uses (with -a, named ones too), as docker volume prune does.
 */
import type { Command } from 'commander';
import { cacheRoot } from '../cache/cache-root.js';
import { volumeUsers } from '../container/remove.js';
import { checkVolumeName, deleteVolume, findVolume, listVolumes, openVolume } from '../container/volume-store.js';
import { UndockerError } from '../errors.js';
import { forEachNamed } from './each-named.js';
import { formatTable, printJson, printLine } from './output.js';

/** registerVolume adds the volume command and its subcommands. */
export function registerVolume(program: Command): void {
  const volume = program.command('volume').description('manage the volumes containers mount');
  volume
    .command('create')
    .description('make a named volume (run -v NAME:/path makes one too, on first use)')
    .argument('<name>', 'the volume name')
    .action((name: string) => {
      openVolume(cacheRoot(), checkVolumeName(name, 'volume create'));
      printLine(name);
    });
  volume
    .command('ls')
    .description('list volumes')
    .option('-q, --quiet', 'print the names alone')
    .action((options: { quiet?: boolean }) => {
      const volumes = listVolumes(cacheRoot());
      if (options.quiet) for (const v of volumes) printLine(v.name);
      else
        for (const line of formatTable([['DRIVER', 'VOLUME NAME'], ...volumes.map((v) => ['local', v.name])]))
          printLine(line);
    });
  volume
    .command('inspect')
    .description('print volumes as JSON, as docker volume inspect does')
    .argument('<name...>', 'volume names')
    .action((names: string[]) => {
      const root = cacheRoot();
      printJson(
        names.map((name) => {
          const v = findVolume(root, name);
          return {
            CreatedAt: v.created,
            Driver: 'local',
            Labels: v.anonymous ? { 'com.docker.volume.anonymous': '' } : {},
            Mountpoint: v.mountpoint,
            Name: v.name,
            Options: null,
            Scope: 'local',
            UsedBy: volumeUsers(root, v.name),
          };
        }),
      );
    });
  volume
    .command('rm')
    .description('remove volumes no container uses')
    .argument('<name...>', 'volume names')
    .action(async (names: string[]) => {
      const root = cacheRoot();
      await forEachNamed(names, (name) => {
        findVolume(root, name);
        const users = volumeUsers(root, name);
        if (users.length > 0)
          throw new UndockerError('UNDOCKER_USAGE', `volume ${name} is in use by container ${users.join(', ')}`);
        deleteVolume(root, name);
      });
    });
  volume
    .command('prune')
    .description('remove the anonymous volumes no container uses (-a: named ones too)')
    .option('-a, --all', 'remove unused named volumes too')
    .action((options: { all?: boolean }) => {
      const root = cacheRoot();
      for (const v of listVolumes(root)) {
        if ((!v.anonymous && !options.all) || volumeUsers(root, v.name).length > 0) continue;
        deleteVolume(root, v.name);
        printLine(`removed volume ${v.name}`);
      }
    });
}
