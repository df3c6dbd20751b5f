// Our extension routes for authentication (openapi tag `auth`): who am I, and the OAuth2
// clients of CATALOG_AUTHENTICATION=catalog (administrators only). A new client's secret is
// answered once and never again.
import type { FastifyInstance } from 'fastify';
import type { AppDependencies } from '../../app.js';
import type { ClientView } from '../../auth/client-registry.js';
import { badRequest } from '../../iceberg/errors.js';
import type { Schemas } from '../request-types.js';

const clientJson = (c: ClientView) => ({
  'client-id': c.clientId,
  principal: c.principal,
  'created-at': c.createdAt.toISOString(),
  'created-by': c.createdBy,
  'disabled-at': c.disabledAt?.toISOString() ?? null,
});

export function registerAuthRoutes(app: FastifyInstance, deps: AppDependencies): void {
  const { administrators, validateBody } = deps;
  const clients = () => {
    if (!deps.clients) throw badRequest('This catalog registers no clients (CATALOG_AUTHENTICATION is not catalog)');
    return deps.clients;
  };

  app.get('/ext/v1/auth/whoami', async (request) => ({
    principal: request.principal.name,
    groups: request.principal.groups,
    via: request.principal.via,
    administrator: administrators.isAdmin(request.principal),
  }));

  app.get('/ext/v1/auth/clients', async (request) => {
    administrators.require(request.principal, 'list clients');
    return { clients: (await clients().list()).map(clientJson) };
  });

  app.post('/ext/v1/auth/clients', async (request) => {
    administrators.require(request.principal, 'register clients');
    const body = validateBody<Schemas['RegisterClientRequest']>('RegisterClientRequest', request.body === undefined ? {} : request.body);
    const created = await clients().register({ clientId: body['client-id'], principal: body.principal }, request.principal.name);
    return { ...clientJson(created), 'client-secret': created.secret };
  });

  app.delete<{ Params: { clientId: string } }>('/ext/v1/auth/clients/:clientId', async (request, reply) => {
    administrators.require(request.principal, 'disable clients');
    await clients().disable(request.params.clientId);
    return reply.code(204).send();
  });
}
