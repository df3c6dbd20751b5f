// Dropped tables stay restorable: list them, restore under the old name or a new one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RestClient, appendSnapshot, bigSnapshotId, simpleSchema } from '../support/rest-client.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

describe('dropped tables on Postgres', { skip: noPostgres }, () => {
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
});
