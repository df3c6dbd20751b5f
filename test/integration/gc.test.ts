// The collector on a real Postgres and a real local-directory warehouse: dry run against the
// real run, a sweep interrupted after marking and finished by the next run, one collector at
// a time across processes' pools, orphans. Garbage comes from metadata files that fall out of
// a table's log (write.metadata.previous-versions-max=1), so every file here is real.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { GarbageCollector } from '../../src/gc/collector.js';
import { leaderLockFor } from '../../src/gc/leader-lock.js';
import { ObjectIndexer } from '../../src/gc/object-indexer.js';
import { Sweeper } from '../../src/gc/sweeper.js';
import { openCatalogDatabase } from '../../src/dependencies.js';
import { NO_GC_METRICS } from '../../src/observability/metrics.js';
import { fileUriToPath as toPath } from '../../src/storage/filesystem-store.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { RestClient, appendSnapshot, bigSnapshotId, simpleSchema } from '../support/rest-client.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  }
  return out.sort();
}

describe('collector on Postgres', { skip: noPostgres }, () => {
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  let client: RestClient;
  let root: string;

  before(async () => {
    database = await createDatabase('gc');
    catalog = await startTestCatalog({
      databaseUrl: database.url,
      env: { CATALOG_GC_GRACE_MS: '0', CATALOG_GC_SCHEDULE: 'off', CATALOG_GC_ORPHAN_SCHEDULE: 'off', CATALOG_GC_ORPHAN_MODE: 'delete' },
    });
    client = new RestClient(catalog.baseUrl);
    root = toPath(catalog.warehouseLocation);
    await client.createNamespace(['gc']);
  });

  after(async () => {
    await catalog?.close();
    await database?.drop();
  });

  /** A table whose every commit pushes its previous metadata file out of the log. */
  async function tableWithReleasedMetadata(name: string, commits: number): Promise<string> {
    const created = await client.createTable(['gc'], {
      name,
      schema: simpleSchema,
      properties: { 'write.metadata.previous-versions-max': '1' },
    });
    assert.equal(created.status, 200);
    for (let i = 0; i < commits; i++) {
      const r = await client.commit(['gc'], name, [], [{ action: 'set-properties', updates: { step: String(i) } }]);
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    return toPath(created.body.metadata.location);
  }

  const run = async (body: Record<string, unknown>) => {
    const r = await client.request('POST', '/ext/v1/gc/runs', { wait: true, ...body });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'succeeded', JSON.stringify(r.body));
    return r.body;
  };

  test('a dry run lists exactly the files the next run deletes, and why', async () => {
    const location = await tableWithReleasedMetadata('dry', 6);
    const dry = await run({ 'dry-run': true });
    const listed = (await client.request('GET', `/ext/v1/gc/runs/${dry['run-id']}/files?pageSize=2`)).body;
    const files = [...listed.files];
    let token = listed['next-page-token'];
    while (token) {
      const page = (await client.request('GET', `/ext/v1/gc/runs/${dry['run-id']}/files?pageSize=2&pageToken=${token}`)).body;
      files.push(...page.files);
      token = page['next-page-token'];
    }
    assert.equal(files.length, dry.counts['files-to-delete']);
    assert.ok(files.every((f: { reason: string }) => /^unreferenced since /.test(f.reason)));
    const before = await filesUnder(location);
    const real = await run({});
    const after = await filesUnder(location);
    const deleted = before.filter((f) => !after.includes(f));
    assert.deepEqual(deleted, files.map((f: { uri: string }) => toPath(f.uri)).sort());
    assert.equal(real.counts['files-deleted'], deleted.length);
    // The current metadata file and the one in its log stay, and the table loads.
    assert.equal(after.filter((f) => f.endsWith('.metadata.json')).length, 2);
    assert.equal((await client.loadTable(['gc'], 'dry')).status, 200);
  });

  test('a sweep that marked files and died is finished by the next run', async () => {
    const location = await tableWithReleasedMetadata('resume', 8);
    await run({ 'dry-run': true }); // index first, so the failing run below goes straight to marking
    // The storage refuses every delete, as if the process had died between mark and delete.
    const refusing: ObjectStore = {
      ...catalog.store,
      get: (uri) => catalog.store.get(uri),
      list: (prefix) => catalog.store.list(prefix),
      ensureDirectory: (uri, options) => catalog.store.ensureDirectory(uri, options),
      put: (uri, body) => catalog.store.put(uri, body),
      delete: async () => {
        throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
      },
    };
    const crippled = new GarbageCollector(
      catalog.database.db,
      refusing,
      leaderLockFor(catalog.database),
      new ObjectIndexer(catalog.database.db, refusing, 2),
      new Sweeper(refusing, { batchSize: 3, concurrency: 1, maxAttempts: 1, baseBackoffMs: 1 }),
      catalog.deps.snapshotExpiry,
      { graceMs: 0, dropRetentionMs: 86_400_000, tombstoneRetentionMs: 86_400_000, runRetentionMs: 86_400_000, sweepBatch: 3, dryRunListLimit: 100, orphanDeletion: true },
      NO_GC_METRICS,
    );
    const started = await crippled.start({ trigger: 'request', dryRun: false, orphans: 'off' });
    assert.ok(started);
    const failed = await started.finished;
    assert.ok(failed.counts['delete-failures'] >= 6, JSON.stringify(failed.counts));
    const marked = await sql<{ n: string }>`SELECT count(*) AS n FROM storage_object WHERE state = 'deleting'`.execute(catalog.database.db);
    assert.equal(Number(marked.rows[0].n), failed.counts['delete-failures']);
    const before = await filesUnder(location);

    const next = await run({});
    assert.ok(next.counts['files-deleted'] >= Number(marked.rows[0].n));
    const left = await sql<{ n: string }>`SELECT count(*) AS n FROM storage_object WHERE state = 'deleting'`.execute(catalog.database.db);
    assert.equal(Number(left.rows[0].n), 0);
    const after = await filesUnder(location);
    assert.equal(before.length - after.length, Number(marked.rows[0].n));
    assert.equal(after.filter((f) => f.endsWith('.metadata.json')).length, 2);
  });

  test('two collectors with their own connection pools never run at once', async () => {
    const second = await openCatalogDatabase(catalog.config);
    try {
      const other = new GarbageCollector(
        second.db,
        catalog.store,
        leaderLockFor(second),
        new ObjectIndexer(second.db, catalog.store, 2),
        new Sweeper(catalog.store),
        catalog.deps.snapshotExpiry,
        { graceMs: 0, dropRetentionMs: 86_400_000, tombstoneRetentionMs: 86_400_000, runRetentionMs: 86_400_000, sweepBatch: 100, dryRunListLimit: 100, orphanDeletion: true },
        NO_GC_METRICS,
      );
      for (let round = 0; round < 5; round++) {
        const [a, b] = await Promise.all([
          catalog.deps.collector.start({ trigger: 'request', dryRun: false, orphans: 'off' }),
          other.start({ trigger: 'request', dryRun: false, orphans: 'off' }),
        ]);
        assert.ok(a || b, `round ${round}: nobody ran`);
        await a?.finished;
        await b?.finished;
      }
      assert.ok(await overlapFree(), 'two runs overlapped in time');
      // While another pool holds the lock, the HTTP API answers 409 and starts nothing.
      const leadership = await leaderLockFor(second).tryAcquire();
      assert.ok(leadership);
      const refused = await client.request('POST', '/ext/v1/gc/runs', {});
      await leadership.release();
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error.type, 'GarbageCollectionInProgressException');
    } finally {
      await second.close();
    }

    async function overlapFree(): Promise<boolean> {
      const runs = (await client.request('GET', '/ext/v1/gc/runs?page-size=1000')).body.runs as {
        'started-at': string;
        'finished-at': string | null;
      }[];
      const spans = runs
        .filter((r) => r['finished-at'])
        .map((r) => [Date.parse(r['started-at']), Date.parse(r['finished-at']!)] as const)
        .sort((x, y) => x[0] - y[0]);
      return spans.every((span, i) => i === 0 || span[0] >= spans[i - 1][1]);
    }
  });

  test('orphans: a dry run lists them, delete removes them, registered files stay', async () => {
    const location = await tableWithReleasedMetadata('orphans', 1);
    await run({});
    const stray = [`${catalog.warehouseLocation}/gc/stray.parquet`, `${catalog.warehouseLocation}/gc/orphans-x/data/lost.parquet`];
    for (const uri of stray) await catalog.store.put(uri, 'not registered by any commit');
    const before = await filesUnder(location);

    const dry = await run({ orphans: 'dry-run' });
    const listed = (await client.request('GET', `/ext/v1/gc/runs/${dry['run-id']}/files`)).body.files as { uri: string; reason: string }[];
    assert.deepEqual(listed.map((f) => f.uri).sort(), stray.sort());
    assert.ok(listed.every((f) => /no commit registered it/.test(f.reason)));
    for (const uri of stray) assert.ok(await catalog.store.get(uri), 'a dry run deletes nothing');

    const real = await run({ orphans: 'delete' });
    assert.equal(real.counts['orphan-files-deleted'], 2);
    for (const uri of stray) assert.equal(await catalog.store.get(uri), undefined);
    assert.deepEqual(await filesUnder(location), before);
    assert.ok((await filesUnder(root)).length > 0);
  });

  test('a commit naming a file the collector deleted is refused with 409, and changes nothing', async () => {
    const gone = await sql<{ uri: string }>`SELECT uri FROM storage_object WHERE state = 'deleted' LIMIT 1`.execute(catalog.database.db);
    assert.ok(gone.rows[0], 'an earlier test left a deleted file');
    const created = await client.createTable(['gc'], { name: 'stale', schema: simpleSchema });
    const id = bigSnapshotId();
    const snapshot = { ...appendSnapshot(id, null, 1, created.body.metadata.location), 'manifest-list': gone.rows[0].uri };
    const refused = await client.commit(['gc'], 'stale', [], [
      { action: 'add-snapshot', snapshot },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
    ]);
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.error.type, 'CommitFailedException');
    const table = await client.loadTable(['gc'], 'stale');
    assert.deepEqual(table.body.metadata.snapshots, []);
  });

  test('Prometheus metrics count runs, deletions and the index lag', async () => {
    const server = await catalog.deps.metrics.listen('127.0.0.1', 0);
    try {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(body, /^catalog_gc_runs_total\{status="succeeded"\} [1-9]\d*$/m);
      assert.match(body, /^catalog_gc_deleted_files_total [1-9]\d*$/m);
      assert.match(body, /^catalog_gc_index_lag_objects \d+$/m);
      assert.match(body, /^catalog_gc_index_lag_seconds \d+(\.\d+)?$/m);
      assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
    } finally {
      server.close();
    }
  });

  test('run records: list, progress, a missing run, a bad request', async () => {
    const runs = (await client.request('GET', '/ext/v1/gc/runs')).body.runs;
    assert.ok(runs.length > 0);
    const one = await client.request('GET', `/ext/v1/gc/runs/${runs[0]['run-id']}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.phase, 'done');
    assert.equal((await client.request('GET', `/ext/v1/gc/runs/${crypto.randomUUID()}`)).status, 404);
    assert.equal((await client.request('GET', '/ext/v1/gc/runs/not-a-uuid')).status, 404);
    const bad = await client.request('POST', '/ext/v1/gc/runs', { orphans: 'everything' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.type, 'BadRequestException');
  });
});
