// Probes for orchestrators: started = start-up finished (migrations, warehouse, jobs);
// live = the process answers; ready = it can serve requests (database reachable, schema
// migrated, not shutting down). Liveness deliberately ignores the database: restarting
// every replica because Postgres is down would not bring it back.
import type { FastifyInstance } from 'fastify';

export interface HealthChecks {
  started(): boolean;
  ready(): Promise<{ ok: boolean; reason?: string }>;
}

export function registerHealthRoutes(app: FastifyInstance, health: HealthChecks): void {
  app.get('/health/started', async (_request, reply) =>
    health.started() ? { status: 'ok' } : reply.code(503).send({ status: 'starting' }),
  );
  app.get('/health/live', async () => ({ status: 'ok' }));
  app.get('/health/ready', async (_request, reply) => {
    const result = await health.ready().catch((error: Error) => ({ ok: false, reason: error.message }));
    return reply.code(result.ok ? 200 : 503).send(result.ok ? { status: 'ok' } : { status: 'unavailable', reason: result.reason });
  });
}
