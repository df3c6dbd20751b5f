// A bounded cache of metadata documents, keyed by metadata file location. A location names
// one immutable version of a table, so an entry never goes stale: replicas still ask Postgres
// which location is current on every request, and only the document itself (tens of KB for
// a table with history, TOASTed and compressed in Postgres) comes from memory.
import { normalizeTableMetadata } from '../iceberg/metadata-document.js';
import type { TableMetadata } from '../iceberg/table-metadata.js';
import { parseJson } from '../json/int64-json.js';

interface Entry {
  json: string;
  metadata?: TableMetadata;
  /** The full loadTable response body, encoded once: serving it allocates nothing. */
  loadBody?: Buffer;
  bytes: number;
}

export class MetadataCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.entries.size;
  }

  getJson(location: string): string | undefined {
    const entry = this.entries.get(location);
    if (!entry) return undefined;
    // Re-insert to mark it most recently used (a Map iterates in insertion order).
    this.entries.delete(location);
    this.entries.set(location, entry);
    return entry.json;
  }

  /** The parsed document, parsed once per location. Callers must not mutate it. */
  getMetadata(location: string, json: string): TableMetadata {
    let entry = this.entries.get(location);
    if (!entry) {
      this.put(location, json);
      entry = this.entries.get(location);
      if (!entry) return normalizeTableMetadata(parseJson(json)); // too large to cache
    }
    entry.metadata ??= normalizeTableMetadata(parseJson(entry.json));
    return entry.metadata;
  }

  /** The encoded loadTable body for this location, built by `build` once while cached. */
  getLoadBody(location: string, build: () => string): Buffer {
    const entry = this.entries.get(location);
    if (!entry) return Buffer.from(build());
    if (!entry.loadBody) {
      entry.loadBody = Buffer.from(build());
      this.bytes += entry.loadBody.byteLength;
      entry.bytes += entry.loadBody.byteLength;
      this.evict();
    }
    return entry.loadBody;
  }

  put(location: string, json: string, metadata?: TableMetadata): void {
    // Strings are UTF-16 in memory; a parsed document takes a few times its text.
    const bytes = json.length * 2 * (metadata ? 4 : 1);
    if (bytes > this.maxBytes / 4) return;
    const existing = this.entries.get(location);
    if (existing) {
      this.bytes -= existing.bytes;
      this.entries.delete(location);
    }
    this.entries.set(location, { json, metadata, bytes });
    this.bytes += bytes;
    this.evict();
  }

  delete(location: string): void {
    const entry = this.entries.get(location);
    if (!entry) return;
    this.entries.delete(location);
    this.bytes -= entry.bytes;
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= entry.bytes;
    }
  }
}
