/**
 * `undocker system df`: what the run cache takes on disk, as `docker system df` shows it: images
 * (each layer counted once, however many images stack it), containers' own changes, volumes;
 * how many of each are in use, and what removing the rest (prune, rm, volume rm) would free.
 */
import type { Command } from 'commander';
import { cacheRoot } from '../cache/cache-root.js';
import { imageUsers } from '../cache/container-dirs.js';
import { directoryBytes } from '../cache/directory-bytes.js';
import { storedBytes } from '../cache/disk-usage.js';
import { listCachedImages } from '../cache/image-cache.js';
import { currentState } from '../container/ownership.js';
import { listContainers } from '../container/records.js';
import { volumeUsers } from '../container/remove.js';
import { listVolumes } from '../container/volume-store.js';
import { formatBytes, formatTable, printJson, printLine } from './output.js';

/** Usage is one row: how many there are, how many are in use, their bytes, and the bytes of those not in use. */
interface Usage {
  Type: string;
  Total: number;
  Active: number;
  Size: number;
  Reclaimable: number;
}

/** bytesOf is a folder's file bytes, 0 when it is gone (a container removed meanwhile). */
function bytesOf(dir: string): number {
  try {
    return directoryBytes(dir);
  } catch {
    return 0;
  }
}

/** diskUsage adds up the cache below `root`. */
function diskUsage(root: string): Usage[] {
  const images = listCachedImages(root);
  const active = images.filter((image) => imageUsers(root, image.id).length > 0);
  const size = storedBytes(root, images);
  const containers = listContainers(root).map((container) => ({
    running: currentState(container).status === 'running',
    bytes: bytesOf(container.dirs.upper),
  }));
  const volumes = listVolumes(root).map((volume) => ({
    used: volumeUsers(root, volume.name).length > 0,
    bytes: bytesOf(volume.mountpoint),
  }));
  const sum = (items: Array<{ bytes: number }>): number => items.reduce((total, item) => total + item.bytes, 0);
  return [
    {
      Type: 'Images',
      Total: images.length,
      Active: active.length,
      Size: size,
      Reclaimable: size - storedBytes(root, active),
    },
    {
      Type: 'Containers',
      Total: containers.length,
      Active: containers.filter((c) => c.running).length,
      Size: sum(containers),
      Reclaimable: sum(containers.filter((c) => !c.running)),
    },
    {
      Type: 'Local Volumes',
      Total: volumes.length,
      Active: volumes.filter((v) => v.used).length,
      Size: sum(volumes),
      Reclaimable: sum(volumes.filter((v) => !v.used)),
    },
  ];
}

/** registerSystem adds the system command and its df subcommand. */
export function registerSystem(program: Command): void {
  program
    .command('system')
    .description('about the run cache as a whole')
    .command('df')
    .description('show the disk the run cache takes: images, containers, volumes, and what is not in use')
    .option('--json', 'print JSON for scripts')
    .action((options: { json?: boolean }) => {
      const rows = diskUsage(cacheRoot());
      if (options.json) {
        printJson(rows);
        return;
      }
      const percent = (part: number, whole: number): string => `${whole === 0 ? 0 : Math.round((100 * part) / whole)}%`;
      const table = rows.map((row) => [
        row.Type,
        String(row.Total),
        String(row.Active),
        formatBytes(row.Size),
        `${formatBytes(row.Reclaimable)} (${percent(row.Reclaimable, row.Size)})`,
      ]);
      for (const line of formatTable([['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'], ...table])) printLine(line);
    });
}
