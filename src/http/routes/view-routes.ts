// The view routes (spec: listViews ... registerView). Thin: decode, call, reply.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppDependencies } from '../../app.js';
import type { ViewRecord } from '../../db/view-repository.js';
import { sameNamespace } from '../access-checks.js';
import { decodeNamespace } from '../identifiers.js';
import type { GivenMembers, Schemas } from '../request-types.js';
import { matchingTag } from './etags.js';
import { pageRequest, type PageQuery } from './paging.js';

type NamespaceParams = { prefix: string; namespace: string };
type ViewParams = NamespaceParams & { view: string };

/** One version of a view is one metadata file. */
const etagOf = (metadataLocation: string) => `"${createHash('sha1').update(`view:${metadataLocation}`).digest('hex')}"`;

/** The stored document is sent as stored. No view-specific client settings yet: `config` is empty. */
function sendView(reply: FastifyReply, view: Pick<ViewRecord, 'metadataLocation' | 'metadataJson'>) {
  reply.header('etag', etagOf(view.metadataLocation));
  return reply
    .type('application/json; charset=utf-8')
    .send(`{"metadata-location":${JSON.stringify(view.metadataLocation)},"metadata":${view.metadataJson},"config":{}}`);
}

export function registerViewRoutes(app: FastifyInstance, deps: AppDependencies): void {
  const { views, warehouses, validateBody, checks } = deps;

  app.get<{ Params: NamespaceParams; Querystring: PageQuery }>('/v1/:prefix/namespaces/:namespace/views', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const levels = decodeNamespace(request.params.namespace);
    const namespace = await checks.namespace(request, warehouse, levels, 'see');
    const result = await views.list(warehouse, levels, pageRequest(request.query), await checks.visibleIn(request, warehouse, namespace));
    return result.nextPageToken === undefined
      ? { identifiers: result.identifiers }
      : { identifiers: result.identifiers, 'next-page-token': result.nextPageToken };
  });

  app.post<{ Params: NamespaceParams }>('/v1/:prefix/namespaces/:namespace/views', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<GivenMembers<Schemas['CreateViewRequest']>>('CreateViewRequest', request.body);
    const levels = decodeNamespace(request.params.namespace);
    await checks.namespace(request, warehouse, levels, 'create');
    return sendView(reply, (await views.create(warehouse, levels, body, request.principal.name)).record);
  });

  app.get<{ Params: ViewParams }>('/v1/:prefix/namespaces/:namespace/views/:view', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const view = await checks.view(request, warehouse, decodeNamespace(request.params.namespace), request.params.view, 'read');
    const tag = etagOf(view.metadataLocation);
    const match = matchingTag(request.headers['if-none-match'], tag);
    if (match) return reply.header('etag', match).code(304).send();
    return sendView(reply, view);
  });

  app.head<{ Params: ViewParams }>('/v1/:prefix/namespaces/:namespace/views/:view', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const exists = await checks
      .view(request, warehouse, decodeNamespace(request.params.namespace), request.params.view, 'see')
      .then(() => true, (error: { status?: number }) => (error.status === 404 ? false : Promise.reject(error)));
    return reply.code(exists ? 204 : 404).send();
  });

  app.post<{ Params: ViewParams }>('/v1/:prefix/namespaces/:namespace/views/:view', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<GivenMembers<Schemas['CommitViewRequest']>>('CommitViewRequest', request.body);
    const levels = decodeNamespace(request.params.namespace);
    await checks.view(request, warehouse, levels, request.params.view, 'write');
    const committed = await views.commit(warehouse, levels, request.params.view, body.requirements, body.updates);
    return sendView(reply, committed.record);
  });

  app.delete<{ Params: ViewParams }>('/v1/:prefix/namespaces/:namespace/views/:view', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const levels = decodeNamespace(request.params.namespace);
    await checks.view(request, warehouse, levels, request.params.view, 'drop');
    await views.drop(warehouse, levels, request.params.view);
    return reply.code(204).send();
  });

  app.post<{ Params: { prefix: string } }>('/v1/:prefix/views/rename', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['RenameTableRequest']>('RenameTableRequest', request.body);
    await checks.view(request, warehouse, body.source.namespace, body.source.name, 'drop');
    await checks.namespace(request, warehouse, body.destination.namespace, 'create');
    if (!sameNamespace(body.source.namespace, body.destination.namespace)) {
      await checks.view(request, warehouse, body.source.namespace, body.source.name, 'manage-grants');
    }
    await views.rename(warehouse, body.source, body.destination);
    return reply.code(204).send();
  });

  app.post<{ Params: NamespaceParams }>('/v1/:prefix/namespaces/:namespace/register-view', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['RegisterViewRequest']>('RegisterViewRequest', request.body);
    const levels = decodeNamespace(request.params.namespace);
    await checks.namespace(request, warehouse, levels, 'create');
    return sendView(reply, (await views.register(warehouse, levels, body, request.principal.name)).record);
  });
}
