// Records of collection runs (gc_run) and the files a dry run found (gc_run_file).
import { sql } from 'kysely';
import type { DbOrTx } from './database.js';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';
export type OrphanMode = 'off' | 'dry-run' | 'delete';

export interface GcRun {
  id: string;
  trigger: string;
  dryRun: boolean;
  orphans: OrphanMode;
  graceMs: number;
  status: RunStatus;
  phase: string;
  owner: string;
  startedAt: Date;
  heartbeatAt: Date;
  finishedAt: Date | null;
  counts: Record<string, number>;
  errors: string[];
  /** The one warehouse the run is scoped to; null for every warehouse. */
  warehouseId: string | null;
}

interface RunRow {
  run_id: string;
  trigger: string;
  dry_run: boolean;
  orphans: string;
  grace_ms: unknown;
  status: string;
  phase: string;
  owner: string;
  started_at: Date;
  heartbeat_at: Date;
  finished_at: Date | null;
  counts: unknown;
  errors: unknown;
  warehouse_id: string | null;
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

function runOf(r: RunRow): GcRun {
  return {
    id: r.run_id,
    trigger: r.trigger,
    dryRun: r.dry_run,
    orphans: r.orphans as OrphanMode,
    graceMs: Number(r.grace_ms),
    status: r.status as RunStatus,
    phase: r.phase,
    owner: r.owner,
    startedAt: r.started_at,
    heartbeatAt: r.heartbeat_at,
    finishedAt: r.finished_at,
    counts: json(r.counts) as Record<string, number>,
    errors: json(r.errors) as string[],
    warehouseId: r.warehouse_id ?? null,
  };
}

export async function insertRun(
  db: DbOrTx,
  run: { id: string; trigger: string; dryRun: boolean; orphans: OrphanMode; graceMs: number; owner: string; warehouseId: string | null },
): Promise<GcRun> {
  const rows = await sql<RunRow>`
    INSERT INTO gc_run (run_id, trigger, dry_run, orphans, grace_ms, status, phase, owner, warehouse_id)
    VALUES (${run.id}, ${run.trigger}, ${run.dryRun}, ${run.orphans}, ${run.graceMs}, 'running', 'starting', ${run.owner}, ${run.warehouseId}::uuid)
    RETURNING *`.execute(db);
  return runOf(rows.rows[0]);
}

export async function updateRun(
  db: DbOrTx,
  id: string,
  update: { phase?: string; counts: Record<string, number>; errors: string[]; status?: RunStatus },
): Promise<void> {
  const finished = update.status !== undefined && update.status !== 'running';
  await sql`UPDATE gc_run SET heartbeat_at = now(), counts = ${JSON.stringify(update.counts)}::jsonb,
      errors = ${JSON.stringify(update.errors.slice(0, 100))}::jsonb,
      phase = coalesce(${update.phase ?? null}, phase), status = coalesce(${update.status ?? null}, status),
      finished_at = CASE WHEN ${finished} THEN now() ELSE finished_at END
    WHERE run_id = ${id}`.execute(db);
}

/** Runs left 'running' by a process that died: only called by the holder of the collector lock. */
export async function markInterruptedRuns(db: DbOrTx, except: string): Promise<number> {
  // It was last known alive at its heartbeat; that is when it stopped, as far as anyone can tell.
  const result = await sql`UPDATE gc_run SET status = 'interrupted', finished_at = heartbeat_at
    WHERE status = 'running' AND run_id <> ${except}`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

export async function findRun(db: DbOrTx, id: string): Promise<GcRun | undefined> {
  const rows = await sql<RunRow>`SELECT * FROM gc_run WHERE run_id = ${id}`.execute(db);
  return rows.rows[0] ? runOf(rows.rows[0]) : undefined;
}

/** Newest first; `warehouseIds`: only runs scoped to one of these (undefined: every run). */
export async function listRuns(db: DbOrTx, limit: number, warehouseIds?: readonly string[]): Promise<GcRun[]> {
  const rows = await sql<RunRow>`SELECT * FROM gc_run
    WHERE ${warehouseIds === undefined} OR warehouse_id = ANY(${[...(warehouseIds ?? [])]}::uuid[])
    ORDER BY started_at DESC LIMIT ${limit}`.execute(db);
  return rows.rows.map(runOf);
}

export async function pruneRuns(db: DbOrTx, olderThan: Date): Promise<void> {
  await sql`DELETE FROM gc_run WHERE started_at < ${olderThan} AND status <> 'running'`.execute(db);
}

export interface RunFile {
  uri: string;
  kind: string;
  sizeBytes: number | null;
  reason: string;
}

export async function insertRunFiles(db: DbOrTx, runId: string, files: RunFile[]): Promise<void> {
  for (let i = 0; i < files.length; i += 5000) {
    const batch = files.slice(i, i + 5000);
    await sql`INSERT INTO gc_run_file (run_id, uri, kind, size_bytes, reason)
      SELECT ${runId}::uuid, t.uri, t.kind, t.size, t.reason
      FROM unnest(${batch.map((f) => f.uri)}::text[], ${batch.map((f) => f.kind)}::text[],
        ${batch.map((f) => f.sizeBytes)}::bigint[], ${batch.map((f) => f.reason)}::text[]) AS t(uri, kind, size, reason)
      ON CONFLICT DO NOTHING`.execute(db);
  }
}

export async function listRunFiles(db: DbOrTx, runId: string, limit: number, afterUri: string): Promise<RunFile[]> {
  const rows = await sql<{ uri: string; kind: string; size_bytes: unknown; reason: string }>`
    SELECT uri, kind, size_bytes, reason FROM gc_run_file WHERE run_id = ${runId} AND uri > ${afterUri}
    ORDER BY uri LIMIT ${limit}`.execute(db);
  return rows.rows.map((r) => ({ uri: r.uri, kind: r.kind, sizeBytes: r.size_bytes === null ? null : Number(r.size_bytes), reason: r.reason }));
}
