// The collector and the commit path against hostile manifests and names: a file a live but
// unreadable manifest names is never deleted; one bad manifest (a NUL in a path, a path too
// long for the index) never holds every run; over-long URIs in requests are 400s; a register
// cannot bring in format-v1 inline manifests, which nothing would root.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringifyJson } from '../../src/json/int64-json.js';
import { fileUriToPath } from '../../src/storage/filesystem-store.js';
import { writeManifest, writeManifestList } from '../support/avro-files.js';
import { RestClient, bigSnapshotId, simpleSchema } from '../support/rest-client.js';
import { EAGER_COLLECTOR_ENV, createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

const exists = (path: string) => stat(path).then(() => true, () => false);

describe('hostile manifests and names', { skip: noPostgres }, () => {
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  let client: RestClient;

  before(async () => {
    database = await createDatabase('hostilemf');
    catalog = await startTestCatalog({ databaseUrl: database.url, env: EAGER_COLLECTOR_ENV });
    client = new RestClient(catalog.baseUrl);
    await client.createNamespace(['r']);
  });

  after(async () => {
    await catalog?.close();
    await database?.drop();
  });

  const collect = async (body: Record<string, unknown> = {}) => {
    const r = await client.request('POST', '/ext/v1/gc/runs', { wait: true, ...body });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };

  async function put(uri: string, bytes: Uint8Array | string) {
    await mkdir(dirname(fileUriToPath(uri)), { recursive: true });
    await writeFile(fileUriToPath(uri), bytes);
  }

  test('a register of format-v1 inline manifests, which no snapshot row would root, is refused', async () => {
    await client.createTable(['r'], { name: 'v1src', schema: simpleSchema, properties: { 'format-version': '1' } });
    const loaded = await client.loadTable(['r'], 'v1src');
    const location: string = loaded.body.metadata.location;
    const dataUri = `${location}/data/live.parquet`;
    await put(dataUri, 'data');
    const manifest = `${location}/metadata/m-v1.avro`;
    await put(manifest, await writeManifest([{ status: 1, content: 0, path: dataUri, size: 4 }]));
    const id = 1234567;
    const doc = {
      ...loaded.body.metadata,
      snapshots: [{ 'snapshot-id': id, 'timestamp-ms': Date.now(), manifests: [manifest], summary: { operation: 'append' }, 'schema-id': 0 }],
      'current-snapshot-id': id,
      refs: { main: { 'snapshot-id': id, type: 'branch' } },
      'snapshot-log': [{ 'snapshot-id': id, 'timestamp-ms': Date.now() }],
      'metadata-log': [],
    };
    // drop the source so the location is free
    assert.equal((await client.request('DELETE', `${client.tablePath(['r'], 'v1src')}`)).status, 204);
    const docUri = `${location}/metadata/v1-register.metadata.json`;
    await put(docUri, stringifyJson(doc));
    const reg = await client.request('POST', '/v1/default/namespaces/r/register', { name: 'v1reg', 'metadata-location': docUri });
    assert.equal(reg.status, 400, stringifyJson(reg.body));
    assert.match(reg.body.error.message, /no manifest list/);
    assert.equal((await client.loadTable(['r'], 'v1reg')).status, 404);
  });

  test('a data file a live but over-cap manifest still names survives the expiry of the snapshot that added it', async () => {
    await client.createTable(['r'], { name: 'big', schema: simpleSchema });
    const location: string = (await client.loadTable(['r'], 'big')).body.metadata.location;
    const d = `${location}/data/d.parquet`;
    await put(d, 'data');
    const commitSnapshot = async (id: bigint, parent: bigint | null, seq: number, list: string) => {
      const r = await client.commit(['r'], 'big', [], [
        { action: 'add-snapshot', snapshot: { 'snapshot-id': id, ...(parent ? { 'parent-snapshot-id': parent } : {}), 'sequence-number': seq, 'timestamp-ms': Date.now(), 'manifest-list': list, summary: { operation: 'append' }, 'schema-id': 0 } },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
      ]);
      assert.equal(r.status, 200, stringifyJson(r.body));
    };
    const m1 = `${location}/metadata/m1.avro`;
    const m1b = await writeManifest([{ status: 1, content: 0, path: d, size: 4 }]);
    await put(m1, m1b);
    const l1 = `${location}/metadata/snap-1.avro`;
    await put(l1, await writeManifestList([{ path: m1, length: m1b.length }]));
    const s1 = bigSnapshotId();
    await commitSnapshot(s1, null, 1, l1);
    // S2: one manifest (as rewrite_manifests makes) with 250,001 entries; d is EXISTING in it.
    const entries = [{ status: 0, content: 0, path: d, size: 4 }];
    for (let i = 0; i < 250_000; i++) entries.push({ status: 0, content: 0, path: `${location}/data/f${i}.parquet`, size: 4 });
    const m2 = `${location}/metadata/m2.avro`;
    const m2b = await writeManifest(entries);
    await put(m2, m2b);
    const l2 = `${location}/metadata/snap-2.avro`;
    await put(l2, await writeManifestList([{ path: m2, length: m2b.length }]));
    const s2 = bigSnapshotId();
    await commitSnapshot(s2, s1, 2, l2);
    const first = await collect();
    assert.ok(first.errors.some((e: string) => e.includes(m2)), `the over-cap manifest is reported: ${stringifyJson(first.errors)}`);
    const expired = await client.commit(['r'], 'big', [], [{ action: 'remove-snapshots', 'snapshot-ids': [s1] }]);
    assert.equal(expired.status, 200, stringifyJson(expired.body));
    const second = await collect();
    assert.equal(second.counts['files-deleted'] ?? 0, 0, `nothing may go while m2 is unread: ${stringifyJson(second.counts)}`);
    assert.equal(String((await client.loadTable(['r'], 'big')).body.metadata['current-snapshot-id']), String(s2));
    assert.ok(await exists(fileUriToPath(d)), 'a data file of the current snapshot was deleted');
  });

  test('a NUL in a manifest entry path', async () => {
    await client.createTable(['r'], { name: 'nul', schema: simpleSchema });
    const location: string = (await client.loadTable(['r'], 'nul')).body.metadata.location;
    const manifest = `${location}/metadata/m-nul.avro`;
    const list = `${location}/metadata/snap-nul.avro`;
    const mbytes = await writeManifest([{ status: 1, content: 0, path: `${location}/data/a\u0000b.parquet`, size: 4 }]);
    await put(manifest, mbytes);
    await put(list, await writeManifestList([{ path: manifest, length: mbytes.length }]));
    const id = bigSnapshotId();
    const r = await client.commit(['r'], 'nul', [], [
      { action: 'add-snapshot', snapshot: { 'snapshot-id': id, 'sequence-number': 1, 'timestamp-ms': Date.now(), 'manifest-list': list, summary: { operation: 'append' }, 'schema-id': 0 } },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
    ]);
    assert.equal(r.status, 200, stringifyJson(r.body));
    const first = await collect();
    const second = await collect();
    assert.equal(first.status, 'succeeded', stringifyJson(first.errors));
    assert.equal(second.status, 'succeeded', 'a hostile manifest holds every later run');
    assert.ok(first.errors.some((e: string) => /NUL/.test(e)), stringifyJson(first.errors));
  });

  test('a very long (incompressible) data file path in a manifest', async () => {
    await client.createTable(['r'], { name: 'longpath', schema: simpleSchema });
    const location: string = (await client.loadTable(['r'], 'longpath')).body.metadata.location;
    const manifest = `${location}/metadata/m-long.avro`;
    const list = `${location}/metadata/snap-long.avro`;
    const long = randomBytes(1800).toString('hex'); // 3600 chars
    const mbytes = await writeManifest([{ status: 1, content: 0, path: `${location}/data/${long}.parquet`, size: 4 }]);
    await put(manifest, mbytes);
    await put(list, await writeManifestList([{ path: manifest, length: mbytes.length }]));
    const id = bigSnapshotId();
    const r = await client.commit(['r'], 'longpath', [], [
      { action: 'add-snapshot', snapshot: { 'snapshot-id': id, 'sequence-number': 1, 'timestamp-ms': Date.now(), 'manifest-list': list, summary: { operation: 'append' }, 'schema-id': 0 } },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
    ]);
    assert.equal(r.status, 200, stringifyJson(r.body));
    const run = await collect();
    const run2 = await collect();
    assert.equal(run.status, 'succeeded', stringifyJson(run.errors));
    assert.equal(run2.status, 'succeeded');
  });

  test('a very long manifest-list URI in a commit is a 4xx', async () => {
    await client.createTable(['r'], { name: 'longlist', schema: simpleSchema });
    const location: string = (await client.loadTable(['r'], 'longlist')).body.metadata.location;
    const long = randomBytes(1800).toString('hex');
    const id = bigSnapshotId();
    const r = await client.commit(['r'], 'longlist', [], [
      { action: 'add-snapshot', snapshot: { 'snapshot-id': id, 'sequence-number': 1, 'timestamp-ms': Date.now(), 'manifest-list': `${location}/metadata/${long}.avro`, summary: { operation: 'append' }, 'schema-id': 0 } },
    ]);
    assert.equal(r.status, 400, stringifyJson(r.body));
  });

  test('a very long table location is a 4xx', async () => {
    const segs = Array.from({ length: 20 }, () => randomBytes(90).toString('hex')).join('/');
    const r = await client.createTable(['r'], { name: 'longloc', schema: simpleSchema, location: `${catalog.warehouseLocation}/${segs}` });
    assert.equal(r.status, 400, stringifyJson(r.body));
  });
});
