// The namespace routes (spec: listNamespaces ... updateProperties). Thin: decode, check, call, reply.
import type { FastifyInstance } from 'fastify';
import type { AppDependencies } from '../../app.js';
import { validateLevels } from '../../catalog/namespace-service.js';
import { decodeNamespace, decodeOptionalNamespace } from '../identifiers.js';
import type { GivenMembers, Schemas } from '../request-types.js';
import { pageRequest, type PageQuery } from './paging.js';

type Prefix = { prefix: string };
type NamespaceParams = Prefix & { namespace: string };

export function registerNamespaceRoutes(app: FastifyInstance, deps: AppDependencies): void {
  const { namespaces, warehouses, validateBody, checks } = deps;

  app.get<{ Params: Prefix; Querystring: PageQuery & { parent?: string } }>('/v1/:prefix/namespaces', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const parent = decodeOptionalNamespace(request.query.parent);
    // The top level lists for anyone authenticated (an engine that connects before it is
    // granted anything sees an empty catalog, not an error); only what it may see is listed.
    const parentNamespace = parent && parent.length > 0 ? await checks.namespace(request, warehouse, parent, 'see') : undefined;
    const visible = await checks.access.visibleChildren(request.principal, warehouse, parentNamespace);
    const result = await namespaces.list(warehouse, parent, pageRequest(request.query), visible);
    return result.nextPageToken === undefined
      ? { namespaces: result.namespaces }
      : { namespaces: result.namespaces, 'next-page-token': result.nextPageToken };
  });

  app.post<{ Params: Prefix }>('/v1/:prefix/namespaces', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<GivenMembers<Schemas['CreateNamespaceRequest']>>('CreateNamespaceRequest', request.body);
    // A name the catalog would refuse is a 400 before the parent is looked up (else a 404 for
    // a parent that cannot exist hides the real mistake).
    await checks.parentOf(request, warehouse, validateLevels(body.namespace), 'create');
    const created = await namespaces.create(warehouse, body.namespace, body.properties ?? {}, request.principal.name);
    return { namespace: created.levels, properties: namespaces.answeredProperties(warehouse, created) };
  });

  app.get<{ Params: NamespaceParams }>('/v1/:prefix/namespaces/:namespace', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const namespace = await checks.namespace(request, warehouse, decodeNamespace(request.params.namespace), 'see');
    return { namespace: namespace.levels, properties: namespaces.answeredProperties(warehouse, namespace) };
  });

  app.head<{ Params: NamespaceParams }>('/v1/:prefix/namespaces/:namespace', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    await checks.namespace(request, warehouse, decodeNamespace(request.params.namespace), 'see');
    return reply.code(204).send();
  });

  app.delete<{ Params: NamespaceParams }>('/v1/:prefix/namespaces/:namespace', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const levels = decodeNamespace(request.params.namespace);
    await checks.namespace(request, warehouse, levels, 'drop');
    await namespaces.drop(warehouse, levels);
    return reply.code(204).send();
  });

  app.post<{ Params: NamespaceParams }>('/v1/:prefix/namespaces/:namespace/properties', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<GivenMembers<Schemas['UpdateNamespacePropertiesRequest']>>('UpdateNamespacePropertiesRequest', request.body);
    const levels = decodeNamespace(request.params.namespace);
    await checks.namespace(request, warehouse, levels, 'write');
    return namespaces.updateProperties(warehouse, levels, body.removals ?? [], body.updates ?? {});
  });
}
