// Commits on a real Postgres: optimistic compare-and-swap under concurrency, atomic
// multi-table transactions, create transactions, int64 exactness end to end.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { int64Equals, stringifyJson } from '../../src/json/int64-json.js';
import { RestClient, appendSnapshot, bigSnapshotId, simpleSchema } from '../support/rest-client.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

describe('commits on Postgres', { skip: noPostgres }, () => {
  let catalog: TestCatalog;
  let dropDatabase: () => Promise<void>;
  let client: RestClient;

  before(async () => {
    const database = await createDatabase('commits');
    dropDatabase = database.drop;
    catalog = await startTestCatalog({ databaseUrl: database.url });
    client = new RestClient(catalog.baseUrl);
    assert.equal((await client.createNamespace(['commits'])).status, 200);
  });

  after(async () => {
    await catalog?.close();
    await dropDatabase?.();
  });

  /** One writer's append, retried the way engines do: on 409, reload and rebuild the commit. */
  async function appendWithRetry(name: string, maxAttempts: number): Promise<{ attempts: number; id: bigint }> {
    const id = bigSnapshotId();
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const loaded = await client.loadTable(['commits'], name);
      const metadata = loaded.body.metadata;
      const parent = metadata['current-snapshot-id'] === -1 ? null : BigInt(metadata['current-snapshot-id']);
      const sequence = Number(metadata['last-sequence-number']) + 1;
      const response = await client.commit(
        ['commits'],
        name,
        [
          { type: 'assert-table-uuid', uuid: metadata['table-uuid'] },
          { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent },
        ],
        [
          { action: 'add-snapshot', snapshot: appendSnapshot(id, parent, sequence, metadata.location) },
          { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
        ],
      );
      if (response.status === 200) return { attempts: attempt, id };
      assert.equal(response.status, 409, `unexpected answer ${response.status}: ${stringifyJson(response.body)}`);
      assert.equal(response.body.error.type, 'CommitFailedException');
    }
    throw new Error(`writer gave up after ${maxAttempts} attempts`);
  }

  test('16 concurrent writers appending to one table all succeed, and no commit is lost', async () => {
    const created = await client.createTable(['commits'], { name: 'contended', schema: simpleSchema });
    assert.equal(created.status, 200);
    const writers = await Promise.all(Array.from({ length: 16 }, () => appendWithRetry('contended', 200)));
    assert.ok(writers.some((w) => w.attempts > 1), 'the writers never conflicted: the test did not exercise the race');

    const { body } = await client.loadTable(['commits'], 'contended');
    const metadata = body.metadata;
    assert.equal(metadata.snapshots.length, 16);
    assert.equal(metadata['snapshot-log'].length, 16);
    assert.equal(Number(metadata['last-sequence-number']), 16);
    for (const writer of writers) {
      assert.ok(
        metadata.snapshots.some((s: { 'snapshot-id': bigint }) => int64Equals(s['snapshot-id'], writer.id)),
        `snapshot ${writer.id} is missing`,
      );
    }
    // The snapshots form one chain: each commit saw the previous one.
    const parents = new Set(metadata.snapshots.map((s: Record<string, unknown>) => String(s['parent-snapshot-id'] ?? 'none')));
    assert.equal(parents.size, 16);
    // One metadata file per version, each one logged by its successor.
    assert.equal(metadata['metadata-log'].length, 16);
    const rows = await catalog.database.db
      .selectFrom('snapshot')
      .innerJoin('iceberg_table', 'iceberg_table.table_id', 'snapshot.table_id')
      .select('snapshot.snapshot_id')
      .where('iceberg_table.name', '=', 'contended')
      .execute();
    assert.deepEqual(
      rows.map((r) => String(r.snapshot_id)).sort(),
      writers.map((w) => w.id.toString()).sort(),
      'snapshot rows in Postgres hold the exact int64 ids',
    );
  });

  test('a commit whose swap loses a race is retried on the server while its requirements hold', async () => {
    const created = await client.createTable(['commits'], { name: 'props', schema: simpleSchema });
    const uuid = created.body.metadata['table-uuid'];
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        client.commit(['commits'], 'props', [{ type: 'assert-table-uuid', uuid }], [
          { action: 'set-properties', updates: { [`writer-${i}`]: String(i) } },
        ]),
      ),
    );
    assert.deepEqual(answers.map((a) => a.status), Array(8).fill(200));
    const { body } = await client.loadTable(['commits'], 'props');
    for (let i = 0; i < 8; i++) assert.equal(body.metadata.properties[`writer-${i}`], String(i));
  });

  test('a stale writer gets 409 CommitFailedException and nothing changes', async () => {
    const created = await client.createTable(['commits'], { name: 'stale', schema: simpleSchema });
    const before = created.body['metadata-location'];
    const response = await client.commit(
      ['commits'],
      'stale',
      [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 12345 }],
      [{ action: 'set-properties', updates: { a: 'b' } }],
    );
    assert.equal(response.status, 409);
    assert.equal(response.body.error.type, 'CommitFailedException');
    assert.match(response.body.error.message, /^Requirement failed: branch or tag main is missing/);
    assert.equal((await client.loadTable(['commits'], 'stale')).body['metadata-location'], before);
  });

  test('the new metadata file is in storage, byte for byte what the catalog serves', async () => {
    await client.createTable(['commits'], { name: 'files', schema: simpleSchema });
    const id = bigSnapshotId();
    const loaded = await client.loadTable(['commits'], 'files');
    const committed = await client.commit(['commits'], 'files', [], [
      { action: 'add-snapshot', snapshot: appendSnapshot(id, null, 1, loaded.body.metadata.location) },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
    ]);
    assert.equal(committed.status, 200);
    const location: string = committed.body['metadata-location'];
    assert.ok(location.startsWith(`${loaded.body.metadata.location}/metadata/00001-`));
    const raw = await fetch(`${catalog.baseUrl}${client.tablePath(['commits'], 'files')}`).then((r) => r.text());
    const stored = new TextDecoder().decode(await catalog.store.get(location));
    assert.ok(raw.includes(stored), 'the served metadata is the stored file');
    assert.ok(stored.includes(`"current-snapshot-id":${id}`), 'the int64 id is written exactly');
  });

  test('a multi-table transaction applies all changes or none', async () => {
    const a = await client.createTable(['commits'], { name: 'tx_a', schema: simpleSchema });
    const b = await client.createTable(['commits'], { name: 'tx_b', schema: simpleSchema });
    const change = (name: string, uuid: string, value: string) => ({
      identifier: { namespace: ['commits'], name },
      requirements: [{ type: 'assert-table-uuid', uuid }],
      updates: [{ action: 'set-properties', updates: { step: value } }],
    });
    const failing = await client.request('POST', '/v1/default/transactions/commit', {
      'table-changes': [change('tx_a', a.body.metadata['table-uuid'], 'one'), change('tx_b', 'not-the-uuid', 'one')],
    });
    assert.equal(failing.status, 409);
    assert.equal(failing.body.error.type, 'CommitFailedException');
    assert.equal((await client.loadTable(['commits'], 'tx_a')).body['metadata-location'], a.body['metadata-location']);
    assert.equal((await client.loadTable(['commits'], 'tx_b')).body['metadata-location'], b.body['metadata-location']);

    const ok = await client.request('POST', '/v1/default/transactions/commit', {
      'table-changes': [change('tx_a', a.body.metadata['table-uuid'], 'two'), change('tx_b', b.body.metadata['table-uuid'], 'two')],
    });
    assert.equal(ok.status, 204);
    assert.equal((await client.loadTable(['commits'], 'tx_a')).body.metadata.properties.step, 'two');
    assert.equal((await client.loadTable(['commits'], 'tx_b')).body.metadata.properties.step, 'two');
  });

  test('a staged create becomes a table only through its assert-create commit', async () => {
    const staged = await client.createTable(['commits'], { name: 'ctas', schema: simpleSchema, 'stage-create': true });
    assert.equal(staged.status, 200);
    assert.equal(staged.body['metadata-location'], null);
    assert.equal((await client.loadTable(['commits'], 'ctas')).status, 404);
    const metadata = staged.body.metadata;
    const id = bigSnapshotId();
    const create = await client.commit(['commits'], 'ctas', [{ type: 'assert-create' }], [
      { action: 'assign-uuid', uuid: metadata['table-uuid'] },
      { action: 'upgrade-format-version', 'format-version': 2 },
      { action: 'add-schema', schema: metadata.schemas[0] },
      { action: 'set-current-schema', 'schema-id': -1 },
      { action: 'add-spec', spec: metadata['partition-specs'][0] },
      { action: 'set-default-spec', 'spec-id': -1 },
      { action: 'add-sort-order', 'sort-order': metadata['sort-orders'][0] },
      { action: 'set-default-sort-order', 'sort-order-id': -1 },
      { action: 'set-location', location: metadata.location },
      { action: 'set-properties', updates: { created: 'by-commit' } },
      { action: 'add-snapshot', snapshot: appendSnapshot(id, null, 1, metadata.location) },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
    ]);
    assert.equal(create.status, 200, stringifyJson(create.body));
    const loaded = await client.loadTable(['commits'], 'ctas');
    assert.equal(loaded.body.metadata['table-uuid'], metadata['table-uuid']);
    assert.ok(int64Equals(loaded.body.metadata['current-snapshot-id'], id));
    // A second create of the same table loses: the table exists now.
    const again = await client.commit(['commits'], 'ctas', [{ type: 'assert-create' }], [
      { action: 'assign-uuid', uuid: crypto.randomUUID() },
    ]);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.message, 'Requirement failed: table already exists');
  });

  test('load answers 304 to a matching If-None-Match, and a new ETag after a commit', async () => {
    await client.createTable(['commits'], { name: 'etag', schema: simpleSchema });
    const first = await client.loadTable(['commits'], 'etag');
    const etag = first.headers.get('etag')!;
    assert.ok(etag);
    const cached = await client.request('GET', client.tablePath(['commits'], 'etag'), undefined, { 'if-none-match': etag });
    assert.equal(cached.status, 304);
    const refsOnly = await client.loadTable(['commits'], 'etag', '?snapshots=refs');
    assert.notEqual(refsOnly.headers.get('etag'), etag, 'the refs-only view has its own ETag');
    await client.commit(['commits'], 'etag', [], [{ action: 'set-properties', updates: { x: 'y' } }]);
    const changed = await client.request('GET', client.tablePath(['commits'], 'etag'), undefined, { 'if-none-match': etag });
    assert.equal(changed.status, 200);
  });
});
