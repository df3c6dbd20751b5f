// Our extension routes (openapi tag `clones`), under /ext/v1 so they can never collide with a
// route the Iceberg REST spec adds later. Thin: decode, call, reply.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Warehouse } from '../../db/warehouse-repository.js';
import type { AppDependencies } from '../../app.js';
import { StorageConfigs, tableFilePrefixes } from '../storage-config.js';
import type { CloneResult } from '../../clones/clone-service.js';
import type { CloneListing } from '../../db/clone-repository.js';
import { MAX_EXPIRES_AT_MS } from '../../clones/expiry.js';
import { badRequest } from '../../iceberg/errors.js';
import { stringifyJson } from '../../json/int64-json.js';
import { noteAuditTarget } from '../audit-hook.js';
import { sameNamespace } from '../access-checks.js';
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
  const { clones, cloneRegistry, tableSwap, namespacePoints, warehouses, validateBody, checks } = deps;
  /** The caller owns what it clones; a body cannot say otherwise. */
  const owned = <T extends object>(request: FastifyRequest, body: T) => ({ ...body, owner: request.principal.name });
  /** Grants copied onto clones are in force here at once (elsewhere within the epoch poll). */
  const afterCopy = async <R>(body: { 'copy-grants'?: boolean }, cloning: Promise<R>): Promise<R> => {
    const result = await cloning;
    if (body['copy-grants']) deps.authorizer.invalidate();
    return result;
  };
  /** A listing entry's clone is shown only to who can see it; its source only to who can see that. */
  const visibleListing = async (request: FastifyRequest, warehouse: Warehouse, listings: CloneListing[]) => {
    const shown = [];
    for (const c of listings) {
      const target = (id: string | null, namespaceId: string | null, levels: string[], kind: 'table' | 'view', owner: string | null) =>
        id && namespaceId ? checks.access.sees(request.principal, { warehouse, namespace: { id: namespaceId, levels }, object: { id, kind, owner } }) : Promise.resolve(false);
      if (!(await target(c.tableId, c.namespaceId, c.namespace, c.kind, c.owner))) continue;
      const sourceVisible = await target(c.sourceTableId, c.sourceNamespaceId, c.sourceName.slice(0, -1), c.kind, c.sourceOwner);
      shown.push({ ...listingJson(c), source: sourceVisible || checks.isAdmin(request) ? listingJson(c).source : null });
    }
    return shown;
  };
  const storage = new StorageConfigs(deps.config.s3);

  app.post<{ Params: TableParams }>('/ext/v1/:prefix/namespaces/:namespace/tables/:table/clone', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['CloneTableRequest']>('CloneTableRequest', request.body);
    const source = { namespace: decodeNamespace(request.params.namespace), name: request.params.table };
    await checks.table(request, warehouse, source.namespace, source.name, 'read');
    await checks.table(request, warehouse, source.namespace, source.name, 'clone');
    await checks.namespace(request, warehouse, body.destination.namespace, 'create');
    const result = await afterCopy(body, clones.cloneTable(warehouse, source, owned(request, body)));
    const [clone] = result.tables;
    // The clone is the object of this event too: its later events (a promote, a rename) and this one share its id.
    noteAuditTarget(request, warehouse.id, [clone.record.id], false);
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

  const lineageJson = async (request: FastifyRequest, warehouse: Warehouse, lineage: { source?: CloneListing; clones: CloneListing[] }) => {
    const [source] = lineage.source ? await visibleListing(request, warehouse, [lineage.source]) : [];
    return { ...(source?.source ? { source: source.source } : {}), clones: await visibleListing(request, warehouse, lineage.clones) };
  };

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
    await checks.view(request, warehouse, source.namespace, source.name, 'read');
    await checks.view(request, warehouse, source.namespace, source.name, 'clone');
    await checks.namespace(request, warehouse, body.destination.namespace, 'create');
    const result = await afterCopy(body, clones.cloneView(warehouse, source, owned(request, body)));
    const [clone] = result.views;
    noteAuditTarget(request, warehouse.id, [clone.record.id], false);
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
    await checks.view(request, warehouse, view.namespace, view.name, 'read');
    return lineageJson(request, warehouse, await cloneRegistry.viewLineage(warehouse, view));
  });

  app.post<{ Params: NamespaceParams }>('/ext/v1/:prefix/namespaces/:namespace/clone', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['CloneNamespaceRequest']>('CloneNamespaceRequest', request.body);
    const levels = decodeNamespace(request.params.namespace);
    await checks.namespace(request, warehouse, levels, 'read');
    await checks.namespace(request, warehouse, levels, 'clone');
    await checks.parentOf(request, warehouse, body.destination, 'create');
    return operationJson(await afterCopy(body, clones.cloneNamespace(warehouse, levels, owned(request, body))));
  });

  app.post<{ Params: Prefix }>('/ext/v1/:prefix/clone', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['CloneWarehouseRequest']>('CloneWarehouseRequest', request.body);
    checks.admin(request, 'clone a warehouse (it creates one)');
    const result = await afterCopy(body, clones.cloneWarehouse(warehouse, owned(request, body)));
    return { warehouse: { name: result.warehouse.name, location: result.warehouse.location }, ...operationJson(result) };
  });

  app.get<{ Params: Prefix }>('/ext/v1/:prefix/clones', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    await checks.warehouse(request, warehouse, 'see');
    return { clones: await visibleListing(request, warehouse, await cloneRegistry.list(warehouse)) };
  });

  app.get<{ Params: TableParams }>('/ext/v1/:prefix/namespaces/:namespace/tables/:table/lineage', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const table = { namespace: decodeNamespace(request.params.namespace), name: request.params.table };
    await checks.table(request, warehouse, table.namespace, table.name, 'read');
    return lineageJson(request, warehouse, await cloneRegistry.lineage(warehouse, table));
  });

  app.put<{ Params: TableParams }>('/ext/v1/:prefix/namespaces/:namespace/tables/:table/expiry', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['ExpiryRequest']>('ExpiryRequest', request.body === undefined ? {} : request.body);
    const table = { namespace: decodeNamespace(request.params.namespace), name: request.params.table };
    await checks.table(request, warehouse, table.namespace, table.name, 'drop');
    return { 'expires-at': iso(await cloneRegistry.setExpiry(warehouse, table, body)) };
  });

  app.post<{ Params: Prefix }>('/ext/v1/:prefix/tables/swap', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['SwapTablesRequest']>('SwapTablesRequest', request.body);
    for (const pair of body.pairs) {
      // Across namespaces each table moves into the other's: also manage-grants on both.
      const needs = sameNamespace(pair.first.namespace, pair.second.namespace) ? (['promote'] as const) : (['promote', 'manage-grants'] as const);
      for (const side of [pair.first, pair.second]) {
        for (const need of needs) await checks.table(request, warehouse, side.namespace, side.name, need);
      }
    }
    await tableSwap.swap(warehouse, body.pairs);
    return reply.code(204).send();
  });

  app.post<{ Params: Prefix }>('/ext/v1/:prefix/tables/promote', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['PromoteCloneRequest']>('PromoteCloneRequest', request.body);
    for (const side of [body.clone, body.target]) await checks.table(request, warehouse, side.namespace, side.name, 'promote');
    await tableSwap.promote(warehouse, body.clone, body.target, body.force ?? false);
    // The promoted table's grants changed: in force here at once (elsewhere within the epoch poll).
    deps.authorizer.invalidate();
    return reply.code(204).send();
  });

  app.post<{ Params: NamespaceParams }>('/ext/v1/:prefix/namespaces/:namespace/tags', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['NamespaceTagRequest']>('NamespaceTagRequest', request.body);
    const levels = decodeNamespace(request.params.namespace);
    await checks.namespace(request, warehouse, levels, 'write');
    const result = await namespacePoints.tag(warehouse, levels, body);
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
      const levels = decodeNamespace(request.params.namespace);
      await checks.namespace(request, warehouse, levels, 'read');
      const tables = await namespacePoints.asOf(warehouse, levels, at);
      return {
        'timestamp-ms': at,
        tables: tables.map((t) => ({ identifier: { namespace: t.namespace, name: t.name }, 'snapshot-id': t['snapshot-id'] })),
      };
    },
  );
}
