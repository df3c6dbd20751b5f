// Every /ext route on the embedded database (PGlite), the mode every new user runs first.
// PGlite has one connection: a code path that waits for a second connection while its
// transaction holds the first hangs that request and every later one. Each request here has
// a deadline, so such a path fails the test instead of hanging it; and the list of routes
// comes from openapi/catalog.yaml, so a route added later without a case here fails too.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadOpenApiDocument } from '../../src/http/openapi-document.js';
import { stringifyJson } from '../../src/json/int64-json.js';
import { fileUri } from '../../src/storage/filesystem-store.js';
import { RestClient, appendSnapshot, bigSnapshotId, simpleSchema, type RestResponse } from '../support/rest-client.js';
import { startTestCatalog, type TestCatalog } from '../support/test-catalog.js';
import { viewSchema, viewVersion } from '../support/view-fixtures.js';

const REQUEST_TIMEOUT_MS = 15_000;
const ext = '/ext/v1/default';
const show = (body: unknown) => (body === undefined ? '(no body)' : stringifyJson(body));

/** `METHOD /template` for every /ext operation of our document. */
function extOperations(): { key: string; pattern: RegExp }[] {
  const document = loadOpenApiDocument() as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(document.paths)
    .filter(([path]) => path.startsWith('/ext/'))
    .flatMap(([path, item]) =>
      Object.keys(item)
        .filter((method) => ['get', 'put', 'post', 'delete', 'patch', 'head'].includes(method))
        .map((method) => ({
          key: `${method.toUpperCase()} ${path}`,
          pattern: new RegExp(`^${method.toUpperCase()} ${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
        })),
    );
}

describe('every /ext route on the embedded database', () => {
  let catalog: TestCatalog;
  let client: RestClient;
  let scratch: string;
  const operations = extOperations();
  const exercised = new Set<string>();

  /** A request that must answer in time with a status below 500; records which operation it was. */
  async function call(method: string, path: string, body?: unknown): Promise<RestResponse> {
    const target = `${method} ${path.split('?')[0]}`;
    const operation = operations.find((o) => o.pattern.test(target));
    if (operation) exercised.add(operation.key);
    const response = await client.request(method, path, body);
    assert.ok(response.status < 500, `${method} ${path}: ${response.status} ${show(response.body)}`);
    return response;
  }
  const expect = async (status: number, method: string, path: string, body?: unknown) => {
    const response = await call(method, path, body);
    assert.equal(response.status, status, `${method} ${path}: ${show(response.body)}`);
    return response.body;
  };
  const id = (namespace: string[], name: string) => ({ namespace, name });

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'embedded-ext-'));
    // No database URL: the embedded PGlite, as `npm start` runs it.
    catalog = await startTestCatalog({
      databaseUrl: '',
      env: { CATALOG_GC_GRACE_MS: '0', CATALOG_GC_SCHEDULE: 'off', CATALOG_GC_ORPHAN_SCHEDULE: 'off' },
    });
    assert.equal(catalog.database.kind, 'embedded');
    client = new RestClient(catalog.baseUrl, 'default', REQUEST_TIMEOUT_MS);
    for (const ns of ['prod', 'dev']) await expect(200, 'POST', '/v1/default/namespaces', { namespace: [ns], properties: {} });
    // A table with two snapshots and a short metadata log, so collections have real garbage.
    const created = await client.createTable(['prod'], {
      name: 'orders',
      schema: simpleSchema,
      properties: { 'write.metadata.previous-versions-max': '1' },
    });
    assert.equal(created.status, 200);
    let parent: bigint | null = null;
    for (let i = 1; i <= 2; i++) {
      const snapshot = bigSnapshotId();
      const committed = await client.commit(['prod'], 'orders', [], [
        { action: 'add-snapshot', snapshot: appendSnapshot(snapshot, parent, i, created.body.metadata.location) },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snapshot },
      ]);
      assert.equal(committed.status, 200, stringifyJson(committed.body));
      parent = snapshot;
    }
    for (let i = 0; i < 3; i++) await client.commit(['prod'], 'orders', [], [{ action: 'set-properties', updates: { step: String(i) } }]);
    const view = { name: 'recent', schema: viewSchema, 'view-version': viewVersion('select id from orders', ['prod']) };
    await expect(200, 'POST', '/v1/default/namespaces/prod/views', view);
  });

  after(async () => {
    // A hung request would also hang the close: bound it, the test has failed already then.
    await Promise.race([catalog?.close(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    await rm(scratch, { recursive: true, force: true });
  });

  test('clones of a table, a namespace and a warehouse; listing and lineage', async () => {
    const clone = await expect(200, 'POST', `${ext}/namespaces/prod/tables/orders/clone`, { destination: id(['dev'], 'orders') });
    assert.equal(clone.lineage.name, 'orders');
    const tree = await expect(200, 'POST', `${ext}/namespaces/prod/clone`, { destination: ['prod_copy'] });
    assert.deepEqual(tree.tables.map((t: { identifier: { name: string } }) => t.identifier.name), ['orders']);
    assert.deepEqual(tree.views.map((v: { identifier: { name: string } }) => v.identifier.name), ['recent']);
    const view = await expect(200, 'POST', `${ext}/namespaces/prod/views/recent/clone`, { destination: id(['dev'], 'recent') });
    assert.equal(view.lineage.name, 'recent');
    assert.equal((await expect(200, 'GET', `${ext}/namespaces/prod/views/recent/lineage`)).clones.length, 2);
    // A new warehouse root may be refused by policy (400); it must never hang or fail with 5xx.
    await call('POST', `${ext}/clone`, { destination: { name: 'copy', location: fileUri(join(scratch, 'copy')) } });
    const listed = await expect(200, 'GET', `${ext}/clones`);
    assert.ok(listed.clones.some((c: { identifier: { namespace: string[] } }) => c.identifier.namespace[0] === 'dev'));
    const lineage = await expect(200, 'GET', `${ext}/namespaces/prod/tables/orders/lineage`);
    assert.ok(lineage.clones.length >= 2);
    assert.equal((await expect(200, 'GET', `${ext}/namespaces/dev/tables/orders/lineage`)).source.name, 'orders');
  });

  test('TTL: set, cleared, and an expired clone dropped by the expiry job', async () => {
    assert.ok((await expect(200, 'PUT', `${ext}/namespaces/dev/tables/orders/expiry`, { 'ttl-seconds': 3600 }))['expires-at']);
    assert.equal((await expect(200, 'PUT', `${ext}/namespaces/dev/tables/orders/expiry`, {}))['expires-at'], null);
    await expect(200, 'POST', `${ext}/namespaces/prod/tables/orders/clone`, { destination: id(['dev'], 'short'), 'ttl-seconds': 1 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const dropped = await catalog.deps.cloneRegistry.dropExpired();
    assert.deepEqual(dropped.map((d) => d.name), ['short']);
  });

  test('swap and promote', async () => {
    await expect(204, 'POST', `${ext}/tables/swap`, { pairs: [{ first: id(['dev'], 'orders'), second: id(['prod_copy'], 'orders') }] });
    await expect(200, 'POST', `${ext}/namespaces/prod/tables/orders/clone`, { destination: id(['dev'], 'candidate') });
    await expect(204, 'POST', `${ext}/tables/promote`, { clone: id(['dev'], 'candidate'), target: id(['prod'], 'orders') });
    assert.equal((await client.loadTable(['prod'], 'orders')).status, 200);
  });

  test('points in time: a namespace tag and as-of', async () => {
    const tagged = await expect(200, 'POST', `${ext}/namespaces/prod/tags`, { name: 'release-1' });
    assert.equal(tagged.tables.length, 1);
    const asOf = await expect(200, 'GET', `${ext}/namespaces/prod/as-of?timestamp-ms=${Date.now()}`);
    assert.equal(asOf.tables.length, 1);
  });

  test('snapshot expiry, dry run and real', async () => {
    const path = `${ext}/namespaces/prod/tables/orders/expire-snapshots`;
    assert.equal((await expect(200, 'POST', path, { 'dry-run': true }))['dry-run'], true);
    assert.equal((await expect(200, 'POST', path, {}))['dry-run'], false);
  });

  test('a dropped view is listed and restored like a table', async () => {
    assert.equal((await client.request('DELETE', '/v1/default/namespaces/dev/views/recent')).status, 204);
    const listed = await expect(200, 'GET', `${ext}/dropped-tables`);
    const entry = listed['dropped-tables'].find((t: { kind: string }) => t.kind === 'view');
    assert.deepEqual((await expect(200, 'POST', `${ext}/dropped-tables/${entry['table-id']}/restore`, {})).identifier, id(['dev'], 'recent'));
  });

  test('dropped tables: list, restore under the old name, a taken name (409), a new name', async () => {
    await client.createTable(['prod'], { name: 'scratch', schema: simpleSchema });
    assert.equal((await client.request('DELETE', client.tablePath(['prod'], 'scratch'))).status, 204);
    const droppedId = async () => {
      const listed = await expect(200, 'GET', `${ext}/dropped-tables`);
      return listed['dropped-tables'].find((t: { identifier: { name: string } }) => t.identifier.name === 'scratch')['table-id'] as string;
    };
    const first = await droppedId();
    assert.deepEqual((await expect(200, 'POST', `${ext}/dropped-tables/${first}/restore`, {})).identifier, id(['prod'], 'scratch'));

    assert.equal((await client.request('DELETE', client.tablePath(['prod'], 'scratch'))).status, 204);
    await client.createTable(['prod'], { name: 'scratch', schema: simpleSchema });
    const again = await droppedId();
    const taken = await expect(409, 'POST', `${ext}/dropped-tables/${again}/restore`, {});
    assert.equal(taken.error.type, 'AlreadyExistsException');
    const renamed = await expect(200, 'POST', `${ext}/dropped-tables/${again}/restore`, { destination: id(['prod'], 'scratch_old') });
    assert.deepEqual(renamed.identifier, id(['prod'], 'scratch_old'));
  });

  test('collection runs: settings, dry run, real run with a purge, orphan listing, a run in the background', async () => {
    assert.equal((await expect(200, 'POST', `${ext}/gc-settings`, { 'drop-retention-ms': 0 }))['drop-retention-ms'], 0);
    assert.equal((await client.request('DELETE', `${client.tablePath(['prod'], 'scratch_old')}?purgeRequested=true`)).status, 204);

    const dry = await expect(200, 'POST', '/ext/v1/gc/runs', { 'dry-run': true, wait: true });
    assert.equal(dry.status, 'succeeded', stringifyJson(dry));
    const files = await expect(200, 'GET', `/ext/v1/gc/runs/${dry['run-id']}/files`);
    assert.ok(files.files.length > 0, 'the dry run found the metadata files that fell out of the log');
    const real = await expect(200, 'POST', '/ext/v1/gc/runs', { wait: true });
    assert.equal(real.status, 'succeeded', stringifyJson(real));
    assert.ok(real.counts['files-deleted'] > 0, stringifyJson(real.counts));
    // scratch_old, and the clone dropped when its TTL ran out.
    assert.ok(real.counts['tables-purged'] >= 2, stringifyJson(real.counts));
    const orphans = await expect(200, 'POST', '/ext/v1/gc/runs', { orphans: 'dry-run', wait: true });
    assert.equal(orphans.status, 'succeeded', stringifyJson(orphans));

    const background = await expect(202, 'POST', '/ext/v1/gc/runs', {});
    for (let i = 0; i < 100; i++) {
      const run = await expect(200, 'GET', `/ext/v1/gc/runs/${background['run-id']}`);
      if (run['finished-at']) break;
      // Requests keep being served while a run holds the connection between its steps.
      await expect(200, 'GET', `${ext}/dropped-tables`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal((await expect(200, 'GET', `/ext/v1/gc/runs/${background['run-id']}`)).status, 'succeeded');
    assert.ok((await expect(200, 'GET', '/ext/v1/gc/runs')).runs.length >= 4);
    await expect(200, 'POST', `${ext}/gc-settings`, { 'drop-retention-ms': null });
  });

  test('storage reports of the warehouse and of a table', async () => {
    const warehouse = await expect(200, 'GET', `${ext}/storage`);
    assert.ok(warehouse.live.files > 0);
    const table = await expect(200, 'GET', `${ext}/namespaces/prod/tables/orders/storage`);
    assert.ok(table.referenced.files > 0);
  });

  test('authentication with the catalog as issuer, on the embedded database: token, clients, whoami', async () => {
    const secured = await startTestCatalog({
      databaseUrl: '',
      env: { CATALOG_AUTHENTICATION: 'catalog', CATALOG_BOOTSTRAP_CLIENT_ID: 'admin', CATALOG_BOOTSTRAP_CLIENT_SECRET: 'admin-secret-0123456789' },
    });
    const saved = client;
    try {
      await secured.deps.clients!.ensure('admin', 'admin-secret-0123456789');
      const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: 'admin', client_secret: 'admin-secret-0123456789' });
      const issued = await fetch(`${secured.baseUrl}/v1/oauth/tokens`, { method: 'POST', body: form, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      assert.equal(issued.status, 200);
      const token = ((await issued.json()) as { access_token: string }).access_token;
      client = new RestClient(secured.baseUrl, 'default', REQUEST_TIMEOUT_MS);
      const bearer = { authorization: `Bearer ${token}` };
      const authed = async (status: number, method: string, path: string, body?: unknown) => {
        const target = `${method} ${path}`;
        const operation = operations.find((o) => o.pattern.test(target));
        if (operation) exercised.add(operation.key);
        const response = await client.request(method, path, body, bearer);
        assert.equal(response.status, status, `${target}: ${show(response.body)}`);
        return response.body;
      };
      assert.equal((await authed(200, 'GET', '/ext/v1/auth/whoami')).principal, 'admin');
      const created = await authed(200, 'POST', '/ext/v1/auth/clients', { 'client-id': 'engine' });
      assert.ok(created['client-secret']);
      assert.equal((await authed(200, 'GET', '/ext/v1/auth/clients')).clients.length, 2);
      await authed(204, 'DELETE', '/ext/v1/auth/clients/engine');
      assert.equal((await client.request('GET', '/v1/config')).status, 401);
    } finally {
      client = saved;
      await secured.close();
    }
  });

  test('roles and grants: create, members, grant and revoke, questions, delete', async () => {
    await expect(204, 'POST', '/ext/v1/auth/roles', { name: 'analysts' });
    await expect(204, 'POST', '/ext/v1/auth/roles/analysts/members', { add: [{ kind: 'group', name: 'bi' }] });
    assert.deepEqual((await expect(200, 'GET', '/ext/v1/auth/roles')).roles, [{ name: 'analysts', members: [{ kind: 'group', name: 'bi' }] }]);
    const on = '?namespace=prod&table=orders';
    await expect(204, 'POST', `${ext}/grants${on}`, { action: 'grant', grantee: { kind: 'role', name: 'analysts' }, privileges: ['read'] });
    assert.equal((await expect(200, 'GET', `${ext}/grants${on}`)).grants.length, 1);
    // With authentication off everyone is an administrator: every privilege.
    const privileges = await expect(200, 'GET', `${ext}/privileges${on}&principal=someone&groups=bi`);
    assert.ok(privileges.privileges.includes('read') && privileges.privileges.includes('manage-grants'));
    assert.ok((await expect(200, 'GET', `${ext}/readers${on}`)).grantees.some((g: { name: string }) => g.name === 'bi'));
    await expect(204, 'POST', `${ext}/grants${on}`, { action: 'revoke', grantee: { kind: 'role', name: 'analysts' }, privileges: ['read'] });
    await expect(204, 'DELETE', '/ext/v1/auth/roles/analysts');
  });

  test('the audit log: the grant changes above, by the anonymous administrator', async () => {
    await catalog.deps.audit.flush();
    const events = (await expect(200, 'GET', '/ext/v1/audit?warehouse=default&namespace=prod&table=orders&action=changeGrants')).events;
    assert.deepEqual(events.map((e: { detail: { action: string } }) => e.detail.action), ['revoke', 'grant']);
    assert.ok(events.every((e: { principal: string }) => e.principal === 'anonymous'));
  });

  test('every /ext operation of the document was exercised', () => {
    const missing = operations.map((o) => o.key).filter((key) => !exercised.has(key));
    assert.deepEqual(missing, []);
  });
});
