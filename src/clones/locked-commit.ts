// Commits onto tables whose rows this transaction has locked: the swap cannot lose a race,
// so there is no retry loop, only the usual order of effects (file first, pointer second).
import type { Tx } from '../db/database.js';
import type { LockedTable } from '../db/clone-repository.js';
import { compareAndSwapTable } from '../db/table-repository.js';
import { TableMetadataBuilder, appendMetadataLog, type TableUpdate } from '../iceberg/metadata-builder.js';
import type { TableMetadata } from '../iceberg/table-metadata.js';
import type { ObjectStore } from '../storage/object-store.js';
import { tableVersion, type CommittedTable } from '../catalog/table-commit.js';

export async function commitLockedTable(
  tx: Tx,
  store: ObjectStore,
  table: LockedTable,
  base: TableMetadata,
  updates: TableUpdate[],
  now: number,
  /** Every file written is added here, so the caller can delete them if its transaction fails. */
  written: string[],
  /** The table's warehouse root: the file is written through real directories below it only. */
  root: string,
): Promise<CommittedTable> {
  const next = nextVersion(table, base, updates, now);
  written.push(next.record.metadataLocation);
  await store.put(next.record.metadataLocation, next.metadataJson, { root });
  if (!(await compareAndSwapTable(tx, table.version, base, next))) {
    throw new Error(`table ${table.id} changed while its row was locked`);
  }
  return next;
}

/** The version after `updates`, with its metadata log extended: not written, not swapped. */
function nextVersion(table: LockedTable, base: TableMetadata, updates: TableUpdate[], now: number): CommittedTable {
  const metadata = new TableMetadataBuilder(base, now, () => undefined).applyAll(updates).build();
  appendMetadataLog(metadata, table.metadataLocation, base['last-updated-ms']);
  return tableVersion({ ...table, version: table.version + 1 }, metadata);
}

/** A locked table's next version with `properties` set (for a set-based swap of many tables). */
export function propertyCommit(table: LockedTable, base: TableMetadata, properties: Record<string, string>, now: number): CommittedTable {
  return nextVersion(table, base, [{ action: 'set-properties', updates: properties }], now);
}
