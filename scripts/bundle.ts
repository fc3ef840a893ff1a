/**
 * Bundles the compiled CLI (dist/src/cli/main.js, everything it imports and its dependencies)
 * into one script, dist/src/cli/main.bundle.cjs, with a V8 code cache beside it. bin/undocker.cjs
 * runs it: one file compiled from its cache starts ~100 ms sooner than the ~100 ES modules a run
 * imports, each resolved, read and compiled in turn.
 * The workers (hash, disk writer, container monitor) stay separate files; the bundle starts them
 * from dist/src/<folder>/, where they are.
 * Usage (npm run build runs it after tsc): node --max-semi-space-size=4 dist/scripts/bundle.js
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { writeFileAtomically } from '../src/output/atomic.js';

const CLI = fileURLToPath(new URL('../src/cli/', import.meta.url));
const BUNDLE = `${CLI}main.bundle.cjs`;

/**
 * The bundle is one function expression, not a module: bin/undocker.cjs compiles it with the
 * cache below and calls it with its own require (for Node's built-in modules only).
 */
const HEAD =
  '(function (require, __filename) {\n' + "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;\n";
const TAIL = '\n})\n';

async function bundleSource(): Promise<string> {
  const result = await build({
    entryPoints: [`${CLI}main.js`],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    // Each module's own URL becomes the bundle's: true of dist/src/cli, one folder deep like every other.
    define: { 'import.meta.url': '__bundleUrl' },
    logLevel: 'warning',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild wrote no bundle');
  return HEAD + output.text + TAIL;
}

async function writeText(target: string, data: string | Buffer): Promise<void> {
  await writeFileAtomically(target, async (stream) => {
    await new Promise<void>((resolve, reject) => stream.end(data, () => resolve()).once('error', reject));
  });
}

const source = await bundleSource();
await writeText(BUNDLE, source);
// Compiled under the flags the bin runs node with (V8 refuses a cache made under others), and
// written after the bundle: the bin trusts a cache only if it is newer than the bundle.
const script = new Script(source, { filename: BUNDLE });
script.runInThisContext();
await writeText(`${BUNDLE}.cache`, script.createCachedData());
process.stdout.write(`bundled ${BUNDLE} (${(source.length / 1e6).toFixed(1)} MB) and its code cache\n`);
