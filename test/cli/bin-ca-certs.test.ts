/**
 * NODE_EXTRA_CA_CERTS: node parses that file as it starts (60 ms with the system bundle), so the
 * bin starts node without it, and starts node again with it only for a command that may reach a
 * registry. Tried on a stand-in bundle that prints its arguments and the variable it sees; node
 * says it read the file by warning that it cannot (a file that does not exist).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { standIn } from '../helpers/bin-stand-in.js';
import { tempDir, writeDockerSave } from '../helpers/archives.js';
import { undocker } from '../helpers/cli.js';
import { showImageLayers } from '../helpers/show-image.js';

const MISSING = '/nonexistent/undocker-test-ca.pem';
const LOADED = /Warning: Ignoring extra certs from `\/nonexistent\/undocker-test-ca\.pem`/;
const withCerts = { ...process.env, NODE_EXTRA_CA_CERTS: MISSING };

/**
 * REPORTING prints its arguments and both variables; `fail` exits 7, `die` ends by SIGUSR2, `wait`
 * waits for SIGTERM, its handler set before the line that says it is ready.
 */
const REPORTING = `const args = process.argv.slice(2);
  if (args.includes('wait')) {
    process.on('SIGTERM', () => { process.stdout.write('got SIGTERM\\n'); process.exit(143); });
    setInterval(() => undefined, 1000);
  }
  const { NODE_EXTRA_CA_CERTS, UNDOCKER_EXTRA_CA_CERTS } = process.env;
  process.stdout.write(args.join(' ') + ' | ' + NODE_EXTRA_CA_CERTS + ' | ' + UNDOCKER_EXTRA_CA_CERTS + '\\n');
  if (args.includes('fail')) process.exit(7);
  if (args.includes('die')) process.kill(process.pid, 'SIGUSR2');`;

test('a local command runs in a node that never read NODE_EXTRA_CA_CERTS; what it starts still sees it', () => {
  const { root, bin } = standIn(REPORTING);
  try {
    const result = spawnSync(bin, ['ps', '-a'], { env: withCerts, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, `ps -a | ${MISSING} | undefined\n`);
    assert.doesNotMatch(result.stderr, LOADED);
    // Without the variable nothing changes.
    const bare = { ...process.env };
    delete bare.NODE_EXTRA_CA_CERTS;
    const args = ['rootfs', 'docker://registry.example/app', 'app.tar'];
    const plain = spawnSync(bin, args, { env: bare, encoding: 'utf8' });
    assert.equal(plain.stdout, 'rootfs docker://registry.example/app app.tar | undefined | undefined\n');
    assert.equal(plain.stderr, '');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('pull, save, push and any docker:// reference run once, in a node that read them, ending as it ends', () => {
  const { root, bin } = standIn(REPORTING);
  try {
    for (const args of [
      ['pull', 'alpine'],
      ['save', 'alpine', '-o', 'alpine.tar'],
      ['push', 'app.tar', 'registry.example/app'],
      ['rootfs', 'docker://registry.example/app', 'app.tar'],
    ]) {
      const result = spawnSync(bin, args, { env: withCerts, encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, `${args.join(' ')} | ${MISSING} | undefined\n`);
      assert.equal(result.stderr.match(new RegExp(LOADED.source, 'g'))?.length, 1, result.stderr);
    }
    const failed = spawnSync(bin, ['pull', 'fail'], { env: withCerts, encoding: 'utf8' });
    assert.equal(failed.status, 7);
    const killed = spawnSync(bin, ['pull', 'die'], { env: withCerts, encoding: 'utf8' });
    assert.equal(killed.signal, 'SIGUSR2');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('SIGTERM sent to the bin alone reaches the command it started again', async () => {
  const { root, bin } = standIn(REPORTING);
  try {
    const child = spawn(bin, ['pull', 'wait'], { env: withCerts, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('\n')) resolve();
      }),
    );
    child.kill('SIGTERM');
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    assert.equal(status, 143);
    assert.match(stdout, /got SIGTERM\n$/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

const skipRun =
  process.getuid?.() !== 0 || spawnSync('sh', ['-c', 'command -v systemd-nspawn']).status !== 0
    ? 'needs root and systemd-nspawn'
    : false;

test('a detached container starts a monitor that never read them', { skip: skipRun }, () => {
  const work = tempDir('undocker-ca-certs-');
  const env = { UNDOCKER_CACHE: join(work, 'cache'), NODE_EXTRA_CA_CERTS: MISSING };
  const image = writeDockerSave([{ layers: [showImageLayers()], tags: ['probe:1'], config: { Cmd: ['sleep', '30'] } }]);
  try {
    const started = undocker(['run', '-d', '-q', image], { env });
    assert.equal(started.status, 0, started.stderr);
    assert.doesNotMatch(started.stderr, LOADED);
    const id = started.stdout.toString().trim();
    const log = readFileSync(join(work, 'cache', 'containers', id, 'monitor.log'), 'utf8');
    assert.doesNotMatch(log, LOADED);
    assert.equal(undocker(['rm', '-f', id], { env }).status, 0);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
