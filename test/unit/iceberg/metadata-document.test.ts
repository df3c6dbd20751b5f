// Reading and writing metadata documents: normalizeTableMetadata, toMetadataDocument,
// withReferencedSnapshotsOnly.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeTableMetadata, toMetadataDocument, withReferencedSnapshotsOnly } from '../../../src/iceberg/metadata-document.js';
import { parseJson, stringifyJson } from '../../../src/json/int64-json.js';
import { UUID, assertCatalogError, baseMetadata, metadataWithHistory, simpleSchema, snapshot, v3Metadata } from './fixtures.js';

/** A v1 document as old writers produced it: single schema and spec, -1 for no snapshot. */
function legacyV1(): Record<string, unknown> {
  const { 'schema-id': _, ...schema } = simpleSchema();
  return {
    'format-version': 1,
    'table-uuid': UUID,
    location: 's3://bucket/wh/db/old',
    'last-updated-ms': 1_500_000_000_000,
    'last-column-id': 4,
    schema,
    'partition-spec': [{ name: 'id', transform: 'identity', 'source-id': 1, 'field-id': 1000 }],
    properties: { a: 'b' },
    'current-snapshot-id': -1,
    snapshots: [],
  };
}

describe('normalizeTableMetadata', () => {
  it('reads a v1 document with only schema / partition-spec and current-snapshot-id -1', () => {
    const m = normalizeTableMetadata(legacyV1());
    assert.equal(m['format-version'], 1);
    assert.deepEqual(m.schemas, [simpleSchema(0)]);
    assert.equal(m['current-schema-id'], 0);
    assert.deepEqual(m['partition-specs'], [{ 'spec-id': 0, fields: [{ name: 'id', transform: 'identity', 'source-id': 1, 'field-id': 1000 }] }]);
    assert.equal(m['default-spec-id'], 0);
    assert.equal(m['last-partition-id'], 1000);
    assert.deepEqual(m['sort-orders'], [{ 'order-id': 0, fields: [] }]);
    assert.equal(m['default-sort-order-id'], 0);
    assert.equal(m['current-snapshot-id'], null);
    assert.deepEqual(m.refs, {});
    assert.equal(m['last-sequence-number'], 0);
    assert.deepEqual(m.statistics, []);
    assert.deepEqual(m['snapshot-log'], []);
    assert.deepEqual(m['metadata-log'], []);
    assert.deepEqual(m.properties, { a: 'b' });
    assert.equal(m['next-row-id'], undefined);
  });
  it('gives legacy v1 partition fields without field-id the ids 1000, 1001, ...', () => {
    const doc = { ...legacyV1(), 'partition-spec': [{ name: 'id', transform: 'identity', 'source-id': 1 }, { name: 'n', transform: 'identity', 'source-id': 3 }] };
    const m = normalizeTableMetadata(doc);
    assert.deepEqual(m['partition-specs'][0].fields.map((f) => f['field-id']), [1000, 1001]);
    assert.equal(m['last-partition-id'], 1001);
  });
  it('derives main from current-snapshot-id when refs are absent', () => {
    const doc = { ...legacyV1(), 'current-snapshot-id': 7, snapshots: [snapshot(7)] };
    const m = normalizeTableMetadata(doc);
    assert.equal(m['current-snapshot-id'], 7);
    assert.deepEqual(m.refs, { main: { type: 'branch', 'snapshot-id': 7 } });
  });
  it('keeps big snapshot ids exact from parsed JSON', () => {
    const text = stringifyJson(legacyV1()).replace('"current-snapshot-id":-1', '"current-snapshot-id":9223372036854775807');
    assert.match(text, /9223372036854775807/);
    const m = normalizeTableMetadata(parseJson(text));
    assert.equal(m['current-snapshot-id'], 9223372036854775807n);
    assert.equal(m.refs.main['snapshot-id'], 9223372036854775807n);
  });
  it('keeps existing refs and treats a null current-snapshot-id like -1', () => {
    const doc = { ...toMetadataDocument(metadataWithHistory()) };
    const m = normalizeTableMetadata(doc);
    assert.deepEqual(m.refs, metadataWithHistory().refs);
    const none = normalizeTableMetadata({ ...toMetadataDocument(baseMetadata()), 'current-snapshot-id': null });
    assert.equal(none['current-snapshot-id'], null);
    assert.deepEqual(none.refs, {});
  });
  it('round-trips a complete v2 document', () => {
    const original = metadataWithHistory();
    assert.deepEqual(normalizeTableMetadata(toMetadataDocument(original)), original);
  });
  it('round-trips a v3 document with next-row-id and encryption keys', () => {
    const original = v3Metadata({ 'next-row-id': 42, 'encryption-keys': [{ 'key-id': 'k', 'encrypted-key-metadata': 'AA==' }] });
    assert.deepEqual(normalizeTableMetadata(toMetadataDocument(original)), original);
    const { 'next-row-id': _, ...withoutRowId } = toMetadataDocument(v3Metadata());
    assert.equal(normalizeTableMetadata(withoutRowId)['next-row-id'], 0);
  });
  it('refuses unsupported versions and missing essentials with a 400 ValidationException', () => {
    assertCatalogError(() => normalizeTableMetadata({ ...legacyV1(), 'format-version': 4 }), 400, { type: 'ValidationException', message: /Unsupported format version: 4/ });
    assertCatalogError(() => normalizeTableMetadata({ ...legacyV1(), 'format-version': undefined }), 400);
    const { 'table-uuid': _, ...noUuid } = toMetadataDocument(baseMetadata());
    assertCatalogError(() => normalizeTableMetadata(noUuid), 400, { message: /table-uuid is missing/ });
    assertCatalogError(() => normalizeTableMetadata({ ...legacyV1(), location: 3 }), 400, { message: /location is missing/ });
    assertCatalogError(() => normalizeTableMetadata({ ...legacyV1(), schema: undefined }), 400, { message: /no schemas/ });
    assertCatalogError(() => normalizeTableMetadata([]), 400, { type: 'ValidationException' });
    assertCatalogError(() => normalizeTableMetadata(null), 400);
  });
  it('gives a v1 document without table-uuid a random uuid', () => {
    const { 'table-uuid': _, ...doc } = legacyV1();
    const m = normalizeTableMetadata(doc);
    assert.match(m['table-uuid'], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
  it('prefers schemas / partition-specs over the legacy fields', () => {
    const doc = {
      ...legacyV1(),
      schemas: [simpleSchema(0), { ...simpleSchema(1), fields: simpleSchema().fields.slice(0, 1) }],
      'current-schema-id': 1,
      'partition-specs': [{ 'spec-id': 0, fields: [] }, { 'spec-id': 1, fields: [] }],
      'default-spec-id': 1,
      'last-partition-id': 1003,
    };
    const m = normalizeTableMetadata(doc);
    assert.equal(m.schemas.length, 2);
    assert.equal(m['current-schema-id'], 1);
    assert.equal(m['default-spec-id'], 1);
    assert.equal(m['last-partition-id'], 1003);
  });
});

describe('toMetadataDocument', () => {
  it('writes the legacy v1 fields, no last-sequence-number, and -1 for no snapshot', () => {
    const doc = toMetadataDocument(normalizeTableMetadata(legacyV1()));
    assert.deepEqual(doc.schema, simpleSchema(0));
    assert.deepEqual(doc['partition-spec'], [{ name: 'id', transform: 'identity', 'source-id': 1, 'field-id': 1000 }]);
    assert.equal(doc['current-snapshot-id'], -1);
    assert.equal('last-sequence-number' in doc, false);
    assert.equal('next-row-id' in doc, false);
    assert.deepEqual(doc.schemas, [simpleSchema(0)]);
  });
  it('v1 legacy fields follow the current schema and default spec', () => {
    const m = baseMetadata({
      'format-version': 1,
      schemas: [simpleSchema(0), simpleSchema(1)],
      'current-schema-id': 1,
      'partition-specs': [{ 'spec-id': 0, fields: [] }, { 'spec-id': 1, fields: [{ 'field-id': 1000, 'source-id': 1, name: 'id', transform: 'identity' }] }],
      'default-spec-id': 1,
    });
    const doc = toMetadataDocument(m);
    assert.equal((doc.schema as { 'schema-id': number })['schema-id'], 1);
    assert.deepEqual(doc['partition-spec'], m['partition-specs'][1].fields);
  });
  it('v2: no legacy fields, last-sequence-number present, -1 without a snapshot', () => {
    const doc = toMetadataDocument(baseMetadata());
    assert.equal('schema' in doc, false);
    assert.equal('partition-spec' in doc, false);
    assert.equal(doc['last-sequence-number'], 0);
    assert.equal(doc['current-snapshot-id'], -1);
    assert.equal('encryption-keys' in doc, false);
  });
  it('v2: writes the current snapshot id and keeps keys in spec order', () => {
    const doc = toMetadataDocument(metadataWithHistory());
    assert.equal(doc['current-snapshot-id'], 3);
    assert.deepEqual(Object.keys(doc).slice(0, 6), ['format-version', 'table-uuid', 'location', 'last-sequence-number', 'last-updated-ms', 'last-column-id']);
  });
  it('v3: writes next-row-id', () => {
    assert.equal(toMetadataDocument(v3Metadata({ 'next-row-id': 17 }))['next-row-id'], 17);
  });
  it('serializes big ids exactly', () => {
    const m = baseMetadata({ snapshots: [snapshot(9223372036854775807n, { seq: 1 })], 'current-snapshot-id': 9223372036854775807n });
    const text = stringifyJson(toMetadataDocument(m));
    assert.match(text, /"current-snapshot-id":9223372036854775807,/);
    assert.match(text, /"snapshot-id":9223372036854775807,/);
  });
});

describe('withReferencedSnapshotsOnly', () => {
  it('keeps only snapshots some ref points at', () => {
    const m = metadataWithHistory();
    delete m.refs.b2;
    const view = withReferencedSnapshotsOnly(m);
    assert.deepEqual(view.snapshots.map((s) => s['snapshot-id']), [1, 3]);
    assert.equal(m.snapshots.length, 3, 'the input is not changed');
  });
  it('matches bigint refs to number snapshot ids and back', () => {
    const m = baseMetadata({ snapshots: [snapshot(5), snapshot(6n)], refs: { main: { type: 'branch', 'snapshot-id': 5n }, t: { type: 'tag', 'snapshot-id': 6 } } });
    assert.equal(withReferencedSnapshotsOnly(m).snapshots.length, 2);
  });
  it('a table without refs shows no snapshots', () => {
    const m = { ...metadataWithHistory(), refs: {} };
    assert.deepEqual(withReferencedSnapshotsOnly(m).snapshots, []);
  });
});
