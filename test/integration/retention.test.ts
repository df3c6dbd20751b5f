// Retention on Postgres: dropped tables stay restorable (list, restore under the old name or a
// new one), and the catalog's own snapshot expiry.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RestClient, appendSnapshot, bigSnapshotId, simpleSchema } from '../support/rest-client.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

describe('retention on Postgres', { skip: noPostgres }, () => {
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  let client: RestClient;

  before(async () => {
    database = await createDatabase('dropped');
    catalog = await startTestCatalog({ databaseUrl: database.url });
    client = new RestClient(catalog.baseUrl);
    await client.createNamespace(['ops']);
  });

  after(async () => {
    await catalog?.close();
    await database?.drop();
  });

  const listDropped = async () => (await client.request('GET', '/ext/v1/default/dropped-tables')).body['dropped-tables'];

  test('drop, list, restore under the old name; a taken name needs a new one', async () => {
    const created = await client.createTable(['ops'], { name: 'audit', schema: simpleSchema });
    const location = created.body.metadata.location;
    const id = bigSnapshotId();
    await client.commit(['ops'], 'audit', [], [
      { action: 'add-snapshot', snapshot: appendSnapshot(id, null, 1, location) },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
    ]);
    const before = (await client.loadTable(['ops'], 'audit')).body;
    assert.equal((await client.request('DELETE', `${client.tablePath(['ops'], 'audit')}?purgeRequested=false`)).status, 204);

    const [entry] = (await listDropped()).filter((t: { identifier: { name: string } }) => t.identifier.name === 'audit');
    assert.deepEqual(entry.identifier, { namespace: ['ops'], name: 'audit' });
    assert.equal(entry['drop-reason'], 'user');
    assert.equal(entry['table-uuid'], before.metadata['table-uuid']);

    // The name is reused while the old table is dropped...
    await client.createTable(['ops'], { name: 'audit', schema: simpleSchema });
    const taken = await client.request('POST', `/ext/v1/default/dropped-tables/${entry['table-id']}/restore`, {});
    assert.equal(taken.status, 409);
    assert.equal(taken.body.error.type, 'AlreadyExistsException');
    // ...so the dropped one comes back under a new name, with its data.
    const restored = await client.request('POST', `/ext/v1/default/dropped-tables/${entry['table-id']}/restore`, {
      destination: { namespace: ['ops'], name: 'audit_restored' },
    });
    assert.equal(restored.status, 200, JSON.stringify(restored.body));
    const back = (await client.loadTable(['ops'], 'audit_restored')).body;
    assert.equal(back['metadata-location'], before['metadata-location']);
    assert.equal(back.metadata['current-snapshot-id'].toString(), id.toString());
    assert.equal((await listDropped()).some((t: { 'table-id': string }) => t['table-id'] === entry['table-id']), false);
  });

  test('a table outlives its dropped namespace and is restored into another one', async () => {
    await client.createNamespace(['tmp']);
    await client.createTable(['tmp'], { name: 'scratch', schema: simpleSchema });
    await client.request('DELETE', client.tablePath(['tmp'], 'scratch'));
    assert.equal((await client.request('DELETE', '/v1/default/namespaces/tmp')).status, 204);
    const [entry] = (await listDropped()).filter((t: { identifier: { name: string } }) => t.identifier.name === 'scratch');
    assert.deepEqual(entry.identifier.namespace, ['tmp'], 'the listing still names where it was dropped from');

    const noNamespace = await client.request('POST', `/ext/v1/default/dropped-tables/${entry['table-id']}/restore`, {});
    assert.equal(noNamespace.status, 404);
    assert.equal(noNamespace.body.error.type, 'NoSuchNamespaceException');
    const restored = await client.request('POST', `/ext/v1/default/dropped-tables/${entry['table-id']}/restore`, {
      destination: { namespace: ['ops'], name: 'scratch' },
    });
    assert.equal(restored.status, 200);
    assert.equal((await client.loadTable(['ops'], 'scratch')).status, 200);

    const unknown = await client.request('POST', '/ext/v1/default/dropped-tables/not-an-id/restore', {});
    assert.equal(unknown.status, 404);
    const live = await client.request('POST', `/ext/v1/default/dropped-tables/${entry['table-id']}/restore`, {});
    assert.equal(live.status, 404, 'a live table is not a dropped one');
  });

  test('snapshot expiry follows the table\'s retention, keeps tagged snapshots, and leaves clones alone', async () => {
    const created = await client.createTable(['ops'], {
      name: 'events',
      schema: simpleSchema,
      properties: { 'history.expire.max-snapshot-age-ms': String(24 * 3600 * 1000) },
    });
    const location = created.body.metadata.location;
    const day = 24 * 3600 * 1000;
    const ids: bigint[] = [];
    for (const [i, daysAgo] of [10, 8, 6, 0].entries()) {
      const id = bigSnapshotId();
      const snapshot = { ...appendSnapshot(id, ids[i - 1] ?? null, i + 1, location), 'timestamp-ms': Date.now() - daysAgo * day };
      const response = await client.commit(['ops'], 'events', [], [
        { action: 'add-snapshot', snapshot },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
      ]);
      assert.equal(response.status, 200);
      ids.push(id);
    }
    await client.commit(['ops'], 'events', [], [{ action: 'set-snapshot-ref', 'ref-name': 'kept', type: 'tag', 'snapshot-id': ids[1] }]);
    const clone = await client.request('POST', '/ext/v1/default/namespaces/ops/tables/events/clone', {
      destination: { namespace: ['ops'], name: 'events_at_start' },
      point: { 'snapshot-id': ids[0] },
    });
    assert.equal(clone.status, 200);

    const path = `/ext/v1/default/namespaces/ops/tables/events/expire-snapshots`;
    const dry = await client.request('POST', path, { 'dry-run': true });
    assert.equal(dry.status, 200);
    assert.deepEqual([...dry.body['expired-snapshot-ids']].sort(), [ids[0], ids[2]].map(String).sort());
    assert.equal(dry.body.committed, false);
    assert.equal((await client.loadTable(['ops'], 'events')).body.metadata.snapshots.length, 4, 'a dry run changes nothing');

    const real = await client.request('POST', path, {});
    assert.equal(real.body.committed, true);
    const after = (await client.loadTable(['ops'], 'events')).body.metadata;
    assert.deepEqual(after.snapshots.map((s: { 'snapshot-id': bigint }) => String(s['snapshot-id'])).sort(), [ids[1], ids[3]].map(String).sort());
    const rows = await catalog.database.db
      .selectFrom('snapshot')
      .innerJoin('iceberg_table', 'iceberg_table.table_id', 'snapshot.table_id')
      .select(['iceberg_table.name', 'snapshot.snapshot_id'])
      .where('iceberg_table.name', 'in', ['events', 'events_at_start'])
      .execute();
    const byTable = (name: string) => rows.filter((r) => r.name === name).map((r) => String(r.snapshot_id)).sort();
    assert.deepEqual(byTable('events'), [ids[1], ids[3]].map(String).sort(), 'expired snapshot rows are gone');
    assert.deepEqual(byTable('events_at_start'), [String(ids[0])], 'the clone still roots the snapshot the source let go');
    assert.equal(String((await client.loadTable(['ops'], 'events_at_start')).body.metadata['current-snapshot-id']), String(ids[0]));

    const again = await client.request('POST', path, {});
    assert.deepEqual(again.body['expired-snapshot-ids'], [], 'nothing left to expire');
  });
});
