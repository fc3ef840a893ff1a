import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quoteNspawnWord } from '../../../src/generate/nspawn-quote.js';
import { quoteExecuteWord, toInitWord, toLxcValue } from '../../../src/generate/lxc-quote.js';

test('nspawn words: bare when plain, double-quoted otherwise, a " in single quotes, pieces joined', () => {
  const cases: Array<[string, string]> = [
    ['plain', 'plain'],
    ['a b', '"a b"'],
    ['', '""'],
    ["it's", `"it's"`],
    ['say "hi"', `"say "'"'"hi"'"'`],
    ['"', `'"'`],
    ['$HOME', '"$HOME"'],
    ['100%', '100%'],
    ['back\\slash', '"back\\slash"'],
    ['trail\\', '"trail\\"'],
    ['tab\there', '"tab\there"'],
  ];
  for (const [word, quoted] of cases) assert.equal(quoteNspawnWord(word, 'argument'), quoted, JSON.stringify(word));
});

test('nspawn words with a newline or carriage return are refused, naming them', () => {
  assert.throws(() => quoteNspawnWord('two\nlines', 'argument 3 of the command'), {
    code: 'UNDOCKER_UNSUPPORTED',
    message: /argument 3 of the command "two\\nlines" holds a newline/,
  });
  assert.throws(() => quoteNspawnWord('cr\r', 'environment variable X'), /environment variable X/);
});

test('lxc.execute.cmd words: bare, or quoted with the quote they lack; both kinds refused', () => {
  const cases: Array<[string, string]> = [
    ['plain', 'plain'],
    ["it's", "it's"],
    ['x"y', 'x"y'],
    ['a b', '"a b"'],
    ['', '""'],
    ['say "hi" now', `'say "hi" now'`],
    ["'lead", `"'lead"`],
    ['tab\there', '"tab\there"'],
    ['back\\slash', 'back\\slash'],
  ];
  for (const [word, quoted] of cases) assert.equal(quoteExecuteWord(word, 'argument'), quoted, JSON.stringify(word));
  assert.throws(() => quoteExecuteWord(`it's "both"`, 'argument 2 of the command'), {
    code: 'UNDOCKER_UNSUPPORTED',
    message: /argument 2 of the command .* both kinds of quote/,
  });
  assert.throws(() => quoteExecuteWord('a\nb', 'argument 1'), /newline/);
  assert.throws(
    () => quoteExecuteWord('/LXC_ROOTFS/x', 'argument 1'),
    /LXC_ROOTFS, which lxc-create's local template rewrites/,
  );
});

test('lxc.init.cmd words cannot be empty or hold a space; values cannot end in whitespace', () => {
  assert.equal(toInitWord(`it's"x"`, 'a'), `it's"x"`);
  assert.throws(
    () => toInitWord('a b', 'argument 1 of the command'),
    /argument 1 of the command "a b" .* splits on every space/,
  );
  assert.throws(() => toInitWord('', 'argument 1'), /empty word/);
  assert.equal(toLxcValue('V=  lead', 'v'), 'V=  lead');
  assert.throws(() => toLxcValue('V=trail ', 'environment variable V'), /environment variable V .* trims/);
});
