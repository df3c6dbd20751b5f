// Schema helpers: primitive types per format version, field index, validation, fresh ids.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assignFreshIds,
  highestFieldId,
  indexFields,
  isPrimitive,
  primitiveMinFormatVersion,
  sameSchemaStructure,
  validateSchema,
} from '../../../src/iceberg/schema.js';
import type { NestedField, Schema } from '../../../src/iceberg/table-metadata.js';
import { assertCatalogError, simpleSchema } from './fixtures.js';

const nested: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', type: 'long', required: true },
    { id: 2, name: 'point', required: false, type: { type: 'struct', fields: [{ id: 3, name: 'x', type: 'double', required: true }] } },
    { id: 4, name: 'tags', required: false, type: { type: 'list', 'element-id': 5, element: 'string', 'element-required': true } },
    { id: 6, name: 'attrs', required: false, type: { type: 'map', 'key-id': 7, key: 'string', 'value-id': 8, value: 'int', 'value-required': false } },
  ],
};
const one = (field: Partial<NestedField>, extra: Partial<Schema> = {}): Schema => ({
  type: 'struct',
  fields: [{ id: 1, name: 'c', type: 'int', required: true, ...field } as NestedField],
  ...extra,
});

describe('primitiveMinFormatVersion', () => {
  it('knows the v1 primitives', () => {
    for (const t of ['boolean', 'int', 'long', 'float', 'double', 'date', 'time', 'timestamp', 'timestamptz', 'string', 'uuid', 'binary']) {
      assert.equal(primitiveMinFormatVersion(t), 1, t);
    }
  });
  it('parses decimal and fixed', () => {
    assert.equal(primitiveMinFormatVersion('decimal(9,2)'), 1);
    assert.equal(primitiveMinFormatVersion('decimal(38, 38)'), 1);
    assert.equal(primitiveMinFormatVersion('decimal(39,2)'), undefined, 'precision above 38');
    assert.equal(primitiveMinFormatVersion('decimal(5,6)'), undefined, 'scale above precision');
    assert.equal(primitiveMinFormatVersion('fixed[16]'), 1);
    assert.equal(primitiveMinFormatVersion('fixed[]'), undefined);
  });
  it('knows the v3 types', () => {
    for (const t of ['timestamp_ns', 'timestamptz_ns', 'variant', 'unknown', 'geometry', 'geography', 'geometry(srid:4326)', 'geography(srid:4326, spherical)']) {
      assert.equal(primitiveMinFormatVersion(t), 3, t);
    }
  });
  it('refuses unknown names', () => {
    for (const t of ['integer', 'varchar', 'Timestamp', '', 'struct']) assert.equal(primitiveMinFormatVersion(t), undefined, t);
  });
});

describe('isPrimitive', () => {
  it('is true only for type names', () => {
    assert.equal(isPrimitive('int'), true);
    assert.equal(isPrimitive({ type: 'struct', fields: [] }), false);
  });
});

describe('indexFields / highestFieldId', () => {
  it('indexes nested fields with dotted names', () => {
    const index = indexFields(nested);
    assert.deepEqual([...index.keys()].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(index.get(3), { name: 'point.x', type: 'double', required: true, inCollection: false });
    assert.deepEqual(index.get(5), { name: 'tags.element', type: 'string', required: true, inCollection: true });
    assert.deepEqual(index.get(7), { name: 'attrs.key', type: 'string', required: true, inCollection: true });
    assert.deepEqual(index.get(8), { name: 'attrs.value', type: 'int', required: false, inCollection: true });
    assert.equal(highestFieldId(nested), 8);
  });
  it('refuses a field id used twice, also across nesting', () => {
    assertCatalogError(() => indexFields({ type: 'struct', fields: [{ id: 1, name: 'a', type: 'int', required: true }, { id: 1, name: 'b', type: 'int', required: true }] }), 400, {
      message: /field id 1 is used more than once/,
    });
    const clash: Schema = { type: 'struct', fields: [{ id: 1, name: 'l', required: true, type: { type: 'list', 'element-id': 1, element: 'int', 'element-required': true } }] };
    assertCatalogError(() => indexFields(clash), 400);
  });
  it('an empty schema has highest id 0', () => {
    assert.equal(highestFieldId({ type: 'struct', fields: [] }), 0);
  });
});

describe('validateSchema', () => {
  it('accepts a valid nested schema in every version', () => {
    for (const v of [1, 2, 3] as const) assert.doesNotThrow(() => validateSchema(nested, v));
  });
  it('refuses v3 types before v3, also when nested', () => {
    assertCatalogError(() => validateSchema(one({ type: 'timestamp_ns' }), 2), 400, { message: 'Invalid type for c: timestamp_ns is not supported until v3' });
    const inList = one({ type: { type: 'list', 'element-id': 2, element: 'variant', 'element-required': false } });
    assertCatalogError(() => validateSchema(inList, 1), 400, { message: /variant is not supported until v3/ });
    const inMap = one({ type: { type: 'map', 'key-id': 2, key: 'string', 'value-id': 3, value: 'geometry', 'value-required': false } });
    assertCatalogError(() => validateSchema(inMap, 2), 400);
    assert.doesNotThrow(() => validateSchema(inMap, 3));
  });
  it('refuses non-null initial-default before v3', () => {
    assertCatalogError(() => validateSchema(one({ 'initial-default': 5 }), 2), 400, { message: /initial default/ });
    assert.doesNotThrow(() => validateSchema(one({ 'initial-default': null }), 2));
    assert.doesNotThrow(() => validateSchema(one({ 'initial-default': 5 }), 3));
  });
  it('refuses malformed structure', () => {
    assertCatalogError(() => validateSchema({ type: 'struct' } as never, 2), 400, { message: /expected a struct/ });
    assertCatalogError(() => validateSchema(null as never, 2), 400);
    assertCatalogError(() => validateSchema(one({ name: '' }), 2), 400, { message: /has no name/ });
    assertCatalogError(() => validateSchema(one({ id: '1' as never }), 2), 400, { message: /no integer id/ });
    assertCatalogError(() => validateSchema(one({ type: 'varchar' }), 2), 400, { message: /unknown type varchar/ });
    assertCatalogError(() => validateSchema(one({ type: { type: 'tuple' } as never }), 2), 400);
    const dupNames: Schema = { type: 'struct', fields: [{ id: 1, name: 'a', type: 'int', required: true }, { id: 2, name: 'a', type: 'int', required: true }] };
    assertCatalogError(() => validateSchema(dupNames, 2), 400, { message: /duplicate field name a/ });
  });
  it('checks identifier fields: they exist, are primitive and required', () => {
    assert.doesNotThrow(() => validateSchema({ ...simpleSchema(), 'identifier-field-ids': [1] }, 2));
    assertCatalogError(() => validateSchema({ ...simpleSchema(), 'identifier-field-ids': [9] }, 2), 400, { message: /identifier field id 9 does not exist/ });
    assertCatalogError(() => validateSchema({ ...simpleSchema(), 'identifier-field-ids': [3] }, 2), 400, { message: /is optional/ });
    const structId: Schema = { type: 'struct', 'identifier-field-ids': [1], fields: [{ id: 1, name: 's', required: true, type: { type: 'struct', fields: [] } }] };
    assertCatalogError(() => validateSchema(structId, 2), 400, { message: /not a primitive/ });
  });
  it('refuses float and double identifier fields', () => {
    const schema: Schema = { type: 'struct', 'identifier-field-ids': [1], fields: [{ id: 1, name: 'f', type: 'double', required: true }] };
    assertCatalogError(() => validateSchema(schema, 2), 400);
  });
  it('refuses identifier fields nested in a list or map', () => {
    const schema: Schema = {
      type: 'struct',
      'identifier-field-ids': [2],
      fields: [{ id: 1, name: 'l', required: true, type: { type: 'list', 'element-id': 2, element: 'int', 'element-required': true } }],
    };
    assertCatalogError(() => validateSchema(schema, 2), 400);
  });
});

describe('assignFreshIds', () => {
  it('renumbers from 1, struct fields before nested ones, and maps identifier ids', () => {
    const input: Schema = {
      type: 'struct',
      'schema-id': 9,
      'identifier-field-ids': [11],
      fields: [
        { id: 11, name: 'id', type: 'long', required: true },
        { id: 12, name: 'point', required: false, type: { type: 'struct', fields: [{ id: 13, name: 'x', type: 'double', required: true }] } },
        { id: 14, name: 'tags', required: false, type: { type: 'list', 'element-id': 15, element: 'string', 'element-required': true } },
      ],
    };
    const { schema, idMap, lastColumnId } = assignFreshIds(input);
    assert.deepEqual(schema, {
      type: 'struct',
      'schema-id': 0,
      'identifier-field-ids': [1],
      fields: [
        { id: 1, name: 'id', type: 'long', required: true },
        { id: 2, name: 'point', required: false, type: { type: 'struct', fields: [{ id: 4, name: 'x', type: 'double', required: true }] } },
        { id: 3, name: 'tags', required: false, type: { type: 'list', 'element-id': 5, element: 'string', 'element-required': true } },
      ],
    });
    assert.deepEqual([...idMap.entries()], [[11, 1], [12, 2], [14, 3], [13, 4], [15, 5]]);
    assert.equal(lastColumnId, 5);
    assert.equal(input.fields[0].id, 11, 'the input is not changed');
  });
  it('numbers map key before value', () => {
    const { schema } = assignFreshIds(one({ type: { type: 'map', 'key-id': 50, key: 'string', 'value-id': 40, value: 'int', 'value-required': true } }));
    assert.deepEqual(schema.fields[0].type, { type: 'map', 'key-id': 2, key: 'string', 'value-id': 3, value: 'int', 'value-required': true });
  });
  it('refuses an identifier id that is not a column', () => {
    assertCatalogError(() => assignFreshIds(one({}, { 'identifier-field-ids': [99] })), 400, { message: /identifier field id 99/ });
  });
  it('omits identifier-field-ids when there are none', () => {
    assert.equal('identifier-field-ids' in assignFreshIds(simpleSchema()).schema, false);
  });
});

describe('sameSchemaStructure', () => {
  it('ignores schema-id', () => {
    assert.equal(sameSchemaStructure(simpleSchema(0), simpleSchema(5)), true);
  });
  it('sees differences in fields and identifier ids', () => {
    assert.equal(sameSchemaStructure(simpleSchema(), { ...simpleSchema(), fields: simpleSchema().fields.slice(1) }), false);
    assert.equal(sameSchemaStructure(simpleSchema(), { ...simpleSchema(), 'identifier-field-ids': [1] }), false);
    assert.equal(sameSchemaStructure(simpleSchema(), { ...simpleSchema(), 'identifier-field-ids': [] }), true);
    const renamed = simpleSchema();
    renamed.fields[2] = { ...renamed.fields[2], name: 'label' };
    assert.equal(sameSchemaStructure(simpleSchema(), renamed), false);
  });
});
