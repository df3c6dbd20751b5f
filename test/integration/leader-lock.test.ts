// The collector's leader lock lives as long as its own database connection. When that
// connection is cut while the process lives, the lock is gone (another replica may take it),
// so leadership must say it is lost, the run must stop at its next step, and nothing may
// crash the process (an 'error' event on the connection with no listener would).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { GarbageCollector } from '../../src/gc/collector.js';
import { leaderLockFor, type Leadership } from '../../src/gc/leader-lock.js';
import { ObjectIndexer } from '../../src/gc/object-indexer.js';
import { Sweeper } from '../../src/gc/sweeper.js';
import { NO_GC_METRICS } from '../../src/observability/metrics.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { RestClient, simpleSchema } from '../support/rest-client.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('leader lock on Postgres', { skip: noPostgres }, () => {
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  let admin: pg.Client;

  before(async () => {
    database = await createDatabase('leader');
    catalog = await startTestCatalog({ databaseUrl: database.url, env: { CATALOG_GC_GRACE_MS: '0' } });
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
  });

  after(async () => {
    await admin?.end();
    await catalog?.close();
    await database?.drop();
  });

  /** Terminates the backend holding the collector's advisory lock; its pid, or undefined. */
  async function cutLockConnection(): Promise<number | undefined> {
    const holders = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND ((classid::bigint << 32) | objid::bigint) = 7262351001`,
    );
    const pid = holders.rows[0]?.pid;
    if (pid !== undefined) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    return pid;
  }

  async function lostWithin(leadership: Leadership, ms: number): Promise<boolean> {
    for (let waited = 0; waited < ms && !leadership.lost.aborted; waited += 50) await sleep(50);
    return leadership.lost.aborted;
  }

  test('a cut lock connection: leadership is lost, and another replica can lead', async () => {
    const lock = leaderLockFor(catalog.database);
    const leadership = await lock.tryAcquire();
    assert.ok(leadership);
    assert.equal(await lock.tryAcquire(), undefined, 'held: nobody else leads');
    assert.ok(await cutLockConnection(), 'the lock is held by a backend');
    assert.ok(await lostWithin(leadership, 5000), 'leadership reports itself lost');
    const next = await lock.tryAcquire();
    assert.ok(next, 'the lock is free again');
    await next.release();
    await leadership.release(); // harmless after the loss
  });

  test('a run whose lock connection is cut stops at its next step, interrupted, and says why', async () => {
    const client = new RestClient(catalog.baseUrl);
    await client.createNamespace(['leader']);
    await client.createTable(['leader'], { name: 't', schema: simpleSchema });
    // Reading the new metadata file waits until the test lets it go: the run sits in its index step.
    let letGo!: () => void;
    const gate = new Promise<void>((resolve) => (letGo = resolve));
    let reading!: () => void;
    const reached = new Promise<void>((resolve) => (reading = resolve));
    const store: ObjectStore = {
      ...catalog.store,
      get: async (uri) => {
        reading();
        await gate;
        return catalog.store.get(uri);
      },
      list: (prefix) => catalog.store.list(prefix),
      ensureDirectory: (uri, options) => catalog.store.ensureDirectory(uri, options),
      put: (uri, body) => catalog.store.put(uri, body),
      delete: (uris) => catalog.store.delete(uris),
    };
    const { db } = catalog.database;
    const collector = new GarbageCollector(
      db,
      store,
      leaderLockFor(catalog.database),
      new ObjectIndexer(db, store, 1),
      new Sweeper(store),
      catalog.deps.snapshotExpiry,
      { graceMs: 0, dropRetentionMs: 86_400_000, tombstoneRetentionMs: 86_400_000, runRetentionMs: 86_400_000, sweepBatch: 100, dryRunListLimit: 100, orphanDeletion: false },
      NO_GC_METRICS,
    );
    const started = await collector.start({ trigger: 'request', dryRun: false, orphans: 'off' });
    assert.ok(started);
    await reached;
    assert.ok(await cutLockConnection());
    await sleep(2500); // past a heartbeat, so the loss is known before the next step
    letGo();
    const finished = await started.finished;
    assert.equal(finished.status, 'interrupted', JSON.stringify(finished));
    assert.match(finished.errors.join('\n'), /leadership lost/);
    assert.equal(finished.phase, 'done');
    // The next run, by anyone, finishes the work.
    const again = await catalog.deps.collector.start({ trigger: 'request', dryRun: false, orphans: 'off' });
    assert.ok(again);
    assert.equal((await again.finished).status, 'succeeded');
  });
});
