// The commit engine shared by updateTable, create-via-commit and multi-table transactions.
//
// Order of effects (why it is safe): requirements are checked and updates applied on the
// table as read; the new metadata file is written to storage; then one Postgres
// transaction swaps every table's pointer, each only if its version is still the one read.
// A crash between the file write and the swap leaves an unreferenced file (an orphan the
// collector removes), never a half-committed table. A lost swap deletes the files it wrote
// and starts again from the read, which re-checks the requirements: retrying happens only
// while they still hold (spec: "CommitFailedException" may be retried by the client).
import type { Db } from '../db/database.js';
import { findNamespace } from '../db/namespace-repository.js';
import { findNameHolder } from '../db/view-repository.js';
import { isTransactionConflict, isUniqueViolation, mayHaveCommitted } from '../db/postgres-errors.js';
import { compareAndSwapTable, insertTable, type TableHead, type TableRecord } from '../db/table-repository.js';
import type { Warehouse } from '../db/warehouse-repository.js';
import { badRequest, commitFailed, noSuchNamespace, noSuchTable, serviceUnavailable } from '../iceberg/errors.js';
import { TableMetadataBuilder, appendMetadataLog, emptyTableMetadata, type TableUpdate } from '../iceberg/metadata-builder.js';
import { toMetadataDocument } from '../iceberg/metadata-document.js';
import { checkRequirements, type TableRequirement } from '../iceberg/requirements.js';
import type { TableMetadata } from '../iceberg/table-metadata.js';
import { stringifyJson } from '../json/int64-json.js';
import type { ObjectStore } from '../storage/object-store.js';
import { namespaceName, tableName, type TableIdentifier } from './identifiers.js';
import { requireValidName } from './name-limits.js';
import { nameTaken } from './name-conflicts.js';
import type { CurrentTable, TableDocuments } from './table-documents.js';
import type { TableLocations } from './table-locations.js';

export interface TableChange {
  identifier: TableIdentifier;
  requirements: TableRequirement[];
  updates: TableUpdate[];
}

export interface CommittedTable {
  record: TableRecord;
  metadata: TableMetadata;
  /** The metadata document text, as stored and as served. */
  metadataJson: string;
}

export interface CommitObserver {
  /** Called after each lost compare-and-swap, before the retry. */
  onConflictRetry?(attempt: number): void;
}

interface PlannedCommit {
  change: TableChange;
  kind: 'create' | 'update' | 'unchanged';
  base?: { record: TableHead; metadata: TableMetadata };
  result: CommittedTable;
}

class LostRace extends Error {}

export function metadataFileLocation(location: string, version: number): string {
  return `${location}/metadata/${String(version).padStart(5, '0')}-${crypto.randomUUID()}.metadata.json`;
}

export function serializeMetadata(metadata: TableMetadata): string {
  return stringifyJson(toMetadataDocument(metadata));
}

/**
 * A version of a table ready to be written: its metadata serialised, and its row naming a new
 * metadata file (`<location>/metadata/<version>-<uuid>.metadata.json`). `location` is the
 * table's normalised location; the metadata may spell it as the client did.
 */
export function tableVersion(
  table: { id: string; warehouseId: string; namespaceId: string; name: string; location: string; version: number },
  metadata: TableMetadata,
): CommittedTable {
  const metadataJson = serializeMetadata(metadata);
  return {
    metadata,
    metadataJson,
    record: {
      ...table,
      tableUuid: metadata['table-uuid'],
      formatVersion: metadata['format-version'],
      metadataLocation: metadataFileLocation(table.location, table.version),
      metadataJson,
    },
  };
}

export class TableCommitter {
  constructor(
    private readonly db: Db,
    private readonly store: ObjectStore,
    private readonly locations: TableLocations,
    private readonly documents: TableDocuments,
    private readonly options: { maxAttempts: number; now: () => number; observer?: CommitObserver },
  ) {}

  async commit(warehouse: Warehouse, changes: TableChange[], owner: string | null = null): Promise<CommittedTable[]> {
    const seen = new Set<string>();
    for (const change of changes) {
      const key = tableName(change.identifier.namespace, change.identifier.name);
      if (seen.has(key)) throw badRequest(`Table ${key} appears more than once in one commit`);
      seen.add(key);
    }
    for (let attempt = 1; ; attempt++) {
      const plans = await Promise.all(changes.map((change) => this.plan(warehouse, change, owner)));
      const toWrite = plans.filter((p) => p.kind !== 'unchanged');
      if (toWrite.length === 0) return plans.map((p) => p.result);
      await this.writeFiles(warehouse, toWrite.map((p) => p.result));
      try {
        if (toWrite.length === 1 && toWrite[0].kind === 'update') {
          // One table: the swap is a single atomic statement, no transaction needed.
          const [plan] = toWrite;
          if (!(await compareAndSwapTable(this.db, plan.base!.record.version, plan.base!.metadata, plan.result))) throw new LostRace();
        } else {
          // Rows are updated in table-id order, the order every locker here uses, so two
          // multi-table commits (or a commit and a clone) never wait on each other in a cycle.
          const ordered = [...toWrite].sort((a, b) => (a.result.record.id < b.result.record.id ? -1 : 1));
          await this.db.transaction().execute(async (tx) => {
            for (const plan of ordered) {
              if (plan.kind === 'create') {
                await insertTable(tx, plan.result);
              } else if (!(await compareAndSwapTable(tx, plan.base!.record.version, plan.base!.metadata, plan.result))) {
                throw new LostRace();
              }
            }
          });
        }
        for (const { result, base } of toWrite) {
          this.documents.remember(result.record.metadataLocation, result.metadataJson, result.metadata, base?.record.metadataLocation);
        }
        return plans.map((p) => p.result);
      } catch (error) {
        const lost = error instanceof LostRace || isUniqueViolation(error) || isTransactionConflict(error);
        // The files written for this attempt are referenced by nothing, unless the swap may
        // have committed after all (the connection went around COMMIT): then the table may
        // name them, and they stay (the client, answered 503, checks the table).
        if (!mayHaveCommitted(error)) await this.store.delete(toWrite.map((p) => p.result.record.metadataLocation)).catch(() => undefined);
        if (!lost) throw error;
        if (attempt >= this.options.maxAttempts) {
          throw commitFailed(`Commit failed: the table changed concurrently ${attempt} times in a row; retry the commit`);
        }
        this.options.observer?.onConflictRetry?.(attempt);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      }
    }
  }

  private async plan(warehouse: Warehouse, change: TableChange, owner: string | null): Promise<PlannedCommit> {
    const { namespace: levels, name } = change.identifier;
    const isCreate = change.requirements.some((r) => r.type === 'assert-create');
    const current = await this.documents.find(warehouse.id, levels, name);
    const base = current && { record: current.head, metadata: current.metadata(), json: current.json };
    // Only a table that does not exist yet needs its namespace looked up.
    const namespace = base ? undefined : await findNamespace(this.db, warehouse.id, levels);
    if (!base && !namespace) throw isCreate ? noSuchNamespace(namespaceName(levels)) : noSuchTable(tableName(levels, name));
    checkRequirements(change.requirements, base?.metadata);
    if (!base && !isCreate) throw noSuchTable(tableName(levels, name));
    if (!base) {
      requireValidName(name, 'table name');
      // A view holds the name: no retry can succeed (spec: a create commit's 409).
      if ((await findNameHolder(this.db, warehouse.id, levels, name)) === 'view') throw nameTaken('table', 'view', change.identifier);
    }

    const now = this.options.now();
    const checkLocation = (location: string) => this.locations.confine(warehouse, location);
    let builder: TableMetadataBuilder;
    if (base) {
      builder = new TableMetadataBuilder(base.metadata, now, checkLocation);
    } else {
      builder = new TableMetadataBuilder(emptyTableMetadata(crypto.randomUUID(), now), now, checkLocation, { isNew: true });
      // A create transaction that names no location gets the default one, like createTable.
      if (!change.updates.some((u) => u.action === 'set-location')) {
        builder.apply({ action: 'set-location', location: this.locations.defaultTableLocation(warehouse, namespace!, name) });
      }
    }
    builder.applyAll(change.updates);
    if (base && !builder.hasChanges) {
      return {
        change,
        kind: 'unchanged',
        base,
        result: { record: { ...base.record, metadataJson: base.json }, metadata: base.metadata, metadataJson: base.json },
      };
    }
    const metadata = builder.build();
    const location = this.locations.confine(warehouse, metadata.location);
    this.locations.confineAddedFiles(warehouse, base?.metadata, metadata);
    if (!base || base.record.location !== location) await this.locations.checkNoOverlap(warehouse, location, base?.record.id);
    if (base) appendMetadataLog(metadata, base.record.metadataLocation, base.metadata['last-updated-ms']);
    const version = base ? base.record.version + 1 : 0;
    const result = tableVersion(
      {
        id: base?.record.id ?? crypto.randomUUID(),
        warehouseId: warehouse.id,
        namespaceId: base?.record.namespaceId ?? namespace!.id,
        name,
        location,
        version,
      },
      metadata,
    );
    if (!base) result.record.owner = owner;
    return { change, kind: base ? 'update' : 'create', base, result };
  }

  /** A table made by createTable: its first metadata file, then its row. */
  async commitCreated(warehouse: Warehouse, table: CommittedTable): Promise<CommittedTable[]> {
    await this.writeFiles(warehouse, [table]);
    try {
      await this.db.transaction().execute((tx) => insertTable(tx, table));
    } catch (error) {
      if (!mayHaveCommitted(error)) await this.store.delete([table.record.metadataLocation]).catch(() => undefined);
      throw error;
    }
    return [table];
  }

  /** A table adopted from an existing metadata file (registerTable): no file is written. */
  async commitRegistered(table: CommittedTable, replacing?: CurrentTable): Promise<CommittedTable[]> {
    await this.db.transaction().execute(async (tx) => {
      if (!replacing) return insertTable(tx, table);
      if (!(await compareAndSwapTable(tx, replacing.head.version, replacing.metadata(), table))) {
        throw commitFailed(`Commit failed: table ${table.record.name} changed while it was being registered`);
      }
    });
    return [table];
  }

  /** Through real directories below the warehouse root only: a linked metadata folder is refused. */
  private async writeFiles(warehouse: Warehouse, tables: CommittedTable[]): Promise<void> {
    try {
      await Promise.all(tables.map((t) => this.store.put(t.record.metadataLocation, t.metadataJson, { root: warehouse.location })));
    } catch (error) {
      await this.store.delete(tables.map((t) => t.record.metadataLocation)).catch(() => undefined);
      throw serviceUnavailable(`Could not write table metadata to object storage: ${(error as Error).message}`);
    }
  }
}
