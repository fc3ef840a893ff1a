import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTemplate, renderText } from '../../../src/generate/template.js';

test('slots are filled; a slot alone on its line takes lines, or none', () => {
  assert.equal(
    renderText('t', 'a={{a}}\n{{list}}\n{{none}}\nend', { a: '1', list: ['x', 'y'], none: [] }),
    'a=1\nx\ny\nend',
  );
});

test('a slot without a value and a value without a slot are both errors', () => {
  assert.throws(() => renderText('t', 'a={{a}} b={{b}}', { a: '1' }), {
    message: 'template t: slot {{b}} has no value',
  });
  assert.throws(() => renderText('t', 'a={{a}}', { a: '1', extra: 'x' }), {
    message: 'template t: no slot for {{extra}}',
  });
  assert.throws(() => renderText('t', 'a={{a}} more', { a: ['1'] }), /must stand alone/);
});

test("the shipped templates render with their generators' slots", () => {
  const text = renderTemplate('lxc-create-message', { image: 'busybox:latest', start_line: 'start' });
  assert.match(text, /busybox:latest/);
});
