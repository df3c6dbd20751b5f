// What a repeat of an Idempotency-Key is answered, what makes two requests the same, and how
// the lifetime is advertised.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IdempotencyRow } from '../../src/db/idempotency-repository.js';
import { IDEMPOTENCY_KEY, answerRepeat, isoDuration, requestFingerprint } from '../../src/idempotency/idempotency-keys.js';

const NOW = 1_000_000_000;
const STALE = 70_000;
const row = (over: Partial<IdempotencyRow>): IdempotencyRow => ({
  fingerprint: 'f',
  operation: 'updateTable',
  attempt: 'a',
  state: 'running',
  landed: false,
  startedAt: new Date(NOW - 1_000),
  status: null,
  headers: null,
  body: null,
  ...over,
});

test('a repeat is replayed once final, waits while the first runs, re-runs only what never landed', () => {
  const answer = (over: Partial<IdempotencyRow>, fingerprint = 'f') => answerRepeat(row(over), fingerprint, NOW, STALE).kind;
  assert.equal(answer({ state: 'done', landed: true, status: 200 }), 'replay');
  assert.equal(answer({ state: 'done', landed: false, status: 409 }), 'replay', 'a final 4xx too');
  assert.equal(answer({ state: 'done' }, 'g'), 'mismatch', 'another request under the key');
  assert.equal(answer({}, 'g'), 'mismatch', 'even while the first runs');
  assert.equal(answer({}), 'wait');
  assert.equal(answer({ landed: true }), 'wait', 'landed, its answer about to be kept');
  assert.equal(answer({ state: 'retryable' }), 'take-over', 'a 5xx that changed nothing');
  const old = new Date(NOW - STALE - 1);
  assert.equal(answer({ startedAt: old }), 'take-over', 'stopped before landing');
  assert.equal(answer({ startedAt: old, landed: true }), 'outcome-unknown');
  assert.equal(answer({ state: 'retryable', landed: true, startedAt: old }), 'outcome-unknown', 'a 503 whose work landed later');
});

test('the fingerprint ignores key order and spacing, not values, route or parameters', () => {
  const base = { method: 'POST', route: '/v1/:prefix/namespaces/:namespace/tables/:table', params: { prefix: 'w', namespace: 'n', table: 't' }, query: {} };
  const one = requestFingerprint({ ...base, body: { a: 1, b: { c: [1, 2], d: 9007199254740993n } } });
  assert.equal(requestFingerprint({ ...base, body: { b: { d: 9007199254740993n, c: [1, 2] }, a: 1 } }), one);
  assert.notEqual(requestFingerprint({ ...base, body: { a: 1, b: { c: [2, 1], d: 9007199254740993n } } }), one);
  assert.notEqual(requestFingerprint({ ...base, body: { a: 1, b: { c: [1, 2], d: 9007199254740992n } } }), one, 'int64 values exactly');
  assert.notEqual(requestFingerprint({ ...base, params: { ...base.params, table: 'u' }, body: { a: 1, b: { c: [1, 2], d: 9007199254740993n } } }), one);
  assert.notEqual(requestFingerprint({ ...base, method: 'DELETE', body: undefined }), requestFingerprint({ ...base, method: 'POST', body: undefined }));
  assert.notEqual(requestFingerprint({ ...base, query: { purgeRequested: 'true' }, body: undefined }), requestFingerprint({ ...base, body: undefined }));
});

test('keys are UUIDs in their 36-character form; the lifetime an ISO-8601 duration', () => {
  assert.ok(IDEMPOTENCY_KEY.test('017F22E2-79B0-7CC3-98C4-DC0C0C07398F'));
  for (const bad of ['', 'x', '017F22E2-79B0-7CC3-98C4-DC0C0C07398', '017F22E279B07CC398C4DC0C0C07398F', '017F22E2-79B0-7CC3-98C4-DC0C0C07398FF', '017f22e2-79b0-7cc3-98c4-dc0c0c07398g']) {
    assert.ok(!IDEMPOTENCY_KEY.test(bad), bad);
  }
  assert.equal(isoDuration(1_800_000), 'PT30M');
  assert.equal(isoDuration(90_000), 'PT90S');
});
