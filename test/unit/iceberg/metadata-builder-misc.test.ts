// TableMetadataBuilder: location, properties, statistics, spec/schema removal, encryption keys,
// malformed and unknown updates, and appendMetadataLog.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appendMetadataLog } from '../../../src/iceberg/metadata-builder.js';
import type { Schema } from '../../../src/iceberg/table-metadata.js';
import {
  LOCATION,
  NOW,
  assertCatalogError,
  baseMetadata,
  builderFor,
  metadataWithHistory,
  partitionStatisticsFile,
  recordingCheck,
  simpleSchema,
  statisticsFile,
} from './fixtures.js';

describe('set-location', () => {
  it('passes the location to the LocationCheck and stores it as given, without trailing slashes', () => {
    const check = recordingCheck();
    const m = builderFor(baseMetadata(), { check }).apply({ action: 'set-location', location: 'file:/tmp/wh/db/moved//' }).build();
    assert.deepEqual(check.seen, ['file:/tmp/wh/db/moved']);
    assert.equal(m.location, 'file:/tmp/wh/db/moved', 'engines compare the location with the one they asked for');
  });
  it('the LocationCheck can refuse, and the location stays unchanged', () => {
    const check = recordingCheck(() => true);
    const b = builderFor(baseMetadata(), { check });
    assertCatalogError(() => b.apply({ action: 'set-location', location: 's3://elsewhere/x' }), 400, { message: 'refused s3://elsewhere/x' });
    assert.equal(b.hasChanges, false);
    assert.equal(b.build().location, LOCATION);
  });
  it('the same location is a no-op and is not re-checked', () => {
    const check = recordingCheck(() => true);
    const b = builderFor(baseMetadata(), { check }).apply({ action: 'set-location', location: `${LOCATION}/` });
    assert.equal(b.hasChanges, false);
    assert.deepEqual(check.seen, []);
  });
  it('requires a string', () => {
    assertCatalogError(() => builderFor().apply({ action: 'set-location' }), 400, { message: /location must be a string/ });
  });
});

describe('set-properties / remove-properties', () => {
  it('sets properties from `updates`', () => {
    const m = builderFor().apply({ action: 'set-properties', updates: { a: '1', owner: 'bob' } }).build();
    assert.deepEqual(m.properties, { owner: 'bob', a: '1' });
  });
  it('accepts the legacy `updated` key', () => {
    assert.deepEqual(builderFor().apply({ action: 'set-properties', updated: { b: '2' } }).build().properties, { owner: 'alice', b: '2' });
  });
  it('setting the same values is a no-op', () => {
    assert.equal(builderFor().apply({ action: 'set-properties', updates: { owner: 'alice' } }).hasChanges, false);
    assert.equal(builderFor().apply({ action: 'set-properties', updates: {} }).hasChanges, false);
  });
  it('refuses non-string values and a missing map', () => {
    assertCatalogError(() => builderFor().apply({ action: 'set-properties', updates: { a: 1 } }), 400, { message: /value of a must be a string/ });
    assertCatalogError(() => builderFor().apply({ action: 'set-properties' }), 400);
    assertCatalogError(() => builderFor().apply({ action: 'set-properties', updates: ['a'] }), 400);
  });
  it('removes properties from `removals` and the legacy `removed`', () => {
    assert.deepEqual(builderFor().apply({ action: 'remove-properties', removals: ['owner'] }).build().properties, {});
    assert.deepEqual(builderFor().apply({ action: 'remove-properties', removed: ['owner'] }).build().properties, {});
  });
  it('removing absent keys is a no-op', () => {
    assert.equal(builderFor().apply({ action: 'remove-properties', removals: ['nope'] }).hasChanges, false);
  });
  it('refuses non-string keys and a missing list', () => {
    assertCatalogError(() => builderFor().apply({ action: 'remove-properties', removals: [1] }), 400);
    assertCatalogError(() => builderFor().apply({ action: 'remove-properties' }), 400);
  });
  it('removing a key that only exists on Object.prototype is a no-op', () => {
    assert.equal(builderFor().apply({ action: 'remove-properties', removals: ['toString'] }).hasChanges, false);
  });
  it('a property named __proto__ is stored like any other', () => {
    const updates = JSON.parse('{"__proto__":"x"}') as Record<string, unknown>;
    const m = builderFor().apply({ action: 'set-properties', updates }).build();
    assert.deepEqual(Object.entries(m.properties), [['owner', 'alice'], ['__proto__', 'x']]);
  });
});

describe('set-statistics / remove-statistics', () => {
  it('adds a statistics file and replaces the one of the same snapshot', () => {
    const replaced = statisticsFile(2, 's3://bucket/wh/db/t/metadata/new.puffin');
    const m = builderFor(metadataWithHistory()).apply({ action: 'set-statistics', statistics: replaced }).build();
    assert.deepEqual(m.statistics, [statisticsFile(1), replaced]);
    const m2 = builderFor(metadataWithHistory()).apply({ action: 'set-statistics', 'snapshot-id': 3, statistics: statisticsFile(3) }).build();
    assert.equal(m2.statistics.length, 3);
  });
  it('refuses a statistics file without snapshot-id or path', () => {
    assertCatalogError(() => builderFor().apply({ action: 'set-statistics', statistics: { 'snapshot-id': 1 } }), 400);
    assertCatalogError(() => builderFor().apply({ action: 'set-statistics', statistics: { 'statistics-path': 'x' } }), 400);
    assertCatalogError(() => builderFor().apply({ action: 'set-statistics' }), 400);
  });
  it('removes statistics by snapshot id; a missing one is a no-op', () => {
    const m = builderFor(metadataWithHistory()).apply({ action: 'remove-statistics', 'snapshot-id': 1n }).build();
    assert.deepEqual(m.statistics.map((s) => s['snapshot-id']), [2]);
    assert.equal(builderFor(metadataWithHistory()).apply({ action: 'remove-statistics', 'snapshot-id': 9 }).hasChanges, false);
    assertCatalogError(() => builderFor().apply({ action: 'remove-statistics', 'snapshot-id': 'x' }), 400);
  });
});

describe('set-partition-statistics / remove-partition-statistics', () => {
  it('adds and replaces partition statistics per snapshot', () => {
    const m = builderFor(metadataWithHistory())
      .apply({ action: 'set-partition-statistics', 'partition-statistics': partitionStatisticsFile(2) })
      .apply({ action: 'set-partition-statistics', 'partition-statistics': partitionStatisticsFile(1, 's3://bucket/wh/db/t/p2.parquet') })
      .build();
    assert.deepEqual(m['partition-statistics'], [partitionStatisticsFile(2), partitionStatisticsFile(1, 's3://bucket/wh/db/t/p2.parquet')]);
  });
  it('refuses malformed files', () => {
    assertCatalogError(() => builderFor().apply({ action: 'set-partition-statistics', 'partition-statistics': { 'snapshot-id': 1 } }), 400);
    assertCatalogError(() => builderFor().apply({ action: 'set-partition-statistics' }), 400);
  });
  it('removes by snapshot id; a missing one is a no-op', () => {
    assert.deepEqual(builderFor(metadataWithHistory()).apply({ action: 'remove-partition-statistics', 'snapshot-id': 1 }).build()['partition-statistics'], []);
    assert.equal(builderFor(metadataWithHistory()).apply({ action: 'remove-partition-statistics', 'snapshot-id': 2 }).hasChanges, false);
  });
});

describe('remove-partition-specs / remove-schemas', () => {
  const specs = baseMetadata({
    'partition-specs': [
      { 'spec-id': 0, fields: [] },
      { 'spec-id': 1, fields: [{ 'field-id': 1000, 'source-id': 1, name: 'id', transform: 'identity' }] },
      { 'spec-id': 2, fields: [{ 'field-id': 1001, 'source-id': 3, name: 'name', transform: 'identity' }] },
    ],
    'default-spec-id': 2,
    'last-partition-id': 1001,
  });
  it('removes specs other than the default', () => {
    const m = builderFor(specs).apply({ action: 'remove-partition-specs', 'spec-ids': [0, 1] }).build();
    assert.deepEqual(m['partition-specs'].map((s) => s['spec-id']), [2]);
    assert.equal(m['last-partition-id'], 1001, 'last-partition-id never goes down');
  });
  it('refuses to remove the default spec', () => {
    assertCatalogError(() => builderFor(specs).apply({ action: 'remove-partition-specs', 'spec-ids': [1, 2] }), 400, { message: /default partition spec/ });
  });
  it('unknown spec ids are a no-op', () => {
    assert.equal(builderFor(specs).apply({ action: 'remove-partition-specs', 'spec-ids': [7] }).hasChanges, false);
  });
  const schemas = baseMetadata({ schemas: [simpleSchema(0), { ...simpleSchema(1), fields: simpleSchema().fields.slice(0, 2) }], 'current-schema-id': 1 });
  it('removes schemas other than the current one', () => {
    const m = builderFor(schemas).apply({ action: 'remove-schemas', 'schema-ids': [0] }).build();
    assert.deepEqual(m.schemas.map((s) => s['schema-id']), [1]);
    assert.equal(m['last-column-id'], 4, 'last-column-id never goes down');
  });
  it('refuses to remove the current schema', () => {
    assertCatalogError(() => builderFor(schemas).apply({ action: 'remove-schemas', 'schema-ids': [1] }), 400, { message: /Cannot remove current schema/ });
  });
  it('unknown schema ids are a no-op; a non-array is refused', () => {
    assert.equal(builderFor(schemas).apply({ action: 'remove-schemas', 'schema-ids': [5] }).hasChanges, false);
    assertCatalogError(() => builderFor(schemas).apply({ action: 'remove-schemas', 'schema-ids': 0 }), 400);
    assertCatalogError(() => builderFor(specs).apply({ action: 'remove-partition-specs' }), 400);
  });
});

describe('add-encryption-key / remove-encryption-key', () => {
  const key = { 'key-id': 'k1', 'encrypted-key-metadata': 'AAEC', properties: { a: 'b' } };
  it('adds a key and replaces one with the same id', () => {
    const m = builderFor()
      .apply({ action: 'add-encryption-key', 'encryption-key': key })
      .apply({ action: 'add-encryption-key', 'encryption-key': { 'key-id': 'k2', 'encrypted-key-metadata': 'AQ==' } })
      .apply({ action: 'add-encryption-key', 'encryption-key': { ...key, 'encrypted-key-metadata': 'BBBB' } })
      .build();
    assert.deepEqual(m['encryption-keys'], [{ 'key-id': 'k2', 'encrypted-key-metadata': 'AQ==' }, { ...key, 'encrypted-key-metadata': 'BBBB' }]);
  });
  it('refuses a key without id or metadata', () => {
    assertCatalogError(() => builderFor().apply({ action: 'add-encryption-key', 'encryption-key': { 'key-id': 'k' } }), 400);
    assertCatalogError(() => builderFor().apply({ action: 'add-encryption-key', 'encryption-key': { 'encrypted-key-metadata': 'x' } }), 400);
  });
  it('removes a key; a missing one is a no-op', () => {
    const base = baseMetadata({ 'encryption-keys': [key] });
    assert.deepEqual(builderFor(base).apply({ action: 'remove-encryption-key', 'key-id': 'k1' }).build()['encryption-keys'], []);
    assert.equal(builderFor(base).apply({ action: 'remove-encryption-key', 'key-id': 'zz' }).hasChanges, false);
    assert.equal(builderFor().apply({ action: 'remove-encryption-key', 'key-id': 'k1' }).hasChanges, false);
    assert.deepEqual(base['encryption-keys'], [key], 'base is not mutated');
  });
});

describe('malformed and unknown updates', () => {
  it('refuses an unknown action with 400', () => {
    assertCatalogError(() => builderFor().apply({ action: 'drop-everything' }), 400, { type: 'BadRequestException', message: 'Unknown update action: drop-everything' });
  });
  it('refuses updates without an action', () => {
    assertCatalogError(() => builderFor().apply({} as never), 400, { message: /missing action/ });
    assertCatalogError(() => builderFor().apply(null as never), 400);
    assertCatalogError(() => builderFor().apply({ action: 5 } as never), 400);
  });
  it('refuses wrongly typed fields with 400', () => {
    const cases: Record<string, unknown>[] = [
      { action: 'set-current-schema', 'schema-id': '0' },
      { action: 'set-default-spec', 'spec-id': 1.5 },
      { action: 'set-default-sort-order', 'sort-order-id': null },
      { action: 'add-spec', spec: [] },
      { action: 'add-sort-order', 'sort-order': 'x' },
      { action: 'add-schema' },
      { action: 'remove-snapshot-ref', 'ref-name': 1 },
      { action: 'remove-encryption-key' },
    ];
    for (const update of cases) assertCatalogError(() => builderFor().apply(update as never), 400);
  });
  it('applyAll stops at the first bad update', () => {
    const b = builderFor();
    assertCatalogError(() => b.applyAll([{ action: 'set-properties', updates: { z: '1' } }, { action: 'nope' }, { action: 'set-properties', updates: { y: '1' } }]), 400);
    assert.equal(b.build().properties.y, undefined);
  });
  it('a v2 schema with a non-null initial-default is refused', () => {
    const schema: Schema = { type: 'struct', fields: [{ id: 1, name: 'a', type: 'int', required: false, 'initial-default': 3 }] };
    assertCatalogError(() => builderFor().apply({ action: 'add-schema', schema }), 400, { message: /initial default/ });
  });
});

describe('appendMetadataLog', () => {
  it('appends the previous file with its timestamp', () => {
    const m = baseMetadata();
    appendMetadataLog(m, 's3://bucket/wh/db/t/metadata/00000.json', 123);
    assert.deepEqual(m['metadata-log'], [{ 'metadata-file': 's3://bucket/wh/db/t/metadata/00000.json', 'timestamp-ms': 123 }]);
  });
  it('keeps only write.metadata.previous-versions-max entries, oldest dropped first', () => {
    const m = baseMetadata({ properties: { 'write.metadata.previous-versions-max': '2' } });
    for (let i = 0; i < 4; i++) appendMetadataLog(m, `f${i}`, i);
    assert.deepEqual(m['metadata-log'].map((e) => e['metadata-file']), ['f2', 'f3']);
  });
  it('defaults to 100 entries', () => {
    const m = baseMetadata();
    for (let i = 0; i < 105; i++) appendMetadataLog(m, `f${i}`, i);
    assert.equal(m['metadata-log'].length, 100);
    assert.equal(m['metadata-log'][0]['metadata-file'], 'f5');
  });
  it('a max of 0 keeps no history; an invalid max keeps all', () => {
    const zero = baseMetadata({ properties: { 'write.metadata.previous-versions-max': '0' } });
    appendMetadataLog(zero, 'f', 1);
    assert.deepEqual(zero['metadata-log'], []);
    const bad = baseMetadata({ properties: { 'write.metadata.previous-versions-max': 'lots' } });
    appendMetadataLog(bad, 'f', 1);
    appendMetadataLog(bad, 'g', 2);
    assert.equal(bad['metadata-log'].length, 2);
  });
  it('build() with a change stamps now', () => {
    assert.equal(builderFor().apply({ action: 'remove-properties', removals: ['owner'] }).build()['last-updated-ms'], NOW);
  });
});
