// Reads each pending object once, ever, and records the files it names (design:
// clones-and-gc.md, "Edge"): a manifest list names manifests; a manifest names the data and
// delete files of its live entries; a metadata file names its statistics files. Snapshots are
// not children of metadata files: they are rooted by snapshot rows, so an expired snapshot
// is released even while old metadata files in the log still mention it.
import type { Db } from '../db/database.js';
import {
  pendingObjects,
  recordEdges,
  recordIndexFailure,
  type ChildObject,
  type ObjectKind,
  type PendingObject,
} from '../db/object-index-repository.js';
import { isTransactionConflict } from '../db/postgres-errors.js';
import type { ObjectStore } from '../storage/object-store.js';
import { liveEntries, readManifest, readManifestList } from './manifest-reader.js';
import { canonicalObjectUri } from './object-uri.js';

export interface IndexProgress {
  objects: number;
  edges: number;
  unreadable: number;
  failures: number;
  /** Files a live parent needs that were already deleted: a broken guarantee, reported loudly. */
  refused: string[];
}

/** Reads that fail for reasons other than a missing or malformed file are retried on later runs. */
const MAX_ATTEMPTS = 5;
const PAGE = 200;

export class ObjectIndexer {
  constructor(
    private readonly db: Db,
    private readonly store: ObjectStore,
    private readonly concurrency: number,
  ) {}

  /** Indexes everything pending now (objects found on the way are pending too, and indexed in the same call). */
  async indexPending(onProgress: (progress: IndexProgress) => Promise<void> | void = () => undefined): Promise<IndexProgress> {
    const progress: IndexProgress = { objects: 0, edges: 0, unreadable: 0, failures: 0, refused: [] };
    const skipped = new Set<number>();
    for (;;) {
      // Restart from the lowest id each round: children found in a round have higher ids.
      const batch = (await pendingObjects(this.db, PAGE + skipped.size, 0)).filter((o) => !skipped.has(o.id));
      if (batch.length === 0) break;
      let next = 0;
      const worker = async () => {
        while (next < batch.length) {
          const object = batch[next++];
          const ok = await this.indexOne(object, progress);
          if (!ok) skipped.add(object.id);
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.concurrency, batch.length) }, worker));
      await onProgress(progress);
    }
    return progress;
  }

  /** False when the object stays pending (a transient failure): the run moves on without it. */
  private async indexOne(object: PendingObject, progress: IndexProgress): Promise<boolean> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await this.store.get(object.uri);
    } catch (error) {
      progress.failures += 1;
      await recordIndexFailure(this.db, object.id, messageOf(error), object.attempts + 1 >= MAX_ATTEMPTS);
      return false;
    }
    if (bytes === undefined) {
      progress.unreadable += 1;
      await recordIndexFailure(this.db, object.id, 'file not found', true);
      return true;
    }
    let children: ChildObject[];
    try {
      children = await childrenOf(object.kind, bytes);
    } catch (error) {
      progress.unreadable += 1;
      await recordIndexFailure(this.db, object.id, `unreadable ${object.kind}: ${messageOf(error)}`, true);
      return true;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const recorded = await this.db.transaction().execute((tx) => recordEdges(tx, object.id, children, bytes.length));
        if (recorded.recorded) {
          progress.objects += 1;
          progress.edges += recorded.children;
          progress.refused.push(...recorded.refused);
        }
        return true;
      } catch (error) {
        // Two indexers sharing children can deadlock; children are locked in URI order, so this is rare.
        if (!isTransactionConflict(error) || attempt >= 3) throw error;
      }
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const ENTRY_KIND: Record<string, ObjectKind> = {
  data: 'data',
  'position-deletes': 'position-deletes',
  'equality-deletes': 'equality-deletes',
};

/** The files an object names, by its kind. Throws on a malformed file. */
export async function childrenOf(kind: ObjectKind, bytes: Uint8Array): Promise<ChildObject[]> {
  switch (kind) {
    case 'manifest-list':
      return (await readManifestList(bytes)).map((m) => ({ uri: canonicalObjectUri(m.path), kind: 'manifest', sizeBytes: m.length || null }));
    case 'manifest':
      return liveEntries(await readManifest(bytes)).map((e) => ({
        uri: canonicalObjectUri(e.path),
        kind: ENTRY_KIND[e.content] ?? 'data',
        sizeBytes: e.size,
      }));
    case 'metadata':
      return statisticsFiles(JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>);
    default:
      return [];
  }
}

function statisticsFiles(metadata: Record<string, unknown>): ChildObject[] {
  const files: ChildObject[] = [];
  for (const [field, kind] of [
    ['statistics', 'statistics'],
    ['partition-statistics', 'partition-statistics'],
  ] as const) {
    const list = metadata[field];
    if (!Array.isArray(list)) continue;
    for (const entry of list as Record<string, unknown>[]) {
      const path = entry['statistics-path'];
      if (typeof path !== 'string') continue;
      const size = entry['file-size-in-bytes'];
      files.push({ uri: canonicalObjectUri(path), kind, sizeBytes: typeof size === 'number' ? size : null });
    }
  }
  return files;
}
