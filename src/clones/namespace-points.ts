// Points in time across a namespace tree: one tag name on every table at one consistent
// instant (atomically), and "as of T" resolved to each table's snapshot id.
import type { Db } from '../db/database.js';
import { lockTables } from '../db/clone-repository.js';
import { findNamespace } from '../db/namespace-repository.js';
import { isTransactionConflict, mayHaveCommitted } from '../db/postgres-errors.js';
import type { Warehouse } from '../db/warehouse-repository.js';
import { alreadyExists, badRequest, noSuchNamespace } from '../iceberg/errors.js';
import type { Snapshot, TableMetadata } from '../iceberg/table-metadata.js';
import type { ObjectStore } from '../storage/object-store.js';
import { namespaceName, tableName } from '../catalog/identifiers.js';
import type { TableDocuments } from '../catalog/table-documents.js';
import { resolveClonePoint } from './clone-point.js';
import { commitLockedTable } from './locked-commit.js';

export interface NamespaceTagRequest {
  name: string;
  'timestamp-ms'?: number;
  'max-ref-age-ms'?: number;
  replace?: boolean;
}

export interface TablePoint {
  namespace: string[];
  name: string;
  'snapshot-id': string | null;
}

function snapshotAt(metadata: TableMetadata, at: number | undefined, now: number, name: string): Snapshot | null {
  try {
    return resolveClonePoint(metadata, at === undefined ? {} : { 'timestamp-ms': at }, now, name);
  } catch {
    return null; // no snapshot at that time: the table did not have data yet
  }
}

export class NamespacePoints {
  constructor(
    private readonly db: Db,
    private readonly store: ObjectStore,
    private readonly documents: TableDocuments,
    private readonly now: () => number,
  ) {}

  private async requireNamespace(warehouse: Warehouse, levels: string[]) {
    if (!(await findNamespace(this.db, warehouse.id, levels))) throw noSuchNamespace(namespaceName(levels));
  }

  /** Tags every table below the namespace at the same instant, in one transaction. */
  async tag(warehouse: Warehouse, levels: string[], request: NamespaceTagRequest) {
    if (typeof request.name !== 'string' || request.name === '') throw badRequest('A tag name is required');
    if (request.name === 'main') throw badRequest('main is a branch; choose another tag name');
    await this.requireNamespace(warehouse, levels);
    const now = this.now();
    const at = request['timestamp-ms'];
    if (at !== undefined && at > now) throw badRequest(`Timestamp ${at} is in the future`);
    for (let attempt = 1; ; attempt++) {
      const written: string[] = [];
      try {
        const result = await this.db.transaction().execute(async (tx) => {
          const tagged: TablePoint[] = [];
          const skipped: TablePoint[] = [];
          const committed = [];
          for (const table of await lockTables(tx, warehouse.id, { namespacePrefix: levels })) {
            const metadata = this.documents.parsed(table.metadataLocation, table.metadataJson);
            const snapshot = snapshotAt(metadata, at, now, tableName(table.levels, table.name));
            const point = { namespace: table.levels, name: table.name, 'snapshot-id': snapshot?.['snapshot-id'].toString() ?? null };
            if (!snapshot) {
              skipped.push(point);
              continue;
            }
            if (metadata.refs[request.name] && !request.replace) {
              throw alreadyExists(`Table ${tableName(table.levels, table.name)} already has a ref named ${request.name}`);
            }
            const update = {
              action: 'set-snapshot-ref',
              'ref-name': request.name,
              type: 'tag',
              'snapshot-id': snapshot['snapshot-id'],
              ...(request['max-ref-age-ms'] === undefined ? {} : { 'max-ref-age-ms': request['max-ref-age-ms'] }),
            };
            committed.push(await commitLockedTable(tx, this.store, table, metadata, [update], now, written, warehouse.location));
            tagged.push(point);
          }
          return { tagged, skipped, committed };
        });
        for (const c of result.committed) this.documents.remember(c.record.metadataLocation, c.metadataJson, c.metadata);
        return { tag: request.name, tables: result.tagged, skipped: result.skipped };
      } catch (error) {
        // Unless the transaction may have committed (its files are then the tables' own).
        if (!mayHaveCommitted(error)) await this.store.delete(written).catch(() => undefined);
        if (!isTransactionConflict(error) || attempt >= 3) throw error;
      }
    }
  }

  /** Each table's snapshot at `at` (main's history), read at one consistent database snapshot. */
  async asOf(warehouse: Warehouse, levels: string[], at: number) {
    await this.requireNamespace(warehouse, levels);
    const now = this.now();
    if (at > now) throw badRequest(`Timestamp ${at} is in the future`);
    const tables = await this.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute((tx) => lockTables(tx, warehouse.id, { namespacePrefix: levels }, { lock: false }));
    return tables.map((table) => {
      const snapshot = snapshotAt(this.documents.parsed(table.metadataLocation, table.metadataJson), at, now, table.name);
      return { namespace: table.levels, name: table.name, 'snapshot-id': snapshot?.['snapshot-id'].toString() ?? null };
    });
  }
}
