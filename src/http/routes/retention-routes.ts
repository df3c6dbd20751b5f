// Retention routes (openapi tag `gc`): dropped tables and views (list, restore) and snapshot expiry.
import type { FastifyInstance } from 'fastify';
import type { AppDependencies } from '../../app.js';
import { decodeNamespace } from '../identifiers.js';
import type { Schemas } from '../request-types.js';

export function registerRetentionRoutes(app: FastifyInstance, deps: AppDependencies): void {
  const { droppedTables, snapshotExpiry, warehouses, validateBody } = deps;

  app.post<{ Params: { prefix: string; namespace: string; table: string } }>(
    '/ext/v1/:prefix/namespaces/:namespace/tables/:table/expire-snapshots',
    async (request) => {
      const warehouse = await warehouses.byPrefix(request.params.prefix);
      const body = validateBody<Schemas['ExpireSnapshotsRequest']>('ExpireSnapshotsRequest', request.body === undefined ? {} : request.body);
      const table = { namespace: decodeNamespace(request.params.namespace), name: request.params.table };
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
    const dropped = await droppedTables.list(warehouse);
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
    const restored = await droppedTables.restore(warehouse, request.params.tableId, body.destination);
    return { identifier: restored };
  });
}
