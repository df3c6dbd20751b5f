// Tables, their snapshot and ref rows, and the compare-and-swap that commits them.
import { CompiledQuery, sql } from 'kysely';
import { int64Key } from '../json/int64-json.js';
import { sameRef } from '../iceberg/metadata-builder.js';
import type { Snapshot, SnapshotReference, TableMetadata } from '../iceberg/table-metadata.js';
import type { DbOrTx, Tx } from './database.js';
import { prepared } from './prepared-statements.js';

/** A table row without its metadata document: what every request needs to know. */
export type TableHead = Omit<TableRecord, 'metadataJson'>;

export interface TableRecord {
  id: string;
  warehouseId: string;
  namespaceId: string;
  name: string;
  tableUuid: string;
  location: string;
  formatVersion: number;
  metadataLocation: string;
  metadataJson: string;
  version: number;
  /** Where files it may read lie besides its location: the locations of the tables it was cloned from. */
  sourceLocations?: string[];
  /** Who made it (the creator, registrar or cloner); null for tables made before ownership existed. */
  owner?: string | null;
}

const headColumns = [
  'iceberg_table.table_id',
  'iceberg_table.warehouse_id',
  'iceberg_table.namespace_id',
  'iceberg_table.name',
  'iceberg_table.table_uuid',
  'iceberg_table.location',
  'iceberg_table.format_version',
  'iceberg_table.metadata_location',
  'iceberg_table.version',
  'iceberg_table.source_locations',
  'iceberg_table.owner',
] as const;

type Row = {
  table_id: string;
  warehouse_id: string;
  namespace_id: string | null;
  name: string;
  table_uuid: string;
  location: string;
  format_version: number;
  metadata_location: string;
  version: string | number | bigint;
  source_locations: string[];
  owner: string | null;
};

const toHead = (row: Row): TableHead => ({
  id: row.table_id,
  warehouseId: row.warehouse_id,
  namespaceId: row.namespace_id ?? '',
  name: row.name,
  tableUuid: row.table_uuid,
  location: row.location,
  formatVersion: row.format_version,
  metadataLocation: row.metadata_location,
  version: Number(row.version),
  sourceLocations: row.source_locations,
  owner: row.owner,
});

// Every request on a table starts with this query, so its SQL is built once, not per call,
// and Postgres plans it once per connection (prepared-statements.ts).
const FIND_TABLE_SQL = prepared(`SELECT ${headColumns.map((c) => `"iceberg_table"."${c.split('.')[1]}"`).join(', ')}
  FROM "iceberg_table" INNER JOIN "namespace" ON "namespace"."namespace_id" = "iceberg_table"."namespace_id"
  WHERE "namespace"."warehouse_id" = $1 AND "namespace"."levels" = $2::text[] AND "iceberg_table"."name" = $3
    AND "iceberg_table"."dropped_at" IS NULL AND "iceberg_table"."kind" = 'table'`);

/** The live table with that name, found by namespace path in one query (the load hot path). */
export async function findTable(db: DbOrTx, warehouseId: string, levels: string[], name: string): Promise<TableHead | undefined> {
  const result = await db.executeQuery<Row>(CompiledQuery.raw(FIND_TABLE_SQL, [warehouseId, levels, name]));
  const row = result.rows[0];
  return row && toHead(row);
}

/** The table's current metadata document with the location it belongs to (they change together). */
export async function readTableDocument(
  db: DbOrTx,
  tableId: string,
): Promise<{ metadataLocation: string; metadataJson: string; version: number } | undefined> {
  const row = await db
    .selectFrom('iceberg_table')
    .select(['metadata_location', 'metadata_json', 'version'])
    .where('table_id', '=', tableId)
    .executeTakeFirst();
  return row && { metadataLocation: row.metadata_location, metadataJson: row.metadata_json, version: Number(row.version) };
}

/** Names of the live tables or views of a namespace, in order, after `page.after`. */
export async function listNames(
  db: DbOrTx,
  namespaceId: string,
  kind: 'table' | 'view',
  page: { after?: string; limit?: number; only?: string[] },
): Promise<{ name: string }[]> {
  let query = db
    .selectFrom('iceberg_table')
    .select('name')
    .where('namespace_id', '=', namespaceId)
    .where('dropped_at', 'is', null)
    .where('kind', '=', kind)
    .orderBy('name');
  if (page.only) query = query.where(sql<boolean>`name = ANY(${page.only}::text[])`);
  if (page.after !== undefined) query = query.where('name', '>', page.after);
  if (page.limit) query = query.limit(page.limit);
  return query.execute();
}

/** A live table or view of the warehouse whose location contains, equals or lies inside `location`. */
export async function findOverlappingTable(
  db: DbOrTx,
  warehouseId: string,
  location: string,
  exceptTableId?: string,
): Promise<{ name: string; location: string; kind: 'table' | 'view' } | undefined> {
  let query = db
    .selectFrom('iceberg_table')
    .select(['name', 'location', 'kind'])
    .where('warehouse_id', '=', warehouseId)
    .where('dropped_at', 'is', null)
    .where((eb) =>
      eb.or([
        eb('location', '=', location),
        eb(sql<boolean>`starts_with(location, ${location + '/'})`, '=', true),
        eb(sql<boolean>`starts_with(${location}, location || '/')`, '=', true),
      ]),
    );
  if (exceptTableId) query = query.where('table_id', '<>', exceptTableId);
  return query.executeTakeFirst();
}

export interface TableWrite {
  record: TableRecord;
  metadata: TableMetadata;
}

export async function insertTable(tx: Tx, { record, metadata }: TableWrite): Promise<void> {
  await tx
    .insertInto('iceberg_table')
    .values({
      table_id: record.id,
      warehouse_id: record.warehouseId,
      namespace_id: record.namespaceId,
      name: record.name,
      table_uuid: record.tableUuid,
      location: record.location,
      format_version: record.formatVersion,
      metadata_location: record.metadataLocation,
      metadata_json: record.metadataJson,
      version: record.version,
      source_locations: sql<string[]>`${record.sourceLocations ?? []}::text[]`,
      owner: record.owner ?? null,
    })
    .execute();
  await insertMetadataFile(tx, record);
  await insertSnapshotRows(tx, record.id, metadata);
}

/**
 * Moves the table to its new metadata if nobody else committed since `expectedVersion` was
 * read. Returns false when the swap lost that race (the caller retries from the top).
 *
 * One statement: the swap, the metadata_file row and the snapshot/ref differences are
 * data-modifying CTEs that all hang off the swap, so they happen together or not at all,
 * atomically even outside a transaction, in a single round trip.
 */
export async function compareAndSwapTable(
  db: DbOrTx,
  expectedVersion: number,
  previous: TableMetadata,
  { record, metadata }: TableWrite,
): Promise<boolean> {
  const diff = diffSnapshotRows(previous, metadata);
  const steps = [
    sql`metadata_file_added AS (
      INSERT INTO metadata_file (table_id, version, metadata_location)
      SELECT table_id, ${String(record.version)}::bigint, ${record.metadataLocation} FROM swapped)`,
  ];
  // Metadata files that fell out of the metadata log (write.metadata.previous-versions-max)
  // stop being roots here, so the collector can delete them.
  const retainedMetadata = [record.metadataLocation, ...(metadata['metadata-log'] ?? []).map((e) => e['metadata-file'])];
  steps.push(sql`metadata_files_trimmed AS (
      DELETE FROM metadata_file WHERE table_id IN (SELECT table_id FROM swapped)
      AND metadata_location <> ALL(${retainedMetadata}::text[]))`);
  if (diff.addedSnapshots.length > 0) {
    const rows = diff.addedSnapshots.map((s) => {
      const r = snapshotRow(record.id, s);
      return sql`(${r.snapshot_id}::bigint, ${r.parent_snapshot_id}::bigint, ${r.sequence_number}::bigint,
        ${r.timestamp_ms}::bigint, ${r.manifest_list}::text, ${r.schema_id}::integer, ${r.operation}::text)`;
    });
    steps.push(sql`snapshots_added AS (
      INSERT INTO snapshot (table_id, snapshot_id, parent_snapshot_id, sequence_number, timestamp_ms, manifest_list, schema_id, operation)
      SELECT swapped.table_id, v.* FROM swapped, (VALUES ${sql.join(rows)}) AS v)`);
  }
  if (diff.removedSnapshotIds.length > 0) {
    steps.push(sql`snapshots_removed AS (
      DELETE FROM snapshot WHERE table_id IN (SELECT table_id FROM swapped)
      AND snapshot_id = ANY(${diff.removedSnapshotIds}::bigint[]))`);
  }
  if (diff.changedRefs.length > 0) {
    const rows = diff.changedRefs.map(([name, ref]) => {
      const r = refRow(record.id, name, ref);
      return sql`(${r.name}::text, ${r.type}::text, ${r.snapshot_id}::bigint, ${r.max_ref_age_ms}::bigint,
        ${r.max_snapshot_age_ms}::bigint, ${r.min_snapshots_to_keep}::integer)`;
    });
    steps.push(sql`refs_set AS (
      INSERT INTO snapshot_ref (table_id, name, type, snapshot_id, max_ref_age_ms, max_snapshot_age_ms, min_snapshots_to_keep)
      SELECT swapped.table_id, v.* FROM swapped, (VALUES ${sql.join(rows)}) AS v
      ON CONFLICT (table_id, name) DO UPDATE SET type = excluded.type, snapshot_id = excluded.snapshot_id,
        max_ref_age_ms = excluded.max_ref_age_ms, max_snapshot_age_ms = excluded.max_snapshot_age_ms,
        min_snapshots_to_keep = excluded.min_snapshots_to_keep)`);
  }
  if (diff.removedRefs.length > 0) {
    steps.push(sql`refs_removed AS (
      DELETE FROM snapshot_ref WHERE table_id IN (SELECT table_id FROM swapped) AND name = ANY(${diff.removedRefs}::text[]))`);
  }
  const result = await sql<{ swapped: string | number | bigint }>`
    WITH swapped AS (
      UPDATE iceberg_table SET
        metadata_location = ${record.metadataLocation}, metadata_json = ${record.metadataJson},
        version = ${String(record.version)}::bigint, location = ${record.location},
        format_version = ${record.formatVersion}, table_uuid = ${record.tableUuid}, updated_at = now()
      WHERE table_id = ${record.id} AND version = ${String(expectedVersion)}::bigint AND dropped_at IS NULL
      RETURNING table_id
    ), ${sql.join(steps)}
    SELECT count(*) AS swapped FROM swapped`.execute(db);
  return Number(result.rows[0]?.swapped ?? 0) === 1;
}

async function insertMetadataFile(tx: Tx, record: TableRecord): Promise<void> {
  await tx
    .insertInto('metadata_file')
    .values({ table_id: record.id, version: record.version, metadata_location: record.metadataLocation })
    .execute();
}

interface SnapshotRowDiff {
  addedSnapshots: Snapshot[];
  removedSnapshotIds: string[];
  changedRefs: [string, SnapshotReference][];
  removedRefs: string[];
}

/** What differs between two versions, in rows: only the difference is written. */
function diffSnapshotRows(before: TableMetadata | undefined, after: TableMetadata): SnapshotRowDiff {
  const beforeIds = new Set((before?.snapshots ?? []).map((s) => int64Key(s['snapshot-id'])));
  const afterIds = new Set(after.snapshots.map((s) => int64Key(s['snapshot-id'])));
  const refsBefore = before?.refs ?? {};
  return {
    addedSnapshots: after.snapshots.filter((s) => !beforeIds.has(int64Key(s['snapshot-id']))),
    removedSnapshotIds: [...beforeIds].filter((id) => !afterIds.has(id)),
    changedRefs: Object.entries(after.refs).filter(([name, ref]) => !sameRef(refsBefore[name], ref)),
    removedRefs: Object.keys(refsBefore).filter((name) => !after.refs[name]),
  };
}

const ROWS_PER_INSERT = 2000;

/** The snapshot and ref rows of a table that is new to the database. */
async function insertSnapshotRows(tx: Tx, tableId: string, metadata: TableMetadata): Promise<void> {
  const { addedSnapshots, changedRefs } = diffSnapshotRows(undefined, metadata);
  // In slices: one statement takes at most 65,535 parameters (8 per row), and a registered
  // table may bring tens of thousands of snapshots.
  for (let i = 0; i < addedSnapshots.length; i += ROWS_PER_INSERT) {
    await tx.insertInto('snapshot').values(addedSnapshots.slice(i, i + ROWS_PER_INSERT).map((s) => snapshotRow(tableId, s))).execute();
  }
  for (let i = 0; i < changedRefs.length; i += ROWS_PER_INSERT) {
    await tx.insertInto('snapshot_ref').values(changedRefs.slice(i, i + ROWS_PER_INSERT).map(([name, ref]) => refRow(tableId, name, ref))).execute();
  }
}

const int8 = (value: number | bigint | undefined | null) => (value === undefined || value === null ? null : value.toString());

function snapshotRow(tableId: string, s: Snapshot) {
  return {
    table_id: tableId,
    snapshot_id: s['snapshot-id'].toString(),
    parent_snapshot_id: int8(s['parent-snapshot-id']),
    sequence_number: (s['sequence-number'] ?? 0).toString(),
    timestamp_ms: s['timestamp-ms'].toString(),
    manifest_list: s['manifest-list'] ?? null,
    schema_id: s['schema-id'] ?? null,
    operation: s.summary?.operation ?? null,
  };
}

function refRow(tableId: string, name: string, ref: SnapshotReference) {
  return {
    table_id: tableId,
    name,
    type: ref.type,
    snapshot_id: ref['snapshot-id'].toString(),
    max_ref_age_ms: int8(ref['max-ref-age-ms']),
    max_snapshot_age_ms: int8(ref['max-snapshot-age-ms']),
    min_snapshots_to_keep: ref['min-snapshots-to-keep'] ?? null,
  };
}

export async function renameTable(tx: Tx, tableId: string, namespaceId: string, name: string): Promise<void> {
  await tx.updateTable('iceberg_table').set({ namespace_id: namespaceId, name, updated_at: sql`now()` }).where('table_id', '=', tableId).execute();
}

/** Soft delete: the row, its snapshots and metadata files stay, so the table can be restored and its files stay rooted. */
export async function markTableDropped(tx: Tx, tableId: string, purgeRequested: boolean, reason = 'user'): Promise<boolean> {
  const result = await tx
    .updateTable('iceberg_table')
    .set({
      dropped_at: sql`now()`,
      purge_requested: purgeRequested,
      drop_reason: reason,
      dropped_namespace: sql`(SELECT levels FROM namespace WHERE namespace_id = iceberg_table.namespace_id)`,
    })
    .where('table_id', '=', tableId)
    .where('dropped_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export interface DroppedTable {
  id: string;
  kind: 'table' | 'view';
  owner: string | null;
  namespace: string[];
  /** The namespace it was dropped from, while that namespace exists (null once it is dropped too). */
  namespaceId: string | null;
  name: string;
  tableUuid: string;
  location: string;
  metadataLocation: string;
  droppedAt: Date;
  dropReason: string | null;
  purgeRequested: boolean;
}

type DroppedRow = {
  table_id: string;
  kind: 'table' | 'view';
  owner: string | null;
  dropped_namespace: string[] | null;
  namespace_id: string | null;
  name: string;
  table_uuid: string;
  location: string;
  metadata_location: string;
  dropped_at: Date | string;
  drop_reason: string | null;
  purge_requested: boolean;
};

const toDropped = (r: DroppedRow): DroppedTable => ({
  id: r.table_id,
  kind: r.kind,
  owner: r.owner,
  namespace: r.dropped_namespace ?? [],
  namespaceId: r.namespace_id,
  name: r.name,
  tableUuid: r.table_uuid,
  location: r.location,
  metadataLocation: r.metadata_location,
  droppedAt: new Date(r.dropped_at),
  dropReason: r.drop_reason,
  purgeRequested: r.purge_requested,
});

const droppedColumns = ['table_id', 'kind', 'owner', 'dropped_namespace', 'namespace_id', 'name', 'table_uuid', 'location', 'metadata_location', 'dropped_at', 'drop_reason', 'purge_requested'] as const;

/** Dropped, still restorable tables and views of a warehouse, most recently dropped first. */
export async function listDroppedTables(db: DbOrTx, warehouseId: string): Promise<DroppedTable[]> {
  const rows = await db
    .selectFrom('iceberg_table')
    .select(droppedColumns)
    .where('warehouse_id', '=', warehouseId)
    .where('dropped_at', 'is not', null)
    .orderBy('dropped_at', 'desc')
    .execute();
  return rows.map((r) => toDropped(r as DroppedRow));
}

/** Locks a dropped table's row; undefined when there is no such dropped table. */
export async function lockDroppedTable(tx: Tx, warehouseId: string, tableId: string): Promise<DroppedTable | undefined> {
  const row = await tx
    .selectFrom('iceberg_table')
    .select(droppedColumns)
    .where('warehouse_id', '=', warehouseId)
    .where('table_id', '=', tableId)
    .where('dropped_at', 'is not', null)
    .forUpdate()
    .executeTakeFirst();
  return row && toDropped(row as DroppedRow);
}

/** Brings a dropped table back as a live one, under the given namespace and name, with no expiry. */
export async function restoreTable(tx: Tx, tableId: string, namespaceId: string, name: string): Promise<void> {
  await tx
    .updateTable('iceberg_table')
    .set({
      dropped_at: null,
      drop_reason: null,
      dropped_namespace: null,
      purge_requested: false,
      expires_at: null,
      namespace_id: namespaceId,
      name,
      updated_at: sql`now()`,
    })
    .where('table_id', '=', tableId)
    .execute();
}
