// Set-based tree clones (issue 14) on a real Postgres and real object storage: a namespace or
// warehouse clone larger than CATALOG_CLONE_INLINE_METADATA_FILES answers once its rows commit
// and writes its clones' first metadata files right after; a crash in between, the collector
// and a purge meanwhile stay correct.
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { fileUriToPath } from '../../src/storage/filesystem-store.js';
import { RestClient, appendSnapshot, bigSnapshotId, simpleSchema } from '../support/rest-client.js';
import { viewSchema, viewVersion } from '../support/view-fixtures.js';
import { EAGER_COLLECTOR_ENV, createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

const ext = '/ext/v1/default';
// More than the writer claims at once (64), so one blocked file meets a second batch.
const TABLES = 70;
const VIEWS = 3;

describe('set-based tree clones with deferred metadata files', { skip: noPostgres }, () => {
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  let client: RestClient;
  let sql: pg.Client;

  before(async () => {
    database = await createDatabase('set_based_clones');
    catalog = await startTestCatalog({
      databaseUrl: database.url,
      env: { ...EAGER_COLLECTOR_ENV, CATALOG_CLONE_EXPIRY_INTERVAL_MS: '0', CATALOG_CLONE_INLINE_METADATA_FILES: '8' },
    });
    client = new RestClient(catalog.baseUrl);
    sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
    await client.createNamespace(['prod']);
    await client.createNamespace(['prod', 'inner']);
    for (let i = 0; i < TABLES; i++) {
      const ns = i % 4 === 0 ? ['prod', 'inner'] : ['prod'];
      assert.equal((await client.createTable(ns, { name: `t${i}`, schema: simpleSchema })).status, 200);
      const location = (await client.loadTable(ns, `t${i}`)).body.metadata.location;
      const id = bigSnapshotId();
      const committed = await client.commit(ns, `t${i}`, [], [
        { action: 'add-snapshot', snapshot: appendSnapshot(id, null, 1, location) },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
      ]);
      assert.equal(committed.status, 200);
    }
    for (let i = 0; i < VIEWS; i++) {
      const body = { name: `v${i}`, schema: viewSchema, 'view-version': viewVersion(`SELECT * FROM t${i}`, ['prod']) };
      assert.equal((await client.request('POST', `/v1/default/namespaces/prod/views`, body)).status, 200);
    }
  });

  after(async () => {
    await sql?.end();
    await catalog?.close();
    await database?.drop();
  });

  const pendingCount = async () => Number((await sql.query('SELECT count(*) AS n FROM pending_metadata_file')).rows[0].n);
  const exists = async (uri: string) => (await catalog.store.get(uri)) !== undefined;

  async function cloneNamespace(destination: string[]) {
    const response = await client.request('POST', `${ext}/namespaces/prod/clone`, { destination });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.tables.length, TABLES);
    assert.equal(response.body.views.length, VIEWS);
    return response.body as { tables: { identifier: { namespace: string[]; name: string }; 'metadata-location': string }[]; views: { 'metadata-location': string }[] };
  }

  /** A clone whose process "dies" right after its commit: nothing starts writing its files. */
  async function cloneWithWriterDown(destination: string[]) {
    const writer = catalog.deps.pendingMetadata;
    const kick = writer.kick;
    writer.kick = () => undefined;
    try {
      return await cloneNamespace(destination);
    } finally {
      writer.kick = kick;
    }
  }

  test('a large namespace clone answers, serves every clone from the database, and its files follow', async () => {
    const result = await cloneNamespace(['copy1']);
    for (const t of result.tables.slice(0, 5)) {
      const loaded = await client.loadTable(t.identifier.namespace, t.identifier.name);
      assert.equal(loaded.status, 200);
      assert.equal(loaded.body['metadata-location'], t['metadata-location']);
    }
    await catalog.deps.pendingMetadata.idle();
    await catalog.deps.pendingMetadata.drain();
    assert.equal(await pendingCount(), 0);
    for (const entry of [...result.tables, ...result.views]) {
      const bytes = await catalog.store.get(entry['metadata-location']);
      assert.ok(bytes, `${entry['metadata-location']} was written`);
    }
    // Each file holds the document loads serve.
    const first = result.tables[0];
    const loaded = await client.loadTable(first.identifier.namespace, first.identifier.name);
    const file = JSON.parse(Buffer.from((await catalog.store.get(first['metadata-location']))!).toString());
    assert.equal(file['table-uuid'], loaded.body.metadata['table-uuid']);
    // The clone is one audit event: the writing after it is not the request's work.
    const events = await sql.query(`SELECT count(*) AS n FROM audit_event WHERE action = 'cloneNamespace'`);
    assert.equal(events.rows[0].n, '1');
    // One statement per kind of row: lineage rows for every table and view, grants, namespaces.
    const lineage = await sql.query(`SELECT count(DISTINCT operation_id) AS ops, count(*) AS n FROM table_lineage l
      JOIN iceberg_table t ON t.table_id = l.table_id JOIN namespace n ON n.namespace_id = t.namespace_id WHERE n.levels[1] = 'copy1'`);
    assert.deepEqual(lineage.rows[0], { ops: '1', n: String(TABLES + VIEWS) });
  });

  test('a crash before the files are written: loads and commits work, the indexer waits, a later drain writes them', async () => {
    const writer = catalog.deps.pendingMetadata;
    const result = await cloneWithWriterDown(['copy2']);
    assert.equal(await pendingCount(), TABLES + VIEWS);
    const first = result.tables[0];
    assert.equal(await exists(first['metadata-location']), false);
    // A commit onto the clone meanwhile: its metadata log names the unwritten file.
    const m = (await client.loadTable(first.identifier.namespace, first.identifier.name)).body.metadata;
    const committed = await client.commit(first.identifier.namespace, first.identifier.name, [], [
      { action: 'set-properties', updates: { touched: 'yes' } },
    ]);
    assert.equal(committed.status, 200);
    assert.equal(committed.body.metadata['metadata-log'].at(-1)['metadata-file'], first['metadata-location']);
    assert.equal(m.properties.touched, undefined);
    // Rolling the clone back onto its first, unwritten metadata file (register with overwrite)
    // reads the document the file will hold.
    const rolledBack = await client.request('POST', `/v1/default/namespaces/${client.ns(first.identifier.namespace)}/register`, {
      name: first.identifier.name,
      'metadata-location': first['metadata-location'],
      overwrite: true,
    });
    assert.equal(rolledBack.status, 200, rolledBack.body?.error?.message);
    assert.equal(rolledBack.body.metadata.properties.touched, undefined);
    // A collection now: the pending file is not read (not marked missing for good), nothing of the clone is deleted.
    const run = await client.request('POST', '/ext/v1/gc/runs', { wait: true });
    assert.equal(run.status, 200, JSON.stringify(run.body));
    const index = await sql.query(`SELECT edges_state, state FROM storage_object WHERE uri = $1`, [first['metadata-location']]);
    assert.deepEqual(index.rows[0], { edges_state: 'pending', state: 'live' });
    // An older replica's indexer (one that knows no pending files) found it missing meanwhile.
    await sql.query(`UPDATE storage_object SET edges_state = 'unreadable', index_error = 'file not found' WHERE uri = $1`, [first['metadata-location']]);
    // The restart's drain: the file is written, and read again by the next collection.
    assert.equal(await writer.drain(), TABLES + VIEWS);
    assert.equal(await pendingCount(), 0);
    assert.ok(await exists(first['metadata-location']));
    const afterRun = await client.request('POST', '/ext/v1/gc/runs', { wait: true });
    assert.equal(afterRun.status, 200);
    const indexed = await sql.query(`SELECT edges_state FROM storage_object WHERE uri = $1`, [first['metadata-location']]);
    assert.equal(indexed.rows[0].edges_state, 'indexed');
  });

  test('a half-written file left by a crash is replaced by the document the row holds', async () => {
    const writer = catalog.deps.pendingMetadata;
    const result = await cloneWithWriterDown(['copy3']);
    const target = result.tables[1]['metadata-location'];
    await catalog.store.put(target, '{"format-vers', { root: catalog.warehouseLocation });
    await writer.drain();
    const file = JSON.parse(Buffer.from((await catalog.store.get(target))!).toString());
    assert.equal(typeof file['table-uuid'], 'string');
  });

  test('a file storage keeps refusing stays pending and holds up none of the others', async () => {
    const writer = catalog.deps.pendingMetadata;
    const result = await cloneWithWriterDown(['copy5']);
    // Something in the way of the first file the writer claims (key order): a directory at its
    // name, so its write and read fail.
    const blocked = result.tables.map((t) => t['metadata-location']).sort()[0];
    await mkdir(fileUriToPath(blocked), { recursive: true });
    assert.equal(await writer.drain(), TABLES + VIEWS - 1);
    const left = await sql.query('SELECT metadata_location FROM pending_metadata_file');
    assert.deepEqual(left.rows.map((r) => r.metadata_location), [blocked]);
    await rm(fileUriToPath(blocked), { recursive: true });
    assert.equal(await writer.drain(), 1);
    assert.equal(await pendingCount(), 0);
  });

  test('a clone dropped and purged before its files are written never gets them', async () => {
    const writer = catalog.deps.pendingMetadata;
    const result = await cloneWithWriterDown(['copy4']);
    const victim = result.tables[2];
    const dropped = await client.request('DELETE', `/v1/default/namespaces/${client.ns(victim.identifier.namespace)}/tables/${victim.identifier.name}?purgeRequested=true`);
    assert.equal(dropped.status, 204);
    const run = await client.request('POST', '/ext/v1/gc/runs', { wait: true });
    assert.equal(run.status, 200, JSON.stringify(run.body));
    const row = await sql.query('SELECT 1 FROM pending_metadata_file WHERE metadata_location = $1', [victim['metadata-location']]);
    assert.equal(row.rowCount, 0, 'the purge took its pending row along');
    await writer.drain();
    assert.equal(await exists(victim['metadata-location']), false);
    assert.ok(await exists(result.tables[3]['metadata-location']));
  });

  test('a warehouse clone of all of it, with grants copied, in one operation', async () => {
    const destination = { name: 'copywh', location: `${catalog.config.warehouseAllowedRoots[0]}/copywh` };
    const response = await client.request('POST', `${ext}/clone`, { destination, 'copy-grants': true });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.ok(response.body.tables.length >= TABLES);
    await catalog.deps.pendingMetadata.idle();
    await catalog.deps.pendingMetadata.drain();
    for (const t of response.body.tables.slice(0, 10)) assert.ok(await exists(t['metadata-location']));
    const loaded = await client.request('GET', `/v1/copywh/namespaces/prod/tables/t1`);
    assert.equal(loaded.status, 200);
  });

  test('a namespace clone onto an existing namespace is a 409 and leaves nothing behind', async () => {
    const before = Number((await sql.query('SELECT count(*) AS n FROM iceberg_table')).rows[0].n);
    const response = await client.request('POST', `${ext}/namespaces/prod/clone`, { destination: ['copy1'] });
    assert.equal(response.status, 409);
    assert.equal(response.body.error.type, 'AlreadyExistsException');
    assert.equal(Number((await sql.query('SELECT count(*) AS n FROM iceberg_table')).rows[0].n), before);
  });
});
