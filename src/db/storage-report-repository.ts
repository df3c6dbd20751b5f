// Storage accounting over the object index: what a table references, what only it
// references, what it shares, and what of its own files only clones keep alive. Compare
// Snowflake's TABLE_STORAGE_METRICS (ACTIVE_BYTES, RETAINED_FOR_CLONE_BYTES).
import { sql } from 'kysely';
import type { Db, DbOrTx } from './database.js';

export interface TableStorage {
  referencedFiles: number;
  referencedBytes: number;
  exclusiveFiles: number;
  exclusiveBytes: number;
  sharedFiles: number;
  sharedBytes: number;
  retainedForClonesFiles: number;
  retainedForClonesBytes: number;
  /** Objects of this table not read yet: the figures above grow once they are. */
  pendingObjects: number;
}

/** The smallest string above every string that starts with `prefix` (for an index range scan). */
function prefixUpperBound(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/**
 * Reachability in three levels (roots; manifests and statistics files; data and delete
 * files). An object is exclusive when all its references come from this table: its roots
 * are all this table's rows, or all its counted parents are exclusive to this table and
 * reached from it.
 *
 * The third level is read from the parents' child_rollup rows, except for the children
 * flagged multi_ref (migrations/20261123000000_child_rollup.sql), which are read one by one.
 * An unflagged child has one edge, no root, and a count equal to its parent's
 * children_counted, so it is exclusive when its parent is exclusive or does not count it,
 * and live exactly when its parent counts it. The cost grows with the table's manifests and
 * its multiply-referenced files, not with its data files.
 */
export async function tableStorage(db: Db, tableId: string, location: string): Promise<TableStorage> {
  const prefix = location.replace(/\/+$/, '') + '/';
  const upper = prefixUpperBound(prefix);
  const row = await db.transaction().execute(async (tx) => {
    // The planner cannot know how few manifests lead to how many files: with its inflated
    // estimates it picks whole-table scans and JIT (measured in bench/gc.ts). Every set
    // here is small and reached through an index.
    await sql`SET LOCAL jit = off`.execute(tx);
    await sql`SET LOCAL enable_hashjoin = off`.execute(tx);
    await sql`SET LOCAL enable_mergejoin = off`.execute(tx);
    return sql<Record<string, unknown>>`
    WITH root_refs AS (
      SELECT gc_canonical_uri(manifest_list) AS uri FROM snapshot WHERE table_id = ${tableId} AND manifest_list IS NOT NULL
      UNION ALL SELECT gc_canonical_uri(metadata_location) FROM metadata_file WHERE table_id = ${tableId}
    ), roots AS MATERIALIZED (
      SELECT o.object_id, o.size_bytes, o.edges_state, o.children_counted,
        (o.root_count = count(*) AND o.parent_count = 0) AS exclusive
      FROM root_refs r JOIN storage_object o ON o.uri = r.uri
      GROUP BY o.object_id
    ), second AS MATERIALIZED (
      SELECT c.object_id, c.size_bytes, c.edges_state, c.children_counted,
        (c.root_count = 0 AND c.parent_count = count(*) FILTER (WHERE p.exclusive AND p.children_counted)) AS exclusive
      FROM roots p JOIN object_edge e ON e.parent_id = p.object_id JOIN storage_object c ON c.object_id = e.child_id
      GROUP BY c.object_id
    ), third_flagged AS MATERIALIZED (
      SELECT c.object_id, c.size_bytes,
        (c.root_count = 0 AND c.parent_count = count(*) FILTER (WHERE p.exclusive AND p.children_counted)) AS exclusive
      FROM second p JOIN object_edge e ON e.parent_id = p.object_id AND e.multi_ref JOIN storage_object c ON c.object_id = e.child_id
      GROUP BY c.object_id
    ), third_summed AS (
      SELECT r.files, r.bytes, (p.exclusive OR NOT p.children_counted) AS exclusive
      FROM second p JOIN child_rollup r ON r.parent_id = p.object_id
    ), reach AS (
      -- The levels are disjoint (a data file is never a manifest), so no duplicate removal.
      SELECT 1::bigint AS files, size_bytes AS bytes, exclusive FROM roots
      UNION ALL SELECT 1, size_bytes, exclusive FROM second
      UNION ALL SELECT 1, size_bytes, exclusive FROM third_flagged
      UNION ALL SELECT files, bytes, exclusive FROM third_summed
    ), totals AS (
      SELECT coalesce(sum(files), 0) AS referenced_files, coalesce(sum(bytes), 0) AS referenced_bytes,
        coalesce(sum(files) FILTER (WHERE exclusive), 0) AS exclusive_files,
        coalesce(sum(bytes) FILTER (WHERE exclusive), 0) AS exclusive_bytes
      FROM reach
    ), parents AS (
      SELECT object_id FROM roots UNION ALL SELECT object_id FROM second
    ), kept_summed AS (
      -- Unflagged children under the location whose parent counts them (so they are live)
      -- and is not reached from this table (so neither are they).
      SELECT r.files, r.bytes FROM child_rollup r JOIN storage_object q ON q.object_id = r.parent_id
      WHERE r.dir ~>=~ ${prefix} AND r.dir ~<~ ${upper} AND q.children_counted
        AND NOT EXISTS (SELECT 1 FROM parents x WHERE x.object_id = r.parent_id)
    ), kept_tracked AS (
      -- Everything else that can be live under the location: roots and flagged children.
      SELECT 1::bigint AS files, o.size_bytes AS bytes FROM storage_object o
      WHERE o.uri ~>=~ ${prefix} AND o.uri ~<~ ${upper} AND (o.root_count > 0 OR o.multi_ref)
        AND o.state = 'live' AND o.released_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM roots x WHERE x.object_id = o.object_id)
        AND NOT EXISTS (SELECT 1 FROM object_edge e JOIN parents x ON x.object_id = e.parent_id WHERE e.child_id = o.object_id)
    ), kept_for_clones AS (
      SELECT coalesce(sum(files), 0) AS clone_files, coalesce(sum(bytes), 0) AS clone_bytes
      FROM (SELECT * FROM kept_summed UNION ALL SELECT * FROM kept_tracked) k
    )
    SELECT totals.*, kept_for_clones.*,
      (SELECT count(*) FROM roots WHERE edges_state = 'pending') + (SELECT count(*) FROM second WHERE edges_state = 'pending') AS pending
    FROM totals, kept_for_clones
  `.execute(tx);
  });
  const r = row.rows[0];
  const n = (key: string) => Number(r[key] ?? 0);
  return {
    referencedFiles: n('referenced_files'),
    referencedBytes: n('referenced_bytes'),
    exclusiveFiles: n('exclusive_files'),
    exclusiveBytes: n('exclusive_bytes'),
    sharedFiles: n('referenced_files') - n('exclusive_files'),
    sharedBytes: n('referenced_bytes') - n('exclusive_bytes'),
    retainedForClonesFiles: n('clone_files'),
    retainedForClonesBytes: n('clone_bytes'),
    pendingObjects: n('pending'),
  };
}

export interface WarehouseStorage {
  liveFiles: number;
  liveBytes: number;
  releasedFiles: number;
  releasedBytes: number;
  deletingFiles: number;
  byKind: Record<string, { files: number; bytes: number }>;
  pendingObjects: number;
}

/** Everything the index knows under a warehouse root. */
export async function warehouseStorage(db: DbOrTx, root: string): Promise<WarehouseStorage> {
  const prefix = root.replace(/\/+$/, '') + '/';
  const rows = await sql<{ kind: string; status: string; files: unknown; bytes: unknown }>`
    SELECT kind,
      CASE WHEN state = 'deleting' THEN 'deleting' WHEN released_at IS NULL THEN 'live' ELSE 'released' END AS status,
      count(*) AS files, coalesce(sum(size_bytes), 0) AS bytes
    FROM storage_object WHERE uri ~>=~ ${prefix} AND uri ~<~ ${prefixUpperBound(prefix)} AND state <> 'deleted'
    GROUP BY 1, 2`.execute(db);
  const pending = await sql<{ n: unknown }>`SELECT count(*) AS n FROM storage_object
    WHERE edges_state = 'pending' AND uri ~>=~ ${prefix} AND uri ~<~ ${prefixUpperBound(prefix)}`.execute(db);
  const report: WarehouseStorage = {
    liveFiles: 0,
    liveBytes: 0,
    releasedFiles: 0,
    releasedBytes: 0,
    deletingFiles: 0,
    byKind: {},
    pendingObjects: Number(pending.rows[0]?.n ?? 0),
  };
  for (const r of rows.rows) {
    const files = Number(r.files);
    const bytes = Number(r.bytes);
    if (r.status === 'live') {
      report.liveFiles += files;
      report.liveBytes += bytes;
      const kind = (report.byKind[r.kind] ??= { files: 0, bytes: 0 });
      kind.files += files;
      kind.bytes += bytes;
    } else if (r.status === 'released') {
      report.releasedFiles += files;
      report.releasedBytes += bytes;
    } else report.deletingFiles += files;
  }
  return report;
}
