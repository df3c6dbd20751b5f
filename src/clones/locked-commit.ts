// A commit onto a table whose row this transaction has locked: the swap cannot lose a race,
// so there is no retry loop, only the usual order of effects (file first, pointer second).
import type { Tx } from '../db/database.js';
import type { LockedTable } from '../db/clone-repository.js';
import { compareAndSwapTable, type TableRecord } from '../db/table-repository.js';
import { TableMetadataBuilder, appendMetadataLog, type TableUpdate } from '../iceberg/metadata-builder.js';
import type { TableMetadata } from '../iceberg/table-metadata.js';
import type { ObjectStore } from '../storage/object-store.js';
import { metadataFileLocation, serializeMetadata, type CommittedTable } from '../catalog/table-commit.js';

export async function commitLockedTable(
  tx: Tx,
  store: ObjectStore,
  table: LockedTable,
  base: TableMetadata,
  updates: TableUpdate[],
  now: number,
  /** Every file written is added here, so the caller can delete them if its transaction fails. */
  written: string[],
): Promise<CommittedTable> {
  const builder = new TableMetadataBuilder(base, now, () => undefined).applyAll(updates);
  const metadata = builder.build();
  appendMetadataLog(metadata, table.metadataLocation, base['last-updated-ms']);
  const version = table.version + 1;
  const metadataJson = serializeMetadata(metadata);
  const record: TableRecord = {
    id: table.id,
    warehouseId: table.warehouseId,
    namespaceId: table.namespaceId,
    name: table.name,
    tableUuid: metadata['table-uuid'],
    location: table.location,
    formatVersion: metadata['format-version'],
    metadataLocation: metadataFileLocation(table.location, version),
    metadataJson,
    version,
  };
  written.push(record.metadataLocation);
  await store.put(record.metadataLocation, metadataJson);
  if (!(await compareAndSwapTable(tx, table.version, base, { record, metadata }))) {
    throw new Error(`table ${table.id} changed while its row was locked`);
  }
  return { record, metadata, metadataJson };
}
