import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEnvFile, toEnvEntry } from '../../../src/config/env-file.js';
import { parseImageArgument } from '../../../src/cli/image-argument.js';
import { formatAge } from '../../../src/cli/output.js';

test("-e NAME=VALUE is taken as written; NAME alone takes the host's value or is left out", () => {
  const host = { FROM_HOST: 'h v' };
  assert.equal(toEnvEntry('A=b=c "d"', '-e', host), 'A=b=c "d"');
  assert.equal(toEnvEntry('A=', '-e', host), 'A=');
  assert.equal(toEnvEntry('FROM_HOST', '-e', host), 'FROM_HOST=h v');
  assert.equal(toEnvEntry('UNSET', '-e', host), undefined);
  assert.throws(() => toEnvEntry('=x', '-e', host), {
    code: 'UNDOCKER_USAGE',
    message: /-e: "=x": the variable name is empty/,
  });
});

test('env files: comments and blank lines skipped, values kept verbatim, bad lines named by number', () => {
  const text = '# comment\n\nA=1\n  B=two words\r\nC="quoted"\nFROM_HOST\nUNSET\n';
  assert.deepEqual(parseEnvFile(text, 'app.env', { FROM_HOST: 'x' }), [
    'A=1',
    'B=two words',
    'C="quoted"',
    'FROM_HOST=x',
  ]);
  assert.throws(
    () => parseEnvFile('A=1\nBAD NAME=2\n', 'app.env', {}),
    /app.env line 2: "BAD NAME=2": the variable name holds whitespace/,
  );
});

test('IMAGE is a path when it exists, else ARCHIVE:NAME:TAG split at the first existing archive', () => {
  const files = new Set(['app.tar', 'dir:with:colons.tar', 'layout']);
  const exists = (path: string): boolean => files.has(path);
  assert.deepEqual(parseImageArgument('app.tar', undefined, exists), { input: 'app.tar' });
  assert.deepEqual(parseImageArgument('dir:with:colons.tar', undefined, exists), { input: 'dir:with:colons.tar' });
  assert.deepEqual(parseImageArgument('app.tar:web:1.0', undefined, exists), { input: 'app.tar', selector: 'web:1.0' });
  assert.deepEqual(parseImageArgument('layout:web', undefined, exists), { input: 'layout', selector: 'web' });
  assert.deepEqual(parseImageArgument('app.tar', 'web:2', exists), { input: 'app.tar', selector: 'web:2' });
  assert.deepEqual(
    parseImageArgument('missing.tar', undefined, exists),
    { input: 'missing.tar' },
    'left for the opener to report',
  );
  assert.throws(() => parseImageArgument('app.tar:web', 'web:2', exists), { code: 'UNDOCKER_USAGE' });
});

test('ages read as docker images shows them', () => {
  assert.equal(formatAge(0), '0 seconds ago');
  assert.equal(formatAge(1000), '1 second ago');
  assert.equal(formatAge(59_000), '59 seconds ago');
  assert.equal(formatAge(60_000), '1 minute ago');
  assert.equal(formatAge(3 * 3600_000), '3 hours ago');
  assert.equal(formatAge(2 * 86400_000), '2 days ago');
  assert.equal(formatAge(21 * 86400_000), '3 weeks ago');
});
