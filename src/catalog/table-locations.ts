// Where tables live. Every table gets a directory of its own inside the warehouse: two
// tables never share a location, so one table's files can never be mistaken for another's
// (the failure behind iceberg#10779 and nessie#12363).
import type { Db, DbOrTx } from '../db/database.js';
import type { Namespace } from '../db/namespace-repository.js';
import { findOverlappingTable } from '../db/table-repository.js';
import type { Warehouse } from '../db/warehouse-repository.js';
import { badRequest } from '../iceberg/errors.js';
import { filesAddedBy, filesNamedBy } from '../iceberg/named-files.js';
import type { TableMetadata } from '../iceberg/table-metadata.js';
import { defaultNamespaceLocation, pathSegment, requireFileWithinWarehouse, requireWithinWarehouse } from './locations.js';

export class TableLocations {
  constructor(private readonly db: Db) {}

  /** The normalised location, or a 400 when it is outside the warehouse root. */
  confine(warehouse: Warehouse, location: string): string {
    return requireWithinWarehouse(warehouse.location, location);
  }

  /**
   * Every file a commit adds to the table's metadata lies inside the warehouse (400
   * otherwise). Files the table named before are not checked again: a table registered
   * before this rule may keep its history; the collector deletes nothing outside a managed root.
   */
  confineAddedFiles(warehouse: Warehouse, base: TableMetadata | undefined, next: TableMetadata): void {
    for (const file of filesAddedBy(base, next)) requireFileWithinWarehouse(warehouse.location, file.uri, file.role);
  }

  /** A registered document: everything it names, its metadata log included, lies inside the warehouse. */
  confineRegistered(warehouse: Warehouse, metadata: TableMetadata): void {
    // A format-v1 snapshot may list its manifests inline instead of in a manifest list. The
    // catalog roots snapshots by their manifest list only, so such manifests would be rooted
    // by nothing and taken for orphans; commits cannot add them (the API requires a manifest
    // list), and a register may not bring them in.
    const inline = metadata.snapshots.find((s) => typeof s['manifest-list'] !== 'string');
    if (inline) {
      throw badRequest(
        `Cannot register a table whose snapshot ${String(inline['snapshot-id'])} has no manifest list (format v1 inline manifests); rewrite its manifests first`,
      );
    }
    for (const file of filesNamedBy(metadata, { metadataLog: true })) requireFileWithinWarehouse(warehouse.location, file.uri, file.role);
  }

  /** Inside a transaction pass it as `db`: the embedded database has one connection, which the transaction holds. */
  async checkNoOverlap(warehouse: Warehouse, location: string, exceptTableId?: string, db: DbOrTx = this.db): Promise<void> {
    const other = await findOverlappingTable(db, warehouse.id, location, exceptTableId);
    if (other) {
      // Neither its name nor its location: the caller may have no right to see either.
      throw badRequest(`Location ${location} overlaps the location of another ${other.kind}`);
    }
  }

  /** `<namespace location or warehouse/ns/path>/<table>-<random id>`: unique even when a name is reused. */
  defaultTableLocation(warehouse: Warehouse, namespace: Namespace, name: string): string {
    const base = namespace.properties.location || defaultNamespaceLocation(warehouse.location, namespace.levels);
    return `${base.replace(/\/+$/, '')}/${pathSegment(name)}-${crypto.randomUUID().replace(/-/g, '')}`;
  }
}
