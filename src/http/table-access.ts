// What storage access a caller gets on a table (vended credentials and remote signing alike):
// read where its files lie (its clone sources' too), write where it writes if the caller may
// write the table, delete nowhere (src/storage/vended-access.ts).
import type { FastifyRequest } from 'fastify';
import type { TableHead } from '../db/table-repository.js';
import type { Warehouse } from '../db/warehouse-repository.js';
import type { TableMetadata } from '../iceberg/table-metadata.js';
import type { VendedAccess } from '../storage/vended-access.js';
import type { AccessChecks } from './access-checks.js';
import { tableFilePrefixes } from './storage-config.js';

const isS3 = (uri: string) => /^s3[an]?:\/\//i.test(uri);
/** `prefix` (ending with '/') lies in the table's location, the one spelling a table uses. */
const within = (prefix: string, location: string) => prefix.startsWith(`${location.replace(/\/+$/, '')}/`) && !/\/\.\.?\//.test(prefix);

export async function storageAccessFor(
  checks: AccessChecks,
  request: FastifyRequest,
  warehouse: Warehouse,
  levels: string[],
  head: Pick<TableHead, 'id' | 'namespaceId' | 'owner' | 'location' | 'sourceLocations'>,
  metadata: TableMetadata,
): Promise<VendedAccess> {
  const target = { warehouse, namespace: { id: head.namespaceId, levels }, object: { id: head.id, kind: 'table' as const, owner: head.owner } };
  const mayWrite = (await checks.access.privilegesOn(request.principal, target)).has('write');
  // The data and metadata paths a table writes to count only inside its own location: any
  // writer may set those properties, and a path elsewhere would widen these keys and
  // signatures to another table's files or another bucket. (Plain storage settings still name
  // them: settings grant nothing.)
  const own = tableFilePrefixes(head.location, [], metadata.properties).filter((p) => isS3(p) && within(p, head.location));
  const read = [...new Set([...own, ...tableFilePrefixes(head.location, head.sourceLocations ?? [], {}).filter(isS3)])];
  const write = mayWrite ? own : [];
  return { read, write };
}
