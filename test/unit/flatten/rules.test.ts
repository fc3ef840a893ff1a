/**
 * One named case per flattening rule (as go-containerregistry's TestExtract* and umoci's
 * TestUnpackEntryWhiteout), each checked on the tar output and on the directory output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '../../helpers/archives.js';
import { flattenBoth } from '../../helpers/flatten.js';
import type { FileRecord } from '../../helpers/summary.js';
import { RULE_CASES as cases } from '../../helpers/rule-cases.js';

for (const c of cases) {
  test(`flatten: ${c.name}`, async () => {
    const { tar, dir } = await flattenBoth(c.layers);
    for (const [label, summary] of [
      ['tar', tar],
      ['directory', dir],
    ] as const) {
      for (const [path, expected] of Object.entries(c.expect)) {
        const actual = summary.get(path);
        if (expected === null) assert.equal(actual, undefined, `${label}: ${path} should be absent`);
        else {
          assert.ok(actual, `${label}: ${path} should exist`);
          for (const [key, value] of Object.entries(expected))
            assert.deepEqual(actual[key as keyof FileRecord], value, `${label}: ${path}.${key}`);
        }
      }
      for (const path of summary.keys())
        assert.ok(!path.split('/').some((p) => p.startsWith('.wh.')), `${label}: whiteout ${path} in output`);
      c.check?.(summary);
    }
    // The tar and the directory must agree with each other entirely.
    assert.deepEqual(new Set(tar.keys()), new Set(dir.keys()));
  });
}

test(
  'regression: file data survives a batch boundary falling ' + 'inside a run of small files (directory writer)',
  async () => {
    // 600 small files: the writer's 512-operation batches end in the middle of their data.
    const files = Array.from({ length: 600 }, (_, i) => ({
      path: `many/f${i}`,
      content: `content of file ${i}\n`.repeat(1 + (i % 7)),
    }));
    const { dir } = await flattenBoth([[{ path: 'many/' }, ...files]]);
    for (const [i, file] of files.entries())
      assert.equal(dir.get(`many/f${i}`)?.sha256, sha256(file.content), `many/f${i}`);
  },
);
