// Retention routes (openapi tag `gc`): dropped tables and views (list, restore) and snapshot expiry.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Access } from '../../authz/access.js';
import { findNamespace } from '../../db/namespace-repository.js';
import type { DroppedTable } from '../../db/table-repository.js';
import type { Warehouse } from '../../db/warehouse-repository.js';
import { notFound } from '../../iceberg/errors.js';
import type { AppDependencies } from '../../app.js';
import { decodeNamespace } from '../identifiers.js';
import type { Schemas } from '../request-types.js';

export function registerRetentionRoutes(app: FastifyInstance, deps: AppDependencies): void {
  const { droppedTables, snapshotExpiry, warehouses, validateBody, checks } = deps;

  /**
   * A dropped table or view is the concern of who may restore into the namespace it was
   * dropped from (or anywhere in the warehouse), and of its owner; nobody else sees it.
   */
  const mayRestore = async (request: FastifyRequest, warehouse: Warehouse, dropped: DroppedTable) => {
    if (checks.isAdmin(request) || (dropped.owner && dropped.owner === request.principal.name)) return true;
    const namespace = await findNamespace(deps.checks.db, warehouse.id, dropped.namespace);
    const target = namespace ? Access.namespaceTarget(warehouse, namespace) : { warehouse };
    return (await checks.access.privilegesOn(request.principal, target)).has('restore');
  };

  app.post<{ Params: { prefix: string; namespace: string; table: string } }>(
    '/ext/v1/:prefix/namespaces/:namespace/tables/:table/expire-snapshots',
    async (request) => {
      const warehouse = await warehouses.byPrefix(request.params.prefix);
      const body = validateBody<Schemas['ExpireSnapshotsRequest']>('ExpireSnapshotsRequest', request.body === undefined ? {} : request.body);
      const table = { namespace: decodeNamespace(request.params.namespace), name: request.params.table };
      await checks.table(request, warehouse, table.namespace, table.name, 'write');
      const outcome = await snapshotExpiry.expireTable(warehouse, table, { dryRun: body['dry-run'] ?? false });
      return {
        'dry-run': body['dry-run'] ?? false,
        committed: outcome.committed,
        'expired-snapshot-ids': outcome.expiredSnapshotIds.map(String),
        'expired-refs': outcome.expiredRefs,
      };
    },
  );

  app.get<{ Params: { prefix: string } }>('/ext/v1/:prefix/dropped-tables', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const dropped = [];
    for (const entry of await droppedTables.list(warehouse)) if (await mayRestore(request, warehouse, entry)) dropped.push(entry);
    return {
      'dropped-tables': dropped.map((t) => ({
        'table-id': t.id,
        kind: t.kind,
        identifier: { namespace: t.namespace, name: t.name },
        'table-uuid': t.tableUuid,
        location: t.location,
        'metadata-location': t.metadataLocation,
        'dropped-at': t.droppedAt.toISOString(),
        'drop-reason': t.dropReason,
        'purge-requested': t.purgeRequested,
      })),
    };
  });

  app.post<{ Params: { prefix: string; tableId: string } }>('/ext/v1/:prefix/dropped-tables/:tableId/restore', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['RestoreTableRequest']>('RestoreTableRequest', request.body === undefined ? {} : request.body);
    const entry = (await droppedTables.list(warehouse)).find((t) => t.id === request.params.tableId);
    if (!entry || !(await mayRestore(request, warehouse, entry))) throw notFound(`No dropped table with id ${request.params.tableId}`);
    await checks.namespace(request, warehouse, body.destination?.namespace ?? entry.namespace, 'restore');
    const restored = await droppedTables.restore(warehouse, request.params.tableId, body.destination);
    return { identifier: restored };
  });
}
