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
  /** The same body in a content coding (gzip, br), compressed once per location. */
  encodedBodies?: Map<string, Buffer>;
  bytes: number;
}

/** A form of the load body other than the plain one: its name and how to make it. */
export interface BodyVariant {
  key: string;
  encode(body: Buffer): Buffer;
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
  getLoadBody(location: string, build: () => string, variant?: BodyVariant): Buffer {
    const entry = this.entries.get(location);
    if (!entry) {
      const body = Buffer.from(build());
      return variant ? variant.encode(body) : body;
    }
    if (!entry.loadBody) {
      entry.loadBody = Buffer.from(build());
      this.account(entry, entry.loadBody.byteLength);
    }
    if (!variant) return entry.loadBody;
    // Compressing an 80 KB answer costs a millisecond or more; doing it once per version and
    // coding keeps a compressed load as cheap as a plain one.
    entry.encodedBodies ??= new Map();
    let encoded = entry.encodedBodies.get(variant.key);
    if (!encoded) {
      encoded = variant.encode(entry.loadBody);
      entry.encodedBodies.set(variant.key, encoded);
      this.account(entry, encoded.byteLength);
    }
    return encoded;
  }

  private account(entry: Entry, bytes: number): void {
    this.bytes += bytes;
    entry.bytes += bytes;
    this.evict();
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
