// Registered queries go to Postgres by name (planned once per connection); any other text,
// and every other call shape pg's client takes, passes through unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type pg from 'pg';
import { namePrepared, prepared } from '../../../src/db/prepared-statements.js';

test('a registered text with values runs under a stable name; others as given', () => {
  const calls: unknown[][] = [];
  const client = { query: (...args: unknown[]) => calls.push(args) } as unknown as pg.PoolClient;
  namePrepared(client);
  const hot = prepared('SELECT 1 WHERE $1::int = 1');
  client.query(hot, [1]);
  client.query('SELECT 2', [2]);
  client.query({ text: hot, values: [1] } as never);
  client.query(hot);
  const [named] = calls[0] as [{ name: string; text: string; values: unknown[] }];
  assert.match(named.name, /^catalog_[0-9a-f]{16}$/);
  assert.deepEqual({ text: named.text, values: named.values }, { text: hot, values: [1] });
  assert.equal(prepared('SELECT 1 WHERE $1::int = 1'), hot);
  client.query(hot, [5]);
  assert.equal((calls[4] as [{ name: string }])[0].name, named.name, 'the same name each time');
  assert.deepEqual(calls[1].slice(0, 2), ['SELECT 2', [2]]);
  assert.deepEqual(calls[2][0], { text: hot, values: [1] }, 'a config object is left alone');
  assert.deepEqual(calls[3].slice(0, 1), [hot], 'no values: as given');
});
