// GET /ext/v1/audit (openapi: listAuditEvents): the audit log, newest first, paged, filtered
// by object (everything on or below a warehouse, namespace, table or view, across renames),
// principal, action, decision and time. Administrators read all of it; anyone else reads the
// events of an object they manage grants on, and must name it.
import type { FastifyInstance } from 'fastify';
import type { AppDependencies } from '../../app.js';
import { decodePageToken, encodePageToken } from '../../catalog/pagination.js';
import type { StoredAuditEvent } from '../../db/audit-repository.js';
import { badRequest, forbidden } from '../../iceberg/errors.js';

interface AuditQuery {
  warehouse?: string;
  namespace?: string;
  table?: string;
  view?: string;
  principal?: string;
  action?: string;
  decision?: string;
  since?: string;
  until?: string;
  pageToken?: string;
  pageSize?: string;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
/** An event id: a positive bigint. */
const EVENT_ID = (v: unknown): v is string => typeof v === 'string' && /^[0-9]{1,19}$/.test(v) && BigInt(v) <= 9223372036854775807n;

/** A real calendar date of years 1 to 9999 (Date would take 2026-02-30 as 2 March; Postgres has no year 0). */
function isCalendarDate(value: string): boolean {
  const [year, month, day] = value.slice(0, 10).split('-').map(Number);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return year >= 1 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function timestamp(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = RFC3339.test(value) && isCalendarDate(value) ? new Date(value) : undefined;
  if (!parsed || Number.isNaN(parsed.getTime()) || parsed.getUTCFullYear() < 1 || parsed.getUTCFullYear() > 9999) {
    throw badRequest(`Invalid ${name}: expected an RFC 3339 timestamp of years 1 to 9999, such as 2026-12-01T00:00:00Z`);
  }
  return parsed;
}

function shortText(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value === '' || value.length > 255 || value.includes('\0')) throw badRequest(`Invalid ${name}: 1 to 255 characters, no NUL`);
  return value;
}

function eventJson(e: StoredAuditEvent) {
  return {
    'event-id': e.id,
    at: e.at.toISOString(),
    'request-id': e.requestId,
    principal: e.principal,
    via: e.via,
    action: e.action,
    decision: e.decision,
    status: e.status,
    'error-type': e.errorType,
    object: { kind: e.objectKind, name: e.objectName },
    detail: e.detail,
  };
}

export function registerAuditRoutes(app: FastifyInstance, deps: AppDependencies): void {
  const { audit, checks, warehouses } = deps;
  app.get<{ Querystring: AuditQuery }>('/ext/v1/audit', async (request) => {
    const q = request.query;
    if (q.decision !== undefined && q.decision !== 'allowed' && q.decision !== 'denied') throw badRequest('Invalid decision: allowed or denied');
    const size = q.pageSize === undefined ? 100 : Number(q.pageSize);
    if (!Number.isInteger(size) || size < 1 || size > 1000) throw badRequest('pageSize must be a whole number from 1 to 1000');
    const filter = {
      principal: shortText('principal', q.principal),
      action: shortText('action', q.action),
      decision: q.decision as 'allowed' | 'denied' | undefined,
      since: timestamp('since', q.since),
      until: timestamp('until', q.until),
      before: q.pageToken === undefined || q.pageToken === '' ? undefined : decodePageToken(q.pageToken, EVENT_ID),
      limit: size + 1,
    };
    let securableId: string | undefined;
    if (q.warehouse === undefined) {
      if (q.namespace !== undefined || q.table !== undefined || q.view !== undefined) throw badRequest('Name the warehouse of the namespace, table or view');
      if (!checks.isAdmin(request)) throw forbidden('Forbidden: only administrators may read the whole audit log; name a warehouse, namespace, table or view you manage grants on');
    } else {
      const warehouse = await warehouses.byPrefix(q.warehouse);
      securableId = (await checks.securable(request, warehouse, q, 'manage-grants')).id;
    }
    const rows = await audit.list({ ...filter, securableId });
    const page = rows.slice(0, size);
    return {
      events: page.map(eventJson),
      'next-page-token': rows.length > size ? encodePageToken(page[page.length - 1].id) : null,
    };
  });
}
