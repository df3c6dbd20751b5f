// Dropped tables (openapi tag `gc`): list them, restore one.
import type { FastifyInstance } from 'fastify';
import type { AppDependencies } from '../../app.js';
import type { Schemas } from '../request-types.js';

export function registerDroppedTableRoutes(app: FastifyInstance, deps: AppDependencies): void {
  const { droppedTables, warehouses, validateBody } = deps;

  app.get<{ Params: { prefix: string } }>('/ext/v1/:prefix/dropped-tables', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const dropped = await droppedTables.list(warehouse);
    return {
      'dropped-tables': dropped.map((t) => ({
        'table-id': t.id,
        identifier: { namespace: t.namespace, name: t.name },
        'table-uuid': t.tableUuid,
        location: t.location,
        'dropped-at': t.droppedAt.toISOString(),
        'drop-reason': t.dropReason,
        'purge-requested': t.purgeRequested,
      })),
    };
  });

  app.post<{ Params: { prefix: string; tableId: string } }>('/ext/v1/:prefix/dropped-tables/:tableId/restore', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['RestoreTableRequest']>('RestoreTableRequest', request.body ?? {});
    const restored = await droppedTables.restore(warehouse, request.params.tableId, body.destination);
    return { identifier: restored };
  });
}
