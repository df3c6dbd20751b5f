// The collector against objects it must not read, on S3 and real Postgres: a manifest list
// in another bucket of the same server (the catalog's credentials reach it; the collector
// must never send it a request), and an S3 endpoint that accepts connections and never
// answers (each read times out, counts as an attempt, and after five the object is given up).
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { sql } from 'kysely';
import { DEFAULT_INDEXER_LIMITS, ObjectIndexer, OUTSIDE_EVERY_ROOT } from '../../src/gc/object-indexer.js';
import { insertWarehouse } from '../../src/db/warehouse-repository.js';
import { S3ObjectStore } from '../../src/storage/s3-store.js';
import { RestClient, bigSnapshotId, simpleSchema } from '../support/rest-client.js';
import { createDatabase, noPostgres, s3Endpoint, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

const show = (value: unknown) => JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
const suffix = Math.random().toString(36).slice(2, 10);

/** A TCP proxy in front of the S3 server that notes the request line of every request through it. */
async function recordingProxy(target: URL): Promise<{ endpoint: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.on('data', (chunk: Buffer) => {
      for (const match of chunk.toString('latin1').matchAll(/^(GET|HEAD|PUT|POST|DELETE) (\S+) HTTP\/1\.1\r$/gm)) requests.push(`${match[1]} ${match[2]}`);
    });
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('collector and another bucket on the same S3 server', { skip: noPostgres || (s3Endpoint ? false : 'CATALOG_TEST_S3_ENDPOINT is not set') }, () => {
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let client: RestClient;
  const s3 = new S3Client({ endpoint: s3Endpoint, region: 'us-east-1', forcePathStyle: true });
  const sentinelBucket = `sentinel-${suffix}`;
  const sentinelUri = `s3://${sentinelBucket}/snap-sentinel.avro`;

  before(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: sentinelBucket }));
    await s3.send(new PutObjectCommand({ Bucket: sentinelBucket, Key: 'snap-sentinel.avro', Body: 'sentinel' }));
    proxy = await recordingProxy(new URL(s3Endpoint!));
    database = await createDatabase('hostile_s3');
    catalog = await startTestCatalog({
      databaseUrl: database.url,
      warehouseLocation: `s3://warehouse/hostile-${suffix}`,
      env: { CATALOG_S3_ENDPOINT: proxy.endpoint, CATALOG_GC_GRACE_MS: '0', CATALOG_GC_SCHEDULE: 'off', CATALOG_GC_ORPHAN_SCHEDULE: 'off' },
    });
    client = new RestClient(catalog.baseUrl);
    assert.equal((await client.createNamespace(['h'])).status, 200);
  });

  after(async () => {
    await catalog?.close();
    await database?.drop();
    await proxy?.close();
    s3.destroy();
  });

  test('a manifest list in another bucket is marked unreadable and no request reaches that bucket', async () => {
    assert.equal((await client.createTable(['h'], { name: 't', schema: simpleSchema })).status, 200);
    const id = bigSnapshotId();
    const snapshot = { 'snapshot-id': id, 'sequence-number': 1, 'timestamp-ms': Date.now(), 'manifest-list': sentinelUri, summary: { operation: 'append' }, 'schema-id': 0 };
    const committed = await client.commit(['h'], 't', [], [
      { action: 'add-snapshot', snapshot },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
    ]);
    assert.ok(committed.status === 200 || committed.status === 400, show(committed.body));
    if (committed.status !== 200) {
      // Refused at commit (confinement): play a row indexed before that check existed.
      await sql`INSERT INTO storage_object (uri, kind, edges_state) VALUES (${sentinelUri}, 'manifest-list', 'pending')`.execute(catalog.database.db);
    }
    const r = await client.request('POST', '/ext/v1/gc/runs', { wait: true });
    assert.equal(r.status, 200, show(r.body));
    assert.equal(r.body.status, 'succeeded', show(r.body));
    assert.ok((r.body.errors as string[]).some((e) => e.includes(sentinelUri) && e.includes(OUTSIDE_EVERY_ROOT)), show(r.body.errors));
    const row = await sql<{ edges_state: string; index_error: string }>`
      SELECT edges_state, index_error FROM storage_object WHERE uri = ${sentinelUri}`.execute(catalog.database.db);
    assert.deepEqual(row.rows[0], { edges_state: 'unreadable', index_error: OUTSIDE_EVERY_ROOT });
    // The catalog did talk to S3 through the proxy (it wrote metadata), never to the sentinel bucket.
    assert.ok(proxy.requests.some((line) => line.includes('/warehouse/')), show(proxy.requests));
    assert.deepEqual(proxy.requests.filter((line) => line.includes(sentinelBucket)), []);
    const kept = await s3.send(new GetObjectCommand({ Bucket: sentinelBucket, Key: 'snap-sentinel.avro' }));
    assert.equal(await kept.Body!.transformToString(), 'sentinel');
  });
});

describe('indexer against an S3 endpoint that never answers', { skip: noPostgres }, () => {
  let database: { url: string; drop: () => Promise<void> };
  let catalog: TestCatalog;
  let silent: net.Server;
  const held = new Set<net.Socket>();

  before(async () => {
    process.env.AWS_ACCESS_KEY_ID ??= 'testing';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
    silent = net.createServer((socket) => {
      held.add(socket); // accepted, read, never answered
      socket.on('close', () => held.delete(socket));
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    database = await createDatabase('hostile_stall');
    catalog = await startTestCatalog({ databaseUrl: database.url, env: { CATALOG_GC_SCHEDULE: 'off', CATALOG_GC_ORPHAN_SCHEDULE: 'off' } });
  });

  after(async () => {
    for (const socket of held) socket.destroy();
    await new Promise<void>((resolve) => silent?.close(() => resolve()));
    await catalog?.close();
    await database?.drop();
  });

  test('each read times out, counts as an attempt, and after five the object is unreadable', async () => {
    const db = catalog.database.db;
    const root = `s3://stalled-${suffix}/wh`;
    const uri = `${root}/t/metadata/snap-1.avro`;
    await insertWarehouse(db, { id: crypto.randomUUID(), name: `stalled-${suffix}`, location: root, properties: {}, managedRoot: true });
    await sql`INSERT INTO storage_object (uri, kind, edges_state) VALUES (${uri}, 'manifest-list', 'pending')`.execute(db);
    const port = (silent.address() as net.AddressInfo).port;
    const store = new S3ObjectStore({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true });
    const indexer = new ObjectIndexer(db, store, 2, { ...DEFAULT_INDEXER_LIMITS, readTimeoutMs: 300 });
    for (let attempt = 1; attempt <= 5; attempt++) {
      const started = Date.now();
      const progress = await indexer.indexPending();
      assert.ok(Date.now() - started < 5000, `attempt ${attempt} took ${Date.now() - started} ms`);
      assert.match(progress.problems.find((p) => p.uri === uri)?.reason ?? '', new RegExp(`timed out after 300 ms \\(attempt ${attempt} of 5`));
    }
    const row = await sql<{ edges_state: string; index_attempts: number; index_error: string }>`
      SELECT edges_state, index_attempts, index_error FROM storage_object WHERE uri = ${uri}`.execute(db);
    assert.deepEqual(row.rows[0], { edges_state: 'unreadable', index_attempts: 5, index_error: 'read timed out after 300 ms' });
    assert.equal((await indexer.indexPending()).problems.length, 0, 'given up: not read again');
  });
});
