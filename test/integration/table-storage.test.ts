// What engines need from a table answer to reach its files: on a local warehouse a staged
// create makes the table's `metadata/` and `data/` directories (DuckDB's CTAS writes into
// them before committing), and on S3 every LoadTableResult carries the client-facing S3
// settings in `config` (DuckDB reads no other), never credentials, with ETags that cover it.
import assert from 'node:assert/strict';
import { mkdir, readdir, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileUriToPath } from '../../src/storage/filesystem-store.js';
import { stringifyJson } from '../../src/json/int64-json.js';
import { RestClient, appendSnapshot, bigSnapshotId, simpleSchema } from '../support/rest-client.js';
import { createDatabase, noPostgres, s3Endpoint, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

const isDirectory = (path: string) => stat(path).then((s) => s.isDirectory(), () => false);

describe('table storage on a local warehouse', { skip: noPostgres }, () => {
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  let client: RestClient;

  before(async () => {
    database = await createDatabase('table_storage_fs');
    catalog = await startTestCatalog({ databaseUrl: database.url });
    client = new RestClient(catalog.baseUrl);
    assert.equal((await client.createNamespace(['lake'])).status, 200);
  });

  after(async () => {
    await catalog?.close();
    await database?.drop();
  });

  test('a staged create makes the metadata and data directories, and registers nothing', async () => {
    const staged = await client.createTable(['lake'], { name: 'ctas', schema: simpleSchema, 'stage-create': true });
    assert.equal(staged.status, 200, JSON.stringify(staged.body));
    assert.equal(staged.body['metadata-location'], null);
    const dir = fileUriToPath(staged.body.metadata.location);
    assert.ok(await isDirectory(join(dir, 'metadata')), 'metadata/ exists');
    assert.ok(await isDirectory(join(dir, 'data')), 'data/ exists');
    assert.deepEqual(await readdir(join(dir, 'metadata')), [], 'no file is written before the commit');
    assert.equal((await client.request('HEAD', client.tablePath(['lake'], 'ctas'))).status, 404);
    assert.deepEqual(staged.body.config, {});
  });

  test('a staged create through a linked directory is refused, and nothing is made behind the link', async () => {
    const root = fileUriToPath(catalog.warehouseLocation);
    const elsewhere = join(root, '..', 'elsewhere');
    await mkdir(elsewhere, { recursive: true });
    await symlink(elsewhere, join(root, 'linked'));
    const staged = await client.createTable(['lake'], {
      name: 'through_link',
      schema: simpleSchema,
      location: `${catalog.warehouseLocation}/linked/t`,
      'stage-create': true,
    });
    assert.equal(staged.status, 400, JSON.stringify(staged.body));
    assert.match(staged.body.error.message, /symbolic link/);
    assert.deepEqual(await readdir(elsewhere), []);
  });

  test('a local table\'s config is empty', async () => {
    const created = await client.createTable(['lake'], { name: 'plain', schema: simpleSchema });
    assert.deepEqual(created.body.config, {});
    assert.deepEqual((await client.loadTable(['lake'], 'plain')).body.config, {});
  });
});

describe('table storage config on S3', { skip: noPostgres || (s3Endpoint ? false : 'CATALOG_TEST_S3_ENDPOINT is not set (run through npm test)') }, () => {
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  let client: RestClient;
  const warehouseLocation = `s3://warehouse/storage-config-${Math.random().toString(36).slice(2, 10)}`;
  const clientEndpoint = 'http://s3.example.test:9000';
  const env = { CATALOG_CLIENT_S3_ENDPOINT: clientEndpoint, CATALOG_S3_REGION: 'eu-central-1', CATALOG_GC_SCHEDULE: 'off', CATALOG_GC_ORPHAN_SCHEDULE: 'off' };
  const expected = {
    's3.endpoint': clientEndpoint,
    's3.region': 'eu-central-1',
    'client.region': 'eu-central-1',
    's3.path-style-access': 'true',
  };

  before(async () => {
    database = await createDatabase('table_storage_s3');
    catalog = await startTestCatalog({ databaseUrl: database.url, warehouseLocation, env });
    client = new RestClient(catalog.baseUrl);
    assert.equal((await client.createNamespace(['lake'])).status, 200);
  });

  after(async () => {
    await catalog?.close();
    await database?.drop();
  });

  test('create, stage-create, load, register and clone answers carry the S3 settings, the same as /v1/config', async () => {
    const created = await client.createTable(['lake'], { name: 't', schema: simpleSchema });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.deepEqual(created.body.config, expected);
    assert.deepEqual((await client.loadTable(['lake'], 't')).body.config, expected);
    assert.deepEqual((await client.loadTable(['lake'], 't', '?snapshots=refs')).body.config, expected);
    const staged = await client.createTable(['lake'], { name: 's', schema: simpleSchema, 'stage-create': true });
    assert.deepEqual(staged.body.config, expected);
    const config = await client.request('GET', '/v1/config');
    assert.deepEqual(config.body.defaults, expected);

    const metadataLocation = created.body['metadata-location'];
    assert.equal((await client.request('DELETE', client.tablePath(['lake'], 't'))).status, 204);
    const registered = await client.request('POST', '/v1/default/namespaces/lake/register', { name: 't', 'metadata-location': metadataLocation });
    assert.equal(registered.status, 200, JSON.stringify(registered.body));
    assert.deepEqual(registered.body.config, expected);

    const clone = await client.request('POST', '/ext/v1/default/namespaces/lake/tables/t/clone', { destination: { namespace: ['lake'], name: 't_dev' } });
    assert.equal(clone.status, 200, JSON.stringify(clone.body));
    assert.deepEqual(clone.body.config, expected);
    for (const key of Object.keys(clone.body.config)) assert.doesNotMatch(key, /secret|access-key|token|credential/i);
  });

  test('the ETag covers the config: 304 while it holds, a new tag under other S3 settings', async () => {
    const loaded = await client.loadTable(['lake'], 't');
    const etag = loaded.headers.get('etag')!;
    assert.ok(etag);
    assert.equal((await client.request('GET', client.tablePath(['lake'], 't'), undefined, { 'if-none-match': etag })).status, 304);
    // The commit's ETag is the following load's (weak when that load came compressed): a load
    // revalidated with it answers 304.
    const committed = await client.commit(['lake'], 't', [], [{ action: 'set-properties', updates: { k: 'v' } }]);
    assert.equal(committed.status, 200, JSON.stringify(committed.body));
    const reloaded = await client.loadTable(['lake'], 't');
    assert.equal(reloaded.headers.get('etag')!.replace(/^W\//, ''), committed.headers.get('etag'));
    const revalidated = await client.request('GET', client.tablePath(['lake'], 't'), undefined, { 'if-none-match': committed.headers.get('etag')! });
    assert.equal(revalidated.status, 304);

    // The same table served by a catalog with another region: the answer differs, so must the tag.
    const other = await startTestCatalog({ databaseUrl: database.url, warehouseLocation, env: { ...env, CATALOG_S3_REGION: 'us-west-2' } });
    try {
      const elsewhere = await new RestClient(other.baseUrl).loadTable(['lake'], 't');
      assert.equal(elsewhere.body.config['s3.region'], 'us-west-2');
      assert.notEqual(elsewhere.headers.get('etag'), reloaded.headers.get('etag'));
      const conditional = await new RestClient(other.baseUrl).request('GET', client.tablePath(['lake'], 't'), undefined, {
        'if-none-match': reloaded.headers.get('etag')!,
      });
      assert.equal(conditional.status, 200);
    } finally {
      await other.close();
    }
  });

  test('storage-credentials name every prefix a table reads from: a clone of a clone has its ancestors, even after one is purged', async () => {
    const prefixesOf = (answer: { body: { 'storage-credentials'?: { prefix: string; config: unknown }[] } }) =>
      (answer.body['storage-credentials'] ?? []).map((c) => c.prefix);
    const base = await client.createTable(['lake'], { name: 'base', schema: simpleSchema });
    const baseLocation = `${base.body.metadata.location}/`;
    assert.deepEqual(prefixesOf(base), [baseLocation]);
    // Each ancestor commits a snapshot of its own (its manifest list under its location), so
    // the grandchild reaches something under both: a clone that reaches nothing under a
    // source's location stops listing it (test/integration/source-release.test.ts).
    const commitSnapshot = async (name: string, location: string) => {
      const metadata = (await client.loadTable(['lake'], name)).body.metadata;
      const parent = metadata['current-snapshot-id'];
      const id = bigSnapshotId();
      const r = await client.commit(['lake'], name, [], [
        { action: 'add-snapshot', snapshot: appendSnapshot(id, parent == null || parent === -1 ? null : parent, Number(metadata['last-sequence-number']) + 1, location) },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
      ]);
      assert.equal(r.status, 200, stringifyJson(r.body));
    };
    await commitSnapshot('base', base.body.metadata.location);
    const clone = (from: string, to: string) =>
      client.request('POST', `/ext/v1/default/namespaces/lake/tables/${from}/clone`, { destination: { namespace: ['lake'], name: to }, history: 'all' });
    const child = await clone('base', 'child');
    assert.equal(child.status, 200, stringifyJson(child.body));
    assert.deepEqual(prefixesOf(child), [`${child.body.metadata.location}/`, baseLocation]);
    const childLocation = `${child.body.metadata.location}/`;
    await commitSnapshot('child', child.body.metadata.location);
    assert.equal((await clone('child', 'grandchild')).status, 200);
    // The middle table goes for good; its descendant still reads files under both ancestors.
    assert.equal((await client.request('DELETE', `${client.tablePath(['lake'], 'child')}?purgeRequested=true`)).status, 204);
    const run = await client.request('POST', '/ext/v1/gc/runs', { wait: true });
    assert.equal(run.body.status, 'succeeded', JSON.stringify(run.body));
    assert.ok(run.body.counts['tables-purged'] >= 1, JSON.stringify(run.body.counts));
    const loaded = await client.loadTable(['lake'], 'grandchild');
    const prefixes = prefixesOf(loaded);
    assert.equal(prefixes[0], `${loaded.body.metadata.location}/`);
    assert.deepEqual(prefixes.slice(1).sort(), [baseLocation, childLocation].sort());
    for (const entry of loaded.body['storage-credentials']) assert.deepEqual(entry.config, expected);
    // A table that writes its data elsewhere names that prefix too.
    const moved = await client.commit(['lake'], 'base', [], [{ action: 'set-properties', updates: { 'write.data.path': `${warehouseLocation}/lake/base_data` } }]);
    assert.equal(moved.status, 200, stringifyJson(moved.body));
    assert.deepEqual(prefixesOf(await client.loadTable(['lake'], 'base')), [baseLocation, `${warehouseLocation}/lake/base_data/`]);
  });
});
