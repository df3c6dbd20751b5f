// Views in clones and in the collector, on Postgres and a local warehouse: a namespace clone
// takes its views in the same transaction (default namespace pointed at the clone, or kept), a
// clone at a past time takes each view's version of then, a single view clones with lineage,
// TTL clones drop their views; the collector deletes a replaced or purged view's metadata
// file, never the current one, and never reads view metadata as table metadata.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { fileUriToPath } from '../../src/storage/filesystem-store.js';
import { RestClient, simpleSchema } from '../support/rest-client.js';
import { EAGER_COLLECTOR_ENV, createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';
import { viewSchema, viewVersion } from '../support/view-fixtures.js';

describe('views in clones and in the collector', { skip: noPostgres }, () => {
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  let client: RestClient;
  const ext = '/ext/v1/default';

  const viewPath = (levels: string[], name: string) => `/v1/default/namespaces/${client.ns(levels)}/views/${encodeURIComponent(name)}`;
  const createView = async (levels: string[], name: string, sqlText: string, defaultNamespace = levels) => {
    const answer = await client.request('POST', `/v1/default/namespaces/${client.ns(levels)}/views`, {
      name,
      schema: viewSchema,
      'view-version': viewVersion(sqlText, defaultNamespace),
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  };
  const replaceView = async (levels: string[], name: string, sqlText: string) => {
    const answer = await client.request('POST', viewPath(levels, name), {
      updates: [
        { action: 'add-view-version', 'view-version': { ...viewVersion(sqlText, levels), 'schema-id': 0 } },
        { action: 'set-current-view-version', 'view-version-id': -1 },
      ],
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  };
  const loadView = async (levels: string[], name: string) => {
    const answer = await client.request('GET', viewPath(levels, name));
    assert.equal(answer.status, 200, `${levels.join('.')}.${name}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  const currentOf = (metadata: { 'current-version-id': number; versions: { 'version-id': number }[] }) =>
    metadata.versions.find((v) => v['version-id'] === metadata['current-version-id']) as unknown as {
      'default-namespace': string[];
      representations: { sql: string }[];
    };
  const run = async (body: Record<string, unknown> = {}) => {
    const answer = await client.request('POST', '/ext/v1/gc/runs', { wait: true, ...body });
    assert.equal(answer.body.status, 'succeeded', JSON.stringify(answer.body));
    return answer.body;
  };

  before(async () => {
    database = await createDatabase('view_clones');
    catalog = await startTestCatalog({ databaseUrl: database.url, env: EAGER_COLLECTOR_ENV });
    client = new RestClient(catalog.baseUrl);
    for (const ns of [['prod'], ['prod', 'marts'], ['scratch']]) assert.equal((await client.createNamespace(ns)).status, 200);
    await client.createTable(['prod'], { name: 'orders', schema: simpleSchema });
  });

  after(async () => {
    await catalog?.close();
    await database?.drop();
  });

  test('a namespace clone takes the views of its tree, pointing their default namespace at the clone', async () => {
    await createView(['prod'], 'recent', 'select id from orders');
    await createView(['prod', 'marts'], 'daily', 'select count(*) from prod.orders');
    await createView(['prod'], 'elsewhere', 'select 1', ['scratch']);
    const clone = await client.request('POST', `${ext}/namespaces/prod/clone`, { destination: ['dev'] });
    assert.equal(clone.status, 200, JSON.stringify(clone.body));
    assert.deepEqual(
      clone.body.views.map((v: { identifier: { namespace: string[]; name: string } }) => [...v.identifier.namespace, v.identifier.name]).sort(),
      [['dev', 'elsewhere'], ['dev', 'marts', 'daily'], ['dev', 'recent']],
    );
    const recent = (await loadView(['dev'], 'recent')).metadata;
    assert.deepEqual(currentOf(recent)['default-namespace'], ['dev']);
    assert.equal(currentOf(recent).representations[0].sql, 'select id from orders', 'the query text is never rewritten');
    assert.notEqual(recent['view-uuid'], (await loadView(['prod'], 'recent')).metadata['view-uuid']);
    assert.deepEqual(currentOf((await loadView(['dev', 'marts'], 'daily')).metadata)['default-namespace'], ['dev', 'marts']);
    // Outside the cloned tree: left alone.
    assert.deepEqual(currentOf((await loadView(['dev'], 'elsewhere')).metadata)['default-namespace'], ['scratch']);

    const kept = await client.request('POST', `${ext}/namespaces/prod/clone`, { destination: ['dev_keep'], 'view-default-namespace': 'keep' });
    assert.equal(kept.status, 200, JSON.stringify(kept.body));
    assert.deepEqual(currentOf((await loadView(['dev_keep'], 'recent')).metadata)['default-namespace'], ['prod']);

    // Source and clone are independent from now on.
    await replaceView(['prod'], 'recent', 'select id, data from orders');
    assert.equal(currentOf((await loadView(['dev'], 'recent')).metadata).representations[0].sql, 'select id from orders');
    const lineage = await client.request('GET', `${ext}/namespaces/prod/views/recent/lineage`);
    assert.deepEqual(lineage.body.clones.map((c: { identifier: { namespace: string[] } }) => c.identifier.namespace[0]).sort(), ['dev', 'dev_keep']);
    assert.ok(lineage.body.clones.every((c: { kind: string }) => c.kind === 'view'));
  });

  test('a clone at a past time takes the version each view had then, and skips views made later', async () => {
    await client.createNamespace(['hist']);
    await createView(['hist'], 'v', 'select 1 as n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const at = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await replaceView(['hist'], 'v', 'select 2 as n');
    await createView(['hist'], 'later', 'select 3 as n');
    const clone = await client.request('POST', `${ext}/namespaces/hist/clone`, { destination: ['hist_then'], 'timestamp-ms': at });
    assert.equal(clone.status, 200, JSON.stringify(clone.body));
    assert.equal(currentOf((await loadView(['hist_then'], 'v')).metadata).representations[0].sql, 'select 1 as n');
    assert.deepEqual(clone.body.skipped.map((s: { identifier: { name: string } }) => s.identifier.name), ['later']);
    assert.equal((await client.request('HEAD', viewPath(['hist_then'], 'later'))).status, 404);
  });

  test('a single view clones under a new name, and a TTL namespace clone drops its views when it expires', async () => {
    const clone = await client.request('POST', `${ext}/namespaces/prod/views/recent/clone`, { destination: { namespace: ['scratch'], name: 'recent_copy' } });
    assert.equal(clone.status, 200, JSON.stringify(clone.body));
    assert.equal(clone.body.lineage.name, 'recent');
    assert.equal(currentOf(clone.body.metadata).representations[0].sql, 'select id, data from orders');
    const taken = await client.request('POST', `${ext}/namespaces/prod/views/recent/clone`, { destination: { namespace: ['prod'], name: 'orders' } });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.error.message, 'Table with same name already exists: prod.orders');

    const ttl = await client.request('POST', `${ext}/namespaces/prod/clone`, { destination: ['short'], 'ttl-seconds': 1 });
    assert.equal(ttl.status, 200, JSON.stringify(ttl.body));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const dropped = await catalog.deps.cloneRegistry.dropExpired();
    assert.ok(dropped.some((d) => d.name === 'recent'), JSON.stringify(dropped));
    assert.equal((await client.request('HEAD', viewPath(['short'], 'recent'))).status, 404);
  });

  test("the collector deletes a replaced view's old metadata file and a purged view's file, never a live one", async () => {
    const first = await createView(['scratch'], 'churn', 'select 1 as n');
    const second = await replaceView(['scratch'], 'churn', 'select 2 as n');
    const gone = await createView(['scratch'], 'gone', 'select 3 as n');
    assert.equal((await client.request('DELETE', viewPath(['scratch'], 'gone'))).status, 204);
    await client.request('POST', `${ext}/gc-settings`, { 'drop-retention-ms': 0 });
    const result = await run();
    await client.request('POST', `${ext}/gc-settings`, { 'drop-retention-ms': null });

    assert.equal(existsSync(fileUriToPath(first['metadata-location'])), false, 'replaced metadata file deleted');
    assert.equal(existsSync(fileUriToPath(second['metadata-location'])), true, 'current metadata file kept');
    assert.equal(existsSync(fileUriToPath(gone['metadata-location'])), false, "purged view's file deleted");
    assert.ok(result.counts['tables-purged'] >= 1, JSON.stringify(result.counts));
    assert.deepEqual(result.errors, [], 'no view metadata file was read as table metadata');
    // Every live view's file is still there, clones' included.
    const views = await sql<{ metadata_location: string }>`
      SELECT metadata_location FROM iceberg_table WHERE kind = 'view' AND dropped_at IS NULL`.execute(catalog.database.db);
    assert.ok(views.rows.length >= 8);
    for (const row of views.rows) assert.ok(existsSync(fileUriToPath(row.metadata_location)), row.metadata_location);
    const kinds = await sql<{ edges_state: string }>`
      SELECT DISTINCT edges_state FROM storage_object WHERE kind = 'view-metadata'`.execute(catalog.database.db);
    assert.deepEqual(kinds.rows.map((r) => r.edges_state), ['leaf']);
    // The orphan listing takes no view file for an orphan: it finds the one file planted here.
    const planted = `${fileUriToPath(catalog.warehouseLocation)}/scratch/planted.parquet`;
    await mkdir(dirname(planted), { recursive: true });
    await writeFile(planted, 'not registered');
    const orphans = await run({ orphans: 'dry-run' });
    assert.equal(orphans.counts['orphan-files-found'], 1, JSON.stringify(orphans.counts));
  });
});
