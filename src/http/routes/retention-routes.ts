// Retention routes (openapi tag `gc`): dropped tables and views (list, restore) and snapshot expiry.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Access, type AccessTarget } from '../../authz/access.js';
import { findNamespaceById } from '../../db/namespace-repository.js';
import type { DroppedTable } from '../../db/table-repository.js';
import type { Warehouse } from '../../db/warehouse-repository.js';
import { notFound } from '../../iceberg/errors.js';
import type { AppDependencies } from '../../app.js';
import { decodeNamespace } from '../identifiers.js';
import type { Schemas } from '../request-types.js';

export function registerRetentionRoutes(app: FastifyInstance, deps: AppDependencies): void {
  const { droppedTables, snapshotExpiry, warehouses, validateBody, checks } = deps;

  /**
   * Where a dropped table or view was dropped from: that namespace, found by id (a namespace
   * made since under the same name is another one), or the warehouse once it is gone too.
   */
  const droppedFrom = async (warehouse: Warehouse, dropped: DroppedTable): Promise<AccessTarget> => {
    const namespace = dropped.namespaceId ? await findNamespaceById(checks.db, warehouse.id, dropped.namespaceId) : undefined;
    return namespace ? Access.namespaceTarget(warehouse, namespace) : { warehouse };
  };

  /** A dropped table or view is the concern of its owner and of who may restore where it was dropped from; nobody else sees it. */
  const mayRestore = async (request: FastifyRequest, warehouse: Warehouse, dropped: DroppedTable) => {
    if (checks.isAdmin(request) || (dropped.owner && dropped.owner === request.principal.name)) return true;
    return (await checks.access.privilegesOn(request.principal, await droppedFrom(warehouse, dropped))).has('restore');
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
    const missing = () => notFound(`No dropped table with id ${request.params.tableId}`);
    if (!entry) throw missing();
    const from = await droppedFrom(warehouse, entry);
    if (!(await mayRestore(request, warehouse, entry))) {
      await checks.noteDenied(request, from);
      throw missing();
    }
    const destination = await checks.namespace(request, warehouse, body.destination?.namespace ?? entry.namespace, 'restore');
    // Restoring elsewhere moves it under other owners and grants: who controls access where it
    // was dropped from must agree (its owner does).
    if (destination.id !== entry.namespaceId && entry.owner !== request.principal.name) await checks.require(request, 'manage-grants', from, missing, 'the dropped table');
    const restored = await droppedTables.restore(warehouse, request.params.tableId, body.destination);
    return { identifier: restored };
  });
}
