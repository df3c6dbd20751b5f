// The catalog reads, writes and deletes only inside the warehouse roots it manages (design:
// clones-and-gc.md, guarantees 1 and 5), whatever a request names: new warehouse roots only
// under the operator's allow-list and only empty; orphan deletion only when the operator turned
// it on; commits and registers naming files outside the warehouse refused with nothing changed;
// one file spelled two ways never costs a live file. Sentinel files outside must survive all of it.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { stringifyJson } from '../../src/json/int64-json.js';
import { fileUri, fileUriToPath } from '../../src/storage/filesystem-store.js';
import { writeManifest, writeManifestList } from '../support/avro-files.js';
import { RestClient, bigSnapshotId, simpleSchema } from '../support/rest-client.js';
import { EAGER_COLLECTOR_ENV, createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

const exists = (path: string) => stat(path).then(() => true, () => false);

describe('confinement to the warehouse', { skip: noPostgres }, () => {
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  let client: RestClient;
  let outside: string;
  let sentinel: string;
  let allowed: string;

  before(async () => {
    outside = await mkdtemp(join(tmpdir(), 'catalog-sentinel-'));
    sentinel = join(outside, 'keep.txt');
    await writeFile(sentinel, 'not the catalog\'s');
    allowed = await mkdtemp(join(tmpdir(), 'catalog-allowed-'));
    database = await createDatabase('confine');
    catalog = await startTestCatalog({
      databaseUrl: database.url,
      env: { ...EAGER_COLLECTOR_ENV, CATALOG_WAREHOUSE_ALLOWED_ROOTS: fileUri(allowed) },
    });
    client = new RestClient(catalog.baseUrl);
    await client.createNamespace(['adv']);
  });

  after(async () => {
    await catalog?.close();
    await database?.drop();
    await rm(outside, { recursive: true, force: true });
    await rm(allowed, { recursive: true, force: true });
  });

  const collect = async (body: Record<string, unknown> = {}) => {
    const r = await client.request('POST', '/ext/v1/gc/runs', { wait: true, ...body });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'succeeded', JSON.stringify(r.body));
    return r.body;
  };

  /** A snapshot whose manifest list names one manifest naming `dataPaths`; files written for real. */
  async function snapshotNaming(table: string, dataPaths: string[]) {
    const loaded = await client.loadTable(['adv'], table);
    const location: string = loaded.body.metadata.location;
    const id = bigSnapshotId();
    const manifest = `${location}/metadata/m-${id}.avro`;
    const list = `${location}/metadata/snap-${id}.avro`;
    const manifestBytes = await writeManifest(dataPaths.map((path) => ({ status: 1, content: 0, path, size: 4 })));
    const listBytes = await writeManifestList([{ path: manifest, length: manifestBytes.length }]);
    for (const [uri, bytes] of [[manifest, manifestBytes], [list, listBytes]] as const) {
      await mkdir(dirname(fileUriToPath(uri)), { recursive: true });
      await writeFile(fileUriToPath(uri), bytes);
    }
    const parent = loaded.body.metadata['current-snapshot-id'];
    const snapshot = {
      'snapshot-id': id,
      ...(parent === null || parent === undefined || parent === -1 ? {} : { 'parent-snapshot-id': parent }),
      'sequence-number': (loaded.body.metadata['last-sequence-number'] ?? 0) + 1,
      'timestamp-ms': Date.now(),
      'manifest-list': list,
      summary: { operation: 'append' },
      'schema-id': 0,
    };
    const r = await client.commit(['adv'], table, [], [
      { action: 'add-snapshot', snapshot },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
    ]);
    assert.equal(r.status, 200, stringifyJson(r.body));
    return location;
  }

  async function dataFile(location: string, name: string) {
    const path = join(fileUriToPath(location), 'data', name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, 'data');
    return path;
  }

  test('a warehouse clone needs an empty root under the allow-list', async () => {
    const ext = '/ext/v1/default/clone';
    for (const location of [fileUri(outside), 's3://other-bucket/x', `${fileUri(allowed)}/../escape`]) {
      const r = await client.request('POST', ext, { destination: { name: 'evil', location } });
      assert.ok([400, 403].includes(r.status), `${location}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(typeof r.body.error.message, 'string');
    }
    await mkdir(join(allowed, 'used'));
    await writeFile(join(allowed, 'used', 'somebody.txt'), 'x');
    const used = await client.request('POST', ext, { destination: { name: 'used', location: `${fileUri(allowed)}/used` } });
    assert.equal(used.status, 400);
    assert.match(used.body.error.message, /not empty/);
    assert.equal((await client.request('GET', '/v1/config?warehouse=evil')).status, 404);
    assert.equal((await client.request('GET', '/v1/config?warehouse=used')).status, 404);

    const ok = await client.request('POST', ext, { destination: { name: 'copy', location: `${fileUri(allowed)}/copy` } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const managed = await sql<{ managed_root: boolean }>`SELECT managed_root FROM warehouse WHERE name = 'copy'`.execute(catalog.database.db);
    assert.equal(managed.rows[0].managed_root, true);
    assert.ok(await exists(join(allowed, 'used', 'somebody.txt')));
    assert.ok(await exists(sentinel));
  });

  test('commits and registers that name files outside the warehouse are refused, the table unchanged', async () => {
    await client.createTable(['adv'], { name: 'hostile', schema: simpleSchema });
    const before = (await client.loadTable(['adv'], 'hostile')).body;
    const location: string = before.metadata.location;
    const escapes = [
      fileUri(sentinel),
      `${location}/../../../../../../..${sentinel}`,
      `${location}/%2e%2e/%2e%2e/x.avro`,
      `file://localhost${sentinel}`,
      's3://other-bucket/snap.avro',
      `${location}\u0000/snap.avro`,
    ];
    for (const manifestList of escapes) {
      const id = bigSnapshotId();
      const snapshot = { 'snapshot-id': id, 'sequence-number': 1, 'timestamp-ms': Date.now(), 'manifest-list': manifestList, summary: { operation: 'append' }, 'schema-id': 0 };
      const r = await client.commit(['adv'], 'hostile', [], [{ action: 'add-snapshot', snapshot }]);
      assert.equal(r.status, 400, `${manifestList}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.type, 'BadRequestException');
    }
    const stats = await client.commit(['adv'], 'hostile', [], [
      { action: 'set-statistics', statistics: { 'snapshot-id': 1, 'statistics-path': fileUri(sentinel), 'file-size-in-bytes': 1, 'file-footer-size-in-bytes': 1, 'blob-metadata': [] } },
    ]);
    assert.equal(stats.status, 400, JSON.stringify(stats.body));
    const after = (await client.loadTable(['adv'], 'hostile')).body;
    assert.equal(after['metadata-location'], before['metadata-location'], 'nothing was committed');

    // A metadata file inside the warehouse whose snapshots name a file outside it.
    const doc = { ...before.metadata, snapshots: [{ 'snapshot-id': 7, 'sequence-number': 1, 'timestamp-ms': 1, 'manifest-list': fileUri(sentinel), summary: { operation: 'append' } }], 'current-snapshot-id': 7 };
    const docPath = join(fileUriToPath(location), 'metadata', 'hostile-register.metadata.json');
    await writeFile(docPath, JSON.stringify(doc));
    const registered = await client.request('POST', '/v1/default/namespaces/adv/register', { name: 'registered', 'metadata-location': fileUri(docPath) });
    assert.equal(registered.status, 400, JSON.stringify(registered.body));
    assert.equal((await client.loadTable(['adv'], 'registered')).status, 404);
    await collect();
    assert.equal(await readFile(sentinel, 'utf8'), 'not the catalog\'s');
  });

  test('requests cannot turn on orphan deletion that the configuration leaves off', async () => {
    const strict = await startTestCatalog({ databaseUrl: database.url, env: { CATALOG_GC_SCHEDULE: 'off', CATALOG_GC_ORPHAN_SCHEDULE: 'off', CATALOG_WAREHOUSE_NAME: 'strict' } });
    try {
      const r = await new RestClient(strict.baseUrl).request('POST', '/ext/v1/gc/runs', { wait: true, orphans: 'delete' });
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(r.body.error.type, 'ForbiddenException');
      const dry = await new RestClient(strict.baseUrl).request('POST', '/ext/v1/gc/runs', { wait: true, orphans: 'dry-run' });
      assert.equal(dry.status, 200, JSON.stringify(dry.body));
    } finally {
      await strict.close();
    }
  });

  test('a file two tables name, spelled two ways, survives the purge of either', async () => {
    await client.createTable(['adv'], { name: 'v', schema: simpleSchema });
    await client.createTable(['adv'], { name: 'm', schema: simpleSchema });
    const vLocation = (await client.loadTable(['adv'], 'v')).body.metadata.location as string;
    const shared = await dataFile(vLocation, 'x.parquet');
    await snapshotNaming('v', [`${vLocation}/data/x.parquet`]);
    await snapshotNaming('m', [`${vLocation}/./data/x.parquet`]);
    assert.equal((await client.request('DELETE', `${client.tablePath(['adv'], 'm')}?purgeRequested=true`)).status, 204);
    await collect();
    assert.ok(await exists(shared), 'the file v still names was deleted');
    await collect({ orphans: 'delete' });
    assert.ok(await exists(shared));
  });

  test('data files a manifest names outside the warehouse are never deleted, nor the table moved out', async () => {
    await client.createTable(['adv'], { name: 'points_out', schema: simpleSchema });
    const moved = await client.commit(['adv'], 'points_out', [], [{ action: 'set-location', location: fileUri(outside) }]);
    assert.equal(moved.status, 400, stringifyJson(moved.body));
    const location = (await client.loadTable(['adv'], 'points_out')).body.metadata.location as string;
    await snapshotNaming('points_out', [fileUri(sentinel), `${location}/data/../../../../../../../..${sentinel}`, `file://localhost${sentinel}`]);
    assert.equal((await client.request('DELETE', `${client.tablePath(['adv'], 'points_out')}?purgeRequested=true`)).status, 204);
    const run = await collect({ orphans: 'delete' });
    assert.equal(await readFile(sentinel, 'utf8'), 'not the catalog\'s', stringifyJson(run));
  });

  test('the orphan sweep keeps a live file a manifest spells with //', async () => {
    await client.createTable(['adv'], { name: 'w', schema: simpleSchema });
    const location = (await client.loadTable(['adv'], 'w')).body.metadata.location as string;
    const live = await dataFile(location, 'y.parquet');
    await snapshotNaming('w', [`${location}/data//y.parquet`]);
    const run = await collect({ orphans: 'delete' });
    assert.ok(await exists(live), `a live file was taken for an orphan: ${JSON.stringify(run.counts)}`);
  });

  test('nothing is deleted under a root the catalog does not manage', async () => {
    await client.createTable(['adv'], { name: 'unmanaged', schema: simpleSchema, properties: { 'write.metadata.previous-versions-max': '1' } });
    const location = fileUriToPath((await client.loadTable(['adv'], 'unmanaged')).body.metadata.location);
    const db = catalog.database.db;
    await sql`UPDATE warehouse SET managed_root = false WHERE name = 'default'`.execute(db);
    try {
      for (let i = 0; i < 3; i++) await client.commit(['adv'], 'unmanaged', [], [{ action: 'set-properties', updates: { step: String(i) } }]);
      const countMetadata = () => readdir(join(location, 'metadata')).then((f) => f.length);
      const before = await countMetadata();
      await collect({ orphans: 'delete' });
      assert.equal(await countMetadata(), before, 'files under an unmanaged root were deleted');
    } finally {
      await sql`UPDATE warehouse SET managed_root = true WHERE name = 'default'`.execute(db);
    }
    await collect();
    assert.ok(await exists(sentinel));
  });
});
