// Shared fixtures for the pure iceberg module tests: a small v2 table, snapshot and
// schema factories, and an assertion for CatalogError.
import assert from 'node:assert/strict';
import { CatalogError } from '../../../src/iceberg/errors.js';
import { TableMetadataBuilder, type LocationCheck } from '../../../src/iceberg/metadata-builder.js';
import type { Int64 } from '../../../src/json/int64-json.js';
import type { FormatVersion, Schema, Snapshot, TableMetadata } from '../../../src/iceberg/table-metadata.js';

export const NOW = 1_700_000_000_000;
export const CREATED = 1_600_000_000_000;
export const UUID = '9c12d441-03fe-4693-9a96-a0705ddf69c1';
export const LOCATION = 's3://bucket/wh/db/t';

/** id long (1), ts timestamp (2), name string (3), price decimal(10,2) (4). */
export function simpleSchema(schemaId = 0): Schema {
  return {
    type: 'struct',
    'schema-id': schemaId,
    fields: [
      { id: 1, name: 'id', type: 'long', required: true },
      { id: 2, name: 'ts', type: 'timestamp', required: false },
      { id: 3, name: 'name', type: 'string', required: false },
      { id: 4, name: 'price', type: 'decimal(10,2)', required: false },
    ],
  };
}

/** A v2 table with one schema, an unpartitioned spec, the unsorted order and no snapshots. */
export function baseMetadata(overrides: Partial<TableMetadata> = {}): TableMetadata {
  return {
    'format-version': 2,
    'table-uuid': UUID,
    location: LOCATION,
    'last-sequence-number': 0,
    'last-updated-ms': CREATED,
    'last-column-id': 4,
    schemas: [simpleSchema(0)],
    'current-schema-id': 0,
    'partition-specs': [{ 'spec-id': 0, fields: [] }],
    'default-spec-id': 0,
    'last-partition-id': 999,
    'sort-orders': [{ 'order-id': 0, fields: [] }],
    'default-sort-order-id': 0,
    properties: { owner: 'alice' },
    'current-snapshot-id': null,
    refs: {},
    snapshots: [],
    statistics: [],
    'partition-statistics': [],
    'snapshot-log': [],
    'metadata-log': [],
    ...overrides,
  };
}

export function v3Metadata(overrides: Partial<TableMetadata> = {}): TableMetadata {
  return baseMetadata({ 'format-version': 3 as FormatVersion, 'next-row-id': 0, ...overrides });
}

export function snapshot(
  id: Int64,
  options: { seq?: Int64; parent?: Int64 | null; ts?: Int64; firstRowId?: Int64; addedRows?: Int64 } = {},
): Snapshot {
  const s: Snapshot = {
    'snapshot-id': id,
    'timestamp-ms': options.ts ?? CREATED + 1000,
    'manifest-list': `${LOCATION}/metadata/snap-${id}.avro`,
    summary: { operation: 'append' },
    'schema-id': 0,
  };
  if (options.seq !== undefined) s['sequence-number'] = options.seq;
  if (options.parent !== undefined) s['parent-snapshot-id'] = options.parent;
  if (options.firstRowId !== undefined) s['first-row-id'] = options.firstRowId;
  if (options.addedRows !== undefined) s['added-rows'] = options.addedRows;
  return s;
}

/**
 * A v2 table with history: snapshots 1 (seq 1), 2 (seq 2), 3 (seq 3), main at 3, tag `t1` at 1,
 * branch `b2` at 2, statistics for 1 and 2, partition statistics for 1, snapshot log 1,2,3.
 */
export function metadataWithHistory(): TableMetadata {
  return baseMetadata({
    'last-sequence-number': 3,
    'last-updated-ms': CREATED + 3000,
    snapshots: [
      snapshot(1, { seq: 1, ts: CREATED + 1000 }),
      snapshot(2, { seq: 2, parent: 1, ts: CREATED + 2000 }),
      snapshot(3, { seq: 3, parent: 2, ts: CREATED + 3000 }),
    ],
    'current-snapshot-id': 3,
    refs: {
      main: { type: 'branch', 'snapshot-id': 3 },
      t1: { type: 'tag', 'snapshot-id': 1 },
      b2: { type: 'branch', 'snapshot-id': 2 },
    },
    statistics: [statisticsFile(1), statisticsFile(2)],
    'partition-statistics': [partitionStatisticsFile(1)],
    'snapshot-log': [
      { 'snapshot-id': 1, 'timestamp-ms': CREATED + 1000 },
      { 'snapshot-id': 2, 'timestamp-ms': CREATED + 2000 },
      { 'snapshot-id': 3, 'timestamp-ms': CREATED + 3000 },
    ],
  });
}

export function statisticsFile(snapshotId: Int64, path = `${LOCATION}/metadata/stats-${snapshotId}.puffin`) {
  return {
    'snapshot-id': snapshotId,
    'statistics-path': path,
    'file-size-in-bytes': 100,
    'file-footer-size-in-bytes': 10,
    'blob-metadata': [],
  };
}

export function partitionStatisticsFile(snapshotId: Int64, path = `${LOCATION}/metadata/pstats-${snapshotId}.parquet`) {
  return { 'snapshot-id': snapshotId, 'statistics-path': path, 'file-size-in-bytes': 50 };
}

/** Records every location the builder asks about; refuses those for which `refuse` is true. */
export function recordingCheck(refuse: (l: string) => boolean = () => false): LocationCheck & { seen: string[] } {
  const seen: string[] = [];
  const check = ((location: string) => {
    seen.push(location);
    if (refuse(location)) throw new CatalogError(400, 'BadRequestException', `refused ${location}`);
    return location;
  }) as LocationCheck & { seen: string[] };
  check.seen = seen;
  return check;
}

export function builderFor(base: TableMetadata = baseMetadata(), options: { isNew?: boolean; check?: LocationCheck } = {}) {
  return new TableMetadataBuilder(base, NOW, options.check ?? (() => undefined), { isNew: options.isNew });
}

/** Asserts that `fn` throws a CatalogError with the given status (and type / message, if given). */
export function assertCatalogError(
  fn: () => unknown,
  status: number,
  expected: { type?: string; message?: RegExp | string } = {},
): CatalogError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof CatalogError, `expected a CatalogError, got ${caught === undefined ? 'no error' : String(caught)}`);
  assert.equal(caught.status, status, `status of "${caught.message}"`);
  if (expected.type) assert.equal(caught.type, expected.type);
  if (typeof expected.message === 'string') assert.equal(caught.message, expected.message);
  else if (expected.message) assert.match(caught.message, expected.message);
  return caught;
}
