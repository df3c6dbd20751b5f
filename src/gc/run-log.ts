// Reading the collector's run records, for the HTTP API.
import type { Db } from '../db/database.js';
import { findRun, listRunFiles, listRuns, type GcRun, type RunFile } from '../db/gc-run-repository.js';

export class GcRunLog {
  constructor(private readonly db: Db) {}

  /** `warehouseIds`: only runs scoped to these warehouses; undefined: every run. */
  list(limit: number, warehouseIds?: readonly string[]): Promise<GcRun[]> {
    return listRuns(this.db, limit, warehouseIds);
  }

  find(id: string): Promise<GcRun | undefined> {
    return findRun(this.db, id);
  }

  files(runId: string, limit: number, afterUri: string): Promise<RunFile[]> {
    return listRunFiles(this.db, runId, limit, afterUri);
  }
}
