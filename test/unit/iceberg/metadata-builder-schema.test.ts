// TableMetadataBuilder: uuid, format version, schemas, partition specs and sort orders.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyTableMetadata } from '../../../src/iceberg/metadata-builder.js';
import type { Schema } from '../../../src/iceberg/table-metadata.js';
import { NOW, UUID, assertCatalogError, baseMetadata, builderFor, simpleSchema, snapshot } from './fixtures.js';

const withExtraColumn = (): Schema => ({
  ...simpleSchema(),
  'schema-id': 7, // a client's suggestion; the builder assigns its own id
  fields: [...simpleSchema().fields, { id: 5, name: 'extra', type: 'int', required: false }],
});

describe('emptyTableMetadata', () => {
  it('is the starting point of a create transaction', () => {
    const m = emptyTableMetadata('u-1', 42);
    assert.equal(m['table-uuid'], 'u-1');
    assert.equal(m['last-updated-ms'], 42);
    assert.equal(m['format-version'], 2);
    assert.equal(m['current-schema-id'], -1);
    assert.equal(m['default-spec-id'], -1);
    assert.equal(m['default-sort-order-id'], -1);
    assert.equal(m['last-partition-id'], 999);
    assert.equal(m['last-column-id'], 0);
    assert.equal(m['current-snapshot-id'], null);
    assert.deepEqual(m.schemas, []);
    assert.equal(m.location, '');
  });
});

describe('assign-uuid', () => {
  it('is a no-op when the uuid is unchanged', () => {
    const b = builderFor().apply({ action: 'assign-uuid', uuid: UUID });
    assert.equal(b.hasChanges, false);
  });
  it('refuses to reassign the uuid of an existing table', () => {
    assertCatalogError(() => builderFor().apply({ action: 'assign-uuid', uuid: 'other' }), 400, { message: /Cannot reassign uuid/ });
  });
  it('sets the uuid of a new table', () => {
    const b = builderFor(baseMetadata(), { isNew: true }).apply({ action: 'assign-uuid', uuid: 'new-uuid' });
    assert.equal(b.hasChanges, true);
    assert.equal(b.build()['table-uuid'], 'new-uuid');
  });
  it('requires a string uuid', () => {
    assertCatalogError(() => builderFor().apply({ action: 'assign-uuid', uuid: 5 }), 400, { type: 'BadRequestException' });
  });
});

describe('upgrade-format-version', () => {
  it('upgrades v2 to v3 and starts next-row-id at 0', () => {
    const m = builderFor().apply({ action: 'upgrade-format-version', 'format-version': 3 }).build();
    assert.equal(m['format-version'], 3);
    assert.equal(m['next-row-id'], 0);
  });
  it('is a no-op for the current version', () => {
    assert.equal(builderFor().apply({ action: 'upgrade-format-version', 'format-version': 2 }).hasChanges, false);
  });
  it('refuses a downgrade of an existing table', () => {
    assertCatalogError(() => builderFor().apply({ action: 'upgrade-format-version', 'format-version': 1 }), 400, {
      message: /Cannot downgrade v2 table to v1/,
    });
  });
  it('lets a new table pick a lower version (the placeholder is v2)', () => {
    const b = builderFor(baseMetadata(), { isNew: true }).apply({ action: 'upgrade-format-version', 'format-version': 1 });
    assert.equal(b.build()['format-version'], 1);
  });
  it('refuses unsupported versions', () => {
    for (const v of [0, 4, 99]) {
      assertCatalogError(() => builderFor().apply({ action: 'upgrade-format-version', 'format-version': v }), 400);
    }
    assertCatalogError(() => builderFor().apply({ action: 'upgrade-format-version', 'format-version': '3' }), 400);
  });
});

describe('add-schema / set-current-schema', () => {
  it('adds a schema with the next id and raises last-column-id', () => {
    const b = builderFor().apply({ action: 'add-schema', schema: withExtraColumn() });
    const m = b.apply({ action: 'set-current-schema', 'schema-id': -1 }).build();
    assert.equal(m.schemas.length, 2);
    assert.equal(m.schemas[1]['schema-id'], 1);
    assert.equal(m['current-schema-id'], 1);
    assert.equal(m['last-column-id'], 5);
  });
  it('honours a larger (deprecated) last-column-id but never lowers it', () => {
    const m1 = builderFor().apply({ action: 'add-schema', schema: withExtraColumn(), 'last-column-id': 10 }).build();
    assert.equal(m1['last-column-id'], 10);
    const m2 = builderFor().apply({ action: 'add-schema', schema: withExtraColumn(), 'last-column-id': 1 }).build();
    assert.equal(m2['last-column-id'], 5);
  });
  it('reuses the id of an identical schema and reports no change', () => {
    const b = builderFor().apply({ action: 'add-schema', schema: simpleSchema(3) });
    assert.equal(b.hasChanges, false);
    b.apply({ action: 'set-current-schema', 'schema-id': -1 });
    assert.equal(b.hasChanges, false);
    assert.equal(b.build().schemas.length, 1);
  });
  it('-1 resolves to a reused schema', () => {
    const base = baseMetadata({ schemas: [simpleSchema(0), { ...withExtraColumn(), 'schema-id': 1 }], 'last-column-id': 5 });
    const m = builderFor(base).apply({ action: 'add-schema', schema: simpleSchema() }).apply({ action: 'set-current-schema', 'schema-id': -1 }).build();
    assert.equal(m.schemas.length, 2);
    assert.equal(m['current-schema-id'], 0);
  });
  it('set-current-schema to an existing id, and refuses unknown ids', () => {
    const base = baseMetadata({ schemas: [simpleSchema(0), { ...withExtraColumn(), 'schema-id': 1 }], 'last-column-id': 5 });
    assert.equal(builderFor(base).apply({ action: 'set-current-schema', 'schema-id': 1 }).build()['current-schema-id'], 1);
    assertCatalogError(() => builderFor(base).apply({ action: 'set-current-schema', 'schema-id': 9 }), 400, { message: /unknown schema: 9/ });
  });
  it('set-current-schema -1 without an added schema is refused', () => {
    assertCatalogError(() => builderFor().apply({ action: 'set-current-schema', 'schema-id': -1 }), 400, { message: /no schema has been added/ });
  });
  it('refuses v3-only types in a v2 table', () => {
    for (const type of ['timestamp_ns', 'timestamptz_ns', 'variant', 'unknown', 'geometry', 'geography(srid:4326)']) {
      const schema: Schema = { type: 'struct', fields: [{ id: 1, name: 'c', type, required: false }] };
      assertCatalogError(() => builderFor().apply({ action: 'add-schema', schema }), 400, { message: /not supported until v3/ });
    }
  });
  it('accepts v3 types once the table is v3', () => {
    const schema: Schema = { type: 'struct', fields: [{ id: 1, name: 'c', type: 'timestamp_ns', required: false }, { id: 2, name: 'v', type: 'variant', required: false }] };
    const m = builderFor()
      .apply({ action: 'upgrade-format-version', 'format-version': 3 })
      .apply({ action: 'add-schema', schema })
      .build();
    assert.equal(m.schemas.length, 2);
  });
  it('refuses malformed schemas', () => {
    assertCatalogError(() => builderFor().apply({ action: 'add-schema', schema: 'x' }), 400);
    assertCatalogError(() => builderFor().apply({ action: 'add-schema', schema: { type: 'list', fields: [] } }), 400);
    assertCatalogError(() => builderFor().apply({ action: 'add-schema', schema: { type: 'struct', fields: [{ id: 1, name: 'a', type: 'nope', required: true }] } }), 400);
  });
});

describe('add-spec / set-default-spec', () => {
  const daySpec = { fields: [{ 'source-id': 2, name: 'ts_day', transform: 'day' }] };
  it('assigns partition field ids from last-partition-id + 1 (1000 on a fresh table)', () => {
    const m = builderFor().apply({ action: 'add-spec', spec: daySpec }).apply({ action: 'set-default-spec', 'spec-id': -1 }).build();
    assert.equal(m['partition-specs'].length, 2);
    assert.deepEqual(m['partition-specs'][1], { 'spec-id': 1, fields: [{ 'source-id': 2, name: 'ts_day', transform: 'day', 'field-id': 1000 }] });
    assert.equal(m['default-spec-id'], 1);
    assert.equal(m['last-partition-id'], 1000);
  });
  it('reuses the field id of the same field in an older spec', () => {
    const base = baseMetadata({
      'partition-specs': [
        { 'spec-id': 0, fields: [] },
        { 'spec-id': 1, fields: [{ 'field-id': 1000, 'source-id': 2, name: 'ts_day', transform: 'day' }] },
      ],
      'last-partition-id': 1000,
    });
    const spec = { fields: [...daySpec.fields, { 'source-id': 1, name: 'id_bucket', transform: 'bucket[16]' }] };
    const m = builderFor(base).apply({ action: 'add-spec', spec }).build();
    assert.deepEqual(m['partition-specs'][2].fields.map((f) => f['field-id']), [1000, 1001]);
    assert.equal(m['last-partition-id'], 1001);
  });
  it('keeps explicit field ids and raises last-partition-id to them', () => {
    const spec = { fields: [{ 'field-id': 1005, 'source-id': 1, name: 'id', transform: 'identity' }] };
    const m = builderFor().apply({ action: 'add-spec', spec }).build();
    assert.equal(m['partition-specs'][1].fields[0]['field-id'], 1005);
    assert.equal(m['last-partition-id'], 1005);
  });
  it('reuses an identical spec without a change', () => {
    const b = builderFor().apply({ action: 'add-spec', spec: { 'spec-id': 4, fields: [] } });
    assert.equal(b.hasChanges, false);
    b.apply({ action: 'set-default-spec', 'spec-id': -1 });
    assert.equal(b.hasChanges, false);
  });
  it('refuses unknown source columns, bad transforms and duplicate names', () => {
    assertCatalogError(() => builderFor().apply({ action: 'add-spec', spec: { fields: [{ 'source-id': 99, name: 'x', transform: 'identity' }] } }), 400, {
      message: /Cannot find source column/,
    });
    assertCatalogError(() => builderFor().apply({ action: 'add-spec', spec: { fields: [{ 'source-id': 3, name: 'x', transform: 'day' }] } }), 400);
    assertCatalogError(() => builderFor().apply({ action: 'add-spec', spec: { fields: [{ 'source-id': 1, name: 'x', transform: 'frobnicate' }] } }), 400);
    const dup = { fields: [{ 'source-id': 1, name: 'x', transform: 'identity' }, { 'source-id': 3, name: 'x', transform: 'identity' }] };
    assertCatalogError(() => builderFor().apply({ action: 'add-spec', spec: dup }), 400, { message: /duplicate field name/ });
    assertCatalogError(() => builderFor().apply({ action: 'add-spec', spec: { fields: 'no' } }), 400);
    assertCatalogError(() => builderFor().apply({ action: 'add-spec', spec: { fields: [{ 'source-id': 1, transform: 'identity' }] } }), 400);
  });
  it('set-default-spec refuses unknown ids and -1 without an added spec', () => {
    assertCatalogError(() => builderFor().apply({ action: 'set-default-spec', 'spec-id': 3 }), 400, { message: /unknown spec: 3/ });
    assertCatalogError(() => builderFor().apply({ action: 'set-default-spec', 'spec-id': -1 }), 400);
  });
  it('set-default-spec to the current default is a no-op', () => {
    assert.equal(builderFor().apply({ action: 'set-default-spec', 'spec-id': 0 }).hasChanges, false);
  });
});

describe('add-sort-order / set-default-sort-order', () => {
  const byIdDesc = { 'order-id': 5, fields: [{ 'source-id': 1, transform: 'identity', direction: 'desc', 'null-order': 'nulls-last' }] };
  it('numbers a sorted order from 1 and sets it with -1', () => {
    const m = builderFor().apply({ action: 'add-sort-order', 'sort-order': byIdDesc }).apply({ action: 'set-default-sort-order', 'sort-order-id': -1 }).build();
    assert.deepEqual(m['sort-orders'].map((o) => o['order-id']), [0, 1]);
    assert.equal(m['default-sort-order-id'], 1);
    assert.deepEqual(m['sort-orders'][1].fields, byIdDesc.fields);
  });
  it('numbers a sorted order of a table with no orders from 1', () => {
    const m = builderFor(baseMetadata({ 'sort-orders': [], 'default-sort-order-id': -1 }))
      .apply({ action: 'add-sort-order', 'sort-order': byIdDesc })
      .apply({ action: 'set-default-sort-order', 'sort-order-id': -1 })
      .build();
    assert.deepEqual(m['sort-orders'].map((o) => o['order-id']), [1]);
  });
  it('gives the unsorted order id 0, and reuses it', () => {
    const m = builderFor(baseMetadata({ 'sort-orders': [], 'default-sort-order-id': -1 }))
      .apply({ action: 'add-sort-order', 'sort-order': { 'order-id': 3, fields: [] } })
      .apply({ action: 'set-default-sort-order', 'sort-order-id': -1 })
      .build();
    assert.deepEqual(m['sort-orders'], [{ 'order-id': 0, fields: [] }]);
    assert.equal(m['default-sort-order-id'], 0);
    const b = builderFor().apply({ action: 'add-sort-order', 'sort-order': { 'order-id': 3, fields: [] } });
    assert.equal(b.hasChanges, false);
  });
  it('reuses an identical sorted order', () => {
    const base = baseMetadata({ 'sort-orders': [{ 'order-id': 0, fields: [] }, { ...byIdDesc, 'order-id': 1 } as never] });
    const b = builderFor(base).apply({ action: 'add-sort-order', 'sort-order': byIdDesc }).apply({ action: 'set-default-sort-order', 'sort-order-id': -1 });
    const m = b.build();
    assert.equal(m['sort-orders'].length, 2);
    assert.equal(m['default-sort-order-id'], 1);
  });
  it('refuses bad directions, null orders, columns and transforms', () => {
    const field = byIdDesc.fields[0];
    for (const bad of [{ ...field, direction: 'up' }, { ...field, 'null-order': 'nulls-middle' }, { ...field, 'source-id': 42 }, { ...field, transform: 'hour' }]) {
      assertCatalogError(() => builderFor().apply({ action: 'add-sort-order', 'sort-order': { 'order-id': 1, fields: [bad] } }), 400);
    }
  });
  it('set-default-sort-order refuses unknown ids; same id is a no-op', () => {
    assertCatalogError(() => builderFor().apply({ action: 'set-default-sort-order', 'sort-order-id': 4 }), 400, { message: /unknown sort order: 4/ });
    assertCatalogError(() => builderFor().apply({ action: 'set-default-sort-order', 'sort-order-id': -1 }), 400);
    assert.equal(builderFor().apply({ action: 'set-default-sort-order', 'sort-order-id': 0 }).hasChanges, false);
  });
});

describe('build()', () => {
  it('moves last-updated-ms to now when something changed, keeps it otherwise', () => {
    assert.equal(builderFor().apply({ action: 'set-properties', updates: { a: 'b' } }).build()['last-updated-ms'], NOW);
    assert.equal(builderFor().build()['last-updated-ms'], baseMetadata()['last-updated-ms']);
  });
  it('completes a new table with the unpartitioned spec and unsorted order', () => {
    const empty = emptyTableMetadata('u', NOW);
    const m = builderFor(empty, { isNew: true })
      .apply({ action: 'add-schema', schema: simpleSchema() })
      .apply({ action: 'set-current-schema', 'schema-id': -1 })
      .apply({ action: 'set-location', location: 's3://bucket/wh/x' })
      .build();
    assert.deepEqual(m['partition-specs'], [{ 'spec-id': 0, fields: [] }]);
    assert.equal(m['default-spec-id'], 0);
    assert.deepEqual(m['sort-orders'], [{ 'order-id': 0, fields: [] }]);
    assert.equal(m['default-sort-order-id'], 0);
  });
  it('refuses a table without schema, current schema or location', () => {
    assertCatalogError(() => builderFor(emptyTableMetadata('u', NOW), { isNew: true }).build(), 400, { message: /needs a schema/ });
    const noLocation = builderFor(emptyTableMetadata('u', NOW), { isNew: true })
      .apply({ action: 'add-schema', schema: simpleSchema() })
      .apply({ action: 'set-current-schema', 'schema-id': -1 });
    assertCatalogError(() => noLocation.build(), 400, { message: /location is not set/ });
    const noCurrent = builderFor(emptyTableMetadata('u', NOW), { isNew: true }).apply({ action: 'add-schema', schema: simpleSchema() });
    assertCatalogError(() => noCurrent.build(), 400, { message: /current schema -1/ });
  });
  it('does not mutate the base metadata', () => {
    const base = baseMetadata({ snapshots: [snapshot(1, { seq: 1 })] });
    const before = structuredClone(base);
    builderFor(base)
      .apply({ action: 'add-schema', schema: withExtraColumn() })
      .apply({ action: 'set-properties', updates: { x: 'y' } })
      .apply({ action: 'remove-snapshots', 'snapshot-ids': [1] })
      .build();
    assert.deepEqual(base, before);
  });
});
