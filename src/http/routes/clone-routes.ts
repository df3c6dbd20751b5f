// Our extension routes (openapi tag `clones`), under /ext/v1 so they can never collide with a
// route the Iceberg REST spec adds later. Thin: decode, call, reply.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppDependencies } from '../../app.js';
import { StorageConfigs, tableFilePrefixes } from '../storage-config.js';
import type { CloneResult } from '../../clones/clone-service.js';
import type { CloneListing } from '../../db/clone-repository.js';
import { MAX_EXPIRES_AT_MS } from '../../clones/expiry.js';
import { badRequest } from '../../iceberg/errors.js';
import { stringifyJson } from '../../json/int64-json.js';
import { decodeNamespace } from '../identifiers.js';
import type { Schemas } from '../request-types.js';

type Prefix = { prefix: string };
type NamespaceParams = Prefix & { namespace: string };
type TableParams = NamespaceParams & { table: string };
type ViewParams = NamespaceParams & { view: string };

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

function listingJson(c: CloneListing) {
  return {
    kind: c.kind,
    identifier: { namespace: c.namespace, name: c.name },
    'expires-at': iso(c.expiresAt),
    'cloned-at': c.clonedAt.toISOString(),
    'operation-id': c.operationId,
    source: {
      namespace: c.sourceName.slice(0, -1),
      name: c.sourceName[c.sourceName.length - 1],
      'snapshot-id': c.sourceSnapshotId === null ? null : c.sourceSnapshotId.toString(),
      point: c.point,
      'cloned-at': c.clonedAt.toISOString(),
    },
  };
}

function sendJson(reply: FastifyReply, json: string) {
  return reply.type('application/json; charset=utf-8').send(json);
}

export function registerCloneRoutes(app: FastifyInstance, deps: AppDependencies): void {
  const { clones, cloneRegistry, tableSwap, namespacePoints, warehouses, validateBody } = deps;
  const storage = new StorageConfigs(deps.config.s3);

  app.post<{ Params: TableParams }>('/ext/v1/:prefix/namespaces/:namespace/tables/:table/clone', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['CloneTableRequest']>('CloneTableRequest', request.body);
    const source = { namespace: decodeNamespace(request.params.namespace), name: request.params.table };
    const result = await clones.cloneTable(warehouse, source, body);
    const [clone] = result.tables;
    const answer = storage.answerFor(tableFilePrefixes(clone.record.location, clone.record.sourceLocations ?? [], clone.metadata.properties));
    const extra = {
      'operation-id': result.operationId,
      'expires-at': iso(clone.expiresAt),
      lineage: { namespace: clone.source.namespace, name: clone.source.name, 'snapshot-id': clone.source.snapshotId, point: body.point ?? {} },
    };
    // The metadata document goes out as serialised (int64 ids exact); the rest is plain JSON.
    const head = `{"metadata-location":${JSON.stringify(clone.record.metadataLocation)},"metadata":${clone.metadataJson},"config":${answer.config}${answer.credentials},`;
    return sendJson(reply, head + stringifyJson(extra).slice(1));
  });

  const operationJson = (result: CloneResult) => ({
      'operation-id': result.operationId,
      namespaces: result.namespaces,
      tables: result.tables.map((t) => ({
        identifier: { namespace: t.namespace, name: t.record.name },
        'metadata-location': t.record.metadataLocation,
        'expires-at': iso(t.expiresAt),
        source: { namespace: t.source.namespace, name: t.source.name, 'snapshot-id': t.source.snapshotId },
      })),
      views: result.views.map((v) => ({
        identifier: { namespace: v.namespace, name: v.record.name },
        'metadata-location': v.record.metadataLocation,
        'expires-at': iso(v.expiresAt),
        source: { namespace: v.source.namespace, name: v.source.name, 'version-id': v.source.versionId },
      })),
      skipped: result.skipped.map((s) => ({ identifier: { namespace: s.namespace, name: s.name }, reason: s.reason })),
  });

  app.post<{ Params: ViewParams }>('/ext/v1/:prefix/namespaces/:namespace/views/:view/clone', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['CloneViewRequest']>('CloneViewRequest', request.body);
    const source = { namespace: decodeNamespace(request.params.namespace), name: request.params.view };
    const result = await clones.cloneView(warehouse, source, body);
    const [clone] = result.views;
    const extra = {
      'operation-id': result.operationId,
      'expires-at': iso(clone.expiresAt),
      lineage: { namespace: clone.source.namespace, name: clone.source.name, 'version-id': clone.source.versionId },
    };
    const head = `{"metadata-location":${JSON.stringify(clone.record.metadataLocation)},"metadata":${clone.metadataJson},"config":{},`;
    return sendJson(reply, head + stringifyJson(extra).slice(1));
  });

  app.get<{ Params: ViewParams }>('/ext/v1/:prefix/namespaces/:namespace/views/:view/lineage', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const view = { namespace: decodeNamespace(request.params.namespace), name: request.params.view };
    const lineage = await cloneRegistry.viewLineage(warehouse, view);
    return { ...(lineage.source ? { source: listingJson(lineage.source).source } : {}), clones: lineage.clones.map(listingJson) };
  });

  app.post<{ Params: NamespaceParams }>('/ext/v1/:prefix/namespaces/:namespace/clone', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['CloneNamespaceRequest']>('CloneNamespaceRequest', request.body);
    return operationJson(await clones.cloneNamespace(warehouse, decodeNamespace(request.params.namespace), body));
  });

  app.post<{ Params: Prefix }>('/ext/v1/:prefix/clone', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['CloneWarehouseRequest']>('CloneWarehouseRequest', request.body);
    const result = await clones.cloneWarehouse(warehouse, body);
    return { warehouse: { name: result.warehouse.name, location: result.warehouse.location }, ...operationJson(result) };
  });

  app.get<{ Params: Prefix }>('/ext/v1/:prefix/clones', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    return { clones: (await cloneRegistry.list(warehouse)).map(listingJson) };
  });

  app.get<{ Params: TableParams }>('/ext/v1/:prefix/namespaces/:namespace/tables/:table/lineage', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const table = { namespace: decodeNamespace(request.params.namespace), name: request.params.table };
    const lineage = await cloneRegistry.lineage(warehouse, table);
    return { ...(lineage.source ? { source: listingJson(lineage.source).source } : {}), clones: lineage.clones.map(listingJson) };
  });

  app.put<{ Params: TableParams }>('/ext/v1/:prefix/namespaces/:namespace/tables/:table/expiry', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['ExpiryRequest']>('ExpiryRequest', request.body === undefined ? {} : request.body);
    const table = { namespace: decodeNamespace(request.params.namespace), name: request.params.table };
    return { 'expires-at': iso(await cloneRegistry.setExpiry(warehouse, table, body)) };
  });

  app.post<{ Params: Prefix }>('/ext/v1/:prefix/tables/swap', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['SwapTablesRequest']>('SwapTablesRequest', request.body);
    await tableSwap.swap(warehouse, body.pairs);
    return reply.code(204).send();
  });

  app.post<{ Params: Prefix }>('/ext/v1/:prefix/tables/promote', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['PromoteCloneRequest']>('PromoteCloneRequest', request.body);
    await tableSwap.promote(warehouse, body.clone, body.target, body.force ?? false);
    return reply.code(204).send();
  });

  app.post<{ Params: NamespaceParams }>('/ext/v1/:prefix/namespaces/:namespace/tags', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['NamespaceTagRequest']>('NamespaceTagRequest', request.body);
    const result = await namespacePoints.tag(warehouse, decodeNamespace(request.params.namespace), body);
    const point = (p: { namespace: string[]; name: string; 'snapshot-id': string | null }) => ({
      identifier: { namespace: p.namespace, name: p.name },
      'snapshot-id': p['snapshot-id'],
    });
    return { tag: result.tag, tables: result.tables.map(point), skipped: result.skipped.map(point) };
  });

  app.get<{ Params: NamespaceParams; Querystring: { 'timestamp-ms'?: string } }>(
    '/ext/v1/:prefix/namespaces/:namespace/as-of',
    async (request) => {
      const warehouse = await warehouses.byPrefix(request.params.prefix);
      const raw = request.query['timestamp-ms'];
      const at = Number(raw);
      if (raw === undefined || raw === '' || !Number.isSafeInteger(at) || at < 0 || at > MAX_EXPIRES_AT_MS) {
        throw badRequest(`Invalid timestamp-ms: ${raw} (expected epoch milliseconds from 0 to ${MAX_EXPIRES_AT_MS})`);
      }
      const tables = await namespacePoints.asOf(warehouse, decodeNamespace(request.params.namespace), at);
      return {
        'timestamp-ms': at,
        tables: tables.map((t) => ({ identifier: { namespace: t.namespace, name: t.name }, 'snapshot-id': t['snapshot-id'] })),
      };
    },
  );
}
