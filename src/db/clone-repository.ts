// Rows for clones: locking reads of source tables, lineage, expiry.
import { sql } from 'kysely';
import { toInt64, type Int64 } from '../json/int64-json.js';
import type { DbOrTx, Tx } from './database.js';

/** A source table read under a row lock, with the document it has right now. */
export interface LockedTable {
  id: string;
  warehouseId: string;
  namespaceId: string;
  levels: string[];
  name: string;
  location: string;
  metadataLocation: string;
  metadataJson: string;
  version: number;
  createdAt: Date;
  sourceLocations: string[];
}

type LockedRow = {
  table_id: string;
  warehouse_id: string;
  namespace_id: string;
  levels: string[];
  name: string;
  location: string;
  metadata_location: string;
  metadata_json: string;
  version: string | number | bigint;
  created_at: Date | string;
  source_locations: string[];
};

const toLocked = (r: LockedRow): LockedTable => ({
  id: r.table_id,
  warehouseId: r.warehouse_id,
  namespaceId: r.namespace_id,
  levels: r.levels,
  name: r.name,
  location: r.location,
  metadataLocation: r.metadata_location,
  metadataJson: r.metadata_json,
  version: Number(r.version),
  createdAt: new Date(r.created_at),
  sourceLocations: r.source_locations,
});

/**
 * Locks live tables or views (by id, or all in a namespace and the namespaces below it) and
 * reads them. Rows are locked in table-id order, in one statement, so two lockers never wait
 * on each other in a cycle; a commit to a locked table waits until the clone is done. The
 * values read are those of the moment the last lock was taken: a consistent cut.
 */
export async function lockTables(
  tx: Tx,
  warehouseId: string,
  /** A namespace prefix of [] selects every table of the warehouse. */
  selector: { tableIds: string[] } | { namespacePrefix: string[] },
  /** kind: tables (the default) or views, which share the rows. */
  options: { lock?: boolean; kind?: 'table' | 'view' } = {},
): Promise<LockedTable[]> {
  let filter;
  if ('tableIds' in selector) filter = sql`t.table_id = ANY(${selector.tableIds}::uuid[])`;
  else {
    const prefix = selector.namespacePrefix;
    filter = prefix.length === 0 ? sql`true` : sql`n.levels[1:${prefix.length}] = ${prefix}::text[]`;
  }
  const result = await sql<LockedRow>`
    SELECT t.table_id, t.warehouse_id, t.namespace_id, n.levels, t.name, t.location, t.metadata_location, t.metadata_json, t.version,
      t.created_at, t.source_locations
    FROM iceberg_table t JOIN namespace n ON n.namespace_id = t.namespace_id
    WHERE t.warehouse_id = ${warehouseId} AND t.dropped_at IS NULL AND t.kind = ${options.kind ?? 'table'} AND ${filter}
    ORDER BY t.table_id
    ${options.lock === false ? sql`` : sql`FOR UPDATE OF t`}`.execute(tx);
  return result.rows.map(toLocked);
}

/** Fresh planner statistics for the table and namespace rows (after a bulk insert). */
export async function refreshTableStatistics(db: DbOrTx): Promise<void> {
  await sql`ANALYZE iceberg_table, namespace`.execute(db);
}

export interface LineageRow {
  tableId: string;
  sourceTableId: string;
  sourceTableUuid: string;
  sourceName: string[];
  sourceSnapshotId: Int64 | null;
  sourceVersion: number;
  point: unknown;
  operationId: string;
}

export interface CloneListing {
  tableId: string;
  kind: 'table' | 'view';
  namespaceId: string | null;
  owner: string | null;
  /** The source's namespace and owner while it is live (null once dropped or purged). */
  sourceNamespaceId: string | null;
  sourceOwner: string | null;
  namespace: string[];
  name: string;
  expiresAt: Date | null;
  clonedAt: Date;
  sourceTableId: string | null;
  sourceName: string[];
  sourceSnapshotId: Int64 | null;
  sourceVersion: number;
  operationId: string;
  point: unknown;
}

type ListingRow = {
  table_id: string;
  kind: 'table' | 'view';
  namespace_id: string | null;
  owner: string | null;
  source_namespace_id: string | null;
  source_owner: string | null;
  levels: string[];
  name: string;
  expires_at: Date | string | null;
  cloned_at: Date | string;
  source_table_id: string | null;
  source_name: string[];
  source_snapshot_id: string | number | bigint | null;
  source_version: string | number | bigint;
  operation_id: string;
  point: unknown;
};

const toListing = (r: ListingRow): CloneListing => ({
  tableId: r.table_id,
  kind: r.kind,
  namespaceId: r.namespace_id,
  owner: r.owner,
  sourceNamespaceId: r.source_namespace_id,
  sourceOwner: r.source_owner,
  namespace: r.levels,
  name: r.name,
  expiresAt: r.expires_at === null ? null : new Date(r.expires_at),
  clonedAt: new Date(r.cloned_at),
  sourceTableId: r.source_table_id,
  sourceName: r.source_name,
  sourceSnapshotId: r.source_snapshot_id === null ? null : toInt64(r.source_snapshot_id),
  sourceVersion: Number(r.source_version),
  operationId: r.operation_id,
  point: typeof r.point === 'string' ? JSON.parse(r.point) : r.point,
});

const listingSelect = sql`
  SELECT t.table_id, t.kind, t.namespace_id, t.owner, s.namespace_id AS source_namespace_id, s.owner AS source_owner, n.levels, t.name, t.expires_at, l.cloned_at, l.source_table_id, l.source_name,
         l.source_snapshot_id, l.source_version, l.operation_id, l.point
  FROM table_lineage l
  JOIN iceberg_table t ON t.table_id = l.table_id
  JOIN namespace n ON n.namespace_id = t.namespace_id
  LEFT JOIN iceberg_table s ON s.table_id = l.source_table_id AND s.dropped_at IS NULL
  WHERE t.dropped_at IS NULL`;

/** Live clones of the warehouse, soonest expiry first. */
export async function listClones(db: DbOrTx, warehouseId: string): Promise<CloneListing[]> {
  const result = await sql<ListingRow>`${listingSelect} AND t.warehouse_id = ${warehouseId}
    ORDER BY t.expires_at NULLS LAST, n.levels, t.name`.execute(db);
  return result.rows.map(toListing);
}

export async function lineageOfTable(db: DbOrTx, tableId: string): Promise<{ source?: CloneListing; clones: CloneListing[] }> {
  const source = await sql<ListingRow>`${listingSelect} AND l.table_id = ${tableId}`.execute(db);
  // A dropped clone is still listed as the table it was cloned from (it has no namespace then): only live ones here.
  const clones = await sql<ListingRow>`${listingSelect} AND l.source_table_id = ${tableId} ORDER BY l.cloned_at`.execute(db);
  return { source: source.rows[0] && toListing(source.rows[0]), clones: clones.rows.map(toListing) };
}

export async function lineageRecord(db: DbOrTx, tableId: string): Promise<CloneListing | undefined> {
  const result = await sql<ListingRow>`${listingSelect} AND l.table_id = ${tableId}`.execute(db);
  return result.rows[0] && toListing(result.rows[0]);
}

export async function setExpiry(db: DbOrTx, tableId: string, expiresAt: Date | null): Promise<boolean> {
  const result = await db
    .updateTable('iceberg_table')
    .set({ expires_at: expiresAt })
    .where('table_id', '=', tableId)
    .where('dropped_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Drops every live table whose TTL has passed. One UPDATE: however many replicas run it at
 * once, each expired table is dropped exactly once (the row's dropped_at is set by whichever
 * statement gets its lock first; the others no longer match it).
 */
export async function dropExpiredTables(db: DbOrTx): Promise<{ tableId: string; warehouseId: string; name: string }[]> {
  const result = await sql<{ table_id: string; warehouse_id: string; name: string }>`
    UPDATE iceberg_table SET dropped_at = now(), drop_reason = 'ttl-expired',
      dropped_namespace = (SELECT levels FROM namespace WHERE namespace_id = iceberg_table.namespace_id)
    WHERE expires_at <= now() AND dropped_at IS NULL
    RETURNING table_id, warehouse_id, name`.execute(db);
  return result.rows.map((r) => ({ tableId: r.table_id, warehouseId: r.warehouse_id, name: r.name }));
}

/** Live clones across warehouses, with and without a TTL (for metrics). */
export async function countLiveClones(db: DbOrTx): Promise<{ expiring: number; permanent: number }> {
  const result = await sql<{ expiring: string; permanent: string }>`
    SELECT count(*) FILTER (WHERE t.expires_at IS NOT NULL) AS expiring, count(*) FILTER (WHERE t.expires_at IS NULL) AS permanent
    FROM table_lineage l JOIN iceberg_table t ON t.table_id = l.table_id WHERE t.dropped_at IS NULL`.execute(db);
  return { expiring: Number(result.rows[0]?.expiring ?? 0), permanent: Number(result.rows[0]?.permanent ?? 0) };
}
