// A warehouse's collector settings, kept as warehouse properties (the purge reads the same
// property in SQL: object-index-repository.ts, dueDroppedTables).
import type { Db } from '../db/database.js';
import { updateWarehouseProperties, type Warehouse } from '../db/warehouse-repository.js';

export const DROP_RETENTION_PROPERTY = 'gc.drop-retention-ms';

export class GcSettings {
  constructor(
    private readonly db: Db,
    readonly defaultDropRetentionMs: number,
  ) {}

  /** Sets the warehouse's drop retention (null: back to the default); returns the one in force. */
  async setDropRetention(warehouse: Warehouse, ms: number | null): Promise<number> {
    const updated = await updateWarehouseProperties(this.db, warehouse.id, { [DROP_RETENTION_PROPERTY]: ms === null ? null : String(ms) });
    return Number(updated?.properties[DROP_RETENTION_PROPERTY] ?? this.defaultDropRetentionMs);
  }
}
