// Dropped tables and views stay restorable: a drop only marks the row (its snapshots and files
// stay rooted), so "undrop" puts it back under its old name or, when that is taken, a new one.
import type { Db } from '../db/database.js';
import { findNamespace } from '../db/namespace-repository.js';
import { isUniqueViolation } from '../db/postgres-errors.js';
import { listDroppedTables, lockDroppedTable, restoreTable, type DroppedTable } from '../db/table-repository.js';
import type { Warehouse } from '../db/warehouse-repository.js';
import { alreadyExists, badRequest, noSuchNamespace, notFound } from '../iceberg/errors.js';
import { findNameHolder } from '../db/view-repository.js';
import { namespaceName, type TableIdentifier } from './identifiers.js';
import { nameTaken } from './name-conflicts.js';
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
      const taken = (holder: 'table' | 'view') => {
        const conflict = nameTaken(dropped.kind, holder, target);
        return alreadyExists(`${conflict.message}; restore the dropped ${dropped.kind} under another name`);
      };
      // Under the row lock of the dropped entry; a name taken meanwhile is caught by the unique index.
      const holder = await findNameHolder(tx, warehouse.id, target.namespace, target.name);
      if (holder) throw taken(holder);
      try {
        await restoreTable(tx, dropped.id, namespace.id, target.name);
      } catch (error) {
        if (isUniqueViolation(error)) throw taken(dropped.kind);
        throw error;
      }
      return target;
    });
  }
}
