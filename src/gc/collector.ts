// The garbage collector's run (design: clones-and-gc.md). One replica at a time (leader
// lock); every step is its own short transaction, so a run killed anywhere leaves a state the
// next run finishes from:
//
//   resume     objects marked by a run that died are deleted now (deleting twice is harmless)
//   expire     each table's snapshot retention, committed like any commit
//   purge      dropped tables past their drop retention, or dropped with purgeRequested
//   index      read each new manifest list, manifest and metadata file once; record edges
//   propagate  uncount the children of released objects, recount those of revived ones
//   sweep      mark a batch, delete it from storage, record it; until nothing is due
//   orphans    list the warehouse roots for files no commit registered (dry run by default)
//
// A dry run indexes (bookkeeping only), then plays expire, purge and propagate inside a
// transaction it rolls back, and records which files a real run would delete and why.
import { hostname } from 'node:os';
import type { Db, Tx } from '../db/database.js';
import {
  findRun,
  insertRun,
  insertRunFiles,
  markInterruptedRuns,
  pruneRuns,
  type GcRun,
  type OrphanMode,
  type RunFile,
} from '../db/gc-run-repository.js';
import {
  deletionCandidates,
  dueDroppedTables,
  knownUris,
  lockAgainstRevival,
  markForDeletion,
  markedObjects,
  purgeDroppedTable,
  recordDeleted,
  recountRevived,
  releaseSnapshotRoots,
  removeTombstones,
  uncountReleased,
  type IndexedObject,
} from '../db/object-index-repository.js';
import { listWarehouses } from '../db/warehouse-repository.js';
import type { GcMetrics } from '../observability/metrics.js';
import type { ObjectStore } from '../storage/object-store.js';
import { forbidden } from '../iceberg/errors.js';
import { int64Key } from '../json/int64-json.js';
import type { LeaderLock, Leadership } from './leader-lock.js';
import type { ObjectIndexer } from './object-indexer.js';
import { findOrphans, unindexedReferences } from './orphan-finder.js';
import { RunProgress } from './run-progress.js';
import { releaseUnreadSources } from './source-release.js';
import type { SnapshotExpiry } from './snapshot-expiry.js';
import type { Sweeper } from './sweeper.js';

export interface CollectorSettings {
  /** Released objects younger than this stay (so do unregistered files, for the orphan sweep). */
  graceMs: number;
  /** Default drop retention; a warehouse's `gc.drop-retention-ms` property overrides it. */
  dropRetentionMs: number;
  /** How long a deleted object's tombstone is kept, to report late references to it. */
  tombstoneRetentionMs: number;
  /** How long run records are kept. */
  runRetentionMs: number;
  /** Objects marked and deleted per round of the sweep. */
  sweepBatch: number;
  /** At most this many files are listed by a dry run (the counts are always complete). */
  dryRunListLimit: number;
  /** CATALOG_GC_ORPHAN_MODE=delete: only then may any run, scheduled or requested, delete orphans. */
  orphanDeletion: boolean;
}

export interface RunRequest {
  trigger: 'schedule' | 'request';
  dryRun: boolean;
  orphans: OrphanMode;
  /**
   * One warehouse only (asked for by who holds `manage-gc` on it): expiry, purges, the sweep
   * and the orphan search act there alone; counting (index, propagate) stays global, since
   * any warehouse's tables may reference its files. Undefined: every warehouse.
   */
  scope?: RunScope;
}

export interface RunScope {
  warehouseId: string;
  location: string;
}

export type { RunCounts } from './run-progress.js';

/** A run under way: its record, and a promise of the finished record. */
export interface StartedRun {
  run: GcRun;
  finished: Promise<GcRun>;
}

const DRY_RUN_ROLLBACK = Symbol('dry run rollback');
const STOPPED = Symbol('stopped');
const LEADERSHIP_LOST = Symbol('leadership lost');

export class GarbageCollector {
  private readonly owner = `${hostname()}:${process.pid}`;
  private current: Promise<unknown> | undefined;
  private stopping = false;
  /** The leadership of the run under way (one at a time per process, as per cluster). */
  private leadership: Leadership | undefined;

  constructor(
    private readonly db: Db,
    private readonly store: ObjectStore,
    private readonly lock: LeaderLock,
    private readonly indexer: ObjectIndexer,
    private readonly sweeper: Sweeper,
    private readonly expiry: SnapshotExpiry,
    private readonly settings: CollectorSettings,
    private readonly metrics: GcMetrics,
  ) {}

  /** Starts a run if this replica can lead now; undefined when a run is under way anywhere. */
  async start(request: RunRequest): Promise<StartedRun | undefined> {
    // Orphan deletion removes files no commit ever named: the operator turns it on, and a
    // request can never turn on more than the configuration allows.
    if (request.orphans === 'delete' && !request.dryRun && !this.settings.orphanDeletion) {
      throw forbidden('Orphan deletion is off in this catalog (CATALOG_GC_ORPHAN_MODE=dry-run); ask for "orphans": "dry-run"');
    }
    if (this.stopping) return undefined;
    const leadership = await this.lock.tryAcquire();
    if (!leadership) return undefined;
    let run: GcRun;
    try {
      run = await insertRun(this.db, {
        id: crypto.randomUUID(),
        trigger: request.trigger,
        dryRun: request.dryRun,
        orphans: request.orphans,
        graceMs: this.settings.graceMs,
        owner: this.owner,
        warehouseId: request.scope?.warehouseId ?? null,
      });
    } catch (error) {
      await leadership.release();
      throw error;
    }
    this.leadership = leadership;
    const finished = this.execute(run, request)
      .finally(() => {
        this.leadership = undefined;
        return leadership.release();
      })
      .then(async () => (await findRun(this.db, run.id)) ?? run);
    this.current = finished.catch(() => undefined);
    return { run, finished };
  }

  /** Shutdown: a run under way stops after its current step (the next run resumes) and no new one starts. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.current;
  }

  /**
   * Called between steps. A run whose lock connection failed must not take another step:
   * another replica may hold the lock by now, and the counts have one writer at a time.
   */
  private checkStop() {
    if (this.stopping) throw STOPPED;
    if (this.leadership?.lost.aborted) throw LEADERSHIP_LOST;
  }

  private async execute(run: GcRun, request: RunRequest): Promise<void> {
    const progress = new RunProgress(this.db, run.id, () => this.checkStop());
    try {
      await markInterruptedRuns(this.db, run.id);
      if (!request.dryRun) {
        await progress.phase('resume');
        await this.resumeMarked(progress, request.scope);
        await progress.phase('expire');
        const expired = await this.expiry.expireAll(request.scope?.warehouseId);
        progress.add({ 'tables-expired': expired.tables, 'snapshots-expired': expired.expiredSnapshots, 'refs-expired': expired.expiredRefs });
        await progress.phase('purge');
        await this.purgeDropped(progress, request.scope);
      }
      await progress.phase('index');
      const indexed = await this.indexer.indexPending((p) =>
        progress.set({ 'objects-indexed': p.objects, 'entries-indexed': p.edges, 'objects-unreadable': p.unreadable }),
      );
      this.metrics.indexed(indexed.objects, indexed.edges);
      if (indexed.failures > 0) this.metrics.failures(indexed.failures);
      this.reportRefused(progress, indexed.refused);
      for (const p of indexed.problems) progress.error(`not indexed: ${p.uri}: ${p.reason}`);
      // A live object whose children are unknown may name any released file: the sweep keeps
      // everything released after it was first seen (candidatesWhere), so say why.
      const unknown = await unindexedReferences(this.db, { exceptMissing: true });
      if (unknown > 0) {
        progress.add({ 'objects-with-unknown-children': unknown });
        progress.error(
          `${unknown} live manifest lists, manifests or metadata files could not be read: files released after the oldest of them are kept until it is read or no longer live`,
        );
      }
      await progress.phase('propagate');
      await this.propagate(progress);
      if (request.dryRun) {
        await progress.phase('plan');
        await this.planDryRun(run, progress, request.scope);
      } else {
        await progress.phase('sweep');
        await this.sweep(run, progress, request.scope);
        await progress.phase('sources');
        progress.add({ 'source-locations-released': (await releaseUnreadSources(this.db, request.scope?.warehouseId)).released });
      }
      if (request.orphans !== 'off') {
        await progress.phase('orphans');
        await this.sweepOrphans(run, request.dryRun ? 'dry-run' : request.orphans, progress, request.scope);
      }
      await progress.phase('cleanup');
      const now = Date.now();
      progress.add({ 'tombstones-removed': await removeTombstones(this.db, new Date(now - this.settings.tombstoneRetentionMs)) });
      await pruneRuns(this.db, new Date(now - this.settings.runRetentionMs));
      await progress.finish('succeeded');
      this.metrics.runFinished('succeeded');
    } catch (error) {
      // A step that failed because the database went away lost the lock with it, too.
      const lost = error === LEADERSHIP_LOST || this.leadership?.lost.aborted;
      if (lost || error === STOPPED) {
        if (lost) progress.error(`stopped: leadership lost with the lock's database connection (${messageOf(this.leadership?.lost.reason)})`);
        this.metrics.runFinished('interrupted');
        await progress.finish('interrupted').catch(() => undefined);
        return;
      }
      progress.error(`run failed: ${messageOf(error)}`);
      this.metrics.runFinished('failed');
      await progress.finish('failed').catch(() => undefined);
    }
  }

  private reportRefused(progress: RunProgress, refused: string[]) {
    if (refused.length === 0) return;
    this.metrics.refused(refused.length);
    progress.add({ 'references-refused': refused.length });
    for (const uri of refused.slice(0, 20)) progress.error(`a live file references ${uri}, which was already deleted or is being deleted`);
  }

  private async resumeMarked(progress: RunProgress, scope?: RunScope) {
    const roots = await this.warehouseRoots(scope);
    for (let after = 0; ; ) {
      const marked = await markedObjects(this.db, this.settings.sweepBatch, after, scope?.location);
      if (marked.length === 0) return;
      after = marked[marked.length - 1].id;
      await this.deleteMarked(marked, roots, progress);
    }
  }

  private async purgeDropped(progress: RunProgress, scope?: RunScope) {
    for (const table of await dueDroppedTables(this.db, this.settings.dropRetentionMs, scope?.warehouseId)) {
      if (await purgeDroppedTable(this.db, table.tableId)) progress.add({ 'tables-purged': 1 });
    }
  }

  /**
   * Uncount and recount to a fixpoint: each batch in its own transaction, or all inside `tx`
   * (the sweep's mark transaction and the dry run's).
   */
  private async propagate(progress: RunProgress, tx?: Tx) {
    const inTransaction = <T>(work: (t: Tx) => Promise<T>) => (tx ? work(tx) : this.db.transaction().execute(work));
    for (;;) {
      this.checkStop();
      const revived = await inTransaction((t) => recountRevived(t, PROPAGATE_BATCH));
      this.reportRefused(progress, revived.refused);
      const released = await inTransaction((t) => uncountReleased(t, PROPAGATE_BATCH));
      // Inside a dry run's transaction these changes are rolled back: not counted.
      if (!tx) progress.add({ 'objects-released': released, 'objects-revived': revived.parents });
      if (released === 0 && revived.parents === 0) return;
    }
  }

  private async sweep(run: GcRun, progress: RunProgress, scope?: RunScope) {
    const roots = await this.warehouseRoots(scope);
    for (;;) {
      this.checkStop();
      // Mark under the revival lock, after counting the children of anything that came back,
      // so no child of a live object can be marked.
      const marked = await this.db.transaction().execute(async (tx) => {
        await lockAgainstRevival(tx);
        await this.propagate(progress, tx);
        return markForDeletion(tx, run.id, this.settings.graceMs, this.settings.sweepBatch, scope?.location);
      });
      if (marked.length === 0) return;
      await this.deleteMarked(marked, roots, progress);
    }
  }

  private async deleteMarked(marked: IndexedObject[], roots: string[], progress: RunProgress) {
    const outcome = await this.sweeper.delete(marked, roots);
    await recordDeleted(this.db, outcome.deleted.map((o) => o.id));
    const bytes = outcome.deleted.reduce((sum, o) => sum + (o.sizeBytes ?? 0), 0);
    progress.add({ 'files-deleted': outcome.deleted.length, 'bytes-deleted': bytes, 'delete-retries': outcome.retries });
    this.metrics.deleted(outcome.deleted.length, bytes);
    if (outcome.failed.length > 0) {
      this.metrics.failures(outcome.failed.length);
      progress.add({ 'delete-failures': outcome.failed.length });
      for (const f of outcome.failed.slice(0, 10)) progress.error(`could not delete ${f.object.uri}: ${f.error}`);
    }
    await progress.save();
  }

  /** Plays expiry and purges inside a transaction that is rolled back, recording what would go. */
  private async planDryRun(run: GcRun, progress: RunProgress, scope?: RunScope) {
    const plans = await this.expiry.planAll(scope?.warehouseId);
    const files: RunFile[] = [];
    const listed = new Set<number>();
    let total = 0;
    let totalBytes = 0;
    const collect = async (tx: Tx, reason: (o: { releasedAt: Date }) => string) => {
      for (let after = 0; ; ) {
        const batch = await deletionCandidates(tx, this.settings.graceMs, 5000, after, scope?.location);
        if (batch.length === 0) return;
        after = batch[batch.length - 1].id;
        for (const candidate of batch) {
          if (listed.has(candidate.id)) continue;
          listed.add(candidate.id);
          total += 1;
          totalBytes += candidate.sizeBytes ?? 0;
          if (files.length < this.settings.dryRunListLimit) {
            files.push({ uri: candidate.uri, kind: candidate.kind, sizeBytes: candidate.sizeBytes, reason: reason(candidate) });
          }
        }
      }
    };
    await this.db
      .transaction()
      .execute(async (tx) => {
        await collect(tx, (o) => `unreferenced since ${o.releasedAt.toISOString()}`);
        for (const plan of plans) {
          const ids = plan.expiredSnapshotIds.map((id) => int64Key(id));
          await releaseSnapshotRoots(tx, plan.tableId, ids, plan.releasedMetadataFiles);
          await this.propagate(progress, tx);
          const name = [...plan.identifier.namespace, plan.identifier.name].join('.');
          await collect(tx, () => `snapshot expiry of ${name} (snapshots ${ids.join(', ') || 'none'}; refs ${plan.expiredRefs.join(', ') || 'none'})`);
        }
        for (const table of await dueDroppedTables(tx, this.settings.dropRetentionMs, scope?.warehouseId)) {
          await purgeDroppedTable(tx, table.tableId);
          await this.propagate(progress, tx);
          const name = [...(table.namespace ?? []), table.name].join('.');
          const why = table.purgeRequested ? 'dropped with purgeRequested' : 'past the drop retention';
          await collect(tx, () => `purge of dropped table ${name} (dropped ${table.droppedAt.toISOString()}, ${why})`);
        }
        throw DRY_RUN_ROLLBACK;
      })
      .catch((error: unknown) => {
        if (error !== DRY_RUN_ROLLBACK) throw error;
      });
    await insertRunFiles(this.db, run.id, files);
    progress.add({ 'files-to-delete': total, 'bytes-to-delete': totalBytes, 'files-listed': files.length, 'tables-to-expire': plans.length });
  }

  private async sweepOrphans(run: GcRun, mode: 'dry-run' | 'delete', progress: RunProgress, scope?: RunScope) {
    // Only roots the catalog manages are listed: anywhere else, an unregistered file is
    // somebody else's, not an orphan.
    const warehouses = (await listWarehouses(this.db)).filter((w) => w.managedRoot && (!scope || w.id === scope.warehouseId));
    const cutoff = new Date(Date.now() - this.settings.graceMs);
    const listed: RunFile[] = [];
    for (const warehouse of warehouses) {
      for await (const chunk of findOrphans(this.db, this.store, warehouse.location, cutoff)) {
        progress.add({ 'orphan-files-found': chunk.length, 'orphan-bytes-found': chunk.reduce((s, o) => s + o.size, 0) });
        this.metrics.orphansFound(chunk.length);
        if (mode === 'dry-run') {
          if (listed.length < this.settings.dryRunListLimit) {
            listed.push(
              ...chunk.map((o) => ({ uri: o.uri, kind: 'orphan', sizeBytes: o.size, reason: `no commit registered it; last modified ${o.lastModified.toISOString()}` })),
            );
          }
          continue;
        }
        // Deleting needs a complete index: a file named by an unread or unreadable manifest
        // would look like an orphan. Read what is pending, then check the chunk again.
        await this.indexer.indexPending();
        const blockers = await unindexedReferences(this.db);
        if (blockers > 0) {
          progress.error(`orphan deletion skipped: ${blockers} live manifest lists, manifests or metadata files could not be read`);
          return;
        }
        const known = await knownUris(this.db, chunk.map((o) => o.uri));
        const orphans = chunk.filter((o) => !known.has(o.uri));
        const outcome = await this.sweeper.delete(
          orphans.map((o, i) => ({ id: -1 - i, uri: o.uri, kind: 'data', sizeBytes: o.size })),
          [warehouse.location],
        );
        const bytes = outcome.deleted.reduce((s, o) => s + (o.sizeBytes ?? 0), 0);
        progress.add({ 'orphan-files-deleted': outcome.deleted.length, 'orphan-bytes-deleted': bytes });
        this.metrics.deleted(outcome.deleted.length, bytes);
        if (outcome.failed.length > 0) {
          this.metrics.failures(outcome.failed.length);
          for (const f of outcome.failed.slice(0, 10)) progress.error(`could not delete orphan ${f.object.uri}: ${f.error}`);
        }
        await progress.save();
      }
    }
    if (listed.length > 0) await insertRunFiles(this.db, run.id, listed);
  }

  /** The roots the collector may delete under (the same rule as candidatesWhere in SQL); a scoped run's, its warehouse's alone. */
  private async warehouseRoots(scope?: RunScope): Promise<string[]> {
    return (await listWarehouses(this.db)).filter((w) => w.managedRoot && (!scope || w.id === scope.warehouseId)).map((w) => w.location);
  }
}

const PROPAGATE_BATCH = 500;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
