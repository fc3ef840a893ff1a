/**
 * The man page and the program never drift: each command's options in man/undocker.1 are
 * exactly those `--help` shows, in both directions (ripgrep keeps one source for both; this
 * test keeps two honest). An OPTIONS entry is `.TP`, a line naming its flags, then a
 * `.RB (` line naming the commands that take them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Option } from 'commander';
import { COMMANDS } from '../../src/cli/commands.js';
import { buildProgram } from '../../src/cli/program.js';

const MAN = readFileSync(fileURLToPath(new URL('../../../man/undocker.1', import.meta.url)), 'utf8').replace(
  /\\-/g,
  '-',
);

test('every command is in the SYNOPSIS', async () => {
  const program = await buildProgram(new AbortController().signal, COMMANDS);
  assert.ok(program.commands.length >= 4);
  for (const command of program.commands) {
    assert.match(MAN, new RegExp(`\\.B undocker ${command.name()}\\b`), `command ${command.name()} in SYNOPSIS`);
  }
});

/** manOptions maps each command named in OPTIONS to the flags its entries list. */
function manOptions(commands: ReadonlySet<string>): { byCommand: Map<string, Set<string>>; global: Set<string> } {
  const start = MAN.indexOf('.SH OPTIONS\n');
  const section = MAN.slice(start, MAN.indexOf('\n.SH ', start + 1));
  const byCommand = new Map([...commands].map((name) => [name, new Set<string>()]));
  const global = new Set<string>();
  for (const entry of section.split('\n.TP\n').slice(1)) {
    const [flagLine = '', commandLine = ''] = entry.split('\n');
    const flags = flagLine.match(/(?<![\w-])(--[a-z][a-z-]*|-[a-zA-Z])(?![\w-])/g) ?? [];
    const named = commandLine.startsWith('.RB (')
      ? commandLine
          .replace(/\\f[BIRP]/g, '')
          .split(/[\s",()]+/)
          .filter((word) => commands.has(word))
      : [];
    for (const flag of flags) {
      if (named.length === 0) global.add(flag);
      for (const name of named) byCommand.get(name)?.add(flag);
    }
  }
  return { byCommand, global };
}

// A hidden option (run's --keep, kept to explain that it is gone) is not documented.
const flagsOf = (options: readonly Option[]): string[] =>
  options
    .filter((option) => !option.hidden)
    .flatMap((option) => [option.short, option.long].filter((flag): flag is string => flag !== undefined))
    .sort();

test("each command's options in the man page are exactly the ones it takes", async () => {
  const program = await buildProgram(new AbortController().signal, COMMANDS);
  const { byCommand, global } = manOptions(new Set(program.commands.map((command) => command.name())));
  for (const command of program.commands) {
    assert.deepEqual(
      [...(byCommand.get(command.name()) ?? [])].sort(),
      flagsOf(command.options),
      `undocker ${command.name()}`,
    );
  }
  assert.deepEqual(
    [...global].sort(),
    ['--help', '--version', '-V', '-h'],
    "entries that name no command are the program's own",
  );
  assert.deepEqual(flagsOf(program.options), ['--version', '-V']);
});

test('the man page has the sections man-pages(7) asks for', () => {
  for (const section of [
    'NAME',
    'SYNOPSIS',
    'DESCRIPTION',
    'OPTIONS',
    'EXIT STATUS',
    'ENVIRONMENT',
    'FILES',
    'EXAMPLES',
    'SEE ALSO',
  ]) {
    assert.match(MAN, new RegExp(`^\\.SH ${section}$`, 'm'));
  }
});
