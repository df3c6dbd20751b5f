// Turns answered requests into audit events (src/audit/): every mutation, allowed or not, and
// every denied request (401, 403, and a 404 that the access checks gave for an object that
// exists but is invisible to the caller). The access checks note what a request acted on; the
// routes may add detail of their own (a collection's run id, a token request's client).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { detailOf, isAudited, operationIndex } from '../audit/audit-events.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AuditEvent } from '../db/audit-repository.js';
import { namespaceName, tableName } from '../catalog/identifiers.js';
import { decodeNamespace } from './identifiers.js';
import { loadOpenApiDocument } from './openapi-document.js';

export interface RequestAudit {
  /** A check refused the request (or hid an existing object from it). */
  denied: boolean;
  warehouseId: string | null;
  /** Ids of every securable acted on, with the namespaces and warehouse above it. */
  securableIds: Set<string>;
  /** Added by the route. */
  detail: Record<string, unknown> | null;
  errorType: string | null;
  /** The event's row, when the request's first commit inserted it (its outcome is stored later). */
  storedId: string | null;
  /** A commit of this request is inserting the event (transactions may commit concurrently). */
  storing: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    audit: RequestAudit;
  }
}

/** Only for requests that change something or were refused: reads pay nothing. */
export function noteAuditTarget(request: FastifyRequest, warehouseId: string, securableIds: readonly string[], denied: boolean): void {
  const audit = request.audit;
  audit.warehouseId ??= warehouseId;
  for (const id of securableIds) audit.securableIds.add(id);
  if (denied) audit.denied = true;
}

/** Whether the access checks should note a request's targets (a mutation, or a refusal). */
export const changesState = (request: FastifyRequest) => request.method !== 'GET' && request.method !== 'HEAD';

export function registerAuditHook(app: FastifyInstance, audit: AuditLog): void {
  const operations = operationIndex(loadOpenApiDocument());
  app.decorateRequest('audit', null as unknown as RequestAudit);
  app.addHook('onRequest', async (request) => {
    request.audit = { denied: false, warehouseId: null, securableIds: new Set(), detail: null, errorType: null, storedId: null, storing: false };
    // What a mutation commits is audited in the same transaction (status unknown yet): a
    // process killed between its commit and its answer cannot lose the event.
    request.commits?.steps.push(async (execute) => {
      const noted = request.audit;
      if (noted.storing || noted.storedId !== null) return;
      const event = eventOf(request, null, operations);
      if (!event) return;
      // Once per request, even when two of its transactions commit at the same moment. (Should
      // the transaction carrying it roll back, the answer's event is inserted whole instead.)
      let insert;
      try {
        insert = audit.compileInsert(event);
      } catch (error) {
        // A bug in making the event must not fail the mutation: its answer records it.
        request.log.error({ err: error }, 'the audit event could not be written with its transaction');
        return;
      }
      noted.storing = true;
      try {
        const inserted = await execute(insert);
        noted.storedId = String((inserted.rows[0] as { event_id: unknown }).event_id);
      } finally {
        noted.storing = false;
      }
    });
  });
  app.addHook('onSend', async (request, reply, payload) => {
    // The error type, from the error model's body (small, and only for failures).
    if (reply.statusCode >= 400 && typeof payload === 'string' && payload.length < 65_536 && request.audit) {
      try {
        const body = JSON.parse(payload) as { error?: { type?: unknown } | string };
        const type = typeof body.error === 'string' ? body.error : body.error?.type;
        if (typeof type === 'string') request.audit.errorType = type.slice(0, 100);
      } catch {
        // Not JSON: no type to keep.
      }
    }
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    if (!request.audit) return;
    const event = eventOf(request, reply.statusCode, operations);
    if (event) audit.record(event, request.audit.storedId);
  });
}

/** The request's event (`status` null: in its transaction, before the answer), or undefined when it is not audited. */
function eventOf(request: FastifyRequest, status: number | null, operations: Map<string, string>): AuditEvent | undefined {
  const noted = request.audit;
  const route = request.routeOptions.url;
  const action = route === undefined ? undefined : operations.get(`${request.method} ${route}`);
  const denied = noted.denied || status === 401 || status === 403;
  if (!isAudited(request.method, action, denied)) return undefined;
  if (route?.startsWith('/health/') || route?.startsWith('/docs')) return undefined;
  const object = objectOf(request);
  return {
    at: new Date(),
    requestId: request.id,
    // A 401 names nobody; the token endpoint's detail says which client tried.
    principal: status === 401 || action === 'getToken' ? null : request.principal.name,
    via: status === 401 ? null : request.principal.via,
    action: action ?? `${request.method} ${route ?? 'unmatched'}`,
    decision: denied ? 'denied' : 'allowed',
    status,
    errorType: noted.errorType,
    warehouseId: noted.warehouseId,
    objectKind: object.kind,
    objectName: object.name,
    securableIds: [...noted.securableIds],
    detail: noted.detail ?? detailOf(action, request.body, request.query),
  };
}

/** What the path names: a table or view, a namespace, a warehouse, or the catalog itself. */
function objectOf(request: FastifyRequest): { kind: string; name: string | null } {
  const params = (request.params ?? {}) as Record<string, string | undefined>;
  let levels: string[] | undefined;
  try {
    levels = params.namespace === undefined ? undefined : decodeNamespace(params.namespace);
  } catch {
    levels = undefined;
  }
  if (levels && params.table !== undefined) return { kind: 'table', name: tableName(levels, params.table) };
  if (levels && params.view !== undefined) return { kind: 'view', name: tableName(levels, params.view) };
  if (levels) return { kind: 'namespace', name: namespaceName(levels) };
  if (params.prefix !== undefined) return { kind: 'warehouse', name: params.prefix.slice(0, 255) };
  return { kind: 'catalog', name: null };
}
