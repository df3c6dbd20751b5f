// Views: rows of iceberg_table with kind = 'view' (migrations/20261208000000_views.sql). They
// share the table rows' names, drops, renames and metadata_file roots; what differs is here.
import { CompiledQuery, sql } from 'kysely';
import type { DbOrTx, Tx } from './database.js';

export interface ViewRecord {
  id: string;
  warehouseId: string;
  namespaceId: string;
  name: string;
  viewUuid: string;
  location: string;
  metadataLocation: string;
  metadataJson: string;
  version: number;
  owner?: string | null;
}

type Row = {
  table_id: string;
  warehouse_id: string;
  namespace_id: string | null;
  name: string;
  table_uuid: string;
  location: string;
  metadata_location: string;
  metadata_json: string;
  version: string | number | bigint;
  owner?: string | null;
};

const toRecord = (r: Row): ViewRecord => ({
  id: r.table_id,
  warehouseId: r.warehouse_id,
  namespaceId: r.namespace_id ?? '',
  name: r.name,
  viewUuid: r.table_uuid,
  location: r.location,
  metadataLocation: r.metadata_location,
  metadataJson: r.metadata_json,
  version: Number(r.version),
  owner: r.owner ?? null,
});

// Every request on a view starts with this query, so its SQL is built once, not per call.
const FIND_VIEW_SQL = `SELECT t.table_id, t.warehouse_id, t.namespace_id, t.name, t.table_uuid, t.location, t.metadata_location,
    t.metadata_json, t.version, t.owner
  FROM iceberg_table t JOIN namespace n ON n.namespace_id = t.namespace_id
  WHERE n.warehouse_id = $1 AND n.levels = $2::text[] AND t.name = $3 AND t.dropped_at IS NULL AND t.kind = 'view'`;

/** The live view with that name, its document included (views are small: one query serves a load). */
export async function findView(db: DbOrTx, warehouseId: string, levels: string[], name: string): Promise<ViewRecord | undefined> {
  const result = await db.executeQuery<Row>(CompiledQuery.raw(FIND_VIEW_SQL, [warehouseId, levels, name]));
  const row = result.rows[0];
  return row && toRecord(row);
}

/** What holds a live name in a namespace, a table or a view (they share names), if anything. */
export async function findNameHolder(
  db: DbOrTx,
  warehouseId: string,
  levels: string[],
  name: string,
): Promise<'table' | 'view' | undefined> {
  const result = await sql<{ kind: 'table' | 'view' }>`
    SELECT t.kind FROM iceberg_table t JOIN namespace n ON n.namespace_id = t.namespace_id
    WHERE n.warehouse_id = ${warehouseId} AND n.levels = ${levels}::text[] AND t.name = ${name} AND t.dropped_at IS NULL`.execute(db);
  return result.rows[0]?.kind;
}

/** A new view row and its metadata-file row (the root of its metadata file). */
export async function insertView(tx: Tx, record: ViewRecord): Promise<void> {
  await tx
    .insertInto('iceberg_table')
    .values({
      table_id: record.id,
      kind: 'view',
      warehouse_id: record.warehouseId,
      namespace_id: record.namespaceId,
      name: record.name,
      table_uuid: record.viewUuid,
      location: record.location,
      format_version: 1,
      metadata_location: record.metadataLocation,
      metadata_json: record.metadataJson,
      version: record.version,
      owner: record.owner ?? null,
    })
    .execute();
  await tx
    .insertInto('metadata_file')
    .values({ table_id: record.id, version: record.version, metadata_location: record.metadataLocation })
    .execute();
}

/**
 * Moves the view to its new metadata if nobody committed since `expectedVersion`, in one
 * statement (as for tables). A view keeps no log of earlier metadata files, so only the new
 * file stays rooted: the one it replaces is released for the collector (after the grace period).
 */
export async function compareAndSwapView(db: DbOrTx, expectedVersion: number, record: ViewRecord): Promise<boolean> {
  const result = await sql<{ swapped: string | number | bigint }>`
    WITH swapped AS (
      UPDATE iceberg_table SET
        metadata_location = ${record.metadataLocation}, metadata_json = ${record.metadataJson},
        version = ${String(record.version)}::bigint, location = ${record.location}, updated_at = now()
      WHERE table_id = ${record.id} AND version = ${String(expectedVersion)}::bigint AND dropped_at IS NULL AND kind = 'view'
      RETURNING table_id
    ), added AS (
      INSERT INTO metadata_file (table_id, version, metadata_location)
      SELECT table_id, ${String(record.version)}::bigint, ${record.metadataLocation} FROM swapped
    ), released AS (
      DELETE FROM metadata_file WHERE table_id IN (SELECT table_id FROM swapped) AND metadata_location <> ${record.metadataLocation}
    )
    SELECT count(*) AS swapped FROM swapped`.execute(db);
  return Number(result.rows[0]?.swapped ?? 0) === 1;
}
