// Authorization of what moves a table or view under other owners and grants: a rename or swap
// across namespaces, a promote, a restore elsewhere, a register that overwrites, and a
// dropped table whose namespace a stranger re-creates under the same name. Each refusal
// changes nothing; each allowed move leaves access where its owners meant it to be.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clientToken, ok } from '../support/catalog-tokens.js';
import { RestClient, simpleSchema } from '../support/rest-client.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';
import { viewSchema, viewVersion } from '../support/view-fixtures.js';

const ADMIN = { id: 'admin', secret: 'admin-secret-0123456789' };
const TEAM = ['owner', 'writer', 'reader', 'squatter'] as const;
type Who = (typeof TEAM)[number] | 'admin';

describe('authorization of moves', { skip: noPostgres }, () => {
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  const tokens = new Map<Who, string>();

  const tokenFor = (id: string, secret: string) => clientToken(catalog.baseUrl, id, secret);
  const as = (who: Who) => (method: string, path: string, body?: unknown) =>
    new RestClient(catalog.baseUrl).request(method, path, body, { authorization: `Bearer ${tokens.get(who)}` });
  const status = async (answer: Promise<{ status: number; body: any }>, expected: number, what: string) => {
    const r = await answer;
    assert.equal(r.status, expected, `${what}: ${JSON.stringify(r.body)}`);
    if (expected >= 400) assert.ok(r.body.error.message, 'in the Iceberg error model');
  };
  const grant = (on: string, who: string, privileges: string[], by: Who = 'owner') =>
    ok(as(by)('POST', `/ext/v1/default/grants?${on}`, { action: 'grant', grantee: { kind: 'principal', name: who }, privileges }));
  const table = (ns: string, name: string) => `/v1/default/namespaces/${ns}/tables/${name}`;
  const id = (ns: string, name: string) => ({ namespace: [ns], name });
  const location = async (ns: string, name: string) => (await ok(as('admin')('GET', table(ns, name))))['metadata-location'];

  before(async () => {
    database = await createDatabase('authz_moves');
    const env = { CATALOG_AUTHENTICATION: 'catalog', CATALOG_BOOTSTRAP_CLIENT_ID: ADMIN.id, CATALOG_BOOTSTRAP_CLIENT_SECRET: ADMIN.secret };
    catalog = await startTestCatalog({ databaseUrl: database.url, env });
    await catalog.deps.clients!.ensure(ADMIN.id, ADMIN.secret);
    tokens.set('admin', await tokenFor(ADMIN.id, ADMIN.secret));
    for (const name of TEAM) {
      const registered = await ok(as('admin')('POST', '/ext/v1/auth/clients', { 'client-id': name }));
      tokens.set(name, await tokenFor(name, registered['client-secret']));
    }
    for (const who of ['owner', 'writer', 'squatter']) await grant('', who, ['create'], 'admin');
    for (const ns of ['sales', 'archive']) await ok(as('owner')('POST', '/v1/default/namespaces', { namespace: [ns] }));
    await ok(as('writer')('POST', '/v1/default/namespaces', { namespace: ['sandbox'] }));
    for (const name of ['orders', 'plans', 'facts', 'ledger']) await ok(as('owner')('POST', '/v1/default/namespaces/sales/tables', { name, schema: simpleSchema }));
    await grant('namespace=sales', 'writer', ['create']);
  });

  after(async () => {
    await catalog?.close();
    await database?.drop();
  });

  test('a register that overwrites a table needs write on it', async () => {
    const before = await location('sales', 'orders');
    const register = () => as('writer')('POST', '/v1/default/namespaces/sales/register', { name: 'orders', 'metadata-location': before, overwrite: true });
    await status(register(), 403, 'create on the namespace is not write on its tables');
    assert.equal(await location('sales', 'orders'), before, 'nothing changed');
    await grant('namespace=sales&table=orders', 'writer', ['write']);
    await ok(register());
  });

  test('a rename across namespaces needs manage-grants on the table (within one, drop is enough)', async () => {
    await grant('namespace=sales&table=plans', 'writer', ['read', 'drop']);
    const rename = (to: { namespace: string[]; name: string }) => as('writer')('POST', '/v1/default/tables/rename', { source: id('sales', 'plans'), destination: to });
    await status(rename(id('sandbox', 'plans')), 403, 'out from under the owner\'s grants');
    await ok(as('owner')('GET', table('sales', 'plans')));
    await status(as('writer')('GET', table('sandbox', 'plans')), 404, 'not moved');
    await ok(rename(id('sales', 'plans_v2')));
    await grant('namespace=sales&table=plans_v2', 'writer', ['manage-grants']);
    await ok(as('writer')('POST', '/v1/default/tables/rename', { source: id('sales', 'plans_v2'), destination: id('sandbox', 'plans') }));
    await ok(as('writer')('GET', table('sandbox', 'plans')));
  });

  test('a view renamed across namespaces needs manage-grants on it', async () => {
    const views = (ns: string) => `/v1/default/namespaces/${ns}/views`;
    await ok(as('owner')('POST', views('sales'), { name: 'totals', schema: viewSchema, 'view-version': viewVersion('select 1 as n', ['sales']), properties: {} }));
    await grant('namespace=sales&view=totals', 'writer', ['read', 'drop']);
    const rename = () => as('writer')('POST', '/v1/default/views/rename', { source: id('sales', 'totals'), destination: id('sandbox', 'totals') });
    await status(rename(), 403, 'drop is not enough across namespaces');
    await ok(as('owner')('GET', `${views('sales')}/totals`));
    await grant('namespace=sales&view=totals', 'writer', ['manage-grants']);
    await ok(rename());
  });

  test('a swap across namespaces needs promote and manage-grants on both tables', async () => {
    await ok(as('writer')('POST', '/v1/default/namespaces/sandbox/tables', { name: 'mine', schema: simpleSchema }));
    await grant('namespace=sales&table=ledger', 'writer', ['read', 'promote']);
    const swap = () => as('writer')('POST', '/ext/v1/default/tables/swap', { pairs: [{ first: id('sales', 'ledger'), second: id('sandbox', 'mine') }] });
    const ledger = await location('sales', 'ledger');
    await status(swap(), 403, 'promote alone');
    assert.equal(await location('sales', 'ledger'), ledger, 'nothing changed');
    await grant('namespace=sales&table=ledger', 'writer', ['manage-grants']);
    await ok(swap());
    assert.notEqual(await location('sales', 'ledger'), ledger, 'swapped');
  });

  test('a promoted clone takes the target\'s owner and grants: its readers keep reading, the cloner owns nothing of production', async () => {
    await grant('namespace=sales&table=facts', 'reader', ['read']);
    await grant('namespace=sales&table=facts', 'writer', ['read', 'clone', 'promote']);
    await ok(as('writer')('POST', '/ext/v1/default/namespaces/sales/tables/facts/clone', { destination: id('sandbox', 'facts_next') }));
    await status(as('reader')('GET', table('sandbox', 'facts_next')), 404, 'a clone without copy-grants is its owner\'s');
    await ok(as('writer')('POST', '/ext/v1/default/tables/promote', { clone: id('sandbox', 'facts_next'), target: id('sales', 'facts'), force: true }));
    await ok(as('reader')('GET', table('sales', 'facts')));
    const readers = await ok(as('owner')('GET', '/ext/v1/default/readers?namespace=sales&table=facts'));
    assert.deepEqual(readers.owners, ['owner']);
    const held = await ok(as('writer')('GET', '/ext/v1/default/privileges?namespace=sales&table=facts'));
    assert.deepEqual([...held.privileges].sort(), ['clone', 'create', 'promote', 'read'], 'what the target and its namespace granted it, nothing more');
    await status(as('writer')('DELETE', table('sales', 'facts')), 403, 'not its owner');
    await status(as('writer')('POST', '/ext/v1/default/grants?namespace=sales&table=facts', { action: 'grant', grantee: { kind: 'principal', name: 'squatter' }, privileges: ['read'] }), 403, 'nor its grants');
  });

  test('a dropped table stays hidden from the owner of a namespace re-created under its name', async () => {
    await ok(as('owner')('POST', '/v1/default/namespaces', { namespace: ['gone'] }));
    await ok(as('owner')('POST', '/v1/default/namespaces/gone/tables', { name: 'secret', schema: simpleSchema }));
    await ok(as('owner')('DELETE', table('gone', 'secret')));
    await ok(as('owner')('DELETE', '/v1/default/namespaces/gone'));
    await ok(as('squatter')('POST', '/v1/default/namespaces', { namespace: ['gone'] }));
    const listed = await ok(as('squatter')('GET', '/ext/v1/default/dropped-tables'));
    assert.deepEqual(listed['dropped-tables'], [], 'the squatter sees none of it');
    const mine = await ok(as('owner')('GET', '/ext/v1/default/dropped-tables'));
    const secret = mine['dropped-tables'].find((d: { identifier: { name: string } }) => d.identifier.name === 'secret');
    assert.ok(secret, 'its owner still does');
    await status(as('squatter')('POST', `/ext/v1/default/dropped-tables/${secret['table-id']}/restore`, {}), 404, 'nor restores it');
    await status(as('squatter')('GET', table('gone', 'secret')), 404, 'not restored');
    // Its owner may restore it, but not into a namespace it holds nothing on.
    await status(as('owner')('POST', `/ext/v1/default/dropped-tables/${secret['table-id']}/restore`, {}), 404, 'the squatter\'s namespace');
    await ok(as('owner')('POST', `/ext/v1/default/dropped-tables/${secret['table-id']}/restore`, { destination: { namespace: ['archive'], name: 'secret' } }));
    await ok(as('owner')('GET', table('archive', 'secret')));
  });

  test('restoring elsewhere than where it was dropped needs manage-grants there (or ownership)', async () => {
    await ok(as('owner')('POST', '/v1/default/namespaces/sales/tables', { name: 'old', schema: simpleSchema }));
    await ok(as('owner')('DELETE', table('sales', 'old')));
    await grant('namespace=sales', 'reader', ['restore']);
    await ok(as('writer')('POST', '/ext/v1/default/grants?namespace=sandbox', { action: 'grant', grantee: { kind: 'principal', name: 'reader' }, privileges: ['restore'] }));
    const dropped = await ok(as('reader')('GET', '/ext/v1/default/dropped-tables'));
    const old = dropped['dropped-tables'].find((d: { identifier: { name: string } }) => d.identifier.name === 'old');
    const restore = (namespace: string) => as('reader')('POST', `/ext/v1/default/dropped-tables/${old['table-id']}/restore`, { destination: { namespace: [namespace], name: 'old' } });
    await status(restore('sandbox'), 403, 'into a namespace with other owners');
    await status(as('writer')('GET', table('sandbox', 'old')), 404, 'not restored');
    await ok(restore('sales'));
    await ok(as('owner')('GET', table('sales', 'old')));
  });

  test('the privileges question refuses more than 100 groups, or a group past 255 characters', async () => {
    const ask = (groups: string[]) => as('owner')('GET', `/ext/v1/default/privileges?namespace=sales&principal=someone&groups=${encodeURIComponent(groups.join(','))}`);
    await ok(ask(Array.from({ length: 100 }, (_, i) => `g${i}`)));
    await status(ask(Array.from({ length: 101 }, (_, i) => `g${i}`)), 400, '101 groups');
    await status(ask(['x'.repeat(256)]), 400, 'a long group');
  });
});
