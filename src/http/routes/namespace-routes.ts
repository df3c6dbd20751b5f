// The namespace routes (spec: listNamespaces ... updateProperties). Thin: decode, call, reply.
import type { FastifyInstance } from 'fastify';
import type { AppDependencies } from '../../app.js';
import { decodeNamespace, decodeOptionalNamespace } from '../identifiers.js';
import type { GivenMembers, Schemas } from '../request-types.js';
import { pageRequest, type PageQuery } from './paging.js';

type Prefix = { prefix: string };
type NamespaceParams = Prefix & { namespace: string };

export function registerNamespaceRoutes(app: FastifyInstance, deps: AppDependencies): void {
  const { namespaces, warehouses, validateBody } = deps;

  app.get<{ Params: Prefix; Querystring: PageQuery & { parent?: string } }>('/v1/:prefix/namespaces', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const parent = decodeOptionalNamespace(request.query.parent);
    const result = await namespaces.list(warehouse, parent, pageRequest(request.query));
    return result.nextPageToken === undefined
      ? { namespaces: result.namespaces }
      : { namespaces: result.namespaces, 'next-page-token': result.nextPageToken };
  });

  app.post<{ Params: Prefix }>('/v1/:prefix/namespaces', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<GivenMembers<Schemas['CreateNamespaceRequest']>>('CreateNamespaceRequest', request.body);
    const created = await namespaces.create(warehouse, body.namespace, body.properties ?? {});
    return { namespace: created.levels, properties: namespaces.answeredProperties(warehouse, created) };
  });

  app.get<{ Params: NamespaceParams }>('/v1/:prefix/namespaces/:namespace', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const namespace = await namespaces.require(warehouse, decodeNamespace(request.params.namespace));
    return { namespace: namespace.levels, properties: namespaces.answeredProperties(warehouse, namespace) };
  });

  app.head<{ Params: NamespaceParams }>('/v1/:prefix/namespaces/:namespace', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    await namespaces.require(warehouse, decodeNamespace(request.params.namespace));
    return reply.code(204).send();
  });

  app.delete<{ Params: NamespaceParams }>('/v1/:prefix/namespaces/:namespace', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    await namespaces.drop(warehouse, decodeNamespace(request.params.namespace));
    return reply.code(204).send();
  });

  app.post<{ Params: NamespaceParams }>('/v1/:prefix/namespaces/:namespace/properties', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<GivenMembers<Schemas['UpdateNamespacePropertiesRequest']>>('UpdateNamespacePropertiesRequest', request.body);
    return namespaces.updateProperties(warehouse, decodeNamespace(request.params.namespace), body.removals ?? [], body.updates ?? {});
  });
}
