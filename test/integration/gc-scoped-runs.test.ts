// Collection runs scoped to one warehouse, for who holds `manage-gc` on it: the run purges and
// deletes there only (another warehouse's released files stay until a run of that warehouse or
// of every warehouse), its dry-run file list names only that warehouse's files, and its
// holder reads only its warehouse's runs. A run over every warehouse stays administrators'.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clientToken, ok } from '../support/catalog-tokens.js';
import { RestClient, simpleSchema } from '../support/rest-client.js';
import { EAGER_COLLECTOR_ENV, createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

const ADMIN = { id: 'admin', secret: 'admin-secret-0123456789' };
type Who = 'admin' | 'keeper' | 'stranger';

describe('collection runs scoped to one warehouse', { skip: noPostgres }, () => {
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  const tokens = new Map<Who, string>();
  const as = (who: Who) => (method: string, path: string, body?: unknown) =>
    new RestClient(catalog.baseUrl).request(method, path, body, { authorization: `Bearer ${tokens.get(who)}` });
  const exists = async (uri: string) => (await catalog.store.get(uri)) !== undefined;

  /** A table in `warehouse`, dropped with purge: its metadata file is released at the next purge. */
  async function purgedTable(warehouse: string, name: string): Promise<string> {
    const admin = as('admin');
    const created = await ok(admin('POST', `/v1/${warehouse}/namespaces/ns/tables`, { name, schema: simpleSchema }));
    assert.equal((await admin('DELETE', `/v1/${warehouse}/namespaces/ns/tables/${name}?purgeRequested=true`)).status, 204);
    return created['metadata-location'];
  }

  /** A table in `warehouse` whose first metadata file falls out of its log (released) after a few commits. */
  async function releasedMetadata(warehouse: string, name: string): Promise<string> {
    const admin = as('admin');
    const path = `/v1/${warehouse}/namespaces/ns/tables/${name}`;
    const created = await ok(admin('POST', `/v1/${warehouse}/namespaces/ns/tables`, { name, schema: simpleSchema, properties: { 'write.metadata.previous-versions-max': '1' } }));
    for (let i = 0; i < 3; i++) await ok(admin('POST', path, { requirements: [], updates: [{ action: 'set-properties', updates: { round: String(i) } }] }));
    return created['metadata-location'];
  }

  before(async () => {
    database = await createDatabase('gc_scoped');
    catalog = await startTestCatalog({
      databaseUrl: database.url,
      env: { CATALOG_AUTHENTICATION: 'catalog', CATALOG_BOOTSTRAP_CLIENT_ID: ADMIN.id, CATALOG_BOOTSTRAP_CLIENT_SECRET: ADMIN.secret, ...EAGER_COLLECTOR_ENV },
    });
    await catalog.deps.clients!.ensure(ADMIN.id, ADMIN.secret);
    tokens.set('admin', await clientToken(catalog.baseUrl, ADMIN.id, ADMIN.secret));
    for (const who of ['keeper', 'stranger'] as const) {
      const registered = await ok(as('admin')('POST', '/ext/v1/auth/clients', { 'client-id': who }));
      tokens.set(who, await clientToken(catalog.baseUrl, who, registered['client-secret']));
    }
    await ok(as('admin')('POST', '/v1/default/namespaces', { namespace: ['ns'] }));
    // A second warehouse, with a namespace of its own.
    const location = `${catalog.config.warehouseAllowedRoots[0]}/other`;
    await ok(as('admin')('POST', '/ext/v1/default/clone', { destination: { name: 'other', location } }));
    await ok(as('admin')('POST', '/ext/v1/default/grants', { action: 'grant', grantee: { kind: 'principal', name: 'keeper' }, privileges: ['manage-gc'] }));
  });

  after(async () => {
    await catalog?.close();
    await database?.drop();
  });

  test('without a warehouse, or naming one it does not manage: refused, and nothing runs', async () => {
    const refused = await as('keeper')('POST', '/ext/v1/gc/runs', { wait: true });
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal((await as('keeper')('POST', '/ext/v1/gc/runs', { warehouse: 'other', wait: true })).status, 404, 'a warehouse it holds nothing on');
    assert.equal((await as('stranger')('POST', '/ext/v1/gc/runs', { warehouse: 'default', wait: true })).status, 404);
    assert.equal((await as('keeper')('POST', '/ext/v1/gc/runs', { warehouse: 'nowhere' })).status, 404);
    assert.equal((await as('stranger')('GET', '/ext/v1/gc/runs')).status, 403);
    const runs = await ok(as('admin')('GET', '/ext/v1/gc/runs'));
    assert.deepEqual(runs.runs, [], 'no run was started');
  });

  test("a scoped run deletes in its warehouse only; the other's released files wait for a run of their own", async () => {
    const mine = await purgedTable('default', 'mine');
    const theirs = await purgedTable('other', 'theirs');
    // Released already, not by a purge: only the sweep's scope keeps it.
    const theirsReleased = await releasedMetadata('other', 'history');
    assert.ok(mine.startsWith(catalog.warehouseLocation) && !theirs.startsWith(`${catalog.warehouseLocation}/`), `${mine} / ${theirs}`);

    const dry = await ok(as('keeper')('POST', '/ext/v1/gc/runs', { warehouse: 'default', 'dry-run': true, wait: true }));
    assert.equal(dry.warehouse, 'default');
    const listed = await ok(as('keeper')('GET', `/ext/v1/gc/runs/${dry['run-id']}/files`));
    const uris = listed.files.map((f: { uri: string }) => f.uri);
    assert.ok(uris.includes(mine), `the dry run lists ${mine}: ${uris}`);
    assert.ok(uris.every((u: string) => u.startsWith(`${catalog.warehouseLocation}/`)), `only files of its warehouse: ${uris}`);

    const run = await ok(as('keeper')('POST', '/ext/v1/gc/runs', { warehouse: 'default', wait: true }));
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.ok(!(await exists(mine)), 'its released file is gone');
    assert.ok(await exists(theirs), "the other warehouse's dropped table is not purged");
    assert.ok(await exists(theirsReleased), "the other warehouse's released file is not deleted");
    assert.equal((await as('admin')('GET', '/v1/other/namespaces/ns/tables/theirs')).status, 404);

    const everywhere = await ok(as('admin')('POST', '/ext/v1/gc/runs', { wait: true }));
    assert.equal(everywhere.warehouse, null);
    assert.ok(!(await exists(theirs)), "a run over every warehouse deletes the other's too");
    assert.ok(!(await exists(theirsReleased)));

    // The keeper reads its warehouse's runs, not the administrator's.
    const seen = await ok(as('keeper')('GET', '/ext/v1/gc/runs'));
    assert.deepEqual(new Set(seen.runs.map((r: { warehouse: string }) => r.warehouse)), new Set(['default']));
    assert.equal(seen.runs.length, 2);
    assert.equal((await as('keeper')('GET', `/ext/v1/gc/runs/${everywhere['run-id']}`)).status, 403);
    assert.equal((await as('keeper')('GET', `/ext/v1/gc/runs/${everywhere['run-id']}/files`)).status, 403);
    const all = await ok(as('admin')('GET', '/ext/v1/gc/runs'));
    assert.equal(all.runs.length, 3);
  });

  test("a scoped run's end is in the audit log of its warehouse", async () => {
    await catalog.deps.audit.flush();
    const events = await ok(as('admin')('GET', '/ext/v1/audit?warehouse=default&action=gcRunFinished'));
    assert.equal(events.events.length, 2, JSON.stringify(events));
    assert.ok(events.events.every((e: { principal: string; object: { kind: string } }) => e.principal === 'keeper' && e.object.kind === 'warehouse'));
  });
});
