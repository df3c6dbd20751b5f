// View metadata (spec: view-spec.md; ViewUpdate, ViewRequirement): creation, replaces, id
// reuse, history and its expiry, and the refusals a careless or hostile commit meets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkViewRequirements, newViewMetadata, ViewMetadataBuilder } from '../../../src/iceberg/view-builder.js';
import { normalizeViewMetadata, toViewDocument, viewVersionAt, type ViewMetadata } from '../../../src/iceberg/view-metadata.js';
import { parseJson, stringifyJson } from '../../../src/json/int64-json.js';
import { assertCatalogError } from './fixtures.js';

const LOCATION = 'file:///warehouse/ns/v';
const schema = (name = 'a', type = 'int', id = 7) => ({ type: 'struct', 'schema-id': id, fields: [{ id: 1, name, required: false, type }] });
const version = (sql: string, extra: Record<string, unknown> = {}) => ({
  'version-id': 1,
  'timestamp-ms': 1_700_000_000_000,
  'schema-id': 7,
  summary: { 'engine-name': 'spark' },
  representations: [{ type: 'sql', sql, dialect: 'spark' }],
  'default-namespace': ['ns'],
  ...extra,
});
const noCheck = () => undefined;

function created(properties: Record<string, string> = {}): ViewMetadata {
  return newViewMetadata(
    { name: 'v', schema: schema(), 'view-version': version('select 1 as a'), properties },
    { uuid: 'u-1', now: 1_700_000_100_000, location: LOCATION, checkLocation: noCheck },
  );
}

/** A replace as the Java client sends it: a schema, a version on it (-1), made current (-1). */
function replace(base: ViewMetadata, sql: string, now: number, dialect = 'spark', schemaOf = schema()) {
  return new ViewMetadataBuilder(base, now, noCheck)
    .applyAll([
      { action: 'add-schema', schema: schemaOf },
      { action: 'add-view-version', 'view-version': { ...version(sql), 'schema-id': -1, 'timestamp-ms': now, representations: [{ type: 'sql', sql, dialect }] } },
      { action: 'set-current-view-version', 'view-version-id': -1 },
    ])
    .build();
}

describe('creating a view', () => {
  it('gives the schema id 0 and the version id 1, whatever the client sent, and logs the version', () => {
    const m = created({ p: '1' });
    assert.equal(m['view-uuid'], 'u-1');
    assert.deepEqual(m.schemas.map((s) => s['schema-id']), [0]);
    assert.deepEqual(m.versions.map((v) => [v['version-id'], v['schema-id']]), [[1, 0]]);
    assert.equal(m['current-version-id'], 1);
    assert.deepEqual(m['version-log'], [{ 'version-id': 1, 'timestamp-ms': 1_700_000_000_000 }]);
    assert.deepEqual(m.properties, { p: '1' });
  });

  it('round-trips through its document, int64 timestamps exact', () => {
    const m = created();
    m.versions[0]['timestamp-ms'] = 9_007_199_254_740_993n;
    const again = normalizeViewMetadata(parseJson(stringifyJson(toViewDocument(m))));
    assert.equal(again.versions[0]['timestamp-ms'], 9_007_199_254_740_993n);
    assert.deepEqual(toViewDocument(again), toViewDocument(m));
  });

  it('refuses two queries in one dialect, a version without a default namespace, an unknown schema type', () => {
    const twice = version('x', { representations: [{ type: 'sql', sql: 'a', dialect: 'Trino' }, { type: 'sql', sql: 'b', dialect: 'trino' }] });
    const build = (v: unknown, s: unknown = schema()) =>
      newViewMetadata({ name: 'v', schema: s, 'view-version': v }, { uuid: 'u', now: 1, location: LOCATION, checkLocation: noCheck });
    assertCatalogError(() => build(twice), 400, { message: 'Invalid view version: Cannot add multiple queries for dialect trino' });
    const { 'default-namespace': _ns, ...noNamespace } = version('x');
    assertCatalogError(() => build(noNamespace), 400, { message: /default-namespace/ });
    assertCatalogError(() => build(version('x'), schema('a', 'varchar')), 400, { message: /unknown type varchar/ });
    assertCatalogError(() => build(version('x', { representations: [{ type: 'sql', sql: 'a', dialect: '' }] })), 400, { message: /dialect/ });
  });

  it('asks the caller to check the location', () => {
    assert.throws(
      () =>
        newViewMetadata(
          { name: 'v', schema: schema(), 'view-version': version('x') },
          { uuid: 'u', now: 1, location: 's3://elsewhere/v', checkLocation: () => { throw new Error('outside'); } },
        ),
      /outside/,
    );
  });
});

describe('replacing a view', () => {
  it('adds a schema and a version with the next ids, makes it current and logs it with its own time', () => {
    const m = replace(created(), 'select 2 as b', 1_700_000_200_000, 'spark', schema('b', 'long'));
    assert.deepEqual(m.schemas.map((s) => s['schema-id']), [0, 1]);
    assert.equal(m['current-version-id'], 2);
    assert.equal(m.versions[1]['schema-id'], 1);
    assert.deepEqual(m['version-log'].map((e) => [e['version-id'], e['timestamp-ms']]), [[1, 1_700_000_000_000], [2, 1_700_000_200_000]]);
  });

  it('reuses an identical schema and an identical version instead of adding them', () => {
    const base = replace(created(), 'select 2', 10);
    const again = new ViewMetadataBuilder(base, 20, noCheck).applyAll([
      { action: 'add-schema', schema: schema() },
      { action: 'add-view-version', 'view-version': { ...base.versions[1], 'version-id': 99, 'timestamp-ms': 20 } },
    ]);
    assert.equal(again.hasChanges, false);
    // -1 then names the matched version: replacing a view with an earlier definition restores it.
    const restored = new ViewMetadataBuilder(base, 25, noCheck)
      .applyAll([
        { action: 'add-view-version', 'view-version': { ...base.versions[0], 'version-id': 7 } },
        { action: 'set-current-view-version', 'view-version-id': -1 },
      ])
      .build();
    assert.equal(restored['current-version-id'], 1);
    assert.equal(restored.versions.length, 2);
    // Going back to version 1 is a change, logged at the time of the change.
    const back = new ViewMetadataBuilder(base, 30, noCheck).apply({ action: 'set-current-view-version', 'view-version-id': 1 }).build();
    assert.equal(back['current-version-id'], 1);
    assert.deepEqual(back['version-log'].at(-1), { 'version-id': 1, 'timestamp-ms': 30 });
  });

  it('refuses to drop a dialect unless replace.drop-dialect.allowed is true', () => {
    assertCatalogError(() => replace(created(), 'select 2', 10, 'trino'), 400, { message: /loss of view dialects/ });
    const allowed = replace(created({ 'replace.drop-dialect.allowed': 'true' }), 'select 2', 10, 'trino');
    assert.equal(allowed.versions.at(-1)!.representations[0].dialect, 'trino');
  });

  it('keeps the newest version.history.num-entries versions, the current one always, and a log of kept versions only', () => {
    let m = created({ 'version.history.num-entries': '2' });
    for (let i = 2; i <= 5; i++) m = replace(m, `select ${i}`, 1_700_000_000_000 + i);
    assert.deepEqual(m.versions.map((v) => v['version-id']), [4, 5]);
    assert.deepEqual(m['version-log'].map((e) => e['version-id']), [4, 5]);
    const zero = () => new ViewMetadataBuilder(m, 1, noCheck).apply({ action: 'set-properties', updates: { 'version.history.num-entries': '0' } }).build();
    assertCatalogError(zero, 400, { message: /must be a positive integer/ });
  });

  it('answers -1 only after something was added, and never points at an unknown version or schema', () => {
    const base = created();
    const b = () => new ViewMetadataBuilder(base, 1, noCheck);
    assertCatalogError(() => b().apply({ action: 'set-current-view-version', 'view-version-id': -1 }), 400, { message: /no view version has been added/ });
    assertCatalogError(() => b().apply({ action: 'set-current-view-version', 'view-version-id': 42 }), 400, { message: /unknown version: 42/ });
    assertCatalogError(() => b().apply({ action: 'add-view-version', 'view-version': { ...version('y'), 'schema-id': -1 } }), 400, {
      message: /no schema has been added/,
    });
    assertCatalogError(() => b().apply({ action: 'add-view-version', 'view-version': { ...version('y'), 'schema-id': 5 } }), 400, {
      message: /unknown schema: 5/,
    });
    assertCatalogError(() => b().apply({ action: 'add-snapshot', snapshot: {} }), 400, { message: /Unknown view update action: add-snapshot/ });
  });

  it('keeps its uuid and format version', () => {
    const b = () => new ViewMetadataBuilder(created(), 1, noCheck);
    assertCatalogError(() => b().apply({ action: 'assign-uuid', uuid: 'other' }), 400, { message: /Cannot reassign uuid/ });
    assert.equal(b().apply({ action: 'assign-uuid', uuid: 'u-1' }).hasChanges, false);
    assertCatalogError(() => b().apply({ action: 'upgrade-format-version', 'format-version': 2 }), 400, { message: /unsupported format version: v2/ });
    assertCatalogError(() => b().apply({ action: 'upgrade-format-version', 'format-version': 0 }), 400, { message: /Cannot downgrade/ });
  });
});

describe('view requirements', () => {
  it('assert-view-uuid holds for the same uuid, fails with 409 otherwise; unknown types are 400', () => {
    const m = created();
    assert.doesNotThrow(() => checkViewRequirements([{ type: 'assert-view-uuid', uuid: 'u-1' }], m));
    assertCatalogError(() => checkViewRequirements([{ type: 'assert-view-uuid', uuid: 'u-2' }], m), 409, {
      type: 'CommitFailedException',
      message: 'Requirement failed: view UUID does not match: expected u-1 != u-2',
    });
    assertCatalogError(() => checkViewRequirements([{ type: 'assert-table-uuid', uuid: 'u-1' }], m), 400);
  });
});

describe('reading view documents', () => {
  it('refuses documents that are not views: table metadata, a missing current version, a wrong format version', () => {
    const table = { 'format-version': 2, 'table-uuid': 'x', location: LOCATION, schemas: [] };
    assertCatalogError(() => normalizeViewMetadata(table), 400, { message: /format version 2/ });
    const doc = toViewDocument(created());
    assertCatalogError(() => normalizeViewMetadata({ ...doc, 'current-version-id': 9 }), 400, { message: /current-version-id 9/ });
    assertCatalogError(() => normalizeViewMetadata({ ...doc, versions: [] }), 400, { message: /no versions/ });
  });

  it('finds the version that was current at a time by the log', () => {
    const m = replace(created(), 'select 2', 1_700_000_500_000);
    assert.equal(viewVersionAt(m, 1_699_999_999_999), undefined);
    assert.equal(viewVersionAt(m, 1_700_000_000_000)?.['version-id'], 1);
    assert.equal(viewVersionAt(m, 1_700_000_499_999)?.['version-id'], 1);
    assert.equal(viewVersionAt(m, 1_800_000_000_000)?.['version-id'], 2);
  });
});
