/**
 * Exploring an image without extracting it: `diff` (what each layer added, changed, deleted, as
 * docker diff prints it), `find` (which layers hold a path and whether it survives) and `layer`
 * (one layer's tar as stored, decompressed, or extracted with its whiteouts kept as files).
 */
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { UndockerError, UsageError } from '../errors.js';
import { type Fate, fateOf, walkLayers, type WalkedEntry } from '../explore/layer-walk.js';
import { toPathMatcher } from '../explore/path-match.js';
import { shortId } from '../image/digest.js';
import { selectLayers } from '../image/select-layers.js';
import type { Image } from '../image/types.js';
import { layerTarBytes } from '../flatten/layer-entries.js';
import { unpackRootfs } from '../flatten/rootfs.js';
import { keepYoungGenerationSmall } from '../host/young-generation.js';
import { writeFileAtomically } from '../output/atomic.js';
import { ARCHIVE_HELP, imageCommand, type ImageOptions, registryFlags, withImage } from './archive.js';
import { formatBytes, formatTable, printJson, printLine, printWarning } from './output.js';

interface ExploreOptions extends ImageOptions {
  json?: boolean;
  layer?: string;
  regex?: boolean;
  directory?: string;
  force?: boolean;
}

/** layerIndex is the position of --layer ID in the image, bottom first. */
function layerIndex(image: Image, id: string): number {
  const [layer] = selectLayers(image, [id]);
  return image.layers.indexOf(layer as Image['layers'][number]);
}

async function diff(image: Image, options: ExploreOptions, signal: AbortSignal): Promise<void> {
  const only = options.layer === undefined ? undefined : layerIndex(image, options.layer);
  // The layers up to the one asked: what it changed depends on those below, never on those above.
  const layers = only === undefined ? image.layers : image.layers.slice(0, only + 1);
  const { changes } = await walkLayers(layers, undefined, signal);
  const shown = changes
    .map((list, index) => ({ index, list }))
    .filter(({ index }) => only === undefined || index === only);
  if (options.json)
    return printJson(
      shown.map(({ index, list }) => ({ layer: index + 1, id: image.layers[index]?.id, changes: list })),
    );
  for (const { index, list } of shown) {
    if (only === undefined) {
      const layer = image.layers[index];
      printLine(
        `# layer ${index + 1} ${shortId(layer?.id ?? '')}${layer?.createdBy ? `: ${oneLine(layer.createdBy)}` : ''}`,
      );
    }
    for (const change of list) printLine(`${change.kind} ${change.path}`);
  }
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').slice(0, 100);

function fateText(fate: Fate): string {
  if (fate.kind === 'replaced') return `replaced by layer ${fate.layer + 1}`;
  return fate.kind === 'survives' ? 'in rootfs' : fate.kind;
}

async function find(image: Image, pattern: string, options: ExploreOptions, signal: AbortSignal): Promise<void> {
  const matches = toPathMatcher(pattern, options.regex ?? false, 'find');
  const found: WalkedEntry[] = [];
  const { tree } = await walkLayers(
    image.layers,
    (walked) => {
      // A whiteout is found by the path it deletes too: which layer deleted it is the question.
      if (walked.path !== '/' && (matches(walked.path) || (walked.deletes !== undefined && matches(walked.deletes))))
        found.push(walked);
    },
    signal,
  );
  const rows = found.map((walked) => ({
    layer: walked.layer + 1,
    id: image.layers[walked.layer]?.id,
    path: walked.path,
    type: walked.whiteout ? 'whiteout' : walked.entry.type,
    size: walked.entry.size,
    mode: `0${(walked.entry.mode & 0o7777).toString(8)}`,
    owner: `${walked.entry.uid}:${walked.entry.gid}`,
    fate: fateOf(tree, walked),
  }));
  if (options.json) return printJson(rows);
  if (rows.length === 0)
    throw new UndockerError('UNDOCKER_NOT_FOUND', `find: no entry of any layer matches ${pattern}`);
  const table = [['LAYER', 'PATH', 'TYPE', 'SIZE', 'MODE', 'OWNER', 'IN ROOTFS']];
  for (const row of rows)
    table.push([String(row.layer), row.path, row.type, formatBytes(row.size), row.mode, row.owner, fateText(row.fate)]);
  for (const line of formatTable(table)) printLine(line);
}

/** layerArguments sorts `[IMAGE] ID OUTPUT` (or `[IMAGE] ID` with -C DIR). */
function layerArguments(
  rest: string[],
  directory: string | undefined,
): { selector?: string; id: string; output?: string } {
  const wanted = directory === undefined ? 2 : 1;
  if (rest.length < wanted || rest.length > wanted + 1)
    throw new UsageError(
      directory === undefined
        ? 'layer: give the layer ID and an OUTPUT (- for standard output), or -C DIR'
        : 'layer: with -C DIR, give only [IMAGE] and the layer ID',
    );
  const [selector, id, output] = rest.length > wanted ? rest : [undefined, ...rest];
  return {
    ...(selector !== undefined ? { selector } : {}),
    id: id as string,
    ...(output !== undefined ? { output } : {}),
  };
}

async function writeLayer(
  image: Image,
  id: string,
  output: string | undefined,
  options: ExploreOptions,
  signal: AbortSignal,
): Promise<void> {
  const layers = selectLayers(image, [id], 'layer');
  keepYoungGenerationSmall();
  if (options.directory !== undefined) {
    await unpackRootfs(image, options.directory, {
      layers,
      keepWhiteouts: true,
      signal,
      force: options.force ?? false,
      warn: printWarning,
    });
    return;
  }
  const copy = (stream: Writable): Promise<void> =>
    pipeline(Readable.from(layerTarBytes(layers[0] as Image['layers'][number], signal)), stream, { signal });
  if (output === '-') {
    if (process.stdout.isTTY) throw new UsageError('layer: standard output is a terminal: redirect it, or give a FILE');
    await copy(process.stdout);
  } else await writeFileAtomically(output as string, copy);
}

/** registerDiff adds the diff command. */
export function registerDiff(program: Command, signal: AbortSignal): void {
  imageCommand(program, 'diff', 'list what each layer added (A), changed (C) and deleted (D), as docker diff prints it')
    .option('--layer <id>', 'only this layer (an id, digest or diff_id prefix, as undocker layers shows)')
    .action(async (input: string, selector: string | undefined, options: ExploreOptions) => {
      await withImage(input, selector, options, signal, (image) => diff(image, options, signal));
    });
}

/** registerFind adds the find command. */
export function registerFind(program: Command, signal: AbortSignal): void {
  imageCommand(program, 'find', 'find the layer entries whose path matches, and whether each is in the rootfs')
    .usage('[options] <archive> [image] <pattern>')
    .argument('[pattern]', 'a glob (* within a name, ** across folders, ?) or, with --regex, a regular expression')
    .option('--regex', 'PATTERN is a regular expression, matched against /path')
    .action(async (input: string, first: string | undefined, second: string | undefined, options: ExploreOptions) => {
      const [selector, pattern] = second === undefined ? [undefined, first] : [first, second];
      if (pattern === undefined) throw new UsageError('find: give a PATTERN to look for');
      await withImage(input, selector, options, signal, (image) => find(image, pattern, options, signal));
    });
}

/** registerLayer adds the layer command. */
export function registerLayer(program: Command, signal: AbortSignal): void {
  registryFlags(program.command('layer'))
    .description("write one layer's tar as stored, decompressed, or extract it with its whiteouts kept as files")
    .argument('<archive>', ARCHIVE_HELP)
    .argument('[image-id-and-output...]', '[IMAGE[:TAG]] ID OUTPUT, where OUTPUT is - or a FILE; ID as layers shows')
    .usage('[options] <archive> [image] <id> (<output> | -C <dir>)')
    .option('-C, --directory <dir>', 'extract into this directory (created; must be empty unless --force)')
    .option('--force', 'replace a non-empty -C directory')
    .option('--platform <os/arch[/variant]>', "which platform of a multi-platform image (default: this machine's)")
    .action(async (input: string, rest: string[], options: ExploreOptions) => {
      const { selector, id, output } = layerArguments(rest, options.directory);
      await withImage(input, selector, options, signal, (image) => writeLayer(image, id, output, options, signal));
    });
}
