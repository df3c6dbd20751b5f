// Zero-copy clones on a real Postgres and real object storage, through the HTTP API.
import { stringifyJson } from '../../src/json/int64-json.js';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CloneRegistry } from '../../src/clones/clone-registry.js';
import { openDatabase } from '../../src/db/connect.js';
import { int64Equals } from '../../src/json/int64-json.js';
import { fileUri } from '../../src/storage/filesystem-store.js';
import { RestClient, appendSnapshot, bigSnapshotId, simpleSchema } from '../support/rest-client.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

describe('clones on Postgres', { skip: noPostgres }, () => {
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  let client: RestClient;
  const ext = '/ext/v1/default';

  before(async () => {
    database = await createDatabase('clones');
    catalog = await startTestCatalog({ databaseUrl: database.url, env: { CATALOG_CLONE_EXPIRY_INTERVAL_MS: '0' } });
    client = new RestClient(catalog.baseUrl);
    for (const ns of [['prod'], ['dev'], ['lake'], ['lake', 'raw']]) assert.equal((await client.createNamespace(ns)).status, 200);
  });

  after(async () => {
    await catalog?.close();
    await database?.drop();
  });

  /** Appends one snapshot (with a `counter` in its summary) and returns its id. */
  async function append(levels: string[], name: string, counter?: number): Promise<bigint> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const m = (await client.loadTable(levels, name)).body.metadata;
      const parent = m['current-snapshot-id'] === -1 ? null : BigInt(m['current-snapshot-id']);
      const id = bigSnapshotId();
      const snapshot = appendSnapshot(id, parent, Number(m['last-sequence-number']) + 1, m.location);
      if (counter !== undefined) (snapshot.summary as Record<string, string>).counter = String(counter);
      const response = await client.commit(levels, name, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent }], [
        { action: 'add-snapshot', snapshot },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
      ]);
      if (response.status === 200) return id;
      assert.equal(response.status, 409);
    }
    throw new Error('append kept conflicting');
  }

  const clone = (levels: string[], name: string, body: Record<string, unknown>) =>
    client.request('POST', `${ext}/namespaces/${client.ns(levels)}/tables/${name}/clone`, body);

  test('a table clone names the source snapshots, reads no data files, and then lives its own life', async () => {
    await client.createTable(['prod'], { name: 'orders', schema: simpleSchema });
    const s1 = await append(['prod'], 'orders');
    const s2 = await append(['prod'], 'orders');
    const source = (await client.loadTable(['prod'], 'orders')).body;

    // Count what the clone does to object storage: the real store, observed.
    const calls = { get: 0, put: 0, list: 0 };
    const store = catalog.store as unknown as Record<string, (...args: unknown[]) => unknown>;
    const originals = { get: store.get, put: store.put, list: store.list };
    for (const name of ['get', 'put', 'list'] as const) {
      store[name] = (...args: unknown[]) => ((calls[name] += 1), originals[name].apply(catalog.store, args));
    }
    const cloned = await clone(['prod'], 'orders', { destination: { namespace: ['dev'], name: 'orders' } });
    Object.assign(store, originals);

    assert.equal(cloned.status, 200);
    assert.deepEqual(calls, { get: 0, put: 2, list: 0 }, 'only the clone metadata file and the source gc.enabled update are written');
    const m = cloned.body.metadata;
    assert.notEqual(m['table-uuid'], source.metadata['table-uuid']);
    assert.ok(!m.location.startsWith(source.metadata.location));
    assert.ok(int64Equals(m['current-snapshot-id'], s2));
    assert.equal(m.snapshots.length, 1, 'by default only the chosen point is kept');
    assert.equal(m.snapshots[0]['manifest-list'], source.metadata.snapshots[1]['manifest-list'], 'the same manifest list, not a copy');
    assert.equal(m.properties['gc.enabled'], 'false');
    assert.equal((await client.loadTable(['prod'], 'orders')).body.metadata.properties['gc.enabled'], 'false');
    assert.equal(cloned.body.lineage.name, 'orders');
    assert.equal(cloned.body.lineage['snapshot-id'], s2.toString());

    // Independent from here on.
    const onClone = await append(['dev'], 'orders');
    const onSource = await append(['prod'], 'orders');
    const devIds = (await client.loadTable(['dev'], 'orders')).body.metadata.snapshots.map((s: { 'snapshot-id': bigint }) => BigInt(s['snapshot-id']));
    const prodIds = (await client.loadTable(['prod'], 'orders')).body.metadata.snapshots.map((s: { 'snapshot-id': bigint }) => BigInt(s['snapshot-id']));
    assert.deepEqual(devIds, [s2, onClone]);
    assert.deepEqual(prodIds, [s1, s2, onSource]);

    // Whole history, refs copied, at a tag.
    await client.commit(['prod'], 'orders', [], [{ action: 'set-snapshot-ref', 'ref-name': 'v1', type: 'tag', 'snapshot-id': s1 }]);
    const full = await clone(['prod'], 'orders', {
      destination: { namespace: ['dev'], name: 'orders_v1' },
      point: { tag: 'v1' },
      history: 'all',
      'copy-refs': true,
      properties: { purpose: 'audit' },
    });
    assert.equal(full.status, 200);
    assert.ok(int64Equals(full.body.metadata['current-snapshot-id'], s1));
    assert.equal(full.body.metadata.snapshots.length, 3);
    assert.ok(int64Equals(full.body.metadata.refs.v1['snapshot-id'], s1));
    assert.equal(full.body.metadata.properties.purpose, 'audit');
  });

  test('points in time and clear errors', async () => {
    await client.createTable(['prod'], { name: 'events', schema: simpleSchema });
    const first = await append(['prod'], 'events');
    await new Promise((r) => setTimeout(r, 20));
    const between = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    await append(['prod'], 'events');
    const atTime = await clone(['prod'], 'events', { destination: { namespace: ['dev'], name: 'events_then' }, point: { 'timestamp-ms': between } });
    assert.equal(atTime.status, 200);
    assert.ok(int64Equals(atTime.body.metadata['current-snapshot-id'], first));
    const atId = await clone(['prod'], 'events', { destination: { namespace: ['dev'], name: 'events_first' }, point: { 'snapshot-id': first } });
    assert.equal(atId.status, 200, stringifyJson(atId.body));
    assert.ok(int64Equals(atId.body.metadata['current-snapshot-id'], first));

    const cases: [Record<string, unknown>, number, string][] = [
      [{ destination: { namespace: ['dev'], name: 'events_then' } }, 409, 'AlreadyExistsException'],
      [{ destination: { namespace: ['dev'], name: 'x' }, point: { 'snapshot-id': 42 } }, 404, 'NotFoundException'],
      [{ destination: { namespace: ['dev'], name: 'x' }, point: { branch: 'nope' } }, 404, 'NotFoundException'],
      [{ destination: { namespace: ['dev'], name: 'x' }, point: { 'timestamp-ms': 1 } }, 400, 'BadRequestException'],
      [{ destination: { namespace: ['dev'], name: 'x' }, point: { 'timestamp-ms': Date.now() + 3_600_000 } }, 400, 'BadRequestException'],
      [{ destination: { namespace: ['dev'], name: 'x' }, 'ttl-seconds': 0 }, 400, 'BadRequestException'],
      [{ destination: { namespace: ['dev'], name: 'x' }, 'expires-at': '2001-01-01T00:00:00Z' }, 400, 'BadRequestException'],
      [{ destination: { namespace: ['ghost'], name: 'x' } }, 404, 'NoSuchNamespaceException'],
      [{ destination: { namespace: ['dev'], name: 'x' }, location: 'file:///somewhere/else' }, 400, 'BadRequestException'],
    ];
    for (const [body, status, type] of cases) {
      const response = await clone(['prod'], 'events', body);
      assert.equal(response.status, status, `${JSON.stringify(body)} → ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error.type, type);
    }
    assert.equal((await clone(['prod'], 'missing', { destination: { namespace: ['dev'], name: 'x' } })).body.error.type, 'NoSuchTableException');
  });

  test('a namespace clone under a concurrent writer is a cut at one instant', async () => {
    const tables = ['t0', 't1', 't2', 't3'];
    for (const t of tables) await client.createTable(['lake', 'raw'], { name: t, schema: simpleSchema });
    let counter = 0;
    let writing = true;
    // One writer, round robin: commit k goes to table k mod 4 and records k in its summary.
    const writer = (async () => {
      while (writing && counter < 400) {
        counter += 1;
        await append(['lake', 'raw'], tables[counter % tables.length], counter);
      }
    })();
    const cuts: string[][] = [];
    for (let i = 0; i < 6; i++) {
      // Each clone after a few more commits (however slow a loaded machine makes them), so
      // every cut lands among commits in flight.
      const target = counter + 3;
      for (let waited = 0; counter < target && waited < 20_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      const destination = [`lake_copy_${i}`];
      const response = await client.request('POST', `${ext}/namespaces/lake/clone`, { destination });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual(response.body.namespaces, [destination, [...destination, 'raw']]);
      cuts.push(destination);
    }
    writing = false;
    await writer;
    assert.ok(counter > 12, 'the writer made progress during the clones');
    for (const destination of cuts) {
      const last = await Promise.all(
        tables.map(async (t) => {
          const m = (await client.loadTable([...destination, 'raw'], t)).body.metadata;
          const current = m.snapshots.find((s: { 'snapshot-id': bigint }) => int64Equals(s['snapshot-id'], m['current-snapshot-id']));
          return current ? Number(current.summary.counter) : 0;
        }),
      );
      // At one instant after commit K, table i holds the largest k <= K with k mod 4 == i.
      const K = Math.max(...last);
      const expected = tables.map((_, i) => {
        let k = K;
        while (k > 0 && k % tables.length !== i) k -= 1;
        return k;
      });
      assert.deepEqual(last, expected, `clone ${destination} is a torn cut: ${last}`);
    }
  });

  test('TTL: listed with expiry, changed, and dropped exactly once when two replicas collect', async () => {
    await client.createTable(['prod'], { name: 'ttl_source', schema: simpleSchema });
    await append(['prod'], 'ttl_source');
    const short = await clone(['prod'], 'ttl_source', { destination: { namespace: ['dev'], name: 'ci_run' }, 'ttl-seconds': 1 });
    assert.equal(short.status, 200);
    const listed = (await client.request('GET', `${ext}/clones`)).body.clones;
    const entry = listed.find((c: { identifier: { name: string } }) => c.identifier.name === 'ci_run');
    assert.ok(entry['expires-at']);
    assert.equal(entry.source.name, 'ttl_source');

    const keep = await clone(['prod'], 'ttl_source', { destination: { namespace: ['dev'], name: 'kept' }, 'ttl-seconds': 1 });
    assert.equal(keep.status, 200);
    const extended = await client.request('PUT', `${ext}/namespaces/dev/tables/kept/expiry`, { 'ttl-seconds': 3600 });
    assert.ok(new Date(extended.body['expires-at']).getTime() > Date.now() + 3_500_000);
    const cleared = await client.request('PUT', `${ext}/namespaces/dev/tables/kept/expiry`, {});
    assert.equal(cleared.body['expires-at'], null);

    await new Promise((r) => setTimeout(r, 1200));
    // Two replicas, each with its own connection pool, collect at the same moment.
    const replicas = await Promise.all(
      [1, 2].map(() => openDatabase({ url: database.url, embeddedDataDir: '', poolSize: 2, statementTimeoutMs: 10_000, connectionTimeoutMs: 5_000 })),
    );
    const dropped = await Promise.all(replicas.map((r) => new CloneRegistry(r.db, Date.now).dropExpired()));
    await Promise.all(replicas.map((r) => r.close()));
    const names = dropped.flat().map((d) => d.name);
    assert.deepEqual(names, ['ci_run'], 'dropped once, by one replica');
    assert.equal((await client.loadTable(['dev'], 'ci_run')).status, 404);
    assert.equal((await client.loadTable(['dev'], 'kept')).status, 200);
  });

  test('swap exchanges names atomically; promote is guarded', async () => {
    await client.createTable(['prod'], { name: 'sales', schema: simpleSchema });
    await append(['prod'], 'sales');
    const staged = await clone(['prod'], 'sales', { destination: { namespace: ['dev'], name: 'sales_fix' }, 'ttl-seconds': 600 });
    const stagedUuid = staged.body.metadata['table-uuid'];
    await append(['dev'], 'sales_fix');

    // Promote is refused once production changed after the clone was taken...
    await append(['prod'], 'sales');
    const promote = (force: boolean) =>
      client.request('POST', `${ext}/tables/promote`, {
        clone: { namespace: ['dev'], name: 'sales_fix' },
        target: { namespace: ['prod'], name: 'sales' },
        force,
      });
    const refused = await promote(false);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.type, 'CommitFailedException');
    // ...and goes through when forced: the clone takes the name and keeps no expiry.
    assert.equal((await promote(true)).status, 204);
    const promoted = await client.loadTable(['prod'], 'sales');
    assert.equal(promoted.body.metadata['table-uuid'], stagedUuid);
    assert.equal((await client.loadTable(['dev'], 'sales_fix')).status, 404);
    const clones = (await client.request('GET', `${ext}/clones`)).body.clones;
    assert.equal(clones.find((c: { identifier: { name: string } }) => c.identifier.name === 'sales')['expires-at'], null);

    await client.createTable(['prod'], { name: 'a', schema: simpleSchema });
    await client.createTable(['dev'], { name: 'b', schema: simpleSchema });
    const a = (await client.loadTable(['prod'], 'a')).body.metadata['table-uuid'];
    const b = (await client.loadTable(['dev'], 'b')).body.metadata['table-uuid'];
    const swapped = await client.request('POST', `${ext}/tables/swap`, {
      pairs: [{ first: { namespace: ['prod'], name: 'a' }, second: { namespace: ['dev'], name: 'b' } }],
    });
    assert.equal(swapped.status, 204);
    assert.equal((await client.loadTable(['prod'], 'a')).body.metadata['table-uuid'], b);
    assert.equal((await client.loadTable(['dev'], 'b')).body.metadata['table-uuid'], a);
  });

  test('a whole warehouse clone: new prefix, new root, every namespace and table, independent', async () => {
    await client.createTable(['lake', 'raw'], { name: 'wh_table', schema: simpleSchema });
    const before = await append(['lake', 'raw'], 'wh_table');
    // New warehouse roots go under CATALOG_WAREHOUSE_ALLOWED_ROOTS (default: <data dir>/warehouses).
    const location = `${fileUri(join(catalog.config.dataDir, 'warehouses'))}/copy`;
    const response = await client.request('POST', `${ext}/clone`, { destination: { name: 'copy', location } });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.warehouse.name, 'copy');
    assert.ok(response.body.namespaces.some((n: string[]) => n.join('.') === 'lake.raw'));

    const config = await client.request('GET', '/v1/config?warehouse=copy');
    assert.equal(config.body.overrides.prefix, 'copy');
    const copy = new RestClient(catalog.baseUrl, 'copy');
    const cloned = await copy.loadTable(['lake', 'raw'], 'wh_table');
    assert.equal(cloned.status, 200);
    assert.ok(int64Equals(cloned.body.metadata['current-snapshot-id'], before));
    assert.ok(cloned.body.metadata.location.startsWith(`${location}/lake/raw/wh_table-`));
    // Independent of the source warehouse from now on.
    await append(['lake', 'raw'], 'wh_table');
    assert.ok(int64Equals((await copy.loadTable(['lake', 'raw'], 'wh_table')).body.metadata['current-snapshot-id'], before));

    const again = await client.request('POST', `${ext}/clone`, { destination: { name: 'copy', location: `${location}2` } });
    assert.equal(again.status, 409);
    const nested = await client.request('POST', `${ext}/clone`, { destination: { name: 'inner', location: `${catalog.warehouseLocation}/inner` } });
    assert.equal(nested.status, 403, 'a warehouse root may not lie outside the allowed roots (here: inside another)');
    assert.equal((await client.request('GET', '/v1/config?warehouse=inner')).status, 404, 'nothing of a refused clone remains');
  });

  test('one tag across a namespace at one instant, and as-of resolution', async () => {
    await client.createNamespace(['mart']);
    for (const t of ['x', 'y', 'empty']) await client.createTable(['mart'], { name: t, schema: simpleSchema });
    const x1 = await append(['mart'], 'x');
    const y1 = await append(['mart'], 'y');
    await new Promise((r) => setTimeout(r, 20));
    const between = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    const x2 = await append(['mart'], 'x');

    const tagged = await client.request('POST', `${ext}/namespaces/mart/tags`, { name: 'release-1' });
    assert.equal(tagged.status, 200);
    assert.deepEqual(
      tagged.body.tables.map((t: { identifier: { name: string }; 'snapshot-id': string }) => [t.identifier.name, t['snapshot-id']]).sort(),
      [['x', x2.toString()], ['y', y1.toString()]],
    );
    assert.deepEqual(tagged.body.skipped.map((t: { identifier: { name: string } }) => t.identifier.name), ['empty']);
    assert.ok(int64Equals((await client.loadTable(['mart'], 'x')).body.metadata.refs['release-1']['snapshot-id'], x2));
    const again = await client.request('POST', `${ext}/namespaces/mart/tags`, { name: 'release-1' });
    assert.equal(again.status, 409);

    const asOf = await client.request('GET', `${ext}/namespaces/mart/as-of?timestamp-ms=${between}`);
    assert.equal(asOf.status, 200);
    const byName = Object.fromEntries(asOf.body.tables.map((t: { identifier: { name: string }; 'snapshot-id': string | null }) => [t.identifier.name, t['snapshot-id']]));
    assert.deepEqual(byName, { x: x1.toString(), y: y1.toString(), empty: null });
    assert.equal((await client.request('GET', `${ext}/namespaces/mart/as-of?timestamp-ms=soon`)).status, 400);
  });
});
