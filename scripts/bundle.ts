/**
 * Bundles the compiled CLI (dist/src/cli/main.js, everything it imports and its dependencies)
 * into one script, dist/src/cli/main.bundle.cjs, with a V8 code cache beside it; `undocker run`
 * alone likewise from dist/src/cli/run-main.js into run-main.bundle.cjs, less than half the size;
 * and the container monitor into dist/src/container/monitor.bundle.cjs. bin/undocker.cjs runs the
 * CLI's: one file compiled from its cache starts ~100 ms sooner than the ~100 ES modules a run
 * imports, each resolved, read and compiled in turn. The monitor, one per detached container,
 * starts sooner too and holds ~6 MB less.
 * The hashing and disk-writer workers stay separate modules; the bundles find them (and the
 * monitor) from dist/src/<folder>/, one folder deep like the files they were made from.
 * Usage (npm run build runs it after tsc): node dist/scripts/bundle.js
 */
import { build, type Plugin } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { writeFileAtomically } from '../src/output/atomic.js';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
/** CLI_ENTRIES are the CLI's entry points in dist/src/cli/, each bundled beside itself. */
const CLI_ENTRIES = ['main', 'run-main'];
const MONITOR_BUNDLE = `${SRC}container/monitor.bundle.cjs`;
/**
 * PROLOGUE keeps the modules' strict mode (a directive after a statement is none) and gives the
 * script the URL each bundled module took from import.meta.url.
 */
const PROLOGUE = "'use strict';\nconst __bundleUrl = require('node:url').pathToFileURL(__filename).href;\n";

/**
 * LAZY_MODULES are modules that every command's modules import but few calls need: loading Node's
 * took ~17 ms of each start (CPU profile of a warm run). The bundles import stand-ins instead,
 * whose functions load the real module on their first call: `ps`, `logs`, `stop` and `images` now
 * load none of them, nor does a warm `run`. v8 (with the heap and promise hooks modules it loads,
 * ~1 ms) is only needed to flatten; fs/promises (1.3 ms) and stream/promises only to read
 * archives. chalk, bundled like any package, colours only warnings and errors: its start (2 ms
 * and 0.2 MB, sampled) waits for the first of them.
 */
const LAZY_MODULES = new Set([
  'node:crypto',
  'node:worker_threads',
  'node:zlib',
  'node:readline',
  'node:v8',
  'node:fs/promises',
  'node:stream/promises',
  'chalk',
]);
const LAZY = 'lazy-module';

/**
 * lazyModules makes each stand-in from the real module's functions (classes too: `new` on the
 * stand-in makes the real class's object). A name the code imports that is no function fails the
 * build, never a run; a require() (whose object could lack a constant) keeps the real module. A
 * package is still bundled: the stand-in's require() of its file makes esbuild start it lazily.
 */
const lazyModules: Plugin = {
  name: LAZY,
  setup(bundler) {
    bundler.onResolve({ filter: /^(node:|chalk$)/ }, (args) =>
      LAZY_MODULES.has(args.path) && args.kind === 'import-statement' && args.namespace !== LAZY
        ? { path: args.path, namespace: LAZY, pluginData: { resolveDir: args.resolveDir } }
        : undefined,
    );
    bundler.onLoad({ filter: /.*/, namespace: LAZY }, async (args) => {
      const real = (await import(args.path)) as Record<string, unknown>;
      const names = Object.keys(real).filter((name) => name !== 'default' && typeof real[name] === 'function');
      const stand = names.map(
        (name) =>
          `export function ${name}(...args) {\n` +
          `  return new.target ? new (load().${name})(...args) : load().${name}(...args);\n}`,
      );
      const { resolveDir } = args.pluginData as { resolveDir: string };
      const target = args.path.startsWith('node:')
        ? args.path
        : (await bundler.resolve(args.path, { kind: 'require-call', resolveDir })).path;
      const load = `let real;\nconst load = () => (real ??= require(${JSON.stringify(target)}));\n`;
      return { contents: `${load}${stand.join('\n')}\n`, loader: 'js', resolveDir };
    });
  },
};

async function bundleSource(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    define: { 'import.meta.url': '__bundleUrl' },
    logLevel: 'warning',
    // A third less to read at every start (12 ms a megabyte here); names stay, for stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
    // Every character outside ASCII escaped: the bin reads the bundle as latin1, as is (see below).
    charset: 'ascii',
    plugins: [lazyModules],
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error(`esbuild wrote no bundle of ${entry}`);
  return output.text;
}

async function writeText(target: string, data: string | Buffer): Promise<void> {
  await writeFileAtomically(target, async (stream) => {
    await new Promise<void>((resolve, reject) => stream.end(data, () => resolve()).once('error', reject));
  });
}

/**
 * bundleCli bundles dist/src/cli/ENTRY.js into ENTRY.bundle.cjs and its code cache, and returns
 * the bundle's path and size. The bundle is one function expression, not a module:
 * bin/undocker.cjs compiles it with the cache and calls it with its own require (for Node's
 * built-in modules only).
 */
async function bundleCli(entry: string): Promise<string> {
  const target = `${SRC}cli/${entry}.bundle.cjs`;
  const cli = `(function (require, __filename) {\n${PROLOGUE}${await bundleSource(`${SRC}cli/${entry}.js`)}\n})\n`;
  // bin/undocker.cjs reads it as latin1, which takes bytes as they are: 4 ms of a start sooner
  // than decoding UTF-8. That reads ASCII exactly, and nothing else.
  const beyondAscii = /[\u0080-\uffff]/.exec(cli);
  if (beyondAscii !== null) throw new Error(`${target} holds ${JSON.stringify(beyondAscii[0])}, which is not ASCII`);
  await writeText(target, cli);
  // Compiled under the flags the bin runs node with (V8 refuses a cache made under others), and
  // written after the bundle: the bin trusts a cache only if it is newer than the bundle.
  const script = new Script(cli, { filename: target });
  script.runInThisContext();
  await writeText(`${target}.cache`, script.createCachedData());
  return `${target} (${(cli.length / 1e6).toFixed(2)} MB)`;
}

const bundled = [];
for (const entry of CLI_ENTRIES) bundled.push(await bundleCli(entry));
// The monitor is a script node runs itself.
await writeText(MONITOR_BUNDLE, PROLOGUE + (await bundleSource(`${SRC}container/monitor.js`)));
process.stdout.write(`bundled ${bundled.join(' and ')}, each with its code cache, and ${MONITOR_BUNDLE}\n`);
