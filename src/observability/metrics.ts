// Prometheus metrics (prom-client), one registry per process, served on a port of its own
// (CATALOG_METRICS_PORT) so the API port never exposes them. Counters are per replica;
// Prometheus sums them across pods.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CommitObserver } from '../catalog/table-commit.js';

export interface GcMetrics {
  runFinished(status: string): void;
  deleted(files: number, bytes: number): void;
  failures(count: number): void;
  indexed(objects: number, entries: number): void;
  refused(count: number): void;
  orphansFound(count: number): void;
}

/** What the HTTP layer reports: every answered request, and commits refused for a lost race. */
export interface HttpMetrics {
  requestFinished(method: string, route: string, status: number, seconds: number): void;
  commitConflict(route: string): void;
}

export interface CatalogMetricsSources {
  indexLag?: () => Promise<{ objects: number; oldest: Date | null }>;
  /** Connections of the database pool; undefined for the embedded database. */
  pool?: () => { total: number; idle: number; waiting: number; max: number } | undefined;
  /** Live clones, with and without a TTL. */
  clones?: () => Promise<{ expiring: number; permanent: number }>;
  /** Lookups of a principal's grants answered from this replica's cache, and not. */
  grantCache?: () => { hits: number; misses: number };
}

/**
 * Reads a value at scrape time, at most once per scrape even when several gauges share it;
 * a failed read (database unreachable) leaves the last value.
 */
function scrapeReader<T>(read: () => Promise<T>, initial: T): () => Promise<T> {
  let last = initial;
  let pending: Promise<T> | undefined;
  return () =>
    (pending ??= read()
      .then((value) => (last = value))
      .catch(() => last)
      .finally(() => setImmediate(() => (pending = undefined))));
}

export class CatalogMetrics implements GcMetrics, HttpMetrics, CommitObserver {
  readonly registry = new Registry();
  // Latency buckets from a cached config read (~1 ms) to a large multi-table commit.
  private readonly requestDuration = new Histogram({
    name: 'catalog_http_request_duration_seconds',
    help: 'Time to answer a request, by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly requests = new Counter({ name: 'catalog_http_requests_total', help: 'Requests answered, by method, route template and status', labelNames: ['method', 'route', 'status'], registers: [this.registry] });
  private readonly commitConflicts = new Counter({ name: 'catalog_commit_conflicts_total', help: 'Commits answered 409 CommitFailedException (the client retries them)', labelNames: ['route'], registers: [this.registry] });
  private readonly commitRetries = new Counter({ name: 'catalog_commit_retries_total', help: 'Compare-and-swaps lost to a concurrent commit and retried inside the catalog', registers: [this.registry] });
  private readonly gcRuns = new Counter({ name: 'catalog_gc_runs_total', help: 'Collection runs by final status', labelNames: ['status'], registers: [this.registry] });
  private readonly gcDeletedFiles = new Counter({ name: 'catalog_gc_deleted_files_total', help: 'Files the collector deleted from object storage', registers: [this.registry] });
  private readonly gcDeletedBytes = new Counter({ name: 'catalog_gc_deleted_bytes_total', help: 'Bytes the collector deleted (sizes as recorded in manifests)', registers: [this.registry] });
  private readonly gcFailures = new Counter({ name: 'catalog_gc_failures_total', help: 'Deletions or index reads that failed (retried on a later run)', registers: [this.registry] });
  private readonly gcIndexedObjects = new Counter({ name: 'catalog_gc_indexed_objects_total', help: 'Manifest lists, manifests and metadata files read by the indexer', registers: [this.registry] });
  private readonly gcIndexedEntries = new Counter({ name: 'catalog_gc_indexed_entries_total', help: 'References (manifest entries, manifests, statistics files) recorded by the indexer', registers: [this.registry] });
  private readonly gcRefused = new Counter({ name: 'catalog_gc_refused_references_total', help: 'References to files already deleted or being deleted: should stay 0', registers: [this.registry] });
  private readonly clonesExpiredTotal = new Counter({ name: 'catalog_clones_expired_total', help: 'Clones dropped because their TTL passed', registers: [this.registry] });
  private readonly auditWritten = new Counter({ name: 'catalog_audit_events_stored_total', help: 'Audit events stored in Postgres', registers: [this.registry] });
  private readonly auditDropped = new Counter({
    name: 'catalog_audit_events_dropped_total',
    help: 'Audit events written as log lines only: the queue for Postgres was full',
    registers: [this.registry],
  });
  private readonly gcOrphans = new Counter({ name: 'catalog_gc_orphan_files_found_total', help: 'Files under a warehouse root that no commit registered', registers: [this.registry] });

  constructor(sources: CatalogMetricsSources = {}) {
    collectDefaultMetrics({ register: this.registry });
    const lag = sources.indexLag;
    if (lag) {
      const refresh = scrapeReader(async () => {
        const now = await lag();
        return { objects: now.objects, seconds: now.oldest ? Math.max(0, (Date.now() - now.oldest.getTime()) / 1000) : 0 };
      }, { objects: 0, seconds: 0 });
      new Gauge({
        name: 'catalog_gc_index_lag_objects',
        help: 'Objects waiting to be indexed',
        registers: [this.registry],
        async collect() {
          this.set((await refresh()).objects);
        },
      });
      new Gauge({
        name: 'catalog_gc_index_lag_seconds',
        help: 'Age of the oldest object waiting to be indexed',
        registers: [this.registry],
        async collect() {
          this.set((await refresh()).seconds);
        },
      });
    }
    const pool = sources.pool;
    if (pool) {
      new Gauge({
        name: 'catalog_db_pool_connections',
        help: 'Database pool connections: open (in use + idle), idle, max (the pool size)',
        labelNames: ['state'],
        registers: [this.registry],
        collect() {
          const stats = pool();
          if (!stats) return;
          this.set({ state: 'open' }, stats.total);
          this.set({ state: 'idle' }, stats.idle);
          this.set({ state: 'max' }, stats.max);
        },
      });
      new Gauge({
        name: 'catalog_db_pool_waiting_requests',
        help: 'Queries waiting for a free pool connection (above 0 for long: the pool is too small)',
        registers: [this.registry],
        collect() {
          this.set(pool()?.waiting ?? 0);
        },
      });
    }
    const grantCache = sources.grantCache;
    if (grantCache) {
      new Gauge({
        name: 'catalog_authz_grant_lookups',
        help: "Authorization lookups of a principal's grants since start, by whether this replica's cache answered (a counter's value; hit rate = hit / (hit + miss))",
        labelNames: ['cache'],
        registers: [this.registry],
        collect() {
          const stats = grantCache();
          this.set({ cache: 'hit' }, stats.hits);
          this.set({ cache: 'miss' }, stats.misses);
        },
      });
    }
    const clones = sources.clones;
    if (clones) {
      const refresh = scrapeReader(clones, { expiring: 0, permanent: 0 });
      new Gauge({
        name: 'catalog_clones',
        help: 'Live table clones, by whether they carry a TTL',
        labelNames: ['ttl'],
        registers: [this.registry],
        async collect() {
          const now = await refresh();
          this.set({ ttl: 'true' }, now.expiring);
          this.set({ ttl: 'false' }, now.permanent);
        },
      });
    }
  }

  requestFinished(method: string, route: string, status: number, seconds: number) {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.requestDuration.observe(labels, seconds);
  }
  commitConflict(route: string) {
    this.commitConflicts.inc({ route });
  }
  onConflictRetry() {
    this.commitRetries.inc();
  }
  auditEvents(written: number, dropped: number) {
    if (written > 0) this.auditWritten.inc(written);
    if (dropped > 0) this.auditDropped.inc(dropped);
  }

  clonesExpired(count: number) {
    this.clonesExpiredTotal.inc(count);
  }

  runFinished(status: string) {
    this.gcRuns.inc({ status });
  }
  deleted(files: number, bytes: number) {
    this.gcDeletedFiles.inc(files);
    this.gcDeletedBytes.inc(bytes);
  }
  failures(count: number) {
    this.gcFailures.inc(count);
  }
  indexed(objects: number, entries: number) {
    this.gcIndexedObjects.inc(objects);
    this.gcIndexedEntries.inc(entries);
  }
  refused(count: number) {
    this.gcRefused.inc(count);
  }
  orphansFound(count: number) {
    this.gcOrphans.inc(count);
  }

  /** Serves GET /metrics on its own port. */
  async listen(host: string, port: number): Promise<Server> {
    const server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404).end();
        return;
      }
      this.registry
        .metrics()
        .then((body) => response.writeHead(200, { 'content-type': this.registry.contentType }).end(body))
        .catch(() => response.writeHead(500).end());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
    return server;
  }
}

export const NO_HTTP_METRICS: HttpMetrics = {
  requestFinished() {},
  commitConflict() {},
};

/** For tests and tools that run a collector without exporting metrics. */
export const NO_GC_METRICS: GcMetrics = {
  runFinished() {},
  deleted() {},
  failures() {},
  indexed() {},
  refused() {},
  orphansFound() {},
};
