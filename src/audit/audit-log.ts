// The audit log's writer: every event is written as a JSON log line at once and queued for
// Postgres, where batches are inserted a moment later. Batching keeps a flood of refused
// requests from costing one insert each; the queue is bounded so that a flood (or a database
// that went away) cannot exhaust memory: past the bound, events reach the log lines only, and
// the catalog says how many (catalog_audit_events_dropped_total, and a warning).
import type { CompiledQuery } from 'kysely';
import { compileAuditInsert, completeAuditEvents, insertAuditEvents, listAuditEvents, pruneAuditEvents, type AuditEvent, type AuditFilter } from '../db/audit-repository.js';
import type { Db } from '../db/database.js';
import type { GcRun } from '../db/gc-run-repository.js';
import { isDatabaseUnavailable } from '../db/postgres-errors.js';
import { stringifyJson } from '../json/int64-json.js';

export interface AuditLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface AuditMetrics {
  auditEvents(written: number, dropped: number): void;
}

export interface AuditLogOptions {
  /** Events waiting for Postgres at most; past it they are logged only. */
  maxQueued?: number;
  /** How long an event waits for others to share its insert. */
  flushDelayMs?: number;
  /** Events per insert. */
  batchSize?: number;
}

/** Detail kept per event at most (bytes of JSON): names and choices, never whole bodies. */
export const MAX_DETAIL_BYTES = 4096;

/** An event waiting for Postgres: to insert, or (`storedId`) to complete, as it was inserted in its request's transaction. */
interface Queued {
  event: AuditEvent;
  storedId: string | null;
}

export class AuditLog {
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private droppedSinceWarning = 0;
  private readonly maxQueued: number;
  private readonly flushDelayMs: number;
  private readonly batchSize: number;

  constructor(
    private readonly db: Db,
    private logger: AuditLogger | undefined,
    private readonly metrics: AuditMetrics | undefined,
    options: AuditLogOptions = {},
  ) {
    this.maxQueued = options.maxQueued ?? 10_000;
    this.flushDelayMs = options.flushDelayMs ?? 200;
    this.batchSize = options.batchSize ?? 500;
  }

  /** The application's logger, once it exists (the log is made before the app). */
  useLogger(logger: AuditLogger): void {
    this.logger = logger;
  }

  /**
   * The insert of an event, for a request's transaction to run before its COMMIT (the answer's
   * status is not known yet: null until `record` completes it).
   */
  compileInsert(event: AuditEvent): CompiledQuery {
    return compileAuditInsert(this.db, storableEvent(event));
  }

  /** `storedId`: the event was inserted in its request's transaction; only its outcome is left to store. */
  record(event: AuditEvent, storedId: string | null = null): void {
    const bounded = storableEvent(event);
    this.logger?.info({ audit: { ...bounded, at: bounded.at.toISOString() } }, 'audit');
    if (this.queue.length >= this.maxQueued) {
      this.droppedSinceWarning += 1;
      this.metrics?.auditEvents(0, 1);
      return;
    }
    this.queue.push({ event: bounded, storedId });
    if (this.queue.length >= this.batchSize) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushDelayMs);
  }

  /**
   * A collection run's end, with what it found and deleted: whoever started it (null for the
   * schedule) and the request that did.
   */
  recordRun(run: GcRun, principal: string | null, requestId: string | null): void {
    this.record({
      at: new Date(),
      requestId,
      principal,
      via: principal === null ? 'schedule' : null,
      action: 'gcRunFinished',
      decision: 'allowed',
      status: null,
      errorType: run.status === 'succeeded' ? null : run.status,
      // A run of one warehouse is that warehouse's event: who manages it reads it.
      warehouseId: run.warehouseId,
      objectKind: run.warehouseId === null ? 'catalog' : 'warehouse',
      objectName: null,
      securableIds: run.warehouseId === null ? [] : [run.warehouseId],
      detail: { 'run-id': run.id, status: run.status, trigger: run.trigger, 'dry-run': run.dryRun, orphans: run.orphans, counts: run.counts, errors: run.errors.length },
    });
  }

  /** Writes what is queued (one flush at a time); failures are logged, the events kept for the next try while they fit. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing.then(() => this.writeQueued());
    return this.flushing;
  }

  private async writeQueued(): Promise<void> {
    if (this.droppedSinceWarning > 0) {
      this.logger?.warn({ dropped: this.droppedSinceWarning }, 'audit events were logged but not stored: the queue for Postgres was full');
      this.droppedSinceWarning = 0;
    }
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.batchSize);
      try {
        await store(this.db, batch);
        this.queue.splice(0, batch.length);
        this.metrics?.auditEvents(batch.length, 0);
      } catch (error) {
        if (isDatabaseUnavailable(error) || !(await this.storeOneByOne(batch))) {
          this.logger?.warn({ err: error, queued: this.queue.length }, 'audit events not stored yet; retrying');
          this.timer ??= setTimeout(() => void this.flush(), Math.max(this.flushDelayMs, 1_000));
          return;
        }
      }
    }
  }

  /**
   * A batch Postgres refused for its contents: each event alone, so that one it cannot store
   * (it should not happen: events are made storable) is logged and dropped instead of
   * holding every later event back. False when the database went away meanwhile.
   */
  private async storeOneByOne(batch: Queued[]): Promise<boolean> {
    for (const queued of batch) {
      const event = queued.event;
      try {
        await store(this.db, [queued]);
        this.metrics?.auditEvents(1, 0);
      } catch (error) {
        if (isDatabaseUnavailable(error)) return false;
        this.logger?.warn({ err: error, audit: { ...event, at: event.at.toISOString() } }, 'an audit event Postgres refused was logged but not stored');
        this.metrics?.auditEvents(0, 1);
      }
      this.queue.shift();
    }
    return true;
  }

  /** Waits for every queued event to be stored (shutdown; tests). */
  async close(): Promise<void> {
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  list(filter: AuditFilter) {
    return listAuditEvents(this.db, filter);
  }

  /** Deletes events older than the retention, in batches; how many. */
  async prune(retentionMs: number, now = Date.now()): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await pruneAuditEvents(this.db, new Date(now - retentionMs), 10_000);
      total += deleted;
      if (deleted < 10_000) return total;
    }
  }
}

/** Inserts new events; completes those inserted in their transaction (inserting any whose transaction rolled back). */
async function store(db: Db, batch: readonly Queued[]): Promise<void> {
  const completions = batch.filter((q): q is Queued & { storedId: string } => q.storedId !== null).map((q) => ({ id: q.storedId, event: q.event }));
  const found = await completeAuditEvents(db, completions);
  const inserts = batch.filter((q) => q.storedId === null || !found.has(q.storedId)).map((q) => q.event);
  await insertAuditEvents(db, inserts);
}

function storableEvent(event: AuditEvent): AuditEvent {
  const detail = event.detail === null ? null : boundedDetail(storable(event.detail) as Record<string, unknown>);
  return { ...(storable(event) as AuditEvent), at: event.at, securableIds: event.securableIds, detail };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A value Postgres can store as text and jsonb: NUL and lone surrogates (a hostile client id,
 * or a name cut in the middle of an emoji) become U+FFFD, in strings and in object keys.
 */
export function storable(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/\0/g, '\uFFFD').replace(LONE_SURROGATE, '\uFFFD');
  // A snapshot id past 2^53 stays exact as a string (jsonb numbers are read back as doubles).
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(storable);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storable(k) as string, storable(v)]));
  }
  return value;
}

/** The detail, or a note of its size when it is too big to keep. */
export function boundedDetail(detail: Record<string, unknown>): Record<string, unknown> {
  const text = stringifyJson(detail);
  if (Buffer.byteLength(text) <= MAX_DETAIL_BYTES) return detail;
  return { truncated: true, bytes: Buffer.byteLength(text), keys: Object.keys(detail).slice(0, 20) };
}
