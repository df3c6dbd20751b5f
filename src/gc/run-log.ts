// Reading the collector's run records, for the HTTP API.
import type { Db } from '../db/database.js';
import { findRun, listRunFiles, listRuns, type GcRun, type RunFile } from '../db/gc-run-repository.js';
import { updateWarehouseProperties, type Warehouse } from '../db/warehouse-repository.js';

export class GcRunLog {
  constructor(private readonly db: Db) {}

  list(limit: number): Promise<GcRun[]> {
    return listRuns(this.db, limit);
  }

  find(id: string): Promise<GcRun | undefined> {
    return findRun(this.db, id);
  }

  files(runId: string, limit: number, afterUri: string): Promise<RunFile[]> {
    return listRunFiles(this.db, runId, limit, afterUri);
  }
}

export const DROP_RETENTION_PROPERTY = 'gc.drop-retention-ms';

/** A warehouse's collector settings, kept as warehouse properties. */
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
