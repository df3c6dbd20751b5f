// Reading and managing clones after the fact: listings with expiry, lineage, TTL changes,
// and the periodic drop of expired clones.
import type { Db } from '../db/database.js';
import { dropExpiredTables, lineageOfTable, listClones, setExpiry, type CloneListing } from '../db/clone-repository.js';
import { findTable } from '../db/table-repository.js';
import type { Warehouse } from '../db/warehouse-repository.js';
import { noSuchTable, noSuchView } from '../iceberg/errors.js';
import { findView } from '../db/view-repository.js';
import { tableName, type TableIdentifier } from '../catalog/identifiers.js';
import { expiryFrom, type ExpiryRequest } from './expiry.js';

export class CloneRegistry {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  list(warehouse: Warehouse): Promise<CloneListing[]> {
    return listClones(this.db, warehouse.id);
  }

  async lineage(warehouse: Warehouse, table: TableIdentifier) {
    const head = await findTable(this.db, warehouse.id, table.namespace, table.name);
    if (!head) throw noSuchTable(tableName(table.namespace, table.name));
    return lineageOfTable(this.db, head.id);
  }

  /** A view's lineage: where it was cloned from, and its live clones. */
  async viewLineage(warehouse: Warehouse, view: TableIdentifier) {
    const record = await findView(this.db, warehouse.id, view.namespace, view.name);
    if (!record) throw noSuchView(tableName(view.namespace, view.name));
    return lineageOfTable(this.db, record.id);
  }

  /** Sets, moves or (with neither field) clears a table's expiry. */
  async setExpiry(warehouse: Warehouse, table: TableIdentifier, request: ExpiryRequest): Promise<Date | null> {
    const head = await findTable(this.db, warehouse.id, table.namespace, table.name);
    if (!head) throw noSuchTable(tableName(table.namespace, table.name));
    const expiresAt = expiryFrom(request, this.now());
    if (!(await setExpiry(this.db, head.id, expiresAt))) throw noSuchTable(tableName(table.namespace, table.name));
    return expiresAt;
  }

  /** Drops clones whose time is up; safe to run on every replica at once (see dropExpiredTables). */
  dropExpired() {
    return dropExpiredTables(this.db);
  }
}
