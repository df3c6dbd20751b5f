// Dropped tables stay restorable: a drop only marks the row (its snapshots and files stay
// rooted), so "undrop" puts it back under its old name or, when that is taken, a new one.
import type { Db } from '../db/database.js';
import { findNamespace } from '../db/namespace-repository.js';
import { isUniqueViolation } from '../db/postgres-errors.js';
import { listDroppedTables, lockDroppedTable, restoreTable, type DroppedTable } from '../db/table-repository.js';
import type { Warehouse } from '../db/warehouse-repository.js';
import { alreadyExists, badRequest, noSuchNamespace, notFound } from '../iceberg/errors.js';
import { namespaceName, tableName, type TableIdentifier } from './identifiers.js';
import type { TableLocations } from './table-locations.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class DroppedTables {
  constructor(
    private readonly db: Db,
    private readonly locations: TableLocations,
  ) {}

  list(warehouse: Warehouse): Promise<DroppedTable[]> {
    return listDroppedTables(this.db, warehouse.id);
  }

  /** Restores a dropped table under `destination`, or under the name it was dropped with. */
  async restore(warehouse: Warehouse, tableId: string, destination?: TableIdentifier): Promise<TableIdentifier> {
    if (!UUID.test(tableId)) throw notFound(`No dropped table with id ${tableId}`);
    return this.db.transaction().execute(async (tx) => {
      const dropped = await lockDroppedTable(tx, warehouse.id, tableId);
      if (!dropped) throw notFound(`No dropped table with id ${tableId}`);
      const target = destination ?? { namespace: dropped.namespace, name: dropped.name };
      if (typeof target.name !== 'string' || target.name === '') throw badRequest('Invalid destination table name');
      const namespace = await findNamespace(tx, warehouse.id, target.namespace);
      if (!namespace) throw noSuchNamespace(namespaceName(target.namespace));
      await this.locations.checkNoOverlap(warehouse, dropped.location, dropped.id, tx);
      try {
        await restoreTable(tx, dropped.id, namespace.id, target.name);
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw alreadyExists(
            `Table already exists: ${tableName(target.namespace, target.name)}; restore the dropped table under another name`,
          );
        }
        throw error;
      }
      return target;
    });
  }
}
