// Metadata files committed before they were written (a large tree clone's first files): the
// rows src/clones/pending-metadata.ts claims, writes and clears.
import { sql } from 'kysely';
import type { DbOrTx, Tx } from './database.js';
import { FILE_NOT_FOUND } from './object-index-repository.js';

export interface PendingMetadataFile {
  metadataLocation: string;
  metadataJson: string;
  /** The root of the table's warehouse: the file is written below it only. */
  root: string;
}

/**
 * Claims up to `limit` pending files for this transaction: rows another writer holds are
 * skipped, and so is a file whose index entry is locked. Each claimed file's index entry is
 * held shared until the transaction ends, so the collector cannot start deleting it while it
 * is being written; a file the collector already deleted (or is deleting) is not claimed, nor
 * one in `except` (failed already in this drain).
 */
export async function claimPendingMetadataFiles(tx: Tx, limit: number, except: string[] = []): Promise<PendingMetadataFile[]> {
  const result = await sql<{ metadata_location: string; metadata_json: string; root: string }>`
    SELECT p.metadata_location, p.metadata_json, w.location AS root
    FROM pending_metadata_file p
    JOIN iceberg_table t ON t.table_id = p.table_id
    JOIN warehouse w ON w.warehouse_id = t.warehouse_id
    JOIN storage_object o ON o.uri = p.uri AND o.state = 'live'
    WHERE p.metadata_location <> ALL(${except}::text[])
    ORDER BY p.metadata_location
    LIMIT ${limit}
    FOR UPDATE OF p SKIP LOCKED FOR SHARE OF o SKIP LOCKED`.execute(tx);
  return result.rows.map((r) => ({ metadataLocation: r.metadata_location, metadataJson: r.metadata_json, root: r.root }));
}

/**
 * Forgets written files. One an indexer already found missing (a replica of an older version,
 * which does not know pending files, leading the collector during an upgrade) is read again:
 * the file exists now, and what it names must be counted.
 */
export async function clearPendingMetadataFiles(tx: DbOrTx, locations: string[]): Promise<void> {
  if (locations.length === 0) return;
  await sql`
    WITH cleared AS (DELETE FROM pending_metadata_file WHERE metadata_location = ANY(${locations}::text[]) RETURNING uri)
    UPDATE storage_object SET edges_state = 'pending', index_error = NULL, index_attempts = 0
    WHERE uri IN (SELECT uri FROM cleared) AND edges_state = 'unreadable' AND index_error = ${FILE_NOT_FOUND}`.execute(tx);
}

/**
 * Forgets pending files that must never be written: the collector is deleting or deleted their
 * index entry (the table moved on and released them, or was purged and took its rows along).
 */
export async function dropAbandonedPendingFiles(db: DbOrTx): Promise<number> {
  const result = await sql`
    DELETE FROM pending_metadata_file p
    WHERE NOT EXISTS (SELECT 1 FROM storage_object o WHERE o.uri = p.uri AND o.state = 'live')`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

export async function countPendingMetadataFiles(db: DbOrTx): Promise<number> {
  const result = await sql<{ n: string | number }>`SELECT count(*) AS n FROM pending_metadata_file`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}

/** The document of a metadata file committed but not written yet, if `location` is one. */
export async function pendingMetadataDocument(db: DbOrTx, location: string): Promise<string | undefined> {
  const result = await sql<{ metadata_json: string }>`
    SELECT metadata_json FROM pending_metadata_file WHERE metadata_location = ${location}`.execute(db);
  return result.rows[0]?.metadata_json;
}
