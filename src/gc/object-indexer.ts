// Reads each pending object once, ever, and records the files it names (design:
// clones-and-gc.md, "Edge"): a manifest list names manifests; a manifest names the data and
// delete files of its live entries; a metadata file names its statistics files. Snapshots are
// not children of metadata files: they are rooted by snapshot rows, so an expired snapshot
// is released even while old metadata files in the log still mention it.
import type { Db } from '../db/database.js';
import {
  pendingObjects,
  FILE_NOT_FOUND,
  recordEdges,
  recordIndexFailure,
  type ChildObject,
  type ObjectKind,
  type PendingObject,
} from '../db/object-index-repository.js';
import { isDatabaseUnavailable, isTransactionConflict } from '../db/postgres-errors.js';
import { listWarehouses } from '../db/warehouse-repository.js';
import { ObjectTooLargeError, RefusedObjectError, type ObjectStore } from '../storage/object-store.js';
import { TooManyRecordsError } from './avro-container.js';
import { liveEntries, readManifest, readManifestList, type ReadLimits } from './manifest-reader.js';
import { canonicalObjectUri, isUnderRoot, requireIndexableUri } from './object-uri.js';

export interface IndexProgress {
  objects: number;
  edges: number;
  unreadable: number;
  failures: number;
  /** Files a live parent needs that were already deleted: a broken guarantee, reported loudly. */
  refused: string[];
  /** Objects not indexed in this call, and why (the first PROBLEMS_KEPT of them): for the run record. */
  problems: { uri: string; reason: string }[];
}

/**
 * How much the indexer reads and holds (design note in docs/architecture.md, "Indexing").
 * A file is held whole, off the heap, while it is parsed; what it names is held on the heap
 * (about 270 bytes per manifest entry, URI included). Objects within the shared limits are read
 * `concurrency` at a time; a larger one is set aside and read alone after the batch, within
 * the caps, so the worst case is `concurrency` shared-size objects or one capped one, never
 * several capped ones together (4 x 64 MiB would not fit a 512 MiB pod).
 */
export interface IndexerLimits {
  /** Largest file read, per kind. */
  maxBytes: Record<'metadata' | 'manifest-list' | 'manifest', number>;
  /** Largest file read alongside others, per kind. */
  sharedBytes: Record<'metadata' | 'manifest-list' | 'manifest', number>;
  /** Most entries in one manifest list or manifest. */
  maxEntries: number;
  /** Most entries in a file read alongside others. */
  sharedEntries: number;
  /** Bytes a compressed manifest may inflate to (CPU time: decoding is bounded by it). */
  maxDecodedBytes: number;
  /** One read (open and transfer) of one object; a timeout counts as a failed attempt. */
  readTimeoutMs: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_INDEXER_LIMITS: IndexerLimits = {
  // A metadata document is parsed whole, at about twice its size in heap (text and tree), as
  // the catalog's own commits do; a table far past 32 MiB needs snapshot expiry, not a bigger
  // cap. Manifests: Iceberg's target is 8 MiB (commit.manifest.target-size-bytes); 64 MiB
  // leaves room for writers configured larger and fits beside the heap in a 512 MiB pod.
  maxBytes: { metadata: 32 * MiB, 'manifest-list': 64 * MiB, manifest: 64 * MiB },
  sharedBytes: { metadata: 4 * MiB, 'manifest-list': 8 * MiB, manifest: 8 * MiB },
  // 250,000 entries are about 66 MiB of heap (measured); an 8 MiB manifest holds some 30,000.
  maxEntries: 250_000,
  sharedEntries: 25_000,
  maxDecodedBytes: 1024 * MiB,
  readTimeoutMs: 60_000,
};

/** Reads that fail for reasons other than a missing or malformed file are retried on later runs. */
const MAX_ATTEMPTS = 5;
const PAGE = 200;
const PROBLEMS_KEPT = 20;
export const OUTSIDE_EVERY_ROOT = 'outside every warehouse root; not read';

/** 'alone': too big to read alongside others, read again after the batch, by itself. */type Outcome = 'done' | 'skipped' | 'alone';

export class ObjectIndexer {
  constructor(
    private readonly db: Db,
    private readonly store: ObjectStore,
    private readonly concurrency: number,
    private readonly limits: IndexerLimits = DEFAULT_INDEXER_LIMITS,
  ) {}

  /** Indexes everything pending now (objects found on the way are pending too, and indexed in the same call). */
  async indexPending(onProgress: (progress: IndexProgress) => Promise<void> | void = () => undefined): Promise<IndexProgress> {
    const progress: IndexProgress = { objects: 0, edges: 0, unreadable: 0, failures: 0, refused: [], problems: [] };
    // Read per call: a warehouse clone adds a root. Only files under a root are ever opened,
    // so a commit naming another bucket cannot make the catalog read it with its credentials.
    const roots = (await listWarehouses(this.db)).map((w) => w.location);
    const skipped = new Set<number>();
    for (;;) {
      // Restart from the lowest id each round: children found in a round have higher ids.
      const batch = (await pendingObjects(this.db, PAGE + skipped.size, 0)).filter((o) => !skipped.has(o.id));
      if (batch.length === 0) break;
      const alone: PendingObject[] = [];
      let next = 0;
      const worker = async () => {
        while (next < batch.length) {
          const object = batch[next++];
          const outcome = await this.indexOne(object, roots, progress, false);
          if (outcome === 'skipped') skipped.add(object.id);
          if (outcome === 'alone') alone.push(object);
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.concurrency, batch.length) }, worker));
      for (const object of alone) {
        if ((await this.indexOne(object, roots, progress, true)) !== 'done') skipped.add(object.id);
      }
      await onProgress(progress);
    }
    return progress;
  }

  private problem(progress: IndexProgress, uri: string, reason: string) {
    if (progress.problems.length < PROBLEMS_KEPT) progress.problems.push({ uri, reason });
  }

  /** Marks the object unreadable for good: the reason will not change on a retry. */
  private async unreadable(object: PendingObject, reason: string, progress: IndexProgress): Promise<Outcome> {
    progress.unreadable += 1;
    this.problem(progress, object.uri, reason);
    await recordIndexFailure(this.db, object.id, reason, true);
    return 'done';
  }

  /** 'skipped' when the object stays pending (a transient failure): the run moves on without it. */
  private async indexOne(object: PendingObject, roots: string[], progress: IndexProgress, alone: boolean): Promise<Outcome> {
    const root = roots.find((r) => isUnderRoot(r, object.uri));
    if (root === undefined) return this.unreadable(object, OUTSIDE_EVERY_ROOT, progress);
    const kind = object.kind as keyof IndexerLimits['maxBytes'];
    const maxBytes = (alone ? this.limits.maxBytes : this.limits.sharedBytes)[kind] ?? this.limits.maxBytes.manifest;
    const signal = AbortSignal.timeout(this.limits.readTimeoutMs);
    let bytes: Uint8Array | undefined;
    try {
      bytes = await this.store.get(object.uri, { root, maxBytes, signal });
    } catch (error) {
      if (error instanceof ObjectTooLargeError && !alone) return 'alone';
      if (error instanceof RefusedObjectError) return this.unreadable(object, error.reason, progress);
      const reason = signal.aborted ? `read timed out after ${this.limits.readTimeoutMs} ms` : messageOf(error);
      const final = object.attempts + 1 >= MAX_ATTEMPTS;
      progress.failures += 1;
      this.problem(progress, object.uri, `${reason} (attempt ${object.attempts + 1} of ${MAX_ATTEMPTS}${final ? '; given up' : ''})`);
      await recordIndexFailure(this.db, object.id, reason, final);
      if (final) progress.unreadable += 1;
      return 'skipped';
    }
    if (bytes === undefined) return this.unreadable(object, FILE_NOT_FOUND, progress);
    let children: ChildObject[];
    try {
      const limits = { maxDecodedBytes: this.limits.maxDecodedBytes, maxRecords: alone ? this.limits.maxEntries : this.limits.sharedEntries };
      children = await childrenOf(object.kind, bytes, limits);
    } catch (error) {
      if (error instanceof TooManyRecordsError && !alone) return 'alone';
      return this.unreadable(object, `unreadable ${object.kind}: ${messageOf(error)}`, progress);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const recorded = await this.db.transaction().execute((tx) => recordEdges(tx, object.id, children, bytes.length));
        if (recorded.recorded) {
          progress.objects += 1;
          progress.edges += recorded.children;
          progress.refused.push(...recorded.refused);
        }
        return 'done';
      } catch (error) {
        // Two indexers sharing children can deadlock; children are locked in URI order, so this is rare.
        if (isTransactionConflict(error) && attempt < 3) continue;
        if (isDatabaseUnavailable(error)) throw error;
        // Anything else the database refuses about this object's children is this object's
        // failure, counted against its attempts: one file never holds every run.
        const final = object.attempts + 1 >= MAX_ATTEMPTS;
        progress.failures += 1;
        if (final) progress.unreadable += 1;
        this.problem(progress, object.uri, `recording its children failed: ${messageOf(error)} (attempt ${object.attempts + 1} of ${MAX_ATTEMPTS})`);
        await recordIndexFailure(this.db, object.id, messageOf(error), final);
        return 'skipped';
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

/**
 * The files an object names, by its kind. Throws on a malformed file, and on a name no file
 * can have or the index cannot hold (see requireIndexableUri): such a parent stays unreadable,
 * which keeps whatever it may name (candidatesWhere), rather than dropping the name.
 */
export async function childrenOf(kind: ObjectKind, bytes: Uint8Array, limits: ReadLimits = {}): Promise<ChildObject[]> {
  const children = await namedChildren(kind, bytes, limits);
  for (const child of children) requireIndexableUri(child.uri);
  return children;
}

async function namedChildren(kind: ObjectKind, bytes: Uint8Array, limits: ReadLimits): Promise<ChildObject[]> {
  switch (kind) {
    case 'manifest-list':
      return (await readManifestList(bytes, limits)).map((m) => ({ uri: canonicalObjectUri(m.path), kind: 'manifest', sizeBytes: m.length || null }));
    case 'manifest':
      return liveEntries(await readManifest(bytes, limits)).map((e) => ({
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
