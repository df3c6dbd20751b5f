// The REST API on a real Postgres, route by route, with every response checked against the
// upstream Iceberg OpenAPI document (../shared/reference) when it is present.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RestClient, simpleSchema, type RestResponse } from '../support/rest-client.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';
import { upstreamSpecAvailable, validateResponse } from '../support/upstream-spec-validator.js';

// Without the upstream document the shapes are not checked; say so in the totals.
if (!upstreamSpecAvailable) test('responses match the upstream Iceberg REST spec', { skip: 'upstream spec not found' }, () => undefined);

describe('REST API on Postgres', { skip: noPostgres }, () => {
  let catalog: TestCatalog;
  let dropDatabase: () => Promise<void>;
  let client: RestClient;
  let checked = 0;

  /** Asserts the status, and that the body has the shape the upstream spec gives this operation. */
  function expect(response: RestResponse, operationId: string, status: number, errorType?: string) {
    assert.equal(response.status, status, `${operationId}: expected ${status}, got ${response.status} ${JSON.stringify(response.body)}`);
    if (errorType) assert.equal(response.body.error.type, errorType);
    if (upstreamSpecAvailable) {
      const problems = validateResponse(operationId, status, response.body);
      assert.deepEqual(problems, [], `${operationId} ${status} does not match the upstream spec`);
      checked += 1;
    }
    return response.body;
  }

  before(async () => {
    const database = await createDatabase('restapi');
    dropDatabase = database.drop;
    catalog = await startTestCatalog({ databaseUrl: database.url });
    client = new RestClient(catalog.baseUrl);
  });

  after(async () => {
    await catalog?.close();
    await dropDatabase?.();
    if (upstreamSpecAvailable) assert.ok(checked > 30, `only ${checked} responses were checked against the upstream spec`);
  });

  test('config names the prefix and lists every served route', async () => {
    const body = expect(await client.request('GET', '/v1/config'), 'getConfig', 200);
    assert.equal(body.overrides.prefix, 'default');
    assert.ok(body.endpoints.includes('POST /v1/{prefix}/transactions/commit'));
    assert.ok(body.endpoints.includes('HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}'));
    expect(await client.request('GET', '/v1/config?warehouse=nope'), 'getConfig', 404, 'NoSuchWarehouseException');
  });

  test('namespaces: create, nest, list with paging, properties, drop', async () => {
    expect(await client.createNamespace(['acct'], { owner: 'ops' }), 'createNamespace', 200);
    expect(await client.createNamespace(['acct'], {}), 'createNamespace', 409, 'AlreadyExistsException');
    // Our extension of the spec (documented in openapi/catalog.yaml): a nested namespace needs
    // its parent, and a missing parent is a 404 as on every other namespace route.
    const orphan = await client.createNamespace(['nope', 'child']);
    assert.equal(orphan.status, 404);
    assert.equal(orphan.body.error.type, 'NoSuchNamespaceException');
    for (const child of ['tax', 'payroll', 'audit']) expect(await client.createNamespace(['acct', child]), 'createNamespace', 200);

    const children = expect(
      await client.request('GET', `/v1/default/namespaces?parent=${client.ns(['acct'])}`),
      'listNamespaces',
      200,
    );
    assert.deepEqual(children.namespaces, [['acct', 'audit'], ['acct', 'payroll'], ['acct', 'tax']]);
    assert.equal(children['next-page-token'], undefined, 'no token without paging');

    const page1 = expect(
      await client.request('GET', `/v1/default/namespaces?parent=acct&pageToken=&pageSize=2`),
      'listNamespaces',
      200,
    );
    assert.deepEqual(page1.namespaces, [['acct', 'audit'], ['acct', 'payroll']]);
    const page2 = expect(
      await client.request('GET', `/v1/default/namespaces?parent=acct&pageToken=${page1['next-page-token']}&pageSize=2`),
      'listNamespaces',
      200,
    );
    assert.deepEqual(page2.namespaces, [['acct', 'tax']]);
    assert.equal(page2['next-page-token'], null);

    const loaded = expect(await client.request('GET', '/v1/default/namespaces/acct'), 'loadNamespaceMetadata', 200);
    // Every namespace answers its location (namespace-locations.test.ts covers the rules).
    assert.deepEqual(loaded.properties, { owner: 'ops', location: `${catalog.warehouseLocation}/acct` });
    assert.equal((await client.request('HEAD', `/v1/default/namespaces/${client.ns(['acct', 'tax'])}`)).status, 204);
    assert.equal((await client.request('HEAD', '/v1/default/namespaces/missing')).status, 404);

    const updated = expect(
      await client.request('POST', '/v1/default/namespaces/acct/properties', { removals: ['owner', 'ghost'], updates: { team: 'data' } }),
      'updateProperties',
      200,
    );
    assert.deepEqual(updated, { updated: ['team'], removed: ['owner'], missing: ['ghost'] });
    expect(
      await client.request('POST', '/v1/default/namespaces/acct/properties', { removals: ['a'], updates: { a: '1' } }),
      'updateProperties',
      422,
      'UnprocessableEntityException',
    );

    expect(await client.request('DELETE', '/v1/default/namespaces/acct'), 'dropNamespace', 409, 'NamespaceNotEmptyException');
    assert.equal((await client.request('DELETE', `/v1/default/namespaces/${client.ns(['acct', 'audit'])}`)).status, 204);
    expect(await client.request('DELETE', '/v1/default/namespaces/ghost'), 'dropNamespace', 404, 'NoSuchNamespaceException');
  });

  test('tables: create, list with paging, load, exists, rename across namespaces, drop', async () => {
    expect(await client.createNamespace(['shop']), 'createNamespace', 200);
    expect(await client.createNamespace(['archive']), 'createNamespace', 200);
    for (const name of ['orders', 'items', 'users']) {
      const created = expect(await client.createTable(['shop'], { name, schema: simpleSchema }), 'createTable', 200);
      assert.ok(created.metadata.location.startsWith(`${catalog.warehouseLocation}/shop/${name}-`));
    }
    expect(await client.createTable(['shop'], { name: 'orders', schema: simpleSchema }), 'createTable', 409, 'AlreadyExistsException');
    expect(await client.createTable(['nowhere'], { name: 't', schema: simpleSchema }), 'createTable', 404, 'NoSuchNamespaceException');

    const all = expect(await client.request('GET', '/v1/default/namespaces/shop/tables'), 'listTables', 200);
    assert.deepEqual(all.identifiers.map((i: { name: string }) => i.name), ['items', 'orders', 'users']);
    const page = expect(await client.request('GET', '/v1/default/namespaces/shop/tables?pageToken=&pageSize=2'), 'listTables', 200);
    assert.equal(page.identifiers.length, 2);
    const rest = expect(
      await client.request('GET', `/v1/default/namespaces/shop/tables?pageToken=${page['next-page-token']}&pageSize=2`),
      'listTables',
      200,
    );
    assert.deepEqual(rest.identifiers, [{ namespace: ['shop'], name: 'users' }]);

    expect(await client.loadTable(['shop'], 'orders'), 'loadTable', 200);
    expect(await client.loadTable(['shop'], 'ghost'), 'loadTable', 404, 'NoSuchTableException');
    // Spark resolves db.table.branch_x by first loading table branch_x in namespace db.table.
    const viaMissingNamespace = expect(await client.loadTable(['shop', 'orders'], 'branch_x'), 'loadTable', 404, 'NoSuchTableException');
    assert.equal(viaMissingNamespace.error.message, 'Table does not exist: shop.orders.branch_x');
    assert.equal((await client.request('HEAD', client.tablePath(['shop'], 'orders'))).status, 204);
    assert.equal((await client.request('HEAD', client.tablePath(['shop'], 'ghost'))).status, 404);

    const rename = (source: string[], s: string, destination: string[], d: string) =>
      client.request('POST', '/v1/default/tables/rename', {
        source: { namespace: source, name: s },
        destination: { namespace: destination, name: d },
      });
    assert.equal((await rename(['shop'], 'users', ['archive'], 'old_users')).status, 204);
    expect(await client.loadTable(['archive'], 'old_users'), 'loadTable', 200);
    expect(await client.loadTable(['shop'], 'users'), 'loadTable', 404, 'NoSuchTableException');
    expect(await rename(['shop'], 'orders', ['shop'], 'items'), 'renameTable', 409, 'AlreadyExistsException');
    expect(await rename(['shop'], 'ghost', ['shop'], 'x'), 'renameTable', 404, 'NoSuchTableException');
    expect(await rename(['shop'], 'orders', ['void'], 'x'), 'renameTable', 404, 'NoSuchNamespaceException');

    assert.equal((await client.request('DELETE', client.tablePath(['shop'], 'items'))).status, 204);
    expect(await client.loadTable(['shop'], 'items'), 'loadTable', 404, 'NoSuchTableException');
    expect(await client.request('DELETE', client.tablePath(['shop'], 'items')), 'dropTable', 404, 'NoSuchTableException');
    const purged = await client.request('DELETE', `${client.tablePath(['shop'], 'orders')}?purgeRequested=true`);
    assert.equal(purged.status, 204);
    const row = await catalog.database.db
      .selectFrom('iceberg_table')
      .select(['purge_requested', 'dropped_at'])
      .where('name', '=', 'orders')
      .executeTakeFirstOrThrow();
    assert.equal(row.purge_requested, true);
    assert.ok(row.dropped_at, 'a dropped table is kept (restorable) until the collector purges it');
    // The name is free again once dropped.
    expect(await client.createTable(['shop'], { name: 'orders', schema: simpleSchema }), 'createTable', 200);
  });

  test('register adopts an existing metadata file; locations stay inside the warehouse', async () => {
    expect(await client.createNamespace(['reg']), 'createNamespace', 200);
    const original = expect(await client.createTable(['reg'], { name: 'source', schema: simpleSchema }), 'createTable', 200);
    assert.equal((await client.request('DELETE', client.tablePath(['reg'], 'source'))).status, 204);
    const registered = expect(
      await client.request('POST', '/v1/default/namespaces/reg/register', { name: 'adopted', 'metadata-location': original['metadata-location'] }),
      'registerTable',
      200,
    );
    assert.equal(registered.metadata['table-uuid'], original.metadata['table-uuid']);
    expect(
      await client.request('POST', '/v1/default/namespaces/reg/register', { name: 'adopted', 'metadata-location': original['metadata-location'] }),
      'registerTable',
      409,
      'AlreadyExistsException',
    );
    expect(
      await client.request('POST', '/v1/default/namespaces/reg/register', {
        name: 'missing',
        'metadata-location': `${catalog.warehouseLocation}/reg/nothing.metadata.json`,
      }),
      'registerTable',
      404,
      'NotFoundException',
    );

    const outside = await client.createTable(['reg'], { name: 'escape', schema: simpleSchema, location: 'file:///etc/escape' });
    expect(outside, 'createTable', 400, 'BadRequestException');
    const dotdot = await client.createTable(['reg'], { name: 'escape', schema: simpleSchema, location: `${catalog.warehouseLocation}/../x` });
    expect(dotdot, 'createTable', 400, 'BadRequestException');
    const overlapping = await client.createTable(['reg'], {
      name: 'inside',
      schema: simpleSchema,
      location: `${registered.metadata.location}/nested`,
    });
    expect(overlapping, 'createTable', 400, 'BadRequestException');
    const moved = await client.commit(['reg'], 'adopted', [], [{ action: 'set-location', location: 's3://elsewhere/t' }]);
    expect(moved, 'updateTable', 400, 'BadRequestException');
  });

  test('top-level nulls mean "not given", as Java clients send them', async () => {
    expect(await client.request('POST', '/v1/default/namespaces', { namespace: ['nulls'], properties: null }), 'createNamespace', 200);
    const created = await client.createTable(['nulls'], {
      name: 't',
      location: null,
      schema: simpleSchema,
      'partition-spec': { 'spec-id': 0, fields: [] },
      'write-order': null,
      properties: { owner: 'root' },
      'stage-create': false,
    });
    expect(created, 'createTable', 200);
    assert.ok(created.body.metadata.location.startsWith(`${catalog.warehouseLocation}/nulls/t-`));
  });

  test('bad requests are 400s in the Iceberg error model, never 500s', async () => {
    expect(await client.createNamespace(['bad']), 'createNamespace', 200);
    expect(await client.createTable(['bad'], { name: 't', schema: simpleSchema }), 'createTable', 200);
    const cases: [string, string, unknown, string][] = [
      ['POST', '/v1/default/namespaces', '{"namespace": [', 'createNamespace'],
      ['POST', '/v1/default/namespaces', { properties: {} }, 'createNamespace'],
      ['POST', '/v1/default/namespaces', { namespace: [] }, 'createNamespace'],
      ['POST', '/v1/default/namespaces/bad/tables', { name: 'x' }, 'createTable'],
      ['POST', '/v1/default/namespaces/bad/tables', { name: 'x', schema: { type: 'struct', fields: [{ id: 1, name: 'a', type: 'nonsense', required: true }] } }, 'createTable'],
      ['POST', '/v1/default/namespaces/bad/tables/t', { requirements: [], updates: [{ action: 'teleport' }] }, 'updateTable'],
      ['POST', '/v1/default/namespaces/bad/tables/t', { requirements: [{ type: 'assert-magic' }], updates: [] }, 'updateTable'],
      ['POST', '/v1/default/namespaces/bad/tables/t', { requirements: [], updates: [{ action: 'set-current-schema', 'schema-id': 42 }] }, 'updateTable'],
      ['POST', '/v1/default/namespaces/bad/tables/t', { requirements: [], updates: [{ action: 'upgrade-format-version', 'format-version': 9 }] }, 'updateTable'],
      ['POST', '/v1/default/namespaces/bad/tables/t', { requirements: [], updates: [{ action: 'set-snapshot-ref', 'ref-name': 'b', type: 'branch', 'snapshot-id': 1 }] }, 'updateTable'],
      ['POST', '/v1/default/transactions/commit', { 'table-changes': [{ requirements: [], updates: [] }] }, 'commitTransaction'],
      ['GET', '/v1/default/namespaces/bad/tables/t?snapshots=some', undefined, 'loadTable'],
      ['GET', '/v1/default/namespaces?pageToken=garbage!', undefined, 'listNamespaces'],
      ['DELETE', '/v1/default/namespaces/bad/tables/t?purgeRequested=maybe', undefined, 'dropTable'],
    ];
    for (const [method, path, body, operationId] of cases) {
      const response = await client.request(method, path, body);
      expect(response, operationId, 400);
      assert.equal(typeof response.body.error.message, 'string');
      assert.ok(response.body.error.message.length > 5, `a useful message for ${method} ${path}`);
    }
    const unknownRoute = await client.request('GET', '/v1/default/nothing-here');
    assert.equal(unknownRoute.status, 404);
    assert.equal(unknownRoute.body.error.code, 404);
  });

  test('the API document is served at /docs, with a UI', async () => {
    const ui = await fetch(`${catalog.baseUrl}/docs/`);
    assert.equal(ui.status, 200);
    assert.match(ui.headers.get('content-type') ?? '', /text\/html/);
    const document = await client.request('GET', '/docs/json');
    assert.equal(document.status, 200);
    assert.equal(document.body.openapi.startsWith('3.1'), true);
    assert.ok(document.body.paths['/v1/{prefix}/transactions/commit']);
  });

  test('metrics reports are accepted', async () => {
    expect(await client.createNamespace(['metrics']), 'createNamespace', 200);
    expect(await client.createTable(['metrics'], { name: 't', schema: simpleSchema }), 'createTable', 200);
    const report = {
      'report-type': 'commit-report',
      'table-name': 'metrics.t',
      'snapshot-id': 1,
      'sequence-number': 1,
      operation: 'append',
      metrics: {},
    };
    const response = await client.request('POST', `${client.tablePath(['metrics'], 't')}/metrics`, report);
    assert.equal(response.status, 204);
  });
});
