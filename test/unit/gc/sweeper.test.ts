import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IndexedObject } from '../../../src/db/object-index-repository.js';
import { Sweeper, isRetryable, type SweeperOptions } from '../../../src/gc/sweeper.js';
import { MemoryObjectStore } from '../../../src/storage/memory-store.js';
import type { ConfinedAccess, DeleteOutcome } from '../../../src/storage/object-store.js';

/**
 * A memory store that records every delete call and fails the calls the test script says to
 * fail (by call number, from 1), so throttling and refusals can be played back.
 */
class ScriptedStore extends MemoryObjectStore {
  readonly calls: string[][] = [];
  constructor(private readonly failures: Record<number, unknown> = {}) {
    super();
  }

  override async delete(uris: readonly string[], options?: ConfinedAccess): Promise<DeleteOutcome> {
    this.calls.push([...uris]);
    const failure = this.failures[this.calls.length];
    if (failure !== undefined) throw failure;
    return super.delete(uris, options);
  }
}

const ROOT = 's3://bucket/wh';
const OPTIONS: SweeperOptions = { batchSize: 1000, concurrency: 4, maxAttempts: 5, baseBackoffMs: 200 };
const noSleep = async () => undefined;

function objects(n: number, root = ROOT, firstId = 1): IndexedObject[] {
  return Array.from({ length: n }, (_, i) => ({ id: firstId + i, uri: `${root}/t/data/${firstId + i}.parquet`, kind: 'data', sizeBytes: 10 }));
}

async function storeHolding(store: MemoryObjectStore, list: IndexedObject[]) {
  for (const o of list) await store.put(o.uri, 'x');
}

function namedError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function httpError(status: number): Error {
  return Object.assign(new Error(`HTTP ${status}`), { $metadata: { httpStatusCode: status } });
}

const ids = (list: IndexedObject[]) => list.map((o) => o.id).sort((a, b) => a - b);

describe('Sweeper.delete', () => {
  it('deletes in batches of batchSize: 2,500 objects make three calls of 1,000, 1,000 and 500', async () => {
    const store = new ScriptedStore();
    const list = objects(2500);
    await storeHolding(store, list);
    const outcome = await new Sweeper(store, OPTIONS, noSleep).delete(list, [ROOT]);

    assert.deepEqual(store.calls.map((c) => c.length).sort((a, b) => b - a), [1000, 1000, 500]);
    assert.deepEqual(store.calls.flat().sort(), list.map((o) => o.uri).sort());
    assert.deepEqual(ids(outcome.deleted), ids(list));
    assert.deepEqual(outcome.failed, []);
    assert.equal(outcome.retries, 0);
    assert.equal(store.objects.size, 0);
  });

  it('never hands the store an object outside every root, and reports it as failed', async () => {
    const store = new ScriptedStore();
    const inside = objects(3);
    const sibling = objects(1, 's3://bucket/wh2', 100);
    const otherBucket = objects(1, 's3://other/wh', 200);
    await storeHolding(store, [...inside, ...sibling, ...otherBucket]);
    const outcome = await new Sweeper(store, OPTIONS, noSleep).delete([...sibling, ...inside, ...otherBucket], [ROOT]);

    assert.deepEqual(store.calls.flat().sort(), inside.map((o) => o.uri).sort());
    assert.deepEqual(ids(outcome.deleted), ids(inside));
    assert.deepEqual(ids(outcome.failed.map((f) => f.object)), [100, 200]);
    assert.ok(outcome.failed.every((f) => /outside every warehouse root/.test(f.error)));
    assert.ok(store.objects.has(sibling[0].uri) && store.objects.has(otherBucket[0].uri));
  });

  it('accepts objects under any of several roots', async () => {
    const store = new ScriptedStore();
    const list = [...objects(2), ...objects(2, 'file:///srv/wh', 10)];
    const outcome = await new Sweeper(store, OPTIONS, noSleep).delete(list, [ROOT, 'file:///srv/wh']);
    assert.deepEqual(ids(outcome.deleted), [1, 2, 10, 11]);
    assert.deepEqual(outcome.failed, []);
  });

  it('makes no store call when there is nothing to delete inside the roots', async () => {
    const store = new ScriptedStore();
    const outcome = await new Sweeper(store, OPTIONS, noSleep).delete(objects(2, 's3://elsewhere/x'), [ROOT]);
    assert.equal(store.calls.length, 0);
    assert.equal(outcome.failed.length, 2);
    assert.deepEqual(await new Sweeper(store, OPTIONS, noSleep).delete([], [ROOT]), { deleted: [], failed: [], retries: 0 });
  });

  it('retries a throttled batch (SlowDown) and counts the retry when the next attempt succeeds', async () => {
    const store = new ScriptedStore({ 1: namedError('SlowDown', 'Please reduce your request rate.') });
    const list = objects(5);
    await storeHolding(store, list);
    const outcome = await new Sweeper(store, { ...OPTIONS, batchSize: 10 }, noSleep).delete(list, [ROOT]);

    assert.equal(store.calls.length, 2);
    assert.deepEqual(store.calls[1], store.calls[0]);
    assert.equal(outcome.retries, 1);
    assert.deepEqual(ids(outcome.deleted), ids(list));
    assert.deepEqual(outcome.failed, []);
    assert.equal(store.objects.size, 0);
  });

  it('retries a batch that got HTTP 503, waiting longer after each failure', async () => {
    const store = new ScriptedStore({ 1: httpError(503), 2: httpError(503) });
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
    };
    const outcome = await new Sweeper(store, { ...OPTIONS, baseBackoffMs: 100 }, sleep).delete(objects(3), [ROOT]);

    assert.equal(store.calls.length, 3);
    assert.equal(outcome.retries, 2);
    assert.equal(outcome.deleted.length, 3);
    assert.equal(waits.length, 2);
    // Jittered between half and one and a half times 100·2^(attempt-1).
    assert.ok(waits[0] >= 50 && waits[0] < 150, `first wait ${waits[0]}`);
    assert.ok(waits[1] >= 100 && waits[1] < 300, `second wait ${waits[1]}`);
  });

  it('gives up after maxAttempts and reports the batch as failed with the last error', async () => {
    const store = new ScriptedStore({ 1: namedError('SlowDown'), 2: namedError('SlowDown'), 3: namedError('SlowDown', 'still slow') });
    const list = objects(4);
    await storeHolding(store, list);
    const outcome = await new Sweeper(store, { ...OPTIONS, maxAttempts: 3 }, noSleep).delete(list, [ROOT]);

    assert.equal(store.calls.length, 3);
    assert.equal(outcome.retries, 2);
    assert.deepEqual(outcome.deleted, []);
    assert.deepEqual(ids(outcome.failed.map((f) => f.object)), ids(list));
    assert.ok(outcome.failed.every((f) => f.error === 'still slow'));
    assert.equal(store.objects.size, 4);
  });

  it('does not retry a refusal (HTTP 403)', async () => {
    const store = new ScriptedStore({ 1: httpError(403) });
    const outcome = await new Sweeper(store, OPTIONS, noSleep).delete(objects(2), [ROOT]);

    assert.equal(store.calls.length, 1);
    assert.equal(outcome.retries, 0);
    assert.deepEqual(outcome.deleted, []);
    assert.deepEqual(
      outcome.failed.map((f) => f.error),
      ['HTTP 403', 'HTTP 403'],
    );
  });

  it('a failed batch does not stop the other batches', async () => {
    // concurrency 1 makes the call order, and so which batch fails, deterministic.
    const store = new ScriptedStore({ 2: httpError(403) });
    const list = objects(5);
    const outcome = await new Sweeper(store, { ...OPTIONS, batchSize: 2, concurrency: 1 }, noSleep).delete(list, [ROOT]);

    assert.equal(store.calls.length, 3);
    assert.deepEqual(ids(outcome.deleted), [1, 2, 5]);
    assert.deepEqual(ids(outcome.failed.map((f) => f.object)), [3, 4]);
  });

  it('tells the store each batch\'s root, and reports what the store refused as failed, with its reason', async () => {
    const other = 's3://bucket/other-wh';
    const list = [...objects(2), ...objects(1, other, 10)];
    const store = new MemoryObjectStore();
    await storeHolding(store, list);
    const roots: (string | undefined)[] = [];
    const original = store.delete.bind(store);
    store.delete = async (uris, options) => {
      roots.push(options?.root);
      const outcome = await original(uris.filter((u) => !u.endsWith('/2.parquet')), options);
      return { refused: [...outcome.refused, ...uris.filter((u) => u.endsWith('/2.parquet')).map((uri) => ({ uri, reason: 'a link' }))] };
    };
    const outcome = await new Sweeper(store, OPTIONS, noSleep).delete(list, [ROOT, other]);
    assert.deepEqual(roots.sort(), [ROOT, other].sort());
    assert.deepEqual(ids(outcome.deleted), [1, 10]);
    assert.deepEqual(outcome.failed.map((f) => [f.object.id, f.error]), [[2, 'a link']]);
  });

  it('keeps at most `concurrency` batches in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const store = new MemoryObjectStore();
    store.delete = async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      return { refused: [] };
    };
    const outcome = await new Sweeper(store, { ...OPTIONS, batchSize: 1, concurrency: 3 }, noSleep).delete(objects(10), [ROOT]);
    assert.equal(outcome.deleted.length, 10);
    assert.equal(peak, 3);
  });
});

describe('isRetryable', () => {
  it('retries throttling and server trouble named by the error', () => {
    for (const name of ['SlowDown', 'ThrottlingException', 'RequestTimeout', 'InternalError', 'ServiceUnavailable']) {
      assert.equal(isRetryable(namedError(name)), true, name);
    }
  });

  it('retries HTTP 429 and 5xx, not other statuses', () => {
    assert.equal(isRetryable(httpError(429)), true);
    assert.equal(isRetryable(httpError(500)), true);
    assert.equal(isRetryable(httpError(503)), true);
    assert.equal(isRetryable(httpError(403)), false);
    assert.equal(isRetryable(httpError(404)), false);
    assert.equal(isRetryable(httpError(400)), false);
  });

  it('lets the status decide over the name', () => {
    assert.equal(isRetryable(Object.assign(namedError('SlowDown'), { $metadata: { httpStatusCode: 403 } })), false);
  });

  it('retries what the SDK marks $retryable', () => {
    assert.equal(isRetryable(Object.assign(httpError(400), { $retryable: { throttling: true } })), true);
  });

  it('retries transient network and file-system errors by code', () => {
    for (const code of ['ECONNRESET', 'ETIMEDOUT', 'EAGAIN', 'EMFILE', 'EBUSY']) {
      assert.equal(isRetryable(Object.assign(new Error(code), { code })), true, code);
    }
    assert.equal(isRetryable(Object.assign(new Error('denied'), { code: 'EACCES' })), false);
  });

  it('does not retry plain errors, refusals by name, or nothing at all', () => {
    assert.equal(isRetryable(new Error('boom')), false);
    assert.equal(isRetryable(namedError('AccessDenied')), false);
    assert.equal(isRetryable(null), false);
    assert.equal(isRetryable(undefined), false);
  });
});
