// Which clone-source locations a table still reads (src/gc/source-release.ts): a table's
// `source_locations` name where its clone sources' files lie, so that storage settings, vended
// credentials and signatures cover them. Once no file under one of them is reachable from the
// table's roots any more, it can go, and with it the access to the source's later files.
import { sql } from 'kysely';
import type { DbOrTx } from './database.js';

export interface TableSources {
  tableId: string;
  version: number;
  sourceLocations: string[];
}

/** Live tables that still list clone-source locations, after `afterId` (by id), at most `limit`. */
export async function tablesWithSources(db: DbOrTx, limit: number, afterId = '00000000-0000-0000-0000-000000000000', warehouseId?: string): Promise<TableSources[]> {
  const rows = await sql<{ table_id: string; version: string | number; source_locations: string[] }>`
    SELECT t.table_id, t.version, t.source_locations FROM iceberg_table t
    WHERE t.table_id > ${afterId}::uuid AND cardinality(t.source_locations) > 0 AND t.dropped_at IS NULL
      ${warehouseId ? sql`AND t.warehouse_id = ${warehouseId}::uuid` : sql``}
    ORDER BY t.table_id LIMIT ${limit}`.execute(db);
  return rows.rows.map((r) => ({ tableId: r.table_id, version: Number(r.version), sourceLocations: r.source_locations }));
}

/**
 * Whether the table may still read a file under `location`: some object reachable from its
 * roots (its snapshots' manifest lists and its metadata files) lies under it, or is not known
 * well enough to say (its edges not read yet, or unreadable), or a root is not in the index at
 * all. Stops at the first such object: a table that still shares files answers at once.
 */
export async function stillReads(db: DbOrTx, tableId: string, location: string): Promise<boolean> {
  const prefix = `${location.replace(/\/+$/, '')}/`;
  const result = await sql<{ reads: boolean }>`
    WITH RECURSIVE roots AS (
      SELECT gc_canonical_uri(manifest_list) AS uri FROM snapshot WHERE table_id = ${tableId}::uuid AND manifest_list IS NOT NULL
      UNION
      SELECT gc_canonical_uri(metadata_location) FROM metadata_file WHERE table_id = ${tableId}::uuid
    ), reach(id) AS (
      SELECT o.object_id FROM storage_object o JOIN roots r ON o.uri = r.uri
      UNION
      SELECT e.child_id FROM object_edge e JOIN reach ON e.parent_id = reach.id
    )
    SELECT EXISTS (SELECT 1 FROM roots r WHERE NOT EXISTS (SELECT 1 FROM storage_object o WHERE o.uri = r.uri))
        OR EXISTS (
          SELECT 1 FROM reach JOIN storage_object o ON o.object_id = reach.id
          WHERE starts_with(o.uri, gc_canonical_uri(${prefix})) OR o.edges_state IN ('pending', 'unreadable')
        ) AS reads`.execute(db);
  return result.rows[0]?.reads !== false;
}

/** Drops `released` from the table's list, only if the table has not changed since `version`. */
export async function releaseSourceLocations(db: DbOrTx, tableId: string, version: number, released: string[]): Promise<boolean> {
  const result = await sql`
    UPDATE iceberg_table SET source_locations = ARRAY(SELECT l FROM unnest(source_locations) AS l WHERE NOT (l = ANY(${released}::text[])))
    WHERE table_id = ${tableId}::uuid AND version = ${version}`.execute(db);
  return Number(result.numAffectedRows ?? 0) === 1;
}
