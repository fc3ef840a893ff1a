#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS UNDOCKER_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} UNDOCKER_MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX} MALLOC_ARENA_MAX=1 node
// No V8 flags: Node's built-in modules come with a code cache V8 takes only under the default
// flags; under any other (--max-semi-space-size=4 here until now) each start compiled them
// again, 25 ms of a warm run's. The peak memory of a flatten was the same with and without.
// Node parses every certificate of NODE_EXTRA_CA_CERTS as it starts, before any code runs: with
// the system bundle, as on these machines, that is 60 ms of the 100 a start takes. Only a command
// that may reach a registry needs them, so node starts without the variable and is started again
// with it for those (relaunchWithCaCerts).
// MALLOC_ARENA_MAX=1: glibc gives each thread that mallocs (libuv's pool running zlib, the workers)
// an arena of its own, whose freed memory no other thread reuses. One arena for all cut the peak of
// a flatten of 1 GiB of gzip layers from 105-107 to 95-97 MB, in the same time. glibc reads it as
// node starts; the user's own value, if any, is given back for children.
'use strict';
// CommonJS, and the CLI as one bundle compiled from its V8 code cache (scripts/bundle.ts): a warm
// `undocker run` starts ~100 ms sooner than from ~100 ES modules.
const { readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { Script, constants } = require('node:vm');

const extraCaCerts = process.env.UNDOCKER_EXTRA_CA_CERTS;
delete process.env.UNDOCKER_EXTRA_CA_CERTS;
// Children see the variables as they were given.
if (extraCaCerts) process.env.NODE_EXTRA_CA_CERTS = extraCaCerts;
const arenas = process.env.UNDOCKER_MALLOC_ARENA_MAX;
if (arenas !== undefined) {
  delete process.env.UNDOCKER_MALLOC_ARENA_MAX;
  if (arenas) process.env.MALLOC_ARENA_MAX = arenas;
  else delete process.env.MALLOC_ARENA_MAX;
}

/** reachesRegistry tells a command that may speak TLS: pull, save, push, or any docker://REF. */
function reachesRegistry(args) {
  return ['pull', 'save', 'push'].includes(args[0]) || args.some((arg) => arg.startsWith('docker://'));
}

/** relaunchWithCaCerts runs this command again in a node that loaded the certificates, and ends as it ends. */
function relaunchWithCaCerts() {
  const { spawn } = require('node:child_process');
  // With one malloc arena too, and the user's value to give back, as the first line gave them.
  const env = { ...process.env, MALLOC_ARENA_MAX: '1', UNDOCKER_MALLOC_ARENA_MAX: arenas ?? '' };
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env,
  });
  child.on('error', (error) => {
    process.stderr.write(`undocker: cannot start: ${error.message}\n`);
    process.exit(1);
  });
  // The terminal sends SIGINT and SIGQUIT to both processes: this one waits for the other to end.
  // SIGTERM and SIGHUP, sent to this one alone by kill or a closing session, are passed on.
  for (const signal of ['SIGINT', 'SIGQUIT']) process.on(signal, () => undefined);
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal === null) process.exit(code);
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  });
}

const cli = join(__dirname, '..', 'dist', 'src', 'cli');
// `run` has a bundle of its own, less than half the size of the whole CLI's: a warm run reaches
// the runtime ~7 ms sooner. Every other command runs the whole CLI.
const entry = process.argv[2] === 'run' ? 'run-main' : 'main';
const bundle = join(cli, `${entry}.bundle.cjs`);

function modified(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

// tsc since the bundle was made leaves it stale: run the compiled modules instead. A cache
// older than the bundle was made for another one (V8 checks only the source's length).
const made = modified(bundle);
if (extraCaCerts && reachesRegistry(process.argv.slice(2))) {
  relaunchWithCaCerts();
} else if (made !== undefined && made >= (modified(join(cli, `${entry}.js`)) ?? Infinity)) {
  const cache = (modified(`${bundle}.cache`) ?? -Infinity) >= made ? readFileSync(`${bundle}.cache`) : undefined;
  // import() of anything the bundle left outside it loads as it would from a module.
  // ASCII (scripts/bundle.ts makes sure): latin1 takes its bytes as they are, 4 ms sooner than UTF-8.
  const script = new Script(readFileSync(bundle, 'latin1'), {
    filename: bundle,
    cachedData: cache,
    importModuleDynamically: constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  // None, or one V8 refused (node was upgraded since the build): made again where the package may
  // be written, by a node without flags, as the first line runs it (V8 ties a cache to its flags).
  if (script.cachedDataRejected !== false && process.execArgv.length === 0) {
    const temporary = `${bundle}.cache.${process.pid}`;
    try {
      writeFileSync(temporary, script.createCachedData());
      renameSync(temporary, `${bundle}.cache`);
    } catch {
      rmSync(temporary, { force: true });
    }
  }
  script.runInThisContext()(require, bundle);
} else {
  import('../dist/src/cli/main.js').catch((error) => {
    process.stderr.write(`undocker: cannot start: ${error.message} (run npm run build)\n`);
    process.exitCode = 1;
  });
}
