// The catalog's own snapshot expiry: applies each table's retention settings by committing
// remove-snapshot-ref and remove-snapshots, like any other commit (requirements pin the refs
// it looked at, so a writer that moves a ref meanwhile wins and expiry decides again next
// run). Only metadata changes here: files are deleted by the collector, never by expiry,
// since a clone may still read them.
import type { Db } from '../db/database.js';
import { sql } from 'kysely';
import { findWarehouseByName, type Warehouse } from '../db/warehouse-repository.js';
import { CatalogError, noSuchTable } from '../iceberg/errors.js';
import type { TableMetadata } from '../iceberg/table-metadata.js';
import { tableName, type TableIdentifier } from '../catalog/identifiers.js';
import type { TableCommitter } from '../catalog/table-commit.js';
import type { TableDocuments } from '../catalog/table-documents.js';
import { appendMetadataLog } from '../iceberg/metadata-builder.js';
import { decideRetention, type RetentionDecision } from './snapshot-retention.js';

export interface PlannedExpiry extends RetentionDecision {
  tableId: string;
  identifier: TableIdentifier;
  releasedMetadataFiles: string[];
}

export interface ExpiryOutcome extends RetentionDecision {
  identifier: TableIdentifier;
  committed: boolean;
}

export class SnapshotExpiry {
  constructor(
    private readonly db: Db,
    private readonly documents: TableDocuments,
    private readonly committer: TableCommitter,
    private readonly now: () => number,
  ) {}

  async expireTable(warehouse: Warehouse, table: TableIdentifier, options: { dryRun: boolean }): Promise<ExpiryOutcome> {
    const current = await this.documents.find(warehouse.id, table.namespace, table.name);
    if (!current) throw noSuchTable(tableName(table.namespace, table.name));
    const metadata = current.metadata();
    const decision = decideRetention(metadata, this.now());
    const nothing = decision.expiredSnapshotIds.length === 0 && decision.expiredRefs.length === 0;
    if (options.dryRun || nothing) return { identifier: table, ...decision, committed: false };
    await this.committer.commit(warehouse, [
      {
        identifier: table,
        requirements: requirementsFor(metadata),
        updates: [
          ...decision.expiredRefs.map((ref) => ({ action: 'remove-snapshot-ref', 'ref-name': ref })),
          ...(decision.expiredSnapshotIds.length > 0 ? [{ action: 'remove-snapshots', 'snapshot-ids': decision.expiredSnapshotIds }] : []),
        ],
      },
    ]);
    return { identifier: table, ...decision, committed: true };
  }

  /**
   * What expiry would do to every live table now, without committing: the collector's dry
   * run. `releasedMetadataFiles` are the log entries the expiry commit would push out.
   */
  /** `warehouseId`: that warehouse's tables only (a scoped collection run). */
  async planAll(warehouseId?: string): Promise<PlannedExpiry[]> {
    const plans: PlannedExpiry[] = [];
    for (const row of await this.liveTables(warehouseId)) {
      const current = await this.documents.find(row.warehouse_id, row.levels, row.name);
      if (!current) continue;
      const metadata = current.metadata();
      const decision = decideRetention(metadata, this.now());
      if (decision.expiredSnapshotIds.length === 0 && decision.expiredRefs.length === 0) continue;
      const after = { ...metadata, properties: metadata.properties, 'metadata-log': [...metadata['metadata-log']] };
      appendMetadataLog(after, current.head.metadataLocation, metadata['last-updated-ms']);
      const kept = new Set(after['metadata-log'].map((e) => e['metadata-file']));
      plans.push({
        tableId: current.head.id,
        identifier: { namespace: row.levels, name: row.name },
        ...decision,
        releasedMetadataFiles: metadata['metadata-log'].map((e) => e['metadata-file']).filter((f) => !kept.has(f)),
      });
    }
    return plans;
  }

  private async liveTables(warehouseId?: string) {
    const rows = await sql<{ warehouse: string; warehouse_id: string; levels: string[]; name: string }>`
      SELECT w.name AS warehouse, w.warehouse_id, n.levels, t.name FROM iceberg_table t
      JOIN namespace n ON n.namespace_id = t.namespace_id JOIN warehouse w ON w.warehouse_id = t.warehouse_id
      WHERE t.dropped_at IS NULL AND t.kind = 'table' AND (${warehouseId ?? null}::uuid IS NULL OR w.warehouse_id = ${warehouseId ?? null}::uuid)
      ORDER BY w.name, n.levels, t.name`.execute(this.db);
    return rows.rows;
  }

  /** One pass over every live table of every warehouse; a table that changed meanwhile waits for the next pass. */
  async expireAll(warehouseId?: string): Promise<{ tables: number; expiredSnapshots: number; expiredRefs: number; conflicts: number }> {
    const warehouses = new Map<string, Warehouse | undefined>();
    const totals = { tables: 0, expiredSnapshots: 0, expiredRefs: 0, conflicts: 0 };
    for (const row of await this.liveTables(warehouseId)) {
      if (!warehouses.has(row.warehouse)) warehouses.set(row.warehouse, await findWarehouseByName(this.db, row.warehouse));
      const warehouse = warehouses.get(row.warehouse);
      if (!warehouse) continue;
      try {
        const outcome = await this.expireTable(warehouse, { namespace: row.levels, name: row.name }, { dryRun: false });
        if (outcome.committed) {
          totals.tables += 1;
          totals.expiredSnapshots += outcome.expiredSnapshotIds.length;
          totals.expiredRefs += outcome.expiredRefs.length;
        }
      } catch (error) {
        // Dropped or committed to since the listing: next pass.
        if (error instanceof CatalogError && (error.status === 404 || error.status === 409)) totals.conflicts += 1;
        else throw error;
      }
    }
    return totals;
  }
}

/** The table must still be this table with these refs where expiry saw them. */
function requirementsFor(metadata: TableMetadata) {
  return [
    { type: 'assert-table-uuid' as const, uuid: metadata['table-uuid'] },
    ...Object.entries(metadata.refs).map(([ref, r]) => ({ type: 'assert-ref-snapshot-id' as const, ref, 'snapshot-id': r['snapshot-id'] })),
  ];
}
