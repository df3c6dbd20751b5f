// Tables, their snapshot and ref rows, and the compare-and-swap that commits them.
import { sql } from 'kysely';
import { int64Key, toInt64 } from '../json/int64-json.js';
import { sameRef } from '../iceberg/metadata-builder.js';
import type { Snapshot, SnapshotReference, TableMetadata } from '../iceberg/table-metadata.js';
import type { DbOrTx, Tx } from './database.js';

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
});

/** The live table with that name, found by namespace path in one query (the load hot path). */
export async function findTable(db: DbOrTx, warehouseId: string, levels: string[], name: string): Promise<TableHead | undefined> {
  const row = await db
    .selectFrom('iceberg_table')
    .innerJoin('namespace', 'namespace.namespace_id', 'iceberg_table.namespace_id')
    .select(headColumns)
    .where('namespace.warehouse_id', '=', warehouseId)
    .where('namespace.levels', '=', sql<string[]>`${levels}::text[]`)
    .where('iceberg_table.name', '=', name)
    .where('iceberg_table.dropped_at', 'is', null)
    .executeTakeFirst();
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

export async function listTables(
  db: DbOrTx,
  namespaceId: string,
  page: { after?: string; limit?: number },
): Promise<{ name: string }[]> {
  let query = db
    .selectFrom('iceberg_table')
    .select('name')
    .where('namespace_id', '=', namespaceId)
    .where('dropped_at', 'is', null)
    .orderBy('name');
  if (page.after !== undefined) query = query.where('name', '>', page.after);
  if (page.limit) query = query.limit(page.limit);
  return query.execute();
}

/** A live table of the warehouse whose location contains, equals or lies inside `location`. */
export async function findOverlappingTable(
  db: DbOrTx,
  warehouseId: string,
  location: string,
  exceptTableId?: string,
): Promise<{ name: string; location: string } | undefined> {
  let query = db
    .selectFrom('iceberg_table')
    .select(['name', 'location'])
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
    })
    .execute();
  await insertMetadataFile(tx, record);
  await syncSnapshotRows(tx, record.id, undefined, metadata);
}

/**
 * Moves the table to its new metadata if nobody else committed since `expectedVersion` was
 * read. Returns false when the swap lost that race (the caller retries from the top).
 */
export async function compareAndSwapTable(
  tx: Tx,
  expectedVersion: number,
  previous: TableMetadata,
  { record, metadata }: TableWrite,
): Promise<boolean> {
  // The swap and the new metadata_file row in one statement: one round trip on the hot path.
  const swapped = await tx
    .with('swapped', (db) =>
      db
        .updateTable('iceberg_table')
        .set({
          metadata_location: record.metadataLocation,
          metadata_json: record.metadataJson,
          version: record.version,
          location: record.location,
          format_version: record.formatVersion,
          table_uuid: record.tableUuid,
          updated_at: sql`now()`,
        })
        .where('table_id', '=', record.id)
        .where('version', '=', expectedVersion)
        .where('dropped_at', 'is', null)
        .returning('table_id'),
    )
    .insertInto('metadata_file')
    .columns(['table_id', 'version', 'metadata_location'])
    .expression((eb) =>
      eb
        .selectFrom('swapped')
        .select((s) => [
          'swapped.table_id',
          s.val(String(record.version)).as('version'),
          s.val(record.metadataLocation).as('metadata_location'),
        ]),
    )
    .executeTakeFirst();
  if (Number(swapped.numInsertedOrUpdatedRows ?? 0) !== 1) return false;
  await syncSnapshotRows(tx, record.id, previous, metadata);
  return true;
}

async function insertMetadataFile(tx: Tx, record: TableRecord): Promise<void> {
  await tx
    .insertInto('metadata_file')
    .values({ table_id: record.id, version: record.version, metadata_location: record.metadataLocation })
    .execute();
}

/** Brings the snapshot and ref rows in line with the metadata document: only the difference is written. */
async function syncSnapshotRows(tx: Tx, tableId: string, before: TableMetadata | undefined, after: TableMetadata): Promise<void> {
  const beforeIds = new Set((before?.snapshots ?? []).map((s) => int64Key(s['snapshot-id'])));
  const afterIds = new Set(after.snapshots.map((s) => int64Key(s['snapshot-id'])));
  const added = after.snapshots.filter((s) => !beforeIds.has(int64Key(s['snapshot-id'])));
  const removed = [...beforeIds].filter((id) => !afterIds.has(id));
  if (removed.length > 0) {
    await tx.deleteFrom('snapshot').where('table_id', '=', tableId).where('snapshot_id', 'in', removed).execute();
  }
  if (added.length > 0) await tx.insertInto('snapshot').values(added.map((s) => snapshotRow(tableId, s))).execute();

  const refsBefore = before?.refs ?? {};
  const changedRefs = Object.entries(after.refs).filter(([name, ref]) => !sameRef(refsBefore[name], ref));
  const removedRefs = Object.keys(refsBefore).filter((name) => !after.refs[name]);
  if (removedRefs.length > 0) {
    await tx.deleteFrom('snapshot_ref').where('table_id', '=', tableId).where('name', 'in', removedRefs).execute();
  }
  if (changedRefs.length > 0) {
    await tx
      .insertInto('snapshot_ref')
      .values(changedRefs.map(([name, ref]) => refRow(tableId, name, ref)))
      .onConflict((oc) =>
        oc.columns(['table_id', 'name']).doUpdateSet((eb) => ({
          type: eb.ref('excluded.type'),
          snapshot_id: eb.ref('excluded.snapshot_id'),
          max_ref_age_ms: eb.ref('excluded.max_ref_age_ms'),
          max_snapshot_age_ms: eb.ref('excluded.max_snapshot_age_ms'),
          min_snapshots_to_keep: eb.ref('excluded.min_snapshots_to_keep'),
        })),
      )
      .execute();
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

export async function snapshotIdsOf(db: DbOrTx, tableId: string): Promise<string[]> {
  const rows = await db.selectFrom('snapshot').select('snapshot_id').where('table_id', '=', tableId).execute();
  return rows.map((r) => toInt64(r.snapshot_id).toString());
}

export async function renameTable(tx: Tx, tableId: string, namespaceId: string, name: string): Promise<void> {
  await tx.updateTable('iceberg_table').set({ namespace_id: namespaceId, name, updated_at: sql`now()` }).where('table_id', '=', tableId).execute();
}

/** Soft delete: the row, its snapshots and metadata files stay, so the table can be restored and its files stay rooted. */
export async function markTableDropped(tx: Tx, tableId: string, purgeRequested: boolean): Promise<boolean> {
  const result = await tx
    .updateTable('iceberg_table')
    .set({ dropped_at: sql`now()`, purge_requested: purgeRequested })
    .where('table_id', '=', tableId)
    .where('dropped_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
