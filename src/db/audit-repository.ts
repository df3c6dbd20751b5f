// The audit log's rows (migrations/20261208040000_audit_log.sql): inserted in batches, read
// newest first with keyset paging, deleted past the retention in bounded batches.
import { sql, type CompiledQuery } from 'kysely';
import { stringifyJson } from '../json/int64-json.js';
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
  await insertStatement(events).execute(db);
}

/**
 * The insert of one event, compiled, returning its `event_id`: for a request's transaction to
 * run just before its COMMIT (src/db/commit-steps.ts), so that what it commits is audited
 * with it.
 */
export function compileAuditInsert(db: DbOrTx, event: AuditEvent): CompiledQuery {
  return sql`${insertStatement([event])} RETURNING event_id`.compile(db);
}

/**
 * Completes events inserted in their request's transaction with what the answer said;
 * returns the ids that were found (an event whose transaction rolled back is not).
 */
export async function completeAuditEvents(db: DbOrTx, completions: readonly { id: string; event: AuditEvent }[]): Promise<Set<string>> {
  if (completions.length === 0) return new Set();
  const column = <T>(pick: (c: { id: string; event: AuditEvent }) => T) => completions.map(pick);
  const result = await sql<{ event_id: unknown }>`
    UPDATE audit_event a SET status = c.status, decision = c.decision, error_type = c.error_type,
      securable_ids = ARRAY(SELECT jsonb_array_elements_text(c.securable_ids::jsonb)::uuid), detail = c.detail::jsonb
    FROM unnest(${column((c) => c.id)}::bigint[], ${column((c) => c.event.status)}::integer[], ${column((c) => c.event.decision)}::text[],
      ${column((c) => c.event.errorType)}::text[], ${column((c) => JSON.stringify(c.event.securableIds))}::text[],
      ${column((c) => (c.event.detail === null ? null : stringifyJson(c.event.detail)))}::text[])
      AS c(id, status, decision, error_type, securable_ids, detail)
    WHERE a.event_id = c.id
    RETURNING a.event_id`.execute(db);
  return new Set(result.rows.map((r) => String(r.event_id)));
}

function insertStatement(events: readonly AuditEvent[]) {
  const column = <T>(pick: (e: AuditEvent) => T) => events.map(pick);
  // One statement for the batch: arrays of columns, unnested row by row. securable_ids (an
  // array per row) and detail travel as JSON text.
  return sql`
    INSERT INTO audit_event (at, request_id, principal, via, action, decision, status, error_type, warehouse_id, object_kind, object_name, securable_ids, detail)
    SELECT e.at, e.request_id, e.principal, e.via, e.action, e.decision, e.status, e.error_type, e.warehouse_id, e.object_kind, e.object_name,
           ARRAY(SELECT jsonb_array_elements_text(e.securable_ids::jsonb)::uuid), e.detail::jsonb
    FROM unnest(
      ${column((e) => e.at.toISOString())}::timestamptz[], ${column((e) => e.requestId)}::text[], ${column((e) => e.principal)}::text[],
      ${column((e) => e.via)}::text[], ${column((e) => e.action)}::text[], ${column((e) => e.decision)}::text[],
      ${column((e) => e.status)}::integer[], ${column((e) => e.errorType)}::text[], ${column((e) => e.warehouseId)}::uuid[],
      ${column((e) => e.objectKind)}::text[], ${column((e) => e.objectName)}::text[],
      ${column((e) => JSON.stringify(e.securableIds))}::text[], ${column((e) => (e.detail === null ? null : stringifyJson(e.detail)))}::text[]
    ) AS e(at, request_id, principal, via, action, decision, status, error_type, warehouse_id, object_kind, object_name, securable_ids, detail)`;
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
