// Collector routes (openapi tag `gc`): runs (start, dry run, list, progress, files found),
// storage accounting, and a warehouse's drop retention.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppDependencies } from '../../app.js';
import { decodePageToken, encodePageToken } from '../../catalog/pagination.js';
import type { GcRun } from '../../db/gc-run-repository.js';
import type { TableStorage, WarehouseStorage } from '../../db/storage-report-repository.js';
import { listWarehouses, type Warehouse } from '../../db/warehouse-repository.js';
import { CatalogError, badRequest, forbidden, notFound } from '../../iceberg/errors.js';
import { decodeNamespace } from '../identifiers.js';
import type { Schemas } from '../request-types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `warehouse`: the name of the one warehouse the run is scoped to (null: every warehouse). */
export function runJson(run: GcRun, warehouse: string | null = null) {
  return {
    'run-id': run.id,
    warehouse,
    status: run.status,
    phase: run.phase,
    trigger: run.trigger,
    'dry-run': run.dryRun,
    orphans: run.orphans,
    'grace-ms': run.graceMs,
    owner: run.owner,
    'started-at': run.startedAt.toISOString(),
    'heartbeat-at': run.heartbeatAt.toISOString(),
    'finished-at': run.finishedAt === null ? null : run.finishedAt.toISOString(),
    counts: run.counts,
    errors: run.errors,
  };
}

const figure = (files: number, bytes: number) => ({ files, bytes });

function tableStorageJson(s: TableStorage) {
  return {
    referenced: figure(s.referencedFiles, s.referencedBytes),
    exclusive: figure(s.exclusiveFiles, s.exclusiveBytes),
    shared: figure(s.sharedFiles, s.sharedBytes),
    'retained-for-clones': figure(s.retainedForClonesFiles, s.retainedForClonesBytes),
    'pending-objects': s.pendingObjects,
  };
}

function warehouseStorageJson(s: WarehouseStorage) {
  return {
    live: figure(s.liveFiles, s.liveBytes),
    released: figure(s.releasedFiles, s.releasedBytes),
    'deleting-files': s.deletingFiles,
    'by-kind': Object.fromEntries(Object.entries(s.byKind).map(([k, v]) => [k, figure(v.files, v.bytes)])),
    'pending-objects': s.pendingObjects,
  };
}

function pageSize(raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw badRequest(`page size must be a whole number from 1 to ${max}`);
  return n;
}

export function registerGcRoutes(app: FastifyInstance, deps: AppDependencies): void {
  const { collector, gcRuns, gcSettings, storageReport, warehouses, validateBody, checks } = deps;

  // A run over every warehouse, and its file list, name any team's files: administrators
  // only. A run scoped to one warehouse is also for who holds `manage-gc` on it.
  const names = async () => new Map((await listWarehouses(checks.db)).map((w) => [w.id, w.name]));
  const manageGcIn = async (request: FastifyRequest): Promise<Warehouse[] | 'all'> => {
    if (checks.isAdmin(request)) return 'all';
    const held: Warehouse[] = [];
    for (const warehouse of await listWarehouses(checks.db)) {
      if ((await checks.access.privilegesOn(request.principal, { warehouse })).has('manage-gc')) held.push(warehouse);
    }
    return held;
  };
  const notForYou = () => forbidden('Forbidden: collection runs are for administrators, and a run of one warehouse also for who holds manage-gc on it');
  const readableRun = async (request: FastifyRequest, runId: string): Promise<GcRun> => {
    // Who may read no run at all learns nothing, not even which run ids exist.
    const may = await manageGcIn(request);
    if (may !== 'all' && may.length === 0) throw notForYou();
    const run = UUID.test(runId) ? await gcRuns.find(runId) : undefined;
    if (!run) throw notFound(`No collection run with id ${runId}`);
    if (may !== 'all' && !(run.warehouseId !== null && may.some((w) => w.id === run.warehouseId))) throw notForYou();
    return run;
  };

  app.post('/ext/v1/gc/runs', async (request, reply) => {
    const body = validateBody<Schemas['GcRunRequest']>('GcRunRequest', request.body === undefined ? {} : request.body);
    let scope: { warehouseId: string; location: string } | undefined;
    let scopeName: string | null = null;
    if (body.warehouse === undefined) {
      checks.admin(request, 'start a collection run over every warehouse (name one in `warehouse` to run there only)');
    } else {
      const warehouse = await warehouses.byPrefix(body.warehouse);
      await checks.warehouse(request, warehouse, 'manage-gc');
      scope = { warehouseId: warehouse.id, location: warehouse.location };
      scopeName = warehouse.name;
    }
    const started = await collector.start({ trigger: 'request', dryRun: body['dry-run'] ?? false, orphans: body.orphans ?? 'off', scope });
    if (!started) throw new CatalogError(409, 'GarbageCollectionInProgressException', 'Another collection run is under way; try again when it has finished');
    request.audit.detail = { 'run-id': started.run.id, 'dry-run': started.run.dryRun, orphans: started.run.orphans, warehouse: scopeName };
    const principal = request.principal.name;
    void started.finished.then((run) => deps.audit.recordRun(run, principal, request.id)).catch(() => undefined);
    if (body.wait) return runJson(await started.finished, scopeName);
    return reply.code(202).send(runJson(started.run, scopeName));
  });

  app.get<{ Querystring: { 'page-size'?: string } }>('/ext/v1/gc/runs', async (request) => {
    const may = await manageGcIn(request);
    if (may !== 'all' && may.length === 0) throw notForYou();
    const size = pageSize(request.query['page-size'], 50, 1000);
    const runs = await gcRuns.list(size, may === 'all' ? undefined : may.map((w) => w.id));
    const named = await names();
    return { runs: runs.map((run) => runJson(run, run.warehouseId === null ? null : (named.get(run.warehouseId) ?? null))) };
  });

  app.get<{ Params: { runId: string } }>('/ext/v1/gc/runs/:runId', async (request) => {
    const run = await readableRun(request, request.params.runId);
    return runJson(run, run.warehouseId === null ? null : ((await names()).get(run.warehouseId) ?? null));
  });

  app.get<{ Params: { runId: string }; Querystring: { pageToken?: string; pageSize?: string } }>(
    '/ext/v1/gc/runs/:runId/files',
    async (request) => {
      const run = await readableRun(request, request.params.runId);
      const size = pageSize(request.query.pageSize, 1000, 10_000);
      const after = request.query.pageToken ? decodePageToken(request.query.pageToken, (v): v is string => typeof v === 'string') : '';
      const files = await gcRuns.files(run.id, size, after);
      return {
        'next-page-token': files.length === size ? encodePageToken(files[files.length - 1].uri) : null,
        files: files.map((f) => ({ uri: f.uri, kind: f.kind, 'size-bytes': f.sizeBytes, reason: f.reason })),
      };
    },
  );

  app.get<{ Params: { prefix: string } }>('/ext/v1/:prefix/storage', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    await checks.warehouse(request, warehouse, 'manage-gc');
    return warehouseStorageJson(await storageReport.warehouse(warehouse));
  });

  app.get<{ Params: { prefix: string; namespace: string; table: string } }>(
    '/ext/v1/:prefix/namespaces/:namespace/tables/:table/storage',
    async (request) => {
      const warehouse = await warehouses.byPrefix(request.params.prefix);
      const table = { namespace: decodeNamespace(request.params.namespace), name: request.params.table };
      await checks.table(request, warehouse, table.namespace, table.name, 'read');
      return tableStorageJson(await storageReport.table(warehouse, table));
    },
  );

  app.post<{ Params: { prefix: string } }>('/ext/v1/:prefix/gc-settings', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['GcSettingsRequest']>('GcSettingsRequest', request.body === undefined ? {} : request.body);
    await checks.warehouse(request, warehouse, 'manage-gc');
    const value = body['drop-retention-ms'];
    return { 'drop-retention-ms': await gcSettings.setDropRetention(warehouse, value ?? null) };
  });
}
