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
  const read = tableFilePrefixes(head.location, head.sourceLocations ?? [], metadata.properties).filter(isS3);
  const write = mayWrite ? tableFilePrefixes(head.location, [], metadata.properties).filter(isS3) : [];
  return { read, write };
}
