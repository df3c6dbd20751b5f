// The audit log's rows (migrations/20261208040000_audit_log.sql): inserted in batches, read
// newest first with keyset paging, deleted past the retention in bounded batches.
import { sql } from 'kysely';
import type { DbOrTx } from './database.js';

export interface AuditEvent {
  at: Date;
  requestId: string | null;
  principal: string | null;
  via: string | null;
  action: string;
  decision: 'allowed' | 'denied';
  status: number | null;
  errorType: string | null;
  warehouseId: string | null;
  objectKind: string | null;
  objectName: string | null;
  securableIds: readonly string[];
  detail: Record<string, unknown> | null;
}

export interface StoredAuditEvent extends AuditEvent {
  id: string;
}

export interface AuditFilter {
  /** Events on this securable or anything below it. */
  securableId?: string;
  principal?: string;
  action?: string;
  decision?: 'allowed' | 'denied';
  since?: Date;
  until?: Date;
  /** Events older than this one (keyset paging, newest first). */
  before?: string;
  limit: number;
}

export async function insertAuditEvents(db: DbOrTx, events: readonly AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  const column = <T>(pick: (e: AuditEvent) => T) => events.map(pick);
  // One statement for the batch: arrays of columns, unnested row by row. securable_ids (an
  // array per row) and detail travel as JSON text.
  await sql`
    INSERT INTO audit_event (at, request_id, principal, via, action, decision, status, error_type, warehouse_id, object_kind, object_name, securable_ids, detail)
    SELECT e.at, e.request_id, e.principal, e.via, e.action, e.decision, e.status, e.error_type, e.warehouse_id, e.object_kind, e.object_name,
           ARRAY(SELECT jsonb_array_elements_text(e.securable_ids::jsonb)::uuid), e.detail::jsonb
    FROM unnest(
      ${column((e) => e.at.toISOString())}::timestamptz[], ${column((e) => e.requestId)}::text[], ${column((e) => e.principal)}::text[],
      ${column((e) => e.via)}::text[], ${column((e) => e.action)}::text[], ${column((e) => e.decision)}::text[],
      ${column((e) => e.status)}::integer[], ${column((e) => e.errorType)}::text[], ${column((e) => e.warehouseId)}::uuid[],
      ${column((e) => e.objectKind)}::text[], ${column((e) => e.objectName)}::text[],
      ${column((e) => JSON.stringify(e.securableIds))}::text[], ${column((e) => (e.detail === null ? null : JSON.stringify(e.detail)))}::text[]
    ) AS e(at, request_id, principal, via, action, decision, status, error_type, warehouse_id, object_kind, object_name, securable_ids, detail)`.execute(db);
}

interface AuditRow {
  id: string;
  at: Date;
  request_id: string | null;
  principal: string | null;
  via: string | null;
  action: string;
  decision: 'allowed' | 'denied';
  status: number | null;
  error_type: string | null;
  warehouse_id: string | null;
  object_kind: string | null;
  object_name: string | null;
  securable_ids: string[];
  detail: Record<string, unknown> | null;
}

export async function listAuditEvents(db: DbOrTx, filter: AuditFilter): Promise<StoredAuditEvent[]> {
  const conditions = [sql`true`];
  if (filter.securableId !== undefined) conditions.push(sql`securable_ids @> ARRAY[${filter.securableId}]::uuid[]`);
  if (filter.principal !== undefined) conditions.push(sql`principal = ${filter.principal}`);
  if (filter.action !== undefined) conditions.push(sql`action = ${filter.action}`);
  if (filter.decision !== undefined) conditions.push(sql`decision = ${filter.decision}`);
  if (filter.since !== undefined) conditions.push(sql`at >= ${filter.since.toISOString()}::timestamptz`);
  if (filter.until !== undefined) conditions.push(sql`at < ${filter.until.toISOString()}::timestamptz`);
  if (filter.before !== undefined) conditions.push(sql`event_id < ${filter.before}::bigint`);
  const result = await sql<AuditRow>`
    SELECT event_id::text AS id, at, request_id, principal, via, action, decision, status, error_type, warehouse_id, object_kind, object_name, securable_ids, detail
    FROM audit_event WHERE ${sql.join(conditions, sql` AND `)}
    -- By the bigint column, not the text one selected.
    ORDER BY audit_event.event_id DESC LIMIT ${filter.limit}`.execute(db);
  return result.rows.map((r) => ({
    id: r.id,
    at: new Date(r.at),
    requestId: r.request_id,
    principal: r.principal,
    via: r.via,
    action: r.action,
    decision: r.decision,
    status: r.status,
    errorType: r.error_type,
    warehouseId: r.warehouse_id,
    objectKind: r.object_kind,
    objectName: r.object_name,
    securableIds: r.securable_ids,
    detail: r.detail,
  }));
}

/** Deletes up to `batch` events older than `before`; how many it deleted. */
export async function pruneAuditEvents(db: DbOrTx, before: Date, batch: number): Promise<number> {
  const result = await sql`
    DELETE FROM audit_event WHERE event_id IN (
      SELECT event_id FROM audit_event WHERE at < ${before.toISOString()}::timestamptz ORDER BY at LIMIT ${batch})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
