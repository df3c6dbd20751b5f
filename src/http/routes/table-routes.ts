// The table routes (spec: listTables ... commitTransaction). Thin: decode, call, reply.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDependencies } from '../../app.js';
import type { SnapshotMode } from '../../catalog/table-service.js';
import type { TableIdentifier } from '../../catalog/identifiers.js';
import type { Warehouse } from '../../db/warehouse-repository.js';
import { badRequest } from '../../iceberg/errors.js';
import { toMetadataDocument } from '../../iceberg/metadata-document.js';
import { stringifyJson } from '../../json/int64-json.js';
import { COMPRESSION_THRESHOLD_BYTES, LOAD_BODY_VARIANTS, preferredCoding } from '../compression.js';
import { sameNamespace } from '../access-checks.js';
import { decodeNamespace } from '../identifiers.js';
import { signingConfig, StorageConfigs, storageConfigFor, tableFilePrefixes, vendedConfig, type StorageAnswer } from '../storage-config.js';
import type { TableHead } from '../../db/table-repository.js';
import type { TableMetadata } from '../../iceberg/table-metadata.js';
import type { GivenMembers, Schemas } from '../request-types.js';
import { storageAccessFor } from '../table-access.js';
import { PolicyTooLongError } from '../../storage/credential-vendor.js';
import { matchingTag } from './etags.js';
import { pageRequest, type PageQuery } from './paging.js';

type NamespaceParams = { prefix: string; namespace: string };
type TableParams = NamespaceParams & { table: string };

/**
 * Differs per metadata file and per snapshot mode (spec: the ETag of a LoadTableResult), and
 * per storage config, which is part of the answer (storage-config.ts).
 */
function etagOf(metadataLocation: string, mode: SnapshotMode, configPart: string): string {
  return `"${createHash('sha1').update(`${mode}:${metadataLocation}${configPart ? `\n${configPart}` : ''}`).digest('hex')}"`;
}

/** The stored document is sent as stored: no parse and re-serialise on the hot path. */
function loadResultJson(metadataLocation: string | null, metadataJson: string, storage: StorageAnswer): string {
  if (typeof metadataJson !== 'string' || metadataJson === '') throw new Error('table metadata document is missing');
  return `{"metadata-location":${JSON.stringify(metadataLocation)},"metadata":${metadataJson},"config":${storage.config}${storage.credentials}}`;
}

/** The client can take `mechanism` (the spec's X-Iceberg-Access-Delegation, a list). */
function wantsDelegation(request: FastifyRequest, mechanism: 'vended-credentials' | 'remote-signing'): boolean {
  const header = request.headers['x-iceberg-access-delegation'];
  const values = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
  return values.some((v) => v.trim().toLowerCase() === mechanism);
}
const wantsVended = (request: FastifyRequest) => wantsDelegation(request, 'vended-credentials');

/** A table's own route under `v1/` (for `client.refresh-credentials-endpoint`, `signer.endpoint`). */
function tablePath(warehouse: Warehouse, levels: string[], name: string, leaf: 'credentials' | 'sign'): string {
  return `v1/${encodeURIComponent(warehouse.name)}/namespaces/${encodeURIComponent(levels.join('\x1f'))}/tables/${encodeURIComponent(name)}/${leaf}`;
}

function sendJson(reply: FastifyReply, json: string | Buffer) {
  return reply.type('application/json; charset=utf-8').send(json);
}

function parseSnapshotMode(raw: string | undefined): SnapshotMode {
  if (raw === undefined || raw === 'all') return 'all';
  if (raw === 'refs') return 'refs';
  throw badRequest(`Invalid snapshots mode: ${raw} (expected all or refs)`);
}

/** Case-insensitive, as Java's Boolean.parseBoolean: PyIceberg sends Python's `False`. */
function parseBoolean(raw: string | undefined, name: string): boolean {
  const value = raw?.toLowerCase();
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw badRequest(`Invalid ${name}: ${raw} (expected true or false)`);
}

export function registerTableRoutes(app: FastifyInstance, deps: AppDependencies): void {
  const { tables, warehouses, validateBody, checks } = deps;
  const storage = new StorageConfigs(deps.config.s3);
  /** What an answer about this table version says of storage (storage-config.ts). */
  const storageOf = (table: { location: string; sourceLocations?: string[] }, metadata: TableMetadata) =>
    storage.answerFor(tableFilePrefixes(table.location, table.sourceLocations ?? [], metadata.properties));

  /**
   * Temporary credentials for this caller on this table, when it asked for them
   * (X-Iceberg-Access-Delegation: vended-credentials), vending is on and the table is on S3:
   * read where its files lie (its clone sources' too), write where it writes if the caller
   * may write it, delete nowhere (vended-access.ts).
   */
  const vendedFor = async (request: FastifyRequest, warehouse: Warehouse, levels: string[], head: TableHead, metadata: TableMetadata, asked = wantsVended(request)) => {
    const vendor = deps.vendor;
    if (!asked || !vendor || !storage.isS3(head.location)) return undefined;
    const access = await storageAccessFor(checks, request, warehouse, levels, head, metadata);
    const { read } = access;
    let credentials;
    try {
      credentials = await vendor.vend(access, request.principal.name);
    } catch (error) {
      // The spec lets a catalog honour no delegation: the answer then carries none (and signing
      // when the client also takes it), and the log says why.
      if (!(error instanceof PolicyTooLongError)) throw error;
      request.log.warn({ table: head.name, prefixes: access.read.length }, `no vended credentials: ${error.message}`);
      return undefined;
    }
    return { read, config: vendedConfig(credentials, tablePath(warehouse, levels, head.name, 'credentials')) };
  };

  /**
   * The storage part of a load or create: vended credentials when asked for and on; else
   * remote signing when asked for and on (the engine then holds no key: its requests are
   * signed at the table's /sign route); else the plain settings.
   */
  const storageAnswer = async (request: FastifyRequest, warehouse: Warehouse, levels: string[], head: TableHead, metadata: TableMetadata) => {
    const vended = await vendedFor(request, warehouse, levels, head, metadata);
    if (vended) return { answer: storage.answerFor(vended.read, vended.config), personal: true };
    if (!storage.isS3(head.location)) return { answer: storage.answerFor([head.location]), personal: false };
    const prefixes = tableFilePrefixes(head.location, head.sourceLocations ?? [], metadata.properties);
    if (deps.signer && wantsDelegation(request, 'remote-signing')) {
      // Not the shared cached body either: that one holds the plain settings.
      return { answer: storage.answerFor(prefixes, signingConfig(tablePath(warehouse, levels, head.name, 'sign'))), personal: true };
    }
    return { answer: storage.answerFor(prefixes), personal: false };
  };

  /** A commit writes its table; one that creates it (assert-create) creates in its namespace. */
  const checkCommit = async (request: FastifyRequest, warehouse: Warehouse, identifier: TableIdentifier, requirements: unknown) => {
    const creates = Array.isArray(requirements) && requirements.some((r: { type?: unknown }) => r?.type === 'assert-create');
    if (creates && !(await tables.exists(warehouse, identifier.namespace, identifier.name))) {
      await checks.namespace(request, warehouse, identifier.namespace, 'create');
      return;
    }
    await checks.table(request, warehouse, identifier.namespace, identifier.name, 'write');
  };

  app.get<{ Params: NamespaceParams; Querystring: PageQuery }>('/v1/:prefix/namespaces/:namespace/tables', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const levels = decodeNamespace(request.params.namespace);
    const namespace = await checks.namespace(request, warehouse, levels, 'see');
    const result = await tables.list(warehouse, levels, pageRequest(request.query), await checks.visibleIn(request, warehouse, namespace));
    return result.nextPageToken === undefined
      ? { identifiers: result.identifiers }
      : { identifiers: result.identifiers, 'next-page-token': result.nextPageToken };
  });

  app.post<{ Params: NamespaceParams }>('/v1/:prefix/namespaces/:namespace/tables', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<GivenMembers<Schemas['CreateTableRequest']>>('CreateTableRequest', request.body);
    const levels = decodeNamespace(request.params.namespace);
    await checks.namespace(request, warehouse, levels, 'create');
    const created = await tables.create(warehouse, levels, body, request.principal.name);
    const location = created.staged ? null : created.record.metadataLocation;
    // Its creator owns it: vended credentials (when asked for) may write it.
    const { answer } = await storageAnswer(request, warehouse, levels, { ...created.record, owner: request.principal.name }, created.metadata);
    if (location) reply.header('etag', etagOf(location, 'all', answer.etagPart));
    return sendJson(reply, loadResultJson(location, created.metadataJson, answer));
  });

  const loadTable = async (request: FastifyRequest<{ Params: TableParams; Querystring: { snapshots?: string } }>, reply: FastifyReply) => {
    const { params, query, headers } = request;
    const ifNoneMatch = headers['if-none-match'];
    const warehouse = await warehouses.byPrefix(params.prefix);
    const mode = parseSnapshotMode(query.snapshots);
    const levels = decodeNamespace(params.namespace);
    const table = await tables.load(warehouse, levels, params.table);
    // Before the ETag: an invisible table answers 404 to a conditional load too.
    await checks.onTable(request, warehouse, levels, table.head, 'read');
    // Local tables answer no storage settings: their document need not be parsed for them.
    const { answer, personal } = await storageAnswer(request, warehouse, levels, table.head, table.metadata());
    const tag = etagOf(table.head.metadataLocation, mode, answer.etagPart);
    reply.header('etag', tag);
    const match = matchingTag(ifNoneMatch, tag);
    if (match) {
      // The tag the client holds: weak when it came with a compressed answer (compression.ts).
      reply.header('etag', match);
      return reply.code(304).send();
    }
    const location = table.head.metadataLocation;
    // An answer with credentials or signing is this caller's alone: never from, nor into, the shared cache.
    if (personal && mode === 'all') return sendJson(reply, loadResultJson(location, table.json, answer));
    if (mode === 'all') {
      const build = (json: string) => loadResultJson(location, json, answer);
      const plain = table.loadBody(build);
      if (plain.byteLength < COMPRESSION_THRESHOLD_BYTES) return sendJson(reply, plain);
      reply.header('vary', 'accept-encoding');
      const coding = preferredCoding(headers['accept-encoding']);
      if (!coding) return sendJson(reply, plain);
      // Compressed once per version and cached (compression.ts); the plugin passes it through.
      reply.header('content-encoding', coding);
      return sendJson(reply, table.loadBody(build, LOAD_BODY_VARIANTS[coding]));
    }
    const refsOnly = stringifyJson(toMetadataDocument(tables.refsOnlyMetadata(table)));
    return sendJson(reply, loadResultJson(location, refsOnly, answer));
  };

  app.get<{ Params: TableParams; Querystring: { snapshots?: string } }>(
    '/v1/:prefix/namespaces/:namespace/tables/:table',
    (request, reply) => loadTable(request, reply),
  );

  // Renewing vended credentials (spec: loadCredentials): the same scope as a load's. Without
  // vending (or for a table not on S3) there are none to give: an empty list.
  app.get<{ Params: TableParams }>('/v1/:prefix/namespaces/:namespace/tables/:table/credentials', async (request) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const levels = decodeNamespace(request.params.namespace);
    const table = await tables.load(warehouse, levels, request.params.table);
    await checks.onTable(request, warehouse, levels, table.head, 'read');
    const vended = await vendedFor(request, warehouse, levels, table.head, table.metadata(), true);
    if (!vended) return { 'storage-credentials': [] };
    return { 'storage-credentials': storage.entries(vended.read, { ...storageConfigFor(vended.read[0], deps.config.s3), ...vended.config.config }) };
  });

  app.head<{ Params: TableParams }>('/v1/:prefix/namespaces/:namespace/tables/:table', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const exists = await checks
      .table(request, warehouse, decodeNamespace(request.params.namespace), request.params.table, 'see')
      .then(() => true, (error: { status?: number }) => (error.status === 404 ? false : Promise.reject(error)));
    return reply.code(exists ? 204 : 404).send();
  });

  app.post<{ Params: TableParams }>('/v1/:prefix/namespaces/:namespace/tables/:table', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<GivenMembers<Schemas['CommitTableRequest']>>('CommitTableRequest', request.body);
    const identifier = { namespace: decodeNamespace(request.params.namespace), name: request.params.table };
    await checkCommit(request, warehouse, identifier, body.requirements);
    const [committed] = await tables.commit(warehouse, [{ identifier, requirements: body.requirements, updates: body.updates }], request.principal.name);
    reply.header('etag', etagOf(committed.record.metadataLocation, 'all', storageOf(committed.record, committed.metadata).etagPart));
    return sendJson(
      reply,
      `{"metadata-location":${JSON.stringify(committed.record.metadataLocation)},"metadata":${committed.metadataJson}}`,
    );
  });

  app.delete<{ Params: TableParams; Querystring: { purgeRequested?: string } }>(
    '/v1/:prefix/namespaces/:namespace/tables/:table',
    async (request, reply) => {
      const warehouse = await warehouses.byPrefix(request.params.prefix);
      const purge = parseBoolean(request.query.purgeRequested, 'purgeRequested');
      const levels = decodeNamespace(request.params.namespace);
      await checks.table(request, warehouse, levels, request.params.table, 'drop');
      await tables.drop(warehouse, levels, request.params.table, purge);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: NamespaceParams }>('/v1/:prefix/namespaces/:namespace/register', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<GivenMembers<Schemas['RegisterTableRequest']>>('RegisterTableRequest', request.body);
    const levels = decodeNamespace(request.params.namespace);
    await checks.namespace(request, warehouse, levels, 'create');
    // Overwriting re-points an existing table: as much as a commit to it.
    if (body.overwrite === true) await checks.tableIfExists(request, warehouse, levels, body.name, 'write');
    const registered = await tables.register(warehouse, levels, body, request.principal.name);
    // As a create: the registrar owns it, and gets vended keys or signing when it asks.
    const { answer } = await storageAnswer(request, warehouse, levels, { ...registered.record, owner: registered.record.owner ?? request.principal.name }, registered.metadata);
    reply.header('etag', etagOf(registered.record.metadataLocation, 'all', answer.etagPart));
    return sendJson(reply, loadResultJson(registered.record.metadataLocation, registered.metadataJson, answer));
  });

  app.post<{ Params: TableParams }>('/v1/:prefix/namespaces/:namespace/tables/:table/metrics', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['ReportMetricsRequest']>('ReportMetricsRequest', request.body);
    // A report about a table that does not exist (or that the caller may not read) is a
    // client mistake, as the spec's 404 says.
    await checks.table(request, warehouse, decodeNamespace(request.params.namespace), request.params.table, 'read');
    // Reports are accepted and logged; nothing else consumes them yet.
    request.log.info(
      { warehouse: warehouse.name, namespace: request.params.namespace, table: request.params.table, reportType: body['report-type'] },
      'metrics report',
    );
    return reply.code(204).send();
  });

  app.post<{ Params: { prefix: string } }>('/v1/:prefix/tables/rename', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['RenameTableRequest']>('RenameTableRequest', request.body);
    const head = await checks.table(request, warehouse, body.source.namespace, body.source.name, 'drop');
    await checks.namespace(request, warehouse, body.destination.namespace, 'create');
    if (!sameNamespace(body.source.namespace, body.destination.namespace)) {
      await checks.onTable(request, warehouse, body.source.namespace, head, 'manage-grants');
    }
    await tables.rename(warehouse, body.source, body.destination);
    return reply.code(204).send();
  });

  app.post<{ Params: { prefix: string } }>('/v1/:prefix/transactions/commit', async (request, reply) => {
    const warehouse = await warehouses.byPrefix(request.params.prefix);
    const body = validateBody<Schemas['CommitTransactionRequest']>('CommitTransactionRequest', request.body);
    const changes = body['table-changes'].map((change, i) => {
      if (!change.identifier) throw badRequest(`Invalid table change ${i}: identifier is required in a transaction`);
      return change;
    });
    for (const change of changes) await checkCommit(request, warehouse, change.identifier!, change.requirements);
    await tables.commit(warehouse, changes, request.principal.name);
    return reply.code(204).send();
  });
}
