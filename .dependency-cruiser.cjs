/**
 * The direction of dependencies between src/ folders (README "Architecture"): each folder may
 * import only the folders listed before it, so a wrong arrow or a folder cycle fails
 * `npm run lint`. A change that needs a new arrow belongs in a lower folder, or this list
 * changes in review.
 */
const LAYERS = [
  'host', // which programs exist, whether a process lives
  'output', // atomic files and directories
  'stream', // byte streams, compression
  'tar', // the tar format
  'image', // the model and every local source
  'write', // sinks that write images
  'flatten', // layers -> rootfs tar or directory
  'explore', // which layer added, changed or deleted what
  'cache', // the run cache
  'registry', // the Registry API client: a source and a sink
  'config', // image config -> RunSpec, pure
  'generate', // RunSpec -> text, pure
  'import', // rootfs -> image
  'launch', // nspawn and lxc argv and processes
  'container', // containers that keep running: records, monitor, lifecycle, volumes, logs
  'install', // machinectl images, lxc containers, lxc templates
  'cli', // flags -> one library call -> output
];

const folderRules = LAYERS.map((folder, index) => ({
  name: `${folder}-imports-only-lower-folders`,
  comment: `src/${folder}/ may import ${['errors.ts', ...LAYERS.slice(0, index)].join(', ')}`,
  severity: 'error',
  from: { path: `^src/${folder}/` },
  to: { path: `^src/(${[...LAYERS.slice(index + 1), 'index\\.ts'].join('|')})(/|$)` },
}));

module.exports = {
  forbidden: [
    ...folderRules,
    {
      name: 'no-circular',
      comment: 'modules import each other in one direction only',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'errors-import-nothing',
      comment: 'errors.ts is the bottom of every folder',
      severity: 'error',
      from: { path: '^src/errors\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'unknown-folder',
      comment: 'a new folder takes its place in LAYERS first',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(${LAYERS.join('|')})/|^src/(errors|index)\\.ts$` },
      to: {},
    },
    {
      name: 'pure-folders-spawn-nothing',
      comment: 'image/, config/ and generate/ never run programs; launch/, install/ and host/ do',
      severity: 'error',
      from: { path: '^src/(image|config|generate)/' },
      to: { path: '^(child_process|execa)$|node_modules/execa/' },
    },
    {
      name: 'src-not-to-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
