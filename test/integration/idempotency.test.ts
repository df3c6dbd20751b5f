// Idempotency-Key on mutations, on Postgres and on the embedded default: a commit, a clone, a
// promote and a swap sent twice with one key land once and answer identically; a retry after
// the first answer was lost on the way (a proxy that drops it) lands once; the same key with
// another body is a 422; concurrent repeats wait for the first; a first attempt that stopped
// before landing is run again, one that landed and stopped is "outcome unknown", and an
// attempt a retry took over can no longer commit.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { stringifyJson } from '../../src/json/int64-json.js';
import { ANONYMOUS } from '../../src/auth/principal.js';
import { runWithCommitSteps } from '../../src/db/commit-steps.js';
import { FencedOut, fenceStep } from '../../src/db/idempotency-fence.js';
import { requestFingerprint } from '../../src/idempotency/idempotency-keys.js';
import { RestClient, appendSnapshot, bigSnapshotId, simpleSchema } from '../support/rest-client.js';
import { adminDatabaseUrl, createDatabase, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

const backends = [
  { name: 'embedded', databaseUrl: async () => ({ url: '', drop: async () => undefined }) },
  ...(adminDatabaseUrl ? [{ name: 'postgres', databaseUrl: () => createDatabase('idempotency') }] : []),
];

for (const backend of backends) {
  describe(`idempotency keys (${backend.name})`, () => {
    let catalog: TestCatalog;
    let database: { url: string; drop: () => Promise<void> };
    let client: RestClient;
    const table = (ns: string, name: string) => `/v1/default/namespaces/${ns}/tables/${name}`;
    const id = (ns: string, name: string) => ({ namespace: [ns], name });
    const keyed = (method: string, path: string, body: unknown, key: string) => client.request(method, path, body, { 'idempotency-key': key });
    const snapshots = async (name: string) => (await client.loadTable(['ns'], name)).body.metadata.snapshots.length as number;

    /** An append on top of the table's current state, as an engine sends it. */
    async function appendCommit(name: string) {
      const metadata = (await client.loadTable(['ns'], name)).body.metadata;
      const parent = metadata['current-snapshot-id'] === -1 ? null : BigInt(metadata['current-snapshot-id']);
      const snapshot = bigSnapshotId();
      return {
        requirements: [
          { type: 'assert-table-uuid', uuid: metadata['table-uuid'] },
          { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent },
        ],
        updates: [
          { action: 'add-snapshot', snapshot: appendSnapshot(snapshot, parent, Number(metadata['last-sequence-number']) + 1, metadata.location) },
          { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snapshot },
        ],
      };
    }

    before(async () => {
      database = await backend.databaseUrl();
      catalog = await startTestCatalog({ databaseUrl: database.url });
      client = new RestClient(catalog.baseUrl);
      assert.equal((await client.request('POST', '/v1/default/namespaces', { namespace: ['ns'] })).status, 200);
      for (const name of ['orders', 'plans', 'facts']) {
        assert.equal((await client.request('POST', '/v1/default/namespaces/ns/tables', { name, schema: simpleSchema })).status, 200);
      }
    });

    after(async () => {
      await catalog?.close();
      await database?.drop();
    });

    test('/v1/config advertises the lifetime', async () => {
      const config = await client.request('GET', '/v1/config');
      assert.equal(config.body['idempotency-key-lifetime'], 'PT30M');
    });

    test('a commit sent twice with one key lands once and answers the same', async () => {
      const key = randomUUID();
      const body = await appendCommit('orders');
      const first = await keyed('POST', table('ns', 'orders'), body, key);
      assert.equal(first.status, 200, stringifyJson(first.body));
      const second = await keyed('POST', table('ns', 'orders'), body, key);
      assert.equal(second.status, 200);
      assert.equal(second.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(second.body, first.body);
      assert.equal(second.headers.get('etag'), first.headers.get('etag'));
      assert.equal(await snapshots('orders'), 1);
      // Without a key the same body is a new request: its requirement now fails.
      assert.equal((await client.request('POST', table('ns', 'orders'), body)).status, 409);
    });

    test('a clone, a promote and a swap sent twice land once', async () => {
      const clone = { destination: id('ns', 'orders_next') };
      const key = randomUUID();
      const first = await keyed('POST', '/ext/v1/default/namespaces/ns/tables/orders/clone', clone, key);
      assert.ok(first.status < 300, stringifyJson(first.body));
      const again = await keyed('POST', '/ext/v1/default/namespaces/ns/tables/orders/clone', clone, key);
      assert.deepEqual([again.status, again.body], [first.status, first.body], 'not a 409 AlreadyExists');

      const promote = { clone: id('ns', 'orders_next'), target: id('ns', 'orders'), force: true };
      const promoteKey = randomUUID();
      assert.equal((await keyed('POST', '/ext/v1/default/tables/promote', promote, promoteKey)).status, 204);
      assert.equal((await keyed('POST', '/ext/v1/default/tables/promote', promote, promoteKey)).status, 204, 'not a 404 for the clone now gone');

      // A swap is its own inverse: run twice it would undo itself.
      const before = (await client.loadTable(['ns'], 'plans')).body['metadata-location'];
      const swap = { pairs: [{ first: id('ns', 'plans'), second: id('ns', 'facts') }] };
      const swapKey = randomUUID();
      assert.equal((await keyed('POST', '/ext/v1/default/tables/swap', swap, swapKey)).status, 204);
      assert.equal((await keyed('POST', '/ext/v1/default/tables/swap', swap, swapKey)).status, 204);
      assert.notEqual((await client.loadTable(['ns'], 'plans')).body['metadata-location'], before, 'swapped once, not back');
    });

    test('the same key with another request is a 422; a key that is no UUID a 400; nothing changes', async () => {
      const key = randomUUID();
      assert.equal((await keyed('POST', '/v1/default/namespaces', { namespace: ['a1'] }, key)).status, 200);
      const other = await keyed('POST', '/v1/default/namespaces', { namespace: ['a2'] }, key);
      assert.equal(other.status, 422, stringifyJson(other.body));
      assert.equal(other.body.error.type, 'UnprocessableEntityException');
      assert.equal((await client.request('GET', '/v1/default/namespaces/a2')).status, 404);
      for (const bad of ['not-a-uuid', `${key}x`, '']) {
        const answer = await keyed('POST', '/v1/default/namespaces', { namespace: ['a3'] }, bad);
        assert.equal(answer.status, 400, `${stringifyJson(bad)}: ${stringifyJson(answer.body)}`);
      }
      assert.equal((await client.request('GET', '/v1/default/namespaces/a3')).status, 404);
      // A final 4xx is replayed too: the retry of a create that found the name taken.
      const taken = randomUUID();
      assert.equal((await keyed('POST', '/v1/default/namespaces', { namespace: ['a1'] }, taken)).status, 409);
      assert.equal((await client.request('DELETE', '/v1/default/namespaces/a1')).status, 204);
      const replayed = await keyed('POST', '/v1/default/namespaces', { namespace: ['a1'] }, taken);
      assert.deepEqual([replayed.status, replayed.headers.get('idempotent-replayed')], [409, 'true']);
    });

    test('concurrent repeats of one request land once and all get its answer', async () => {
      const key = randomUUID();
      const body = await appendCommit('plans');
      const before = await snapshots('plans');
      const answers = await Promise.all(Array.from({ length: 6 }, () => keyed('POST', table('ns', 'plans'), body, key)));
      for (const answer of answers) assert.equal(answer.status, 200, stringifyJson(answer.body));
      assert.ok(answers.every((a) => stringifyJson(a.body) === stringifyJson(answers[0].body)));
      assert.equal(await snapshots('plans'), before + 1);
    });

    test('a retry after the first answer was lost on the way lands once', async () => {
      // A proxy that forwards the request and drops the connection before any answer returns.
      const target = new URL(catalog.baseUrl);
      const sockets = new Set<net.Socket>();
      const proxy = net.createServer((inbound) => {
        const upstream = net.connect(Number(target.port), target.hostname);
        sockets.add(inbound).add(upstream);
        inbound.pipe(upstream);
        upstream.once('data', () => {
          inbound.destroy();
          upstream.destroy();
        });
        for (const s of [inbound, upstream]) s.on('error', () => s.destroy());
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      const port = (proxy.address() as net.AddressInfo).port;
      try {
        const key = randomUUID();
        const body = await appendCommit('facts');
        const before = await snapshots('facts');
        const lost = await new RestClient(`http://127.0.0.1:${port}`).request('POST', table('ns', 'facts'), body, { 'idempotency-key': key }).catch((error: unknown) => error);
        assert.ok(lost instanceof Error, 'the first answer never arrived');
        const retry = await keyed('POST', table('ns', 'facts'), body, key);
        assert.equal(retry.status, 200, stringifyJson(retry.body));
        assert.equal(await snapshots('facts'), before + 1);
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise((resolve) => proxy.close(resolve));
      }
    });

    test('a first attempt that stopped: run again if nothing landed, outcome unknown if it did', async () => {
      const db = catalog.database.db;
      const keys = catalog.deps.idempotencyKeys;
      const request = { namespace: ['stopped'] };
      // What a process that died would leave: the key claimed by an attempt long past the deadline.
      const claimAsDead = async (key: string, landed: boolean) => {
        const fingerprint = requestFingerprint({ method: 'POST', route: '/v1/:prefix/namespaces', params: { prefix: 'default' }, query: {}, body: request });
        assert.ok(await keys.claim(ANONYMOUS.name, key, fingerprint, 'createNamespace', randomUUID()));
        await sql`UPDATE idempotency_key SET landed = ${landed}, started_at = now() - interval '1 hour' WHERE key = ${key}::uuid`.execute(db);
      };
      const rerun = randomUUID();
      await claimAsDead(rerun, false);
      await client.request('DELETE', '/v1/default/namespaces/stopped');
      const again = await keyed('POST', '/v1/default/namespaces', request, rerun);
      assert.equal(again.status, 200, 'nothing landed: run again');
      assert.equal((await client.request('GET', '/v1/default/namespaces/stopped')).status, 200);

      const unknown = randomUUID();
      await client.request('DELETE', '/v1/default/namespaces/stopped');
      await claimAsDead(unknown, true);
      const told = await keyed('POST', '/v1/default/namespaces', request, unknown);
      assert.equal(told.status, 500);
      assert.equal(told.body.error.type, 'CommitStateUnknownException');
    });

    test('an attempt a retry took over can no longer commit', async () => {
      const db = catalog.database.db;
      const key = randomUUID();
      assert.equal((await keyed('POST', '/v1/default/namespaces', { namespace: ['fenced'] }, key)).status, 200);
      const old = randomUUID();
      await sql`UPDATE idempotency_key SET attempt = ${randomUUID()}::uuid WHERE key = ${key}::uuid`.execute(db);
      const write = () =>
        db.transaction().execute(async (tx) => {
          await sql`UPDATE namespace SET properties = '{"touched":"yes"}' WHERE levels = ARRAY['fenced']`.execute(tx);
        });
      await assert.rejects(runWithCommitSteps({ steps: [fenceStep({ principal: ANONYMOUS.name, key, attempt: old })], open: true }, write), FencedOut);
      const loaded = await client.request('GET', '/v1/default/namespaces/fenced');
      assert.equal(loaded.body.properties?.touched, undefined, 'rolled back');
      // Work a request left running after its final answer (a collection run) is not fenced:
      // it must not fail once the key is gone.
      await sql`DELETE FROM idempotency_key WHERE key = ${key}::uuid`.execute(db);
      await runWithCommitSteps({ steps: [fenceStep({ principal: ANONYMOUS.name, key, attempt: old })], open: false }, write);
      assert.equal((await client.request('GET', '/v1/default/namespaces/fenced')).body.properties.touched, 'yes');
    });
  });
}
