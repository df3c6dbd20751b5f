// Iceberg views over the REST API on Postgres (spec: listViews ... registerView): their whole
// life, the identifier space they share with tables, concurrent replaces, and what hostile or
// careless requests get. Answers are checked against the upstream spec's schemas.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { RestClient, simpleSchema, type RestResponse } from '../support/rest-client.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';
import { upstreamSpecAvailable, validateResponse } from '../support/upstream-spec-validator.js';
import { viewSchema, viewVersion } from '../support/view-fixtures.js';

describe('views', { skip: noPostgres }, () => {
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  let client: RestClient;
  const v1 = '/v1/default';

  const viewPath = (levels: string[], name: string) => `${v1}/namespaces/${client.ns(levels)}/views/${encodeURIComponent(name)}`;
  async function expect(operationId: string, status: number, response: Promise<RestResponse>, errorType?: string) {
    const answer = await response;
    assert.equal(answer.status, status, `${operationId}: ${JSON.stringify(answer.body)}`);
    if (errorType) assert.equal(answer.body.error.type, errorType, answer.body.error.message);
    if (upstreamSpecAvailable && answer.body !== undefined) {
      assert.deepEqual(validateResponse(operationId, status, answer.body), [], `${operationId} ${status} does not match the upstream spec`);
    }
    return answer.body;
  }
  const createView = (levels: string[], name: string, extra: Record<string, unknown> = {}) =>
    client.request('POST', `${v1}/namespaces/${client.ns(levels)}/views`, {
      name,
      schema: viewSchema,
      'view-version': viewVersion('select 1 as n', levels),
      properties: {},
      ...extra,
    });
  const replace = (levels: string[], name: string, uuid: string, sql: string) =>
    client.request('POST', viewPath(levels, name), {
      requirements: [{ type: 'assert-view-uuid', uuid }],
      updates: [
        { action: 'add-schema', schema: viewSchema },
        { action: 'add-view-version', 'view-version': { ...viewVersion(sql, levels), 'schema-id': -1 } },
        { action: 'set-current-view-version', 'view-version-id': -1 },
      ],
    });
  const rename = (kind: 'tables' | 'views', from: [string[], string], to: [string[], string]) =>
    client.request('POST', `${v1}/${kind}/rename`, {
      source: { namespace: from[0], name: from[1] },
      destination: { namespace: to[0], name: to[1] },
    });

  before(async () => {
    database = await createDatabase('views');
    catalog = await startTestCatalog({ databaseUrl: database.url });
    client = new RestClient(catalog.baseUrl);
    for (const ns of [['ns'], ['other']]) assert.equal((await client.createNamespace(ns)).status, 200);
  });

  after(async () => {
    await catalog?.close();
    await database?.drop();
  });

  test('/v1/config advertises every view route', async () => {
    const config = await client.request('GET', '/v1/config');
    for (const route of ['GET', 'POST', 'HEAD', 'DELETE'].map((m) => `${m} /v1/{prefix}/namespaces/{namespace}/views/{view}`)) {
      assert.ok(config.body.endpoints.includes(route), route);
    }
    assert.ok(config.body.endpoints.includes('POST /v1/{prefix}/views/rename'));
    assert.ok(config.body.endpoints.includes('POST /v1/{prefix}/namespaces/{namespace}/register-view'));
  });

  test('create, load (ETag, 304), list in pages, exists, replace, rename across namespaces, drop', async () => {
    const created = await expect('createView', 200, createView(['ns'], 'daily'));
    assert.ok(created['metadata-location'].startsWith(`${catalog.warehouseLocation}/ns/daily-`), created['metadata-location']);
    // The metadata file is written, and is the document answered.
    const file = JSON.parse(await readFile(fileURLToPath(created['metadata-location']), 'utf8'));
    assert.equal(file['view-uuid'], created.metadata['view-uuid']);
    assert.equal(created.metadata.schemas[0]['schema-id'], 0);

    const loaded = await client.request('GET', viewPath(['ns'], 'daily'));
    await expect('loadView', 200, Promise.resolve(loaded));
    const etag = loaded.headers.get('etag')!;
    assert.equal((await client.request('GET', viewPath(['ns'], 'daily'), undefined, { 'if-none-match': etag })).status, 304);
    assert.equal((await client.request('HEAD', viewPath(['ns'], 'daily'))).status, 204);
    assert.equal((await client.request('HEAD', viewPath(['ns'], 'nope'))).status, 404);

    for (const name of ['a', 'b', 'c']) await expect('createView', 200, createView(['ns'], name));
    const page = await expect('listViews', 200, client.request('GET', `${v1}/namespaces/ns/views?pageToken=&pageSize=2`));
    assert.deepEqual(page.identifiers.map((i: { name: string }) => i.name), ['a', 'b']);
    const rest = await expect('listViews', 200, client.request('GET', `${v1}/namespaces/ns/views?pageSize=2&pageToken=${page['next-page-token']}`));
    assert.deepEqual(rest.identifiers.map((i: { name: string }) => i.name), ['c', 'daily']);

    const replaced = await expect('replaceView', 200, replace(['ns'], 'daily', created.metadata['view-uuid'], 'select 2 as n'));
    assert.equal(replaced.metadata['current-version-id'], 2);
    assert.notEqual(replaced['metadata-location'], created['metadata-location']);
    const stale = await client.request('GET', viewPath(['ns'], 'daily'), undefined, { 'if-none-match': etag });
    assert.equal(stale.status, 200, 'a replace changes the ETag');

    assert.equal((await rename('views', [['ns'], 'daily'], [['other'], 'weekly'])).status, 204);
    assert.equal((await client.request('GET', viewPath(['other'], 'weekly'))).body.metadata['current-version-id'], 2);
    await expect('loadView', 404, client.request('GET', viewPath(['ns'], 'daily')), 'NoSuchViewException');
    assert.equal((await client.request('DELETE', viewPath(['other'], 'weekly'))).status, 204);
    await expect('dropView', 404, client.request('DELETE', viewPath(['other'], 'weekly')), 'NoSuchViewException');
  });

  test('tables and views share one identifier space, with the messages engines match on', async () => {
    await client.createTable(['ns'], { name: 'tbl', schema: simpleSchema });
    await expect('createView', 200, createView(['ns'], 'vw'));
    const message = async (response: Promise<RestResponse>, status: number, type: string) => {
      const answer = await response;
      assert.equal(answer.status, status, JSON.stringify(answer.body));
      assert.equal(answer.body.error.type, type);
      return answer.body.error.message as string;
    };
    assert.equal(await message(createView(['ns'], 'tbl'), 409, 'AlreadyExistsException'), 'Table with same name already exists: ns.tbl');
    assert.equal(await message(createView(['ns'], 'vw'), 409, 'AlreadyExistsException'), 'View already exists: ns.vw');
    assert.equal(
      await message(client.createTable(['ns'], { name: 'vw', schema: simpleSchema }), 409, 'AlreadyExistsException'),
      'View with same name already exists: ns.vw',
    );
    // A create transaction (CTAS): the commit carrying assert-create.
    const viaCommit = client.commit(['ns'], 'vw', [{ type: 'assert-create' }], [
      { action: 'add-schema', schema: simpleSchema },
      { action: 'set-current-schema', 'schema-id': -1 },
    ]);
    assert.equal(await message(viaCommit, 409, 'AlreadyExistsException'), 'View with same name already exists: ns.vw');
    assert.equal(await message(rename('views', [['ns'], 'vw'], [['ns'], 'tbl']), 409, 'AlreadyExistsException'), 'Cannot rename ns.vw to ns.tbl. Table already exists');
    assert.equal(await message(rename('tables', [['ns'], 'tbl'], [['ns'], 'vw']), 409, 'AlreadyExistsException'), 'Cannot rename ns.tbl to ns.vw. View already exists');
    assert.equal(await message(client.loadTable(['ns'], 'vw'), 404, 'NoSuchTableException'), 'Table does not exist: ns.vw');
    assert.equal(await message(client.request('GET', viewPath(['ns'], 'tbl')), 404, 'NoSuchViewException'), 'View does not exist: ns.tbl');
    assert.equal((await client.request('HEAD', client.tablePath(['ns'], 'vw'))).status, 404);
    const tables = await client.request('GET', `${v1}/namespaces/ns/tables`);
    assert.deepEqual(tables.body.identifiers.map((i: { name: string }) => i.name), ['tbl']);
    // A namespace holding only a view is not empty.
    await client.createNamespace(['only_views']);
    await expect('createView', 200, createView(['only_views'], 'x'));
    assert.equal(await message(client.request('DELETE', `${v1}/namespaces/only_views`), 409, 'NamespaceNotEmptyException'), 'Namespace only_views is not empty');
  });

  test('two replaces at once both land, neither lost; a replace of a view dropped and re-created is a 409', async () => {
    const created = await expect('createView', 200, createView(['ns'], 'busy'));
    const uuid = created.metadata['view-uuid'];
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => replace(['ns'], 'busy', uuid, `select ${i + 10} as n`)));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200, 200], JSON.stringify(answers.map((a) => a.body)));
    const final = (await client.request('GET', viewPath(['ns'], 'busy'))).body.metadata;
    const sqls = final.versions.map((v: { representations: { sql: string }[] }) => v.representations[0].sql);
    for (let i = 0; i < 6; i++) assert.ok(sqls.includes(`select ${i + 10} as n`), `version ${i} kept: ${sqls}`);
    assert.equal(final['version-log'].length, 7);

    assert.equal((await client.request('DELETE', viewPath(['ns'], 'busy'))).status, 204);
    await expect('createView', 200, createView(['ns'], 'busy'));
    const conflict = await expect('replaceView', 409, replace(['ns'], 'busy', uuid, 'select 9 as n'), 'CommitFailedException');
    assert.match(conflict.error.message, /view UUID does not match/);
  });

  test('hostile and careless requests get 4xx and change nothing', async () => {
    const outside = await expect('createView', 400, createView(['ns'], 'out', { location: 'file:///etc/evil' }), 'BadRequestException');
    assert.match(outside.error.message, /outside the warehouse/);
    const path = await createView(['ns'], 'out', { properties: { 'write.metadata.path': 'file:///tmp/elsewhere' } });
    assert.equal(path.status, 400, JSON.stringify(path.body));
    // Into another table's directory: an engine cleaning that table would delete the view's files.
    const table = (await client.loadTable(['ns'], 'tbl')).body.metadata.location as string;
    const intoTable = await createView(['ns'], 'out', { properties: { 'write.metadata.path': `${table}/metadata` } });
    assert.equal(intoTable.status, 400, JSON.stringify(intoTable.body));
    assert.match(intoTable.body.error.message, /overlaps the location of another table/);
    assert.equal((await client.request('HEAD', viewPath(['ns'], 'out'))).status, 404);

    const base = (await createView(['ns'], 'safe')).body.metadata;
    const moves = [
      { action: 'set-location', location: 's3://another-bucket/x' },
      { action: 'set-properties', updates: { 'write.metadata.path': 'file:///var/tmp/x' } },
      { action: 'add-view-version', 'view-version': { ...viewVersion('x', ['ns']), 'schema-id': 42 } },
      { action: 'set-current-view-version', 'view-version-id': 77 },
      { action: 'add-snapshot', snapshot: {} },
      { action: 'upgrade-format-version', 'format-version': 2 },
    ];
    for (const update of moves) {
      const answer = await client.request('POST', viewPath(['ns'], 'safe'), { updates: [update] });
      assert.equal(answer.status, 400, `${update.action}: ${JSON.stringify(answer.body)}`);
    }
    const after = (await client.request('GET', viewPath(['ns'], 'safe'))).body.metadata;
    assert.deepEqual(after, base);

    const twoDialects = viewVersion('x', ['ns'], { representations: [{ type: 'sql', sql: 'a', dialect: 'spark' }, { type: 'sql', sql: 'b', dialect: 'SPARK' }] });
    assert.equal((await createView(['ns'], 'dup', { 'view-version': twoDialects })).status, 400);
    assert.equal((await createView(['ns'], 'nul', { 'view-version': viewVersion('select \u0000', ['ns']) })).status, 400);
    assert.equal((await createView(['missing'], 'x')).status, 404);
    assert.equal((await createView(['ns'], '')).status, 400);
  });

  test('register-view adopts a view metadata file inside the warehouse, and nothing else', async () => {
    const created = (await createView(['ns'], 'source_view')).body;
    assert.equal((await client.request('DELETE', viewPath(['ns'], 'source_view'))).status, 204);
    const register = (name: string, location: string) =>
      client.request('POST', `${v1}/namespaces/ns/register-view`, { name, 'metadata-location': location });
    const registered = await expect('registerView', 200, register('adopted', created['metadata-location']));
    assert.equal(registered.metadata['view-uuid'], created.metadata['view-uuid']);
    assert.equal(registered['metadata-location'], created['metadata-location']);
    await expect('registerView', 409, register('adopted', created['metadata-location']), 'AlreadyExistsException');
    await expect('registerView', 409, register('tbl', created['metadata-location']), 'AlreadyExistsException');
    // A table's metadata file is not a view; a file outside the warehouse is never read.
    const tableFile = (await client.loadTable(['ns'], 'tbl')).body['metadata-location'];
    await expect('registerView', 400, register('not_a_view', tableFile), 'BadRequestException');
    await expect('registerView', 400, register('outside', 'file:///etc/passwd'), 'BadRequestException');
    await expect('registerView', 404, register('missing', `${catalog.warehouseLocation}/ns/nothing.metadata.json`), 'NotFoundException');
    // And a view's file is not a table.
    const asTable = await client.request('POST', `${v1}/namespaces/ns/register`, { name: 'not_a_table', 'metadata-location': created['metadata-location'] });
    assert.equal(asTable.status, 400, JSON.stringify(asTable.body));
  });

  test('a dropped view is restored like a table, but not over a name a table took meanwhile', async () => {
    await expect('createView', 200, createView(['ns'], 'undo_me'));
    assert.equal((await client.request('DELETE', viewPath(['ns'], 'undo_me'))).status, 204);
    const listed = await client.request('GET', '/ext/v1/default/dropped-tables');
    const entry = listed.body['dropped-tables'].find((d: { identifier: { name: string } }) => d.identifier.name === 'undo_me');
    assert.equal(entry.kind, 'view');
    await client.createTable(['ns'], { name: 'undo_me', schema: simpleSchema });
    const taken = await client.request('POST', `/ext/v1/default/dropped-tables/${entry['table-id']}/restore`, {});
    assert.equal(taken.status, 409);
    assert.match(taken.body.error.message, /^Table with same name already exists: ns.undo_me/);
    const restored = await client.request('POST', `/ext/v1/default/dropped-tables/${entry['table-id']}/restore`, {
      destination: { namespace: ['ns'], name: 'undo_me_view' },
    });
    assert.equal(restored.status, 200, JSON.stringify(restored.body));
    assert.equal((await client.request('GET', viewPath(['ns'], 'undo_me_view'))).status, 200);
  });
});
