// Prometheus metrics (prom-client), one registry per process, served on a port of its own
// (CATALOG_METRICS_PORT) so the API port never exposes them. Counters are per replica;
// Prometheus sums them across pods.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface GcMetrics {
  runFinished(status: string): void;
  deleted(files: number, bytes: number): void;
  failures(count: number): void;
  indexed(objects: number, entries: number): void;
  refused(count: number): void;
  orphansFound(count: number): void;
}

export class CatalogMetrics implements GcMetrics {
  readonly registry = new Registry();
  private readonly gcRuns = new Counter({ name: 'catalog_gc_runs_total', help: 'Collection runs by final status', labelNames: ['status'], registers: [this.registry] });
  private readonly gcDeletedFiles = new Counter({ name: 'catalog_gc_deleted_files_total', help: 'Files the collector deleted from object storage', registers: [this.registry] });
  private readonly gcDeletedBytes = new Counter({ name: 'catalog_gc_deleted_bytes_total', help: 'Bytes the collector deleted (sizes as recorded in manifests)', registers: [this.registry] });
  private readonly gcFailures = new Counter({ name: 'catalog_gc_failures_total', help: 'Deletions or index reads that failed (retried on a later run)', registers: [this.registry] });
  private readonly gcIndexedObjects = new Counter({ name: 'catalog_gc_indexed_objects_total', help: 'Manifest lists, manifests and metadata files read by the indexer', registers: [this.registry] });
  private readonly gcIndexedEntries = new Counter({ name: 'catalog_gc_indexed_entries_total', help: 'References (manifest entries, manifests, statistics files) recorded by the indexer', registers: [this.registry] });
  private readonly gcRefused = new Counter({ name: 'catalog_gc_refused_references_total', help: 'References to files already deleted or being deleted: should stay 0', registers: [this.registry] });
  private readonly gcOrphans = new Counter({ name: 'catalog_gc_orphan_files_found_total', help: 'Files under a warehouse root that no commit registered', registers: [this.registry] });

  constructor(options: { indexLag?: () => Promise<{ objects: number; oldest: Date | null }> } = {}) {
    collectDefaultMetrics({ register: this.registry });
    const lag = options.indexLag;
    if (lag) {
      // Read at scrape time; a failed read leaves the last value.
      let last = { objects: 0, seconds: 0 };
      const refresh = async () => {
        try {
          const now = await lag();
          last = { objects: now.objects, seconds: now.oldest ? Math.max(0, (Date.now() - now.oldest.getTime()) / 1000) : 0 };
        } catch {
          /* database unreachable: keep the last value */
        }
        return last;
      };
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

/** For tests and tools that run a collector without exporting metrics. */
export const NO_GC_METRICS: GcMetrics = {
  runFinished() {},
  deleted() {},
  failures() {},
  indexed() {},
  refused() {},
  orphansFound() {},
};
