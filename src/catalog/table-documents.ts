// Reads a table's current metadata through the MetadataCache: Postgres says which
// metadata location is current (a small row), the cache usually has its document.
import type { Db } from '../db/database.js';
import { findTable, readTableDocument, type TableHead } from '../db/table-repository.js';
import type { TableMetadata } from '../iceberg/table-metadata.js';
import type { BodyVariant, MetadataCache } from './metadata-cache.js';

export interface CurrentTable {
  head: TableHead;
  /** The stored document text, served as is. */
  json: string;
  /** The parsed document (shared: do not mutate). */
  metadata(): TableMetadata;
  /**
   * The loadTable response body for `snapshots=all`, built by `build` and cached with the
   * document; with a variant, that form of it (a content coding), cached the same way.
   */
  loadBody(build: (json: string) => string, variant?: BodyVariant): Buffer;
}

export class TableDocuments {
  constructor(
    private readonly db: Db,
    private readonly cache: MetadataCache,
  ) {}

  async find(warehouseId: string, levels: string[], name: string): Promise<CurrentTable | undefined> {
    let head = await findTable(this.db, warehouseId, levels, name);
    if (!head) return undefined;
    let json = this.cache.getJson(head.metadataLocation);
    if (json === undefined) {
      const document = await readTableDocument(this.db, head.id);
      if (!document) return undefined;
      // A commit may have landed between the two reads: serve the newer version, consistently.
      head = { ...head, metadataLocation: document.metadataLocation, version: document.version };
      json = document.metadataJson;
      this.cache.put(head.metadataLocation, json);
    }
    const location = head.metadataLocation;
    const text = json;
    return {
      head,
      json,
      metadata: () => this.cache.getMetadata(location, text),
      loadBody: (build, variant) => this.cache.getLoadBody(location, () => build(text), variant),
    };
  }

  /** The parsed form of a document read elsewhere (e.g. under a row lock), parsed once per version. */
  parsed(metadataLocation: string, json: string): TableMetadata {
    return this.cache.getMetadata(metadataLocation, json);
  }

  /**
   * Remembers a document this replica just wrote, so the client's next load is served from
   * memory, and forgets the version it replaced: nothing asks for a superseded version.
   */
  remember(metadataLocation: string, json: string, metadata: TableMetadata, replaced?: string): void {
    if (replaced) this.cache.delete(replaced);
    this.cache.put(metadataLocation, json, metadata);
  }
}
