// Authorization as teams use it, with the catalog's own clients on two replicas of one
// database: a revoked grant is in force on the other replica within the stated bound (and at
// once where it was revoked), roles and their members, clones that copy grants or keep them
// to their owner, promote and swap needing `promote`, the privilege and reader questions, and
// every bad grant refused without changing anything.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EPOCH_POLL_MS } from '../../src/authz/authorizer.js';
import { clientToken, ok } from '../support/catalog-tokens.js';
import { RestClient, simpleSchema } from '../support/rest-client.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

const ADMIN = { id: 'admin', secret: 'admin-secret-0123456789' };
const TEAM = ['owner', 'reader', 'writer', 'analyst'] as const;
type Who = (typeof TEAM)[number] | 'admin';

describe('authorization scenarios', { skip: noPostgres }, () => {
  let catalog: TestCatalog;
  let replica: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  const tokens = new Map<Who, string>();

  const tokenFor = (id: string, secret: string) => clientToken(catalog.baseUrl, id, secret);
  const as = (who: Who, base = catalog.baseUrl) => (method: string, path: string, body?: unknown) =>
    new RestClient(base).request(method, path, body, { authorization: `Bearer ${tokens.get(who)}` });
  const grant = (who: Who, on: string, grantee: { kind: string; name: string }, privileges: string[], action = 'grant') =>
    as(who)('POST', `/ext/v1/default/grants?${on}`, { action, grantee, privileges });
  const table = (ns: string, name: string) => `/v1/default/namespaces/${ns}/tables/${name}`;
  const principal = (name: string) => ({ kind: 'principal', name });

  /** Polls `base` as `who` until `path` answers `status`; returns how long that took. */
  async function until(who: Who, base: string, path: string, status: number): Promise<number> {
    const started = Date.now();
    for (;;) {
      const answer = await as(who, base)('GET', path);
      if (answer.status === status) return Date.now() - started;
      assert.ok(Date.now() - started < EPOCH_POLL_MS + 1_000, `${path} still ${answer.status} on the other replica after ${Date.now() - started} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  before(async () => {
    database = await createDatabase('authz_scenarios');
    const env = { CATALOG_AUTHENTICATION: 'catalog', CATALOG_BOOTSTRAP_CLIENT_ID: ADMIN.id, CATALOG_BOOTSTRAP_CLIENT_SECRET: ADMIN.secret };
    catalog = await startTestCatalog({ databaseUrl: database.url, env });
    replica = await startTestCatalog({ databaseUrl: database.url, env });
    await catalog.deps.clients!.ensure(ADMIN.id, ADMIN.secret);
    tokens.set('admin', await tokenFor(ADMIN.id, ADMIN.secret));
    for (const name of TEAM) {
      const registered = await ok(as('admin')('POST', '/ext/v1/auth/clients', { 'client-id': name }));
      tokens.set(name, await tokenFor(name, registered['client-secret']));
    }
    await ok(grant('admin', '', principal('owner'), ['create']));
    for (const ns of ['sales', 'sandbox']) await ok(as('owner')('POST', '/v1/default/namespaces', { namespace: [ns] }));
    for (const name of ['orders', 'plans']) await ok(as('owner')('POST', `/v1/default/namespaces/sales/tables`, { name, schema: simpleSchema }));
  });

  after(async () => {
    await replica?.close();
    await catalog?.close();
    await database?.drop();
  });

  test(`a grant and its revocation reach the other replica within ${EPOCH_POLL_MS} ms, and this one at once`, async () => {
    const orders = table('sales', 'orders');
    // The other replica caches that the reader holds nothing.
    assert.equal((await as('reader', replica.baseUrl)('GET', orders)).status, 404);
    await ok(grant('owner', 'namespace=sales', principal('reader'), ['read']));
    assert.equal((await as('reader')('GET', orders)).status, 200, 'at once where it was granted');
    const granted = await until('reader', replica.baseUrl, orders, 200);
    await ok(grant('owner', 'namespace=sales', principal('reader'), ['read'], 'revoke'));
    assert.equal((await as('reader')('GET', orders)).status, 404, 'at once where it was revoked');
    const revoked = await until('reader', replica.baseUrl, orders, 404);
    console.log(`# grant seen by the other replica after ${granted} ms, revocation after ${revoked} ms`);
  });

  test('a role holds grants for its members, through other roles and until a member is removed', async () => {
    const admin = as('admin');
    for (const name of ['analysts', 'finance']) assert.equal((await admin('POST', '/ext/v1/auth/roles', { name })).status, 204);
    assert.equal((await admin('POST', '/ext/v1/auth/roles', { name: 'analysts' })).status, 409);
    await ok(admin('POST', '/ext/v1/auth/roles/finance/members', { add: [{ kind: 'role', name: 'analysts' }] }));
    await ok(admin('POST', '/ext/v1/auth/roles/analysts/members', { add: [principal('analyst')] }));
    // A cycle, a missing role, a bad member: refused, and nothing changes.
    const cycle = await admin('POST', '/ext/v1/auth/roles/analysts/members', { add: [{ kind: 'role', name: 'finance' }] });
    assert.equal(cycle.status, 400, JSON.stringify(cycle.body));
    assert.equal((await admin('POST', '/ext/v1/auth/roles/nobody/members', { add: [] })).status, 404);
    assert.equal((await admin('POST', '/ext/v1/auth/roles/analysts/members', { add: [{ kind: 'user', name: 'x' }] })).status, 400);
    assert.equal((await as('owner')('POST', '/ext/v1/auth/roles', { name: 'mine' })).status, 403, 'only administrators manage roles');

    await ok(grant('owner', 'namespace=sales&table=orders', { kind: 'role', name: 'finance' }, ['read']));
    assert.equal((await as('analyst')('GET', table('sales', 'orders'))).status, 200);
    assert.equal((await as('analyst')('GET', table('sales', 'plans'))).status, 404, 'a grant on one table shows no other');
    const listed = await ok(as('analyst')('GET', '/v1/default/namespaces/sales/tables'));
    assert.deepEqual(listed.identifiers.map((i: { name: string }) => i.name), ['orders']);
    const readers = await ok(as('owner')('GET', '/ext/v1/default/readers?namespace=sales&table=orders'));
    assert.deepEqual(readers.owners, ['owner']);
    assert.ok(readers.grantees.some((g: { kind: string; name: string; via: string }) => g.name === 'analyst' && g.via === 'role analysts'), JSON.stringify(readers));

    await ok(admin('POST', '/ext/v1/auth/roles/analysts/members', { remove: [principal('analyst')] }));
    assert.equal((await as('analyst')('GET', table('sales', 'orders'))).status, 404);
    assert.equal((await admin('DELETE', '/ext/v1/auth/roles/finance')).status, 204);
    const after = await ok(as('owner')('GET', '/ext/v1/default/grants?namespace=sales&table=orders'));
    assert.ok(!after.grants.some((g: { grantee: { name: string } }) => g.grantee.name === 'finance'), 'a deleted role leaves no grant behind');
  });

  test('a clone belongs to its caller; copy-grants carries the source grants over, else nobody else sees it', async () => {
    await ok(grant('owner', 'namespace=sales&table=orders', principal('reader'), ['read']));
    await ok(grant('owner', 'namespace=sales&table=orders', principal('writer'), ['read', 'clone']));
    await ok(grant('owner', 'namespace=sandbox', principal('writer'), ['create']));
    const clone = (name: string, copy: boolean) =>
      as('writer')('POST', '/ext/v1/default/namespaces/sales/tables/orders/clone', { destination: { namespace: ['sandbox'], name }, 'copy-grants': copy });
    await ok(clone('orders_copy', true));
    await ok(clone('orders_private', false));
    assert.equal((await as('reader')('GET', table('sandbox', 'orders_copy'))).status, 200, 'the copied grant');
    assert.equal((await as('reader')('GET', table('sandbox', 'orders_private'))).status, 404);
    // The writer owns its clones: it may drop one although it holds no drop on the source.
    assert.equal((await as('writer')('DELETE', table('sandbox', 'orders_private'))).status, 204);
    assert.equal((await as('writer')('DELETE', table('sales', 'orders'))).status, 403);
    // Without clone on the source, or create at the destination: refused, and no clone exists.
    const refused = await as('reader')('POST', '/ext/v1/default/namespaces/sales/tables/orders/clone', { destination: { namespace: ['sandbox'], name: 'sneaky' } });
    assert.equal(refused.status, 403);
    assert.equal((await as('owner')('GET', table('sandbox', 'sneaky'))).status, 404);
    const listing = await ok(as('reader')('GET', '/ext/v1/default/clones'));
    const names = listing.clones.map((c: { identifier: { name: string } }) => c.identifier.name);
    assert.deepEqual(names, ['orders_copy'], 'the reader is shown the clone it may read, not the private one');
  });

  test('a namespace clone with copy-grants carries the grants of every namespace and table of the tree', async () => {
    const owner = as('owner');
    await ok(owner('POST', '/v1/default/namespaces', { namespace: ['tree'] }));
    await ok(owner('POST', '/v1/default/namespaces', { namespace: ['tree', 'inner'] }));
    await ok(owner('POST', '/v1/default/namespaces/tree%1Finner/tables', { name: 'facts', schema: simpleSchema }));
    await ok(grant('owner', 'namespace=tree', principal('analyst'), ['read']));
    await ok(grant('owner', 'namespace=tree%1Finner&table=facts', principal('writer'), ['read']));
    await ok(owner('POST', '/ext/v1/default/namespaces/tree/clone', { destination: ['tree_copy'], 'copy-grants': true }));
    await ok(owner('POST', '/ext/v1/default/namespaces/tree/clone', { destination: ['tree_private'] }));
    const facts = (ns: string) => table(`${ns}%1Finner`, 'facts');
    assert.equal((await as('analyst')('GET', facts('tree_copy'))).status, 200, 'a namespace grant, copied');
    assert.equal((await as('writer')('GET', facts('tree_copy'))).status, 200, 'a table grant, copied');
    assert.equal((await as('analyst')('GET', facts('tree_private'))).status, 404);
    assert.equal((await as('writer')('GET', facts('tree_private'))).status, 404);
  });

  test('promote and swap need promote on both tables', async () => {
    const owner = as('owner');
    await ok(owner('POST', '/ext/v1/default/namespaces/sales/tables/orders/clone', { destination: { namespace: ['sales'], name: 'orders_next' } }));
    await ok(grant('owner', 'namespace=sales', principal('writer'), ['write']));
    const promote = () => as('writer')('POST', '/ext/v1/default/tables/promote', { clone: { namespace: ['sales'], name: 'orders_next' }, target: { namespace: ['sales'], name: 'orders' }, force: true });
    const swap = () => as('writer')('POST', '/ext/v1/default/tables/swap', { pairs: [{ first: { namespace: ['sales'], name: 'orders' }, second: { namespace: ['sales'], name: 'plans' } }] });
    const before = (await ok(owner('GET', table('sales', 'orders'))))['metadata-location'];
    assert.equal((await promote()).status, 403);
    assert.equal((await swap()).status, 403);
    assert.equal((await ok(owner('GET', table('sales', 'orders'))))['metadata-location'], before, 'nothing changed');
    await ok(grant('owner', 'namespace=sales', principal('writer'), ['promote']));
    assert.ok((await promote()).status < 300);
    assert.ok((await swap()).status < 300);
  });

  test('who may do what: own privileges for anyone, others only for who manages grants', async () => {
    const mine = await ok(as('reader')('GET', '/ext/v1/default/privileges?namespace=sandbox&table=orders_copy'));
    assert.deepEqual(mine, { principal: 'reader', privileges: ['read'] });
    assert.equal((await as('reader')('GET', '/ext/v1/default/privileges?namespace=sandbox&table=orders_copy&principal=writer')).status, 403);
    const writers = await ok(as('writer')('GET', '/ext/v1/default/privileges?namespace=sandbox&table=orders_copy&principal=reader'));
    assert.deepEqual(writers.privileges, ['read'], 'the clone owner manages its grants');
    assert.equal((await as('analyst')('GET', '/ext/v1/default/privileges?namespace=sandbox&table=orders_copy')).status, 404, 'invisible');
  });

  test('every bad grant is a 4xx and changes nothing', async () => {
    const on = 'namespace=sales&table=plans';
    const before = await ok(as('owner')('GET', `/ext/v1/default/grants?${on}`));
    const bad: [unknown, number][] = [
      [{ action: 'grant', grantee: principal('x'), privileges: ['create'] }, 400], // not grantable on a table
      [{ action: 'grant', grantee: principal('x'), privileges: ['root'] }, 400],
      [{ action: 'grant', grantee: principal('x'), privileges: [] }, 400],
      [{ action: 'grant', grantee: { kind: 'role', name: 'no-such-role' }, privileges: ['read'] }, 404],
      [{ action: 'grant', grantee: principal('x'.repeat(256)), privileges: ['read'] }, 400],
      [{ action: 'grant', grantee: principal('a\u0000b'), privileges: ['read'] }, 400],
      [{ action: 'steal', grantee: principal('x'), privileges: ['read'] }, 400],
      ['not json', 400],
    ];
    for (const [body, status] of bad) {
      const answer = await as('owner')('POST', `/ext/v1/default/grants?${on}`, body);
      assert.equal(answer.status, status, `${JSON.stringify(body)}: ${JSON.stringify(answer.body)}`);
      assert.ok(answer.body.error.message, 'in the Iceberg error model');
    }
    for (const query of ['namespace=sales&table=missing', 'namespace=missing', 'table=plans', 'namespace=sales&table=plans&view=x']) {
      const answer = await as('owner')('POST', `/ext/v1/default/grants?${query}`, { action: 'grant', grantee: principal('x'), privileges: ['read'] });
      assert.ok([400, 404].includes(answer.status), `${query}: ${answer.status}`);
    }
    assert.deepEqual(await ok(as('owner')('GET', `/ext/v1/default/grants?${on}`)), before);
  });
});
