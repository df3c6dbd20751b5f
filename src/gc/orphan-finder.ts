// Orphans: files under a warehouse root that no commit registered (an engine wrote them and
// died, or a commit lost its race and could not clean up). Found by listing storage, which
// costs what the warehouse holds, so the orphan sweep has its own, rarer schedule.
import { sql } from 'kysely';
import type { DbOrTx } from '../db/database.js';
import { FILE_NOT_FOUND, knownUris } from '../db/object-index-repository.js';
import type { ObjectStore, StoredObject } from '../storage/object-store.js';
import { canonicalObjectUri } from './object-uri.js';

const CHUNK = 1000;

/** Unregistered files last modified no later than `cutoff`, a chunk at a time. */
export async function* findOrphans(db: DbOrTx, store: ObjectStore, root: string, cutoff: Date): AsyncIterable<StoredObject[]> {
  let chunk: StoredObject[] = [];
  const check = async () => {
    const known = await knownUris(db, chunk.map((o) => o.uri));
    const orphans = chunk.filter((o) => !known.has(o.uri));
    chunk = [];
    return orphans;
  };
  for await (const object of store.list(root)) {
    if (object.lastModified.getTime() > cutoff.getTime()) continue;
    chunk.push({ ...object, uri: canonicalObjectUri(object.uri) });
    if (chunk.length >= CHUNK) {
      const orphans = await check();
      if (orphans.length > 0) yield orphans;
    }
  }
  if (chunk.length > 0) {
    const orphans = await check();
    if (orphans.length > 0) yield orphans;
  }
}

/**
 * Live manifest lists, manifests and metadata files whose children are unknown: not read yet,
 * or unreadable. While any exist, a file they name would look like an orphan, so orphans are
 * not deleted. With `exceptMissing`, those whose file does not exist are left out: those are
 * the ones that hold the sweep back (see candidatesWhere), since no engine can read a missing file.
 */
export async function unindexedReferences(db: DbOrTx, options: { exceptMissing?: boolean } = {}): Promise<number> {
  const unreadable = options.exceptMissing
    ? sql`(edges_state = 'unreadable' AND index_error IS DISTINCT FROM ${FILE_NOT_FOUND})`
    : sql`edges_state = 'unreadable'`;
  const row = await sql<{ n: unknown }>`
    SELECT count(*) AS n FROM storage_object
    WHERE (edges_state = 'pending' OR ${unreadable}) AND released_at IS NULL AND state = 'live'
      AND kind IN ('metadata', 'manifest-list', 'manifest')`.execute(db);
  return Number(row.rows[0]?.n ?? 0);
}
