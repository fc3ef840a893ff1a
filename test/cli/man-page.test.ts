/**
 * The man page and the program never drift: every command and long option `--help` shows is
 * in man/undocker.1 (ripgrep keeps one source for both; this test keeps two honest).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildProgram } from '../../src/cli/program.js';

const MAN = readFileSync(fileURLToPath(new URL('../../../man/undocker.1', import.meta.url)), 'utf8').replace(/\\-/g, '-');

test('every command and long option is in the man page', async () => {
  const program = await buildProgram(new AbortController().signal);
  const names = program.commands.map((command) => command.name());
  assert.ok(names.length >= 4);
  for (const command of program.commands) {
    assert.match(MAN, new RegExp(`\\.B undocker ${command.name()}\\b`), `command ${command.name()} in SYNOPSIS`);
    for (const option of command.options) {
      if (option.long === undefined) continue;
      assert.ok(MAN.includes(option.long), `${command.name()} ${option.long} in the man page`);
    }
  }
  for (const option of program.options) if (option.long) assert.ok(MAN.includes(option.long), `${option.long} in the man page`);
});

test('the man page has the sections man-pages(7) asks for', () => {
  for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS', 'ENVIRONMENT', 'FILES', 'EXAMPLES', 'SEE ALSO']) {
    assert.match(MAN, new RegExp(`^\\.SH ${section}$`, 'm'));
  }
});
