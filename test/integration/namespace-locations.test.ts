// Every namespace answers a `location` (its default under the warehouse, or the one it was
// given), tables created without a location land under it, and an explicit location stays
// inside the warehouse and apart from other namespaces' and tables' locations. Trino decides
// on it whether to stage a create (issue 11).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findNamespace } from '../../src/db/namespace-repository.js';
import { findWarehouseByName } from '../../src/db/warehouse-repository.js';
import { RestClient, simpleSchema } from '../support/rest-client.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

describe('namespace locations', { skip: noPostgres }, () => {
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  let client: RestClient;
  let root: string;

  const load = async (levels: string[]) => {
    const response = await client.request('GET', `/v1/default/namespaces/${client.ns(levels)}`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.properties as Record<string, string>;
  };
  const update = (levels: string[], body: { removals?: string[]; updates?: Record<string, string> }) =>
    client.request('POST', `/v1/default/namespaces/${client.ns(levels)}/properties`, body);
  const refused = (response: { status: number; body: any }, pattern: RegExp) => {
    assert.equal(response.status, 400, JSON.stringify(response.body));
    assert.equal(response.body.error.type, 'BadRequestException');
    assert.match(response.body.error.message, pattern);
  };

  before(async () => {
    database = await createDatabase('ns_locations');
    catalog = await startTestCatalog({ databaseUrl: database.url });
    client = new RestClient(catalog.baseUrl);
    root = catalog.warehouseLocation;
  });

  after(async () => {
    await catalog?.close();
    await database?.drop();
  });

  test('every namespace answers its default location, and tables without one land under it', async () => {
    const created = await client.createNamespace(['sales'], { owner: 'ops' });
    assert.equal(created.status, 200);
    assert.deepEqual(created.body.properties, { owner: 'ops', location: `${root}/sales` });
    assert.deepEqual(await load(['sales']), { owner: 'ops', location: `${root}/sales` });
    assert.equal((await client.createNamespace(['sales', 'eu west'])).status, 200);
    // Levels become path segments by the same rule as table directories.
    assert.equal((await load(['sales', 'eu west'])).location, `${root}/sales/eu_west`);

    const table = await client.createTable(['sales', 'eu west'], { name: 'orders', schema: simpleSchema });
    assert.equal(table.status, 200);
    assert.ok(table.body.metadata.location.startsWith(`${root}/sales/eu_west/orders-`), table.body.metadata.location);
    // The default is computed, not stored: the stored properties are untouched.
    const warehouse = await findWarehouseByName(catalog.database.db, 'default');
    assert.deepEqual((await findNamespace(catalog.database.db, warehouse!.id, ['sales']))?.properties, { owner: 'ops' });
  });

  test('a location given at create is answered, normalised, and used for tables', async () => {
    const created = await client.createNamespace(['given'], { location: `${root}/custom//given/` });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.properties.location, `${root}/custom/given`);
    assert.equal((await load(['given'])).location, `${root}/custom/given`);
    const table = await client.createTable(['given'], { name: 't', schema: simpleSchema });
    assert.ok(table.body.metadata.location.startsWith(`${root}/custom/given/t-`), table.body.metadata.location);
  });

  test('an explicit location is confined to the warehouse and apart from other namespaces', async () => {
    refused(await client.createNamespace(['out'], { location: 'file:///somewhere/else' }), /outside the warehouse/);
    refused(await client.createNamespace(['out'], { location: root }), /outside the warehouse/);
    refused(await client.createNamespace(['out'], { location: '' }), /Invalid location/);
    // Equal to, inside and containing another namespace's explicit location.
    refused(await client.createNamespace(['dup'], { location: `${root}/custom/given` }), /overlaps the location of another namespace/);
    refused(await client.createNamespace(['dup'], { location: `${root}/custom/given/deeper` }), /overlaps the location of another namespace/);
    refused(await client.createNamespace(['dup'], { location: `${root}/custom` }), /overlaps the location of another namespace/);
    // Inside another namespace's default location.
    refused(await client.createNamespace(['dup'], { location: `${root}/sales/x` }), /overlaps the location of another namespace/);
    // Nothing was created by the refusals.
    assert.equal((await client.request('HEAD', '/v1/default/namespaces/dup')).status, 404);
    assert.equal((await client.request('HEAD', '/v1/default/namespaces/out')).status, 404);
    // A child may lie inside its parent's location (the default layout nests the same way),
    // but not share it.
    assert.equal((await client.createNamespace(['given', 'child'], { location: `${root}/custom/given/kid` })).status, 200);
    refused(await client.createNamespace(['given', 'twin'], { location: `${root}/custom/given` }), /overlaps the location of another namespace/);
  });

  test('an explicit location keeps clear of tables of other namespaces', async () => {
    // A table with a location of its own, outside every namespace's location.
    const loose = await client.createTable(['given'], { name: 'loose', schema: simpleSchema, location: `${root}/loose/tbl` });
    assert.equal(loose.status, 200, JSON.stringify(loose.body));
    refused(await client.createNamespace(['intable'], { location: `${root}/loose/tbl/sub` }), /overlaps the location of a table/);
    refused(await client.createNamespace(['intable'], { location: `${root}/loose/tbl` }), /overlaps the location of a table/);
    refused(await client.createNamespace(['intable'], { location: `${root}/loose` }), /overlaps the location of a table/);
    // Tables in the default layout are covered by their namespace's location.
    const orders = (await client.loadTable(['sales', 'eu west'], 'orders')).body.metadata.location as string;
    refused(await client.createNamespace(['intable'], { location: `${orders}/sub` }), /overlaps/);
    // A namespace may take a location around its own tables (here: set it to its default).
    const own = await update(['sales', 'eu west'], { updates: { location: `${root}/sales/eu_west` } });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    // But not one that contains another namespace's table.
    const around = await update(['given'], { updates: { location: `${root}/sales/eu_west` } });
    refused(around, /overlaps/);
    assert.equal((await load(['given'])).location, `${root}/custom/given`);
  });

  test('property updates check the location; removing it returns to the default', async () => {
    assert.equal((await client.createNamespace(['moving'])).status, 200);
    refused(await update(['moving'], { updates: { location: 's3://elsewhere/x' } }), /outside the warehouse/);
    refused(await update(['moving'], { updates: { location: `${root}/custom/given/kid` } }), /overlaps the location of another namespace/);
    const moved = await update(['moving'], { updates: { location: `${root}/moved-here/` } });
    assert.deepEqual(moved.body, { updated: ['location'], removed: [], missing: [] });
    assert.equal((await load(['moving'])).location, `${root}/moved-here`);
    const table = await client.createTable(['moving'], { name: 'm', schema: simpleSchema });
    assert.ok(table.body.metadata.location.startsWith(`${root}/moved-here/m-`));

    const removed = await update(['moving'], { removals: ['location'] });
    assert.deepEqual(removed.body, { updated: [], removed: ['location'], missing: [] });
    assert.equal((await load(['moving'])).location, `${root}/moving`);
    // The default is not a stored property: removing it again removes nothing.
    assert.deepEqual((await update(['moving'], { removals: ['location'] })).body, { updated: [], removed: [], missing: ['location'] });
  });

  test('a namespace clone gets its own default location, not the source\'s', async () => {
    const cloned = await client.request('POST', '/ext/v1/default/namespaces/given/clone', { destination: ['given_dev'] });
    assert.equal(cloned.status, 200, JSON.stringify(cloned.body));
    assert.equal((await load(['given_dev'])).location, `${root}/given_dev`);
    assert.equal((await load(['given_dev', 'child'])).location, `${root}/given_dev/child`);
  });

  test('two namespaces racing for one location: never both get it', async () => {
    let both = 0;
    for (let i = 0; i < 20; i++) {
      const pair = [`race_a${i}`, `race_b${i}`];
      for (const ns of pair) assert.equal((await client.createNamespace([ns])).status, 200);
      const location = `${root}/contested/${i}`;
      const answers = await Promise.all(pair.map((ns) => update([ns], { updates: { location } })));
      for (const answer of answers) assert.ok([200, 400].includes(answer.status), JSON.stringify(answer.body));
      if (answers.every((a) => a.status === 200)) both += 1;
      assert.ok(answers.some((a) => a.status === 200), 'one of them gets it');
    }
    assert.equal(both, 0, `${both} of 20 races gave both namespaces the same location`);
  });
});
