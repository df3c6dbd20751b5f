// Reading and writing the metadata JSON document (spec: "Table Metadata" and its JSON
// serialization appendix). Reading accepts what older writers produced (v1 documents with
// only `schema` / `partition-spec`, -1 for "no current snapshot"); writing always produces
// the complete modern form, plus the legacy v1 fields v1 readers still need.
import { isInt64, type Int64 } from '../json/int64-json.js';
import { validationFailed } from './errors.js';
import {
  MAIN_BRANCH,
  PARTITION_FIELD_ID_START,
  type FormatVersion,
  type PartitionField,
  type Schema,
  type TableMetadata,
} from './table-metadata.js';

type Raw = Record<string, unknown>;

function asObject(value: unknown, what: string): Raw {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw validationFailed(`Invalid table metadata: ${what} must be an object`);
  }
  return value as Raw;
}

function asArray<T>(value: unknown, fallback: T[] = []): T[] {
  return Array.isArray(value) ? (value as T[]) : fallback;
}

function maxPartitionFieldId(fields: PartitionField[]): number {
  return fields.reduce((max, f) => Math.max(max, f['field-id'] ?? 0), PARTITION_FIELD_ID_START - 1);
}

/** Turns any valid metadata JSON (v1 to v3) into the complete in-memory form. */
export function normalizeTableMetadata(input: unknown): TableMetadata {
  const raw = asObject(input, 'document');
  const formatVersion = Number(raw['format-version']);
  if (![1, 2, 3].includes(formatVersion)) {
    throw validationFailed(`Unsupported format version: ${String(raw['format-version'])}`);
  }
  if (typeof raw['table-uuid'] !== 'string' && formatVersion > 1) {
    throw validationFailed('Invalid table metadata: table-uuid is missing');
  }
  if (typeof raw.location !== 'string') throw validationFailed('Invalid table metadata: location is missing');

  let schemas = asArray<Schema>(raw.schemas);
  let currentSchemaId = raw['current-schema-id'] as number | undefined;
  if (schemas.length === 0 && raw.schema) {
    const legacy = asObject(raw.schema, 'schema') as unknown as Schema;
    schemas = [{ ...legacy, 'schema-id': legacy['schema-id'] ?? 0 }];
    currentSchemaId = schemas[0]['schema-id'];
  }
  if (schemas.length === 0) throw validationFailed('Invalid table metadata: no schemas');
  currentSchemaId ??= schemas[0]['schema-id'] ?? 0;

  let specs = asArray<{ 'spec-id': number; fields: PartitionField[] }>(raw['partition-specs']);
  let defaultSpecId = raw['default-spec-id'] as number | undefined;
  if (specs.length === 0) {
    // Early v1 writers left partition field ids implicit: they were 1000, 1001, ... in order.
    const legacyFields = asArray<PartitionField>(raw['partition-spec']).map((f, i) => ({
      ...f,
      'field-id': f['field-id'] ?? PARTITION_FIELD_ID_START + i,
    }));
    specs = [{ 'spec-id': 0, fields: legacyFields }];
    defaultSpecId = 0;
  }
  defaultSpecId ??= specs[0]['spec-id'];
  const lastPartitionId =
    (raw['last-partition-id'] as number | undefined) ??
    specs.reduce((max, s) => Math.max(max, maxPartitionFieldId(s.fields)), PARTITION_FIELD_ID_START - 1);

  let sortOrders = asArray<TableMetadata['sort-orders'][number]>(raw['sort-orders']);
  if (sortOrders.length === 0) sortOrders = [{ 'order-id': 0, fields: [] }];
  const defaultSortOrderId = (raw['default-sort-order-id'] as number | undefined) ?? sortOrders[0]['order-id'];

  const snapshots = asArray<TableMetadata['snapshots'][number]>(raw.snapshots);
  let currentSnapshotId = raw['current-snapshot-id'] as Int64 | null | undefined;
  if (currentSnapshotId === undefined || currentSnapshotId === null || BigInt(currentSnapshotId) === -1n) {
    currentSnapshotId = null;
  }
  const refs = { ...((raw.refs as TableMetadata['refs'] | undefined) ?? {}) };
  // Before refs existed (spec: "Snapshot References"), main was implied by current-snapshot-id.
  if (currentSnapshotId !== null && !refs[MAIN_BRANCH]) {
    refs[MAIN_BRANCH] = { type: 'branch', 'snapshot-id': currentSnapshotId };
  }

  const metadata: TableMetadata = {
    'format-version': formatVersion as FormatVersion,
    'table-uuid': (raw['table-uuid'] as string | undefined) ?? crypto.randomUUID(),
    location: raw.location,
    'last-sequence-number': isInt64(raw['last-sequence-number']) ? raw['last-sequence-number'] : 0,
    'last-updated-ms': isInt64(raw['last-updated-ms']) ? raw['last-updated-ms'] : Date.now(),
    'last-column-id': Number(raw['last-column-id'] ?? 0),
    schemas,
    'current-schema-id': currentSchemaId,
    'partition-specs': specs,
    'default-spec-id': defaultSpecId,
    'last-partition-id': lastPartitionId,
    'sort-orders': sortOrders,
    'default-sort-order-id': defaultSortOrderId,
    properties: { ...((raw.properties as Record<string, string> | undefined) ?? {}) },
    'current-snapshot-id': currentSnapshotId,
    refs,
    snapshots,
    statistics: asArray(raw.statistics),
    'partition-statistics': asArray(raw['partition-statistics']),
    'snapshot-log': asArray(raw['snapshot-log']),
    'metadata-log': asArray(raw['metadata-log']),
  };
  if (formatVersion >= 3) metadata['next-row-id'] = isInt64(raw['next-row-id']) ? raw['next-row-id'] : 0;
  if (Array.isArray(raw['encryption-keys'])) metadata['encryption-keys'] = raw['encryption-keys'] as TableMetadata['encryption-keys'];
  return metadata;
}

/** The document as it is written to storage and returned to clients, keys in spec order. */
export function toMetadataDocument(m: TableMetadata): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    'format-version': m['format-version'],
    'table-uuid': m['table-uuid'],
    location: m.location,
  };
  if (m['format-version'] > 1) doc['last-sequence-number'] = m['last-sequence-number'];
  doc['last-updated-ms'] = m['last-updated-ms'];
  doc['last-column-id'] = m['last-column-id'];
  if (m['format-version'] === 1) {
    // v1 readers know only the single current schema and spec.
    const schema = m.schemas.find((s) => s['schema-id'] === m['current-schema-id']);
    const spec = m['partition-specs'].find((s) => s['spec-id'] === m['default-spec-id']);
    doc.schema = schema;
    doc['partition-spec'] = spec?.fields ?? [];
  }
  doc['current-schema-id'] = m['current-schema-id'];
  doc.schemas = m.schemas;
  doc['default-spec-id'] = m['default-spec-id'];
  doc['partition-specs'] = m['partition-specs'];
  doc['last-partition-id'] = m['last-partition-id'];
  doc['default-sort-order-id'] = m['default-sort-order-id'];
  doc['sort-orders'] = m['sort-orders'];
  doc.properties = m.properties;
  doc['current-snapshot-id'] = m['current-snapshot-id'] ?? -1;
  doc.refs = m.refs;
  doc.snapshots = m.snapshots;
  doc.statistics = m.statistics;
  doc['partition-statistics'] = m['partition-statistics'];
  doc['snapshot-log'] = m['snapshot-log'];
  doc['metadata-log'] = m['metadata-log'];
  if (m['format-version'] >= 3) doc['next-row-id'] = m['next-row-id'] ?? 0;
  if (m['encryption-keys'] && m['encryption-keys'].length > 0) doc['encryption-keys'] = m['encryption-keys'];
  return doc;
}

/** The `snapshots=refs` view of a table (spec: loadTable): only snapshots some ref points at. */
export function withReferencedSnapshotsOnly(m: TableMetadata): TableMetadata {
  const referenced = new Set(Object.values(m.refs).map((r) => r['snapshot-id'].toString()));
  return { ...m, snapshots: m.snapshots.filter((s) => referenced.has(s['snapshot-id'].toString())) };
}
