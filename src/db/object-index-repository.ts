// The collector's object index (migrations/20261122000000_object_index.sql): objects, edges,
// reference counts and the work queues. Only the collector calls these; commits change roots
// through the triggers alone.
import { sql } from 'kysely';
import type { Db, DbOrTx, Tx } from './database.js';

export type ObjectKind =
  | 'metadata'
  | 'manifest-list'
  | 'manifest'
  | 'data'
  | 'position-deletes'
  | 'equality-deletes'
  | 'statistics'
  | 'partition-statistics';

/** Kinds whose files name other files, so the indexer reads them once. */
export const KINDS_WITH_CHILDREN: ReadonlySet<ObjectKind> = new Set(['metadata', 'manifest-list', 'manifest']);

export interface IndexedObject {
  id: number;
  uri: string;
  kind: ObjectKind;
  sizeBytes: number | null;
}

export interface PendingObject extends IndexedObject {
  attempts: number;
}

export interface ChildObject {
  uri: string;
  kind: ObjectKind;
  sizeBytes: number | null;
}

/** The advisory lock of gc_root_added (see the migration): held exclusively while marking. */
const MARK_LOCK_KEY = 7_262_351_000;

const toNumber = (v: unknown): number => Number(v);
const toNullableNumber = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function objectOf(row: { object_id: unknown; uri: string; kind: string; size_bytes: unknown }): IndexedObject {
  return { id: toNumber(row.object_id), uri: row.uri, kind: row.kind as ObjectKind, sizeBytes: toNullableNumber(row.size_bytes) };
}

export async function pendingObjects(db: DbOrTx, limit: number, afterId: number): Promise<PendingObject[]> {
  const rows = await sql<{ object_id: unknown; uri: string; kind: string; size_bytes: unknown; index_attempts: number }>`
    SELECT object_id, uri, kind, size_bytes, index_attempts FROM storage_object o
    WHERE edges_state = 'pending' AND object_id > ${afterId}
      -- A metadata file committed but not written yet (pending-metadata.ts) is read once it is.
      AND NOT EXISTS (SELECT 1 FROM pending_metadata_file p WHERE p.uri = o.uri)
    ORDER BY object_id LIMIT ${limit}`.execute(db);
  return rows.rows.map((r) => ({ ...objectOf(r), attempts: r.index_attempts }));
}

export async function countPending(db: DbOrTx): Promise<{ objects: number; oldest: Date | null }> {
  const row = await sql<{ n: unknown; oldest: Date | null }>`
    SELECT count(*) AS n, min(first_seen_at) AS oldest FROM storage_object WHERE edges_state = 'pending'`.execute(db);
  return { objects: toNumber(row.rows[0]?.n ?? 0), oldest: row.rows[0]?.oldest ?? null };
}

/** Children written per statement: bounded so one huge manifest is not one huge statement. */
const CHILD_BATCH = 5000;

export interface EdgesRecorded {
  children: number;
  /** Children the parent needs that are already being deleted or gone: reported, never revived. */
  refused: string[];
  /** False when another indexer got there first. */
  recorded: boolean;
}

/**
 * Records a parent's children and edges, and counts them if the parent is live. One
 * transaction, the parent row locked, so its liveness cannot change in between.
 */
export async function recordEdges(tx: Tx, parentId: number, children: ChildObject[], parentSize: number): Promise<EdgesRecorded> {
  const parent = await sql<{ live: boolean; edges_state: string }>`
    SELECT released_at IS NULL AND state = 'live' AS live, edges_state FROM storage_object
    WHERE object_id = ${parentId} FOR UPDATE`.execute(tx);
  const row = parent.rows[0];
  if (!row || row.edges_state !== 'pending') return { children: 0, refused: [], recorded: false };
  const unique = [...new Map(children.map((c) => [c.uri, c])).values()].sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
  const refused: string[] = [];
  for (let i = 0; i < unique.length; i += CHILD_BATCH) {
    const batch = unique.slice(i, i + CHILD_BATCH);
    // A new child is written once, already counted when the parent is live; only children
    // that existed before get an increment below. Without a size it cannot be summed in a
    // rollup (its size may be filled in later), so it is flagged from the start.
    const inserted = await sql<{ object_id: unknown; uri: string; multi_ref: boolean }>`
      INSERT INTO storage_object (uri, kind, size_bytes, edges_state, parent_count, released_at, multi_ref)
      SELECT t.uri, t.kind, t.size, CASE WHEN t.kind IN ('metadata', 'manifest-list', 'manifest') THEN 'pending' ELSE 'leaf' END,
        ${row.live ? 1 : 0}::int, CASE WHEN ${row.live}::boolean THEN NULL ELSE now() END, t.size IS NULL
      FROM unnest(${batch.map((c) => c.uri)}::text[], ${batch.map((c) => c.kind)}::text[], ${batch.map((c) => c.sizeBytes)}::bigint[]) AS t(uri, kind, size)
      ON CONFLICT (uri) DO NOTHING RETURNING object_id, uri, multi_ref`.execute(tx);
    const fresh = new Set(inserted.rows.map((r) => r.uri));
    const edges = inserted.rows.map((r) => ({ id: String(r.object_id), multiRef: r.multi_ref }));
    const olderUris = batch.filter((c) => !fresh.has(c.uri)).map((c) => c.uri);
    if (olderUris.length > 0) {
      const older = await lockOlderChildren(tx, olderUris);
      const flag = older.filter((c) => !c.sole).map((c) => c.id);
      // Before this parent's edge exists: flagging takes the child out of its other parent's sums.
      if (flag.length > 0) await sql`SELECT gc_flag_multi_ref(${flag}::bigint[])`.execute(tx);
      for (const c of older) edges.push({ id: c.id, multiRef: !c.sole });
      if (row.live) {
        refused.push(...older.filter((c) => c.state !== 'live').map((c) => c.uri));
        const countable = older.filter((c) => c.state === 'live').map((c) => c.id);
        if (countable.length > 0) {
          await sql`UPDATE storage_object SET parent_count = parent_count + 1, released_at = NULL
            WHERE object_id = ANY(${countable}::bigint[])`.execute(tx);
        }
      }
    }
    await sql`
      WITH added AS (
        INSERT INTO object_edge (parent_id, child_id, multi_ref)
        SELECT ${parentId}::bigint, t.id, t.multi_ref
        FROM unnest(${edges.map((e) => e.id)}::bigint[], ${edges.map((e) => e.multiRef)}::boolean[]) AS t(id, multi_ref)
        ON CONFLICT DO NOTHING RETURNING child_id, multi_ref)
      INSERT INTO child_rollup AS r (parent_id, dir, files, bytes)
      SELECT ${parentId}::bigint, gc_uri_dir(c.uri), count(*), sum(c.size_bytes)
      FROM added JOIN storage_object c ON c.object_id = added.child_id WHERE NOT added.multi_ref
      GROUP BY 2
      ON CONFLICT (parent_id, dir) DO UPDATE SET files = r.files + excluded.files, bytes = r.bytes + excluded.bytes`.execute(tx);
  }
  await sql`UPDATE storage_object SET edges_state = 'indexed', children_counted = ${row.live},
      size_bytes = coalesce(size_bytes, ${parentSize}::bigint), index_error = NULL
    WHERE object_id = ${parentId}`.execute(tx);
  return { children: unique.length, refused, recorded: true };
}


interface OlderChild {
  id: string;
  uri: string;
  state: string;
  /** Its one parent will be this one, and its count will follow it: summed in the rollup. */
  sole: boolean;
}

/**
 * Children that existed before this parent named them, locked in URI order (two indexers
 * sharing children take them in the same order). Their other edges are counted after the
 * lock, so an indexer that named the same child and committed meanwhile is seen.
 */
async function lockOlderChildren(tx: Tx, uris: string[]): Promise<OlderChild[]> {
  const locked = await sql<{ object_id: unknown }>`
    SELECT object_id FROM storage_object WHERE uri = ANY(${uris}::text[]) ORDER BY uri FOR UPDATE`.execute(tx);
  const ids = locked.rows.map((r) => String(r.object_id));
  const rows = await sql<{ object_id: unknown; uri: string; state: string; sole: boolean }>`
    SELECT o.object_id, o.uri, o.state,
      NOT o.multi_ref AND o.root_count = 0 AND o.size_bytes IS NOT NULL AND o.parent_count = 0
        -- A tombstone summed now would never leave the sum: recordDeleted has been and gone.
        AND o.state = 'live'
        AND NOT EXISTS (SELECT 1 FROM object_edge e WHERE e.child_id = o.object_id) AS sole
    FROM storage_object o WHERE o.object_id = ANY(${ids}::bigint[])`.execute(tx);
  return rows.rows.map((r) => ({ id: String(r.object_id), uri: r.uri, state: r.state, sole: r.sole }));
}

/** A read failed: `final` (the file is missing or unparseable) stops retrying. */
export async function recordIndexFailure(db: DbOrTx, id: number, error: string, final: boolean): Promise<void> {
  await sql`UPDATE storage_object SET index_attempts = index_attempts + 1, index_error = ${error.slice(0, 500)},
      edges_state = CASE WHEN ${final} THEN 'unreadable' ELSE edges_state END
    WHERE object_id = ${id} AND edges_state = 'pending'`.execute(db);
}

/**
 * Released objects whose children are still counted: uncount one batch. Returns how many
 * parents it handled; the caller loops until 0. A child that reaches zero is released now,
 * and is handled by a later batch if it has children of its own.
 */
export async function uncountReleased(tx: Tx, limit: number): Promise<number> {
  const parents = await sql<{ object_id: unknown }>`
    UPDATE storage_object SET children_counted = false
    WHERE object_id IN (
      SELECT object_id FROM storage_object
      WHERE released_at IS NOT NULL AND children_counted ORDER BY object_id LIMIT ${limit} FOR UPDATE)
    AND root_count + parent_count = 0
    RETURNING object_id`.execute(tx);
  const ids = parents.rows.map((r) => String(r.object_id));
  if (ids.length === 0) return 0;
  await sql`
    UPDATE storage_object c SET parent_count = c.parent_count - d.n,
      released_at = CASE WHEN c.root_count + c.parent_count - d.n = 0 THEN now() ELSE c.released_at END
    FROM (SELECT child_id, count(*)::int AS n FROM object_edge WHERE parent_id = ANY(${ids}::bigint[]) GROUP BY child_id) d
    WHERE c.object_id = d.child_id`.execute(tx);
  return ids.length;
}

/**
 * Objects that came back (a root on an object whose children were uncounted): count their
 * children again. Children already marked or deleted are reported, not revived.
 */
export async function recountRevived(tx: Tx, limit: number): Promise<{ parents: number; refused: string[] }> {
  const parents = await sql<{ object_id: unknown }>`
    UPDATE storage_object SET children_counted = true
    WHERE object_id IN (
      SELECT object_id FROM storage_object
      WHERE released_at IS NULL AND NOT children_counted AND edges_state = 'indexed' AND state = 'live'
      ORDER BY object_id LIMIT ${limit} FOR UPDATE)
    RETURNING object_id`.execute(tx);
  const ids = parents.rows.map((r) => String(r.object_id));
  if (ids.length === 0) return { parents: 0, refused: [] };
  const refused = await sql<{ object_id: unknown; uri: string }>`
    SELECT DISTINCT c.object_id, c.uri FROM object_edge e JOIN storage_object c ON c.object_id = e.child_id
    WHERE e.parent_id = ANY(${ids}::bigint[]) AND c.state <> 'live'`.execute(tx);
  if (refused.rows.length > 0) {
    // Their count no longer follows this parent's children_counted: out of the rollups.
    await sql`SELECT gc_flag_multi_ref(${refused.rows.map((r) => String(r.object_id))}::bigint[])`.execute(tx);
  }
  await sql`
    UPDATE storage_object c SET parent_count = c.parent_count + d.n, released_at = NULL
    FROM (SELECT child_id, count(*)::int AS n FROM object_edge WHERE parent_id = ANY(${ids}::bigint[]) GROUP BY child_id) d
    WHERE c.object_id = d.child_id AND c.state = 'live'`.execute(tx);
  return { parents: ids.length, refused: refused.rows.map((r) => r.uri) };
}

/** Takes the mark lock: no object can come back to life until this transaction ends. */
export async function lockAgainstRevival(tx: Tx): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${MARK_LOCK_KEY}::bigint)`.execute(tx);
}

/** The index error of an object whose file does not exist (no engine can read it either). */
export const FILE_NOT_FOUND = 'file not found';

/**
 * Objects that may go now: released at least `graceMs` ago and before the oldest live object
 * whose children are not known: still waiting to be indexed (the design's "indexing lag"), or
 * unreadable for a reason other than not existing (refused, over a cap, malformed, given up
 * after timeouts), which an engine may still read and which may name a file whose count just
 * fell to zero, so it must keep it however long it stays unread. A missing file names nothing
 * anyone can reach: the table that roots it is already broken for every engine; nothing under them still counted, their own children known, and under a
 * managed warehouse root. Times are the database's, as released_at is.
 */
/** `within`: only objects under this location (a collection run scoped to one warehouse). */
function candidatesWhere(graceMs: number, within?: string) {
  return sql`o.released_at IS NOT NULL AND o.state = 'live'
    AND (${within ?? null}::text IS NULL OR starts_with(o.uri, ${within ?? ''} || '/'))
    AND o.released_at <= now() - make_interval(secs => ${graceMs}::bigint / 1000.0)
    AND o.released_at < coalesce((SELECT min(p.first_seen_at) FROM storage_object p
      WHERE (p.edges_state = 'pending' OR (p.edges_state = 'unreadable' AND p.index_error IS DISTINCT FROM ${FILE_NOT_FOUND}))
        AND p.released_at IS NULL), 'infinity'::timestamptz)
    AND o.edges_state <> 'pending' AND NOT o.children_counted AND o.root_count + o.parent_count = 0
    AND EXISTS (SELECT 1 FROM warehouse w WHERE w.managed_root AND starts_with(o.uri, w.location || '/'))`;
}

export interface Candidate extends IndexedObject {
  releasedAt: Date;
}

export async function deletionCandidates(tx: DbOrTx, graceMs: number, limit: number, afterId: number, within?: string): Promise<Candidate[]> {
  const rows = await sql<{ object_id: unknown; uri: string; kind: string; size_bytes: unknown; released_at: Date }>`
    SELECT o.object_id, o.uri, o.kind, o.size_bytes, o.released_at FROM storage_object o
    WHERE ${candidatesWhere(graceMs, within)} AND o.object_id > ${afterId}
    ORDER BY o.object_id LIMIT ${limit}`.execute(tx);
  return rows.rows.map((r) => ({ ...objectOf(r), releasedAt: r.released_at }));
}

/** Phase one of a deletion: mark a batch as deleting, on behalf of `runId`. */
export async function markForDeletion(tx: Tx, runId: string, graceMs: number, limit: number, within?: string): Promise<IndexedObject[]> {
  const rows = await sql<{ object_id: unknown; uri: string; kind: string; size_bytes: unknown }>`
    UPDATE storage_object SET state = 'deleting', deleting_run = ${runId}
    WHERE object_id IN (SELECT o.object_id FROM storage_object o WHERE ${candidatesWhere(graceMs, within)}
      ORDER BY o.released_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    AND root_count + parent_count = 0 AND state = 'live'
    RETURNING object_id, uri, kind, size_bytes`.execute(tx);
  return rows.rows.map(objectOf);
}

/** Marked objects whose deletion was not recorded (a run died mid-way), oldest first. */
export async function markedObjects(db: DbOrTx, limit: number, afterId: number, within?: string): Promise<IndexedObject[]> {
  const rows = await sql<{ object_id: unknown; uri: string; kind: string; size_bytes: unknown }>`
    SELECT object_id, uri, kind, size_bytes FROM storage_object WHERE state = 'deleting' AND object_id > ${afterId}
      AND (${within ?? null}::text IS NULL OR starts_with(uri, ${within ?? ''} || '/'))
    ORDER BY object_id LIMIT ${limit}`.execute(db);
  return rows.rows.map(objectOf);
}

/** Phase three: the files are gone; keep tombstones, drop their edges. */
export async function recordDeleted(db: Db, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  const list = ids.map(String);
  await db.transaction().execute(async (tx) => {
    await sql`UPDATE storage_object SET state = 'deleted', deleted_at = now() WHERE object_id = ANY(${list}::bigint[]) AND state = 'deleting'`.execute(tx);
    await sql`DELETE FROM child_rollup WHERE parent_id = ANY(${list}::bigint[])`.execute(tx);
    await sql`DELETE FROM object_edge WHERE parent_id = ANY(${list}::bigint[])`.execute(tx);
    // A deleted child still summed under a parent that is not deleted with it leaves that sum.
    await sql`
      WITH gone AS (
        DELETE FROM object_edge e WHERE e.child_id = ANY(${list}::bigint[]) RETURNING e.parent_id, e.child_id, e.multi_ref)
      UPDATE child_rollup r SET files = r.files - d.files, bytes = r.bytes - d.bytes
      FROM (SELECT g.parent_id, gc_uri_dir(c.uri) AS dir, count(*) AS files, coalesce(sum(c.size_bytes), 0) AS bytes
            FROM gone g JOIN storage_object c ON c.object_id = g.child_id WHERE NOT g.multi_ref GROUP BY 1, 2) d
      WHERE r.parent_id = d.parent_id AND r.dir = d.dir`.execute(tx);
  });
}

export async function removeTombstones(db: DbOrTx, olderThan: Date): Promise<number> {
  const result = await sql`DELETE FROM storage_object WHERE state = 'deleted' AND deleted_at < ${olderThan}`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** Of these URIs, the ones the index knows as live or being deleted. */
export async function knownUris(db: DbOrTx, uris: string[]): Promise<Set<string>> {
  if (uris.length === 0) return new Set();
  const rows = await sql<{ uri: string }>`
    SELECT uri FROM storage_object WHERE uri = ANY(${uris}::text[]) AND state <> 'deleted'`.execute(db);
  return new Set(rows.rows.map((r) => r.uri));
}

export interface DroppedTableDue {
  tableId: string;
  name: string;
  namespace: string[] | null;
  purgeRequested: boolean;
  droppedAt: Date;
}

/** Dropped tables past their warehouse's drop retention (`gc.drop-retention-ms`), or dropped with purgeRequested. */
export async function dueDroppedTables(db: DbOrTx, defaultRetentionMs: number, warehouseId?: string): Promise<DroppedTableDue[]> {
  const rows = await sql<{ table_id: string; name: string; dropped_namespace: string[] | null; purge_requested: boolean; dropped_at: Date }>`
    SELECT t.table_id, t.name, t.dropped_namespace, t.purge_requested, t.dropped_at
    FROM iceberg_table t JOIN warehouse w ON w.warehouse_id = t.warehouse_id
    WHERE t.dropped_at IS NOT NULL AND (${warehouseId ?? null}::uuid IS NULL OR t.warehouse_id = ${warehouseId ?? null}::uuid)
      AND (t.purge_requested OR t.dropped_at <= now() - make_interval(secs =>
        coalesce((w.properties ->> 'gc.drop-retention-ms')::bigint, ${defaultRetentionMs}::bigint) / 1000.0))
    ORDER BY t.dropped_at`.execute(db);
  return rows.rows.map((r) => ({
    tableId: r.table_id,
    name: r.name,
    namespace: r.dropped_namespace,
    purgeRequested: r.purge_requested,
    droppedAt: r.dropped_at,
  }));
}

/**
 * Purges a dropped table: the row goes, and with it (ON DELETE CASCADE) its snapshot and
 * metadata-file rows, whose triggers release the roots. False if it was restored meanwhile.
 */
export async function purgeDroppedTable(db: DbOrTx, tableId: string): Promise<boolean> {
  const result = await sql`DELETE FROM iceberg_table WHERE table_id = ${tableId} AND dropped_at IS NOT NULL`.execute(db);
  return Number(result.numAffectedRows ?? 0) === 1;
}

/** Releases a table's snapshot roots as an expiry commit would (the collector's dry run only). */
export async function releaseSnapshotRoots(tx: Tx, tableId: string, snapshotIds: string[], metadataFiles: string[]): Promise<void> {
  await sql`DELETE FROM snapshot WHERE table_id = ${tableId} AND snapshot_id = ANY(${snapshotIds}::bigint[])`.execute(tx);
  await sql`DELETE FROM metadata_file WHERE table_id = ${tableId} AND metadata_location = ANY(${metadataFiles}::text[])`.execute(tx);
}
