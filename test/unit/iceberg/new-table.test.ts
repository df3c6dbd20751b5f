// newTableMetadata (spec: CreateTableRequest): fresh ids, remapped spec and order, format version.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newTableMetadata, type NewTableRequest } from '../../../src/iceberg/new-table.js';
import type { Schema } from '../../../src/iceberg/table-metadata.js';
import { NOW, assertCatalogError, recordingCheck } from './fixtures.js';

const TABLE_LOCATION = 's3://bucket/wh/db/events';

/** Placeholder ids 3 and 4, as clients such as pyiceberg may send. */
const placeholderSchema: Schema = {
  type: 'struct',
  'schema-id': 5,
  'identifier-field-ids': [3],
  fields: [
    { id: 3, name: 'id', type: 'long', required: true },
    { id: 4, name: 'ts', type: 'timestamptz', required: false },
  ],
};

function create(request: Partial<NewTableRequest> = {}, check = recordingCheck()) {
  return newTableMetadata(
    { schema: placeholderSchema, location: TABLE_LOCATION, ...request },
    { uuid: 'uuid-1', now: NOW, checkLocation: check },
  );
}

describe('newTableMetadata: schema', () => {
  it('numbers columns afresh from 1 (placeholder ids 3,4 → 1,2)', () => {
    const m = create();
    assert.deepEqual(m.schemas, [
      {
        type: 'struct',
        'schema-id': 0,
        'identifier-field-ids': [1],
        fields: [
          { id: 1, name: 'id', type: 'long', required: true },
          { id: 2, name: 'ts', type: 'timestamptz', required: false },
        ],
      },
    ]);
    assert.equal(m['current-schema-id'], 0);
    assert.equal(m['last-column-id'], 2);
  });
  it('numbers a struct\'s own fields before nested ones (struct, list, map)', () => {
    const schema: Schema = {
      type: 'struct',
      fields: [
        { id: 10, name: 'a', type: 'int', required: true },
        {
          id: 20,
          name: 'point',
          required: false,
          type: { type: 'struct', fields: [{ id: 21, name: 'x', type: 'double', required: true }, { id: 22, name: 'y', type: 'double', required: true }] },
        },
        { id: 30, name: 'tags', required: false, type: { type: 'list', 'element-id': 31, element: 'string', 'element-required': false } },
        {
          id: 40,
          name: 'attrs',
          required: false,
          type: { type: 'map', 'key-id': 41, key: 'string', 'value-id': 42, value: { type: 'list', 'element-id': 43, element: 'int', 'element-required': true }, 'value-required': false },
        },
      ],
    };
    const m = create({ schema });
    const f = m.schemas[0].fields;
    assert.deepEqual(f.map((x) => x.id), [1, 2, 3, 4]);
    assert.deepEqual(f[1].type, { type: 'struct', fields: [{ id: 5, name: 'x', type: 'double', required: true }, { id: 6, name: 'y', type: 'double', required: true }] });
    assert.deepEqual(f[2].type, { type: 'list', 'element-id': 7, element: 'string', 'element-required': false });
    assert.deepEqual(f[3].type, {
      type: 'map',
      'key-id': 8,
      key: 'string',
      'value-id': 9,
      value: { type: 'list', 'element-id': 10, element: 'int', 'element-required': true },
      'value-required': false,
    });
    assert.equal(m['last-column-id'], 10);
  });
  it('refuses a missing schema and v3 types in a v2 table', () => {
    assertCatalogError(() => create({ schema: undefined as never }), 400, { message: /schema is required/ });
    const ns: Schema = { type: 'struct', fields: [{ id: 1, name: 'ts', type: 'timestamp_ns', required: false }] };
    assertCatalogError(() => create({ schema: ns }), 400, { message: /not supported until v3/ });
    assert.equal(create({ schema: ns, properties: { 'format-version': '3' } }).schemas[0].fields[0].type, 'timestamp_ns');
  });
});

describe('newTableMetadata: partition spec and sort order', () => {
  it('remaps the partition spec onto the new ids, field ids from 1000', () => {
    const m = create({
      'partition-spec': {
        'spec-id': 3,
        fields: [
          { 'field-id': 2000, 'source-id': 4, name: 'ts_day', transform: 'day' },
          { 'source-id': 3, name: 'id_bucket', transform: 'bucket[8]' },
        ],
      },
    });
    assert.deepEqual(m['partition-specs'], [
      {
        'spec-id': 0,
        fields: [
          { name: 'ts_day', transform: 'day', 'source-id': 2, 'field-id': 1000 },
          { name: 'id_bucket', transform: 'bucket[8]', 'source-id': 1, 'field-id': 1001 },
        ],
      },
    ]);
    assert.equal(m['default-spec-id'], 0);
    assert.equal(m['last-partition-id'], 1001);
  });
  it('an unpartitioned table has spec 0 with no fields and last-partition-id 999', () => {
    const m = create();
    assert.deepEqual(m['partition-specs'], [{ 'spec-id': 0, fields: [] }]);
    assert.equal(m['last-partition-id'], 999);
  });
  it('refuses partition and sort fields on unknown columns', () => {
    assertCatalogError(() => create({ 'partition-spec': { fields: [{ 'source-id': 1, name: 'x', transform: 'identity' }] } }), 400, {
      message: /partition field x: 1/,
    });
    assertCatalogError(
      () => create({ 'write-order': { 'order-id': 1, fields: [{ 'source-id': 9, transform: 'identity', direction: 'asc', 'null-order': 'nulls-first' }] } }),
      400,
      { message: /sort field: 9/ },
    );
  });
  it('refuses a transform that does not fit the remapped column', () => {
    assertCatalogError(() => create({ 'partition-spec': { fields: [{ 'source-id': 3, name: 'x', transform: 'day' }] } }), 400);
  });
  it('remaps the sort order; a sorted order gets id 1 (as in the reference implementation)', () => {
    const m = create({
      'write-order': { 'order-id': 7, fields: [{ 'source-id': 4, transform: 'identity', direction: 'desc', 'null-order': 'nulls-last' }] },
    });
    assert.deepEqual(m['sort-orders'], [{ 'order-id': 1, fields: [{ 'source-id': 2, transform: 'identity', direction: 'desc', 'null-order': 'nulls-last' }] }]);
    assert.equal(m['default-sort-order-id'], 1);
  });
  it('an unsorted table has order 0', () => {
    const m = create();
    assert.deepEqual(m['sort-orders'], [{ 'order-id': 0, fields: [] }]);
    assert.equal(m['default-sort-order-id'], 0);
  });
});

describe('newTableMetadata: format version, properties, location', () => {
  it('defaults to format v2', () => {
    const m = create();
    assert.equal(m['format-version'], 2);
    assert.equal(m['next-row-id'], undefined);
  });
  it('honours the format-version property and does not store it', () => {
    for (const v of [1, 2, 3] as const) {
      const m = create({ properties: { 'format-version': String(v), owner: 'me' } });
      assert.equal(m['format-version'], v);
      assert.deepEqual(m.properties, { owner: 'me' });
    }
    assert.equal(create({ properties: { 'format-version': '3' } })['next-row-id'], 0);
  });
  it('does not change the caller\'s properties object', () => {
    const properties = { 'format-version': '1' };
    create({ properties });
    assert.deepEqual(properties, { 'format-version': '1' });
  });
  it('refuses a bad format version with 400', () => {
    for (const v of ['0', '4', 'two', '2.5', '-1']) {
      assertCatalogError(() => create({ properties: { 'format-version': v } }), 400, { message: `Unsupported format version: ${v}` });
    }
  });
  it('sets uuid, location (checked) and timestamps', () => {
    const check = recordingCheck();
    const m = create({}, check);
    assert.equal(m['table-uuid'], 'uuid-1');
    assert.equal(m.location, TABLE_LOCATION);
    assert.deepEqual(check.seen, [TABLE_LOCATION]);
    assert.equal(m['last-updated-ms'], NOW);
    assert.equal(m['last-sequence-number'], 0);
    assert.equal(m['current-snapshot-id'], null);
    assert.deepEqual(m.snapshots, []);
    assert.deepEqual(m.refs, {});
  });
  it('a refused location refuses the table', () => {
    assertCatalogError(() => create({}, recordingCheck(() => true)), 400, { message: `refused ${TABLE_LOCATION}` });
  });
  it('refuses non-string property values', () => {
    assertCatalogError(() => create({ properties: { a: 1 as never } }), 400);
  });
});
