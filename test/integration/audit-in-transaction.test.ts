// A mutation's audit event is committed with the mutation itself: by the time its answer is
// being sent the event is in Postgres (status not yet known), so a process killed between a
// commit and its answer cannot lose it; the answer then completes it. A transaction that rolls
// back takes its event with it, and the answer's event is inserted whole instead. On Postgres
// and on the embedded default.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { stringifyJson } from '../../src/json/int64-json.js';
import { RestClient, appendSnapshot, bigSnapshotId, simpleSchema } from '../support/rest-client.js';
import { adminDatabaseUrl, createDatabase, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

const backends = [
  { name: 'embedded', database: async () => ({ url: '', drop: async () => undefined }) },
  ...(adminDatabaseUrl ? [{ name: 'postgres', database: () => createDatabase('audit_in_tx') }] : []),
];

interface Row {
  action: string;
  status: number | null;
  decision: string;
}

for (const backend of backends) {
  describe(`audit events in the mutation's transaction (${backend.name})`, () => {
    let catalog: TestCatalog;
    let database: { url: string; drop: () => Promise<void> };
    let client: RestClient;
    /** What audit_event held for each request id while its answer was being sent. */
    const seenBeforeAnswer = new Map<string, Row[]>();
    const rowsOf = async (requestId: string) =>
      (await sql<Row>`SELECT action, status, decision FROM audit_event WHERE request_id = ${requestId}`.execute(catalog.database.db)).rows;

    before(async () => {
      database = await backend.database();
      catalog = await startTestCatalog({
        databaseUrl: database.url,
        extend: (app) =>
          app.addHook('onSend', async (request, _reply, payload) => {
            if (request.headers['x-probe'] === 'yes') seenBeforeAnswer.set(request.id, await rowsOf(request.id));
            return payload;
          }),
      });
      client = new RestClient(catalog.baseUrl);
      assert.equal((await client.request('POST', '/v1/default/namespaces', { namespace: ['ns'] })).status, 200);
    });

    after(async () => {
      await catalog?.close();
      await database?.drop();
    });

    test('a create is audited before its answer leaves, and completed after', async () => {
      const created = await client.request('POST', '/v1/default/namespaces/ns/tables', { name: 't', schema: simpleSchema }, { 'x-probe': 'yes' });
      assert.equal(created.status, 200);
      const id = created.headers.get('x-request-id')!;
      assert.deepEqual(seenBeforeAnswer.get(id), [{ action: 'createTable', status: null, decision: 'allowed' }]);
      await catalog.deps.audit.flush();
      assert.deepEqual(await rowsOf(id), [{ action: 'createTable', status: 200, decision: 'allowed' }], 'one event, completed');
    });

    test('a clone at a snapshot id past 2^53 is audited with the id exact', async () => {
      const loaded = await client.loadTable(['ns'], 't');
      const id = bigSnapshotId();
      const commit = await client.commit(['ns'], 't', [], [
        { action: 'add-snapshot', snapshot: appendSnapshot(id, null, 1, loaded.body.metadata.location) },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
      ]);
      assert.equal(commit.status, 200);
      const cloned = await client.request('POST', '/ext/v1/default/namespaces/ns/tables/t/clone', { destination: { namespace: ['ns'], name: 't_then' }, point: { 'snapshot-id': id } });
      assert.equal(cloned.status, 200, stringifyJson(cloned.body));
      await catalog.deps.audit.flush();
      const rows = await sql<{ detail: { point: { 'snapshot-id': unknown } }; status: number }>`SELECT detail, status FROM audit_event WHERE request_id = ${cloned.headers.get('x-request-id')}`.execute(catalog.database.db);
      assert.equal(rows.rows.length, 1);
      assert.equal(rows.rows[0].status, 200);
      assert.equal(rows.rows[0].detail.point['snapshot-id'], id.toString());
    });

    test('a mutation that commits nothing is audited once, from its answer', async () => {
      const refused = await client.request('POST', '/v1/default/namespaces/ns/tables', { name: 't', schema: simpleSchema }, { 'x-probe': 'yes' });
      assert.equal(refused.status, 409);
      const id = refused.headers.get('x-request-id')!;
      assert.deepEqual(seenBeforeAnswer.get(id), [], 'nothing committed, nothing yet');
      await catalog.deps.audit.flush();
      assert.deepEqual(await rowsOf(id), [{ action: 'createTable', status: 409, decision: 'allowed' }]);
    });
  });
}
