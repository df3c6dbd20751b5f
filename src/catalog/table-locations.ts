// Where tables live. Every table gets a directory of its own inside the warehouse: two
// tables never share a location, so one table's files can never be mistaken for another's
// (the failure behind iceberg#10779 and nessie#12363).
import type { Db, DbOrTx } from '../db/database.js';
import type { Namespace } from '../db/namespace-repository.js';
import { findOverlappingTable } from '../db/table-repository.js';
import type { Warehouse } from '../db/warehouse-repository.js';
import { badRequest } from '../iceberg/errors.js';
import { pathSegment, requireWithinWarehouse } from './locations.js';

export class TableLocations {
  constructor(private readonly db: Db) {}

  /** The normalised location, or a 400 when it is outside the warehouse root. */
  confine(warehouse: Warehouse, location: string): string {
    return requireWithinWarehouse(warehouse.location, location);
  }

  /** Inside a transaction pass it as `db`: the embedded database has one connection, which the transaction holds. */
  async checkNoOverlap(warehouse: Warehouse, location: string, exceptTableId?: string, db: DbOrTx = this.db): Promise<void> {
    const other = await findOverlappingTable(db, warehouse.id, location, exceptTableId);
    if (other) {
      throw badRequest(`Location ${location} overlaps the location of table ${other.name} (${other.location})`);
    }
  }

  /** `<namespace location or warehouse/ns/path>/<table>-<random id>`: unique even when a name is reused. */
  defaultTableLocation(warehouse: Warehouse, namespace: Namespace, name: string): string {
    const base = namespace.properties.location ?? `${warehouse.location}/${namespace.levels.map(pathSegment).join('/')}`;
    return `${base.replace(/\/+$/, '')}/${pathSegment(name)}-${crypto.randomUUID().replace(/-/g, '')}`;
  }
}
