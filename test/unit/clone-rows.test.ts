// Grouping of a clone's rows into statements by document size (src/db/clone-rows.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupsBySize } from '../../src/db/clone-rows.js';

test('rows are grouped in order, each group within the limit', () => {
  const sizes = [3, 4, 2, 6, 1, 1];
  assert.deepEqual(groupsBySize(sizes, (n) => n, 7), [[3, 4], [2], [6, 1], [1]]);
});

test('an item larger than the limit is a group of its own; nothing is dropped', () => {
  assert.deepEqual(groupsBySize([1, 20, 2], (n) => n, 5), [[1], [20], [2]]);
  assert.deepEqual(groupsBySize([], (n: number) => n, 5), []);
});

test('a usual operation is one group', () => {
  const items = Array.from({ length: 10_000 }, () => 3_000);
  assert.equal(groupsBySize(items, (n) => n * 2, 64 * 1024 * 1024).length, 1);
});
