// Storage accounting for tables and warehouses (design: clones-and-gc.md, "Showing what
// clones cost"), read from the object index.
import type { Db } from '../db/database.js';
import { tableStorage, warehouseStorage, type TableStorage, type WarehouseStorage } from '../db/storage-report-repository.js';
import type { Warehouse } from '../db/warehouse-repository.js';
import { noSuchTable } from '../iceberg/errors.js';
import { tableName, type TableIdentifier } from '../catalog/identifiers.js';
import { findTable } from '../db/table-repository.js';

export class StorageReport {
  constructor(private readonly db: Db) {}

  async table(warehouse: Warehouse, identifier: TableIdentifier): Promise<TableStorage> {
    const head = await findTable(this.db, warehouse.id, identifier.namespace, identifier.name);
    if (!head) throw noSuchTable(tableName(identifier.namespace, identifier.name));
    return tableStorage(this.db, head.id, head.location);
  }

  warehouse(warehouse: Warehouse): Promise<WarehouseStorage> {
    return warehouseStorage(this.db, warehouse.location);
  }
}
