// Benchmark of the garbage collector (issue: "Reference-counting garbage collector"):
//   1. collect   the cost of a collection run that frees 1,000 files, in a catalog of 10,000
//                and of 1,000,000 live objects (same 10 tables; only the data files per
//                manifest differ), 3 runs each, with where the time went (phases, queries);
//   2. delete    Sweeper.delete of 20,000 small objects on the S3-compatible server (moto),
//                and for comparison on the local filesystem and on a store that does nothing
//                (the sweeper's own cost); files/s and the CPU each process used;
//   3. index     ObjectIndexer.indexPending over real Avro files (1 manifest list, 100
//                manifests of 10,000 entries, written with the writer schema PyIceberg put in
//                test/fixtures/avro/gzip), in a child process with the production heap cap;
//                entries/s and peak resident memory;
//   4. report    tableStorage() of a table that references 1,000,000 data files, 3 runs.
//
// Catalogs are synthetic but shaped as the collector leaves them: the tables are created
// through the real TableService; snapshot rows are inserted with SQL, so the triggers keep
// the roots; manifests and data files are storage_object rows with their counts, states,
// edges and child sums as the indexer would have recorded them. Each part uses databases of
// its own, created next to the one --database-url names and dropped at the end.
//
// Usage: bash bench/run.sh gc [--only collect,delete,index,report] [--repeat 3]
//          [--s3-delete-concurrency 1,4,8] [--keep-databases]
// bench/run.sh builds dist/ (part 3's child runs compiled), starts a throwaway Postgres and an
// S3-compatible server, and passes --database-url and --s3-endpoint. Run directly, it needs
// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_REGION for moto (any values); without
// --s3-endpoint the S3 half of part 2 is skipped.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import avro from 'avsc';
import { Kysely, PostgresDialect, type LogEvent } from 'kysely';
import pg from 'pg';
import type { AppDependencies } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import type { DatabaseHandle } from '../src/db/connect.js';
import { openDedicatedSession } from '../src/db/dedicated-session.js';
import type { Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrator.js';
import type { IndexedObject } from '../src/db/object-index-repository.js';
import { tableStorage } from '../src/db/storage-report-repository.js';
import { ensureWarehouse, type Warehouse } from '../src/db/warehouse-repository.js';
import { createDependencies, createObjectStore } from '../src/dependencies.js';
import { ObjectIndexer } from '../src/gc/object-indexer.js';
import { DEFAULT_SWEEPER_OPTIONS, Sweeper } from '../src/gc/sweeper.js';
import type { Schema } from '../src/iceberg/table-metadata.js';
import { FilesystemObjectStore, fileUri, fileUriToPath } from '../src/storage/filesystem-store.js';
import type { ObjectStore, StoredObject } from '../src/storage/object-store.js';
import { S3ObjectStore } from '../src/storage/s3-store.js';
import { simpleSchema } from '../test/support/rest-client.js';
import { cpuSeconds, sampleMemory } from './support.js';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    's3-endpoint': { type: 'string' },
    only: { type: 'string', default: 'collect,delete,index,report' },
    repeat: { type: 'string', default: '3' },
    sizes: { type: 'string', default: '10000,1000000' },
    garbage: { type: 'string', default: '1000' },
    'delete-files': { type: 'string', default: '20000' },
    // Sweeper concurrency (DeleteObjects requests in flight) for the S3 runs; production's default is 4.
    's3-delete-concurrency': { type: 'string', default: '4' },
    'index-manifests': { type: 'string', default: '100' },
    'index-entries': { type: 'string', default: '10000' },
    'report-files': { type: 'string', default: '1000000' },
    // Leaves the databases in place, for inspection (drop them by hand: bench_gc_*).
    'keep-databases': { type: 'boolean', default: false },
    // Internal: the child process of part 3.
    'index-worker': { type: 'boolean', default: false },
    'index-concurrency': { type: 'string', default: '4' },
  },
});
const databaseUrl = values['database-url'];
if (!databaseUrl) throw new Error('--database-url is required');
const repeat = Number(values.repeat);
const parts = new Set(values.only.split(','));

/** Every timed step gives up after this long instead of hanging the benchmark. */
const STEP_TIMEOUT_MS = 15 * 60_000;

async function withTimeout<T>(label: string, promise: Promise<T>, ms = STEP_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: gave up after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const round = (n: number, digits = 0) => Number(n.toFixed(digits));

// ---------------------------------------------------------------------------------------------
// Databases and catalogs
// ---------------------------------------------------------------------------------------------

const createdDatabases: string[] = [];

/** A fresh database on the server of --database-url; dropped by dropDatabases(). */
async function createDatabase(label: string): Promise<string> {
  const name = `bench_gc_${label}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  createdDatabases.push(name);
  const url = new URL(databaseUrl!);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabases() {
  if (values['keep-databases']) {
    if (createdDatabases.length > 0) console.log(`kept databases: ${createdDatabases.splice(0).join(', ')}`);
    return;
  }
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    for (const name of createdDatabases.splice(0)) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Per-statement timings from Kysely's log, collected while `recording` is set. */
interface QueryStats {
  byStatement: Map<string, { count: number; ms: number }>;
  phases: { phase: string; at: number }[];
}
const PHASES = new Set(['resume', 'expire', 'purge', 'index', 'propagate', 'sweep', 'plan', 'orphans', 'cleanup', 'done']);
let recording: QueryStats | undefined;

function logQuery(event: LogEvent) {
  if (event.level !== 'query' || !recording) return;
  const text = event.query.sql.replace(/\s+/g, ' ').trim();
  const key = text.slice(0, 110);
  const entry = recording.byStatement.get(key) ?? { count: 0, ms: 0 };
  entry.count += 1;
  entry.ms += event.queryDurationMillis;
  recording.byStatement.set(key, entry);
  // The run record is updated at the start of each phase: its phase parameter dates the phase.
  if (text.startsWith('UPDATE gc_run SET')) {
    const phase = event.query.parameters.find((p) => typeof p === 'string' && PHASES.has(p)) as string | undefined;
    const last = recording.phases[recording.phases.length - 1];
    if (phase && last?.phase !== phase) recording.phases.push({ phase, at: performance.now() });
  }
}

/** The database as src/db/connect.ts opens it (a pg pool under Kysely), plus the log hook. */
function openLoggedDatabase(url: string, config: Config): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: config.databasePoolSize,
    connectionTimeoutMillis: config.databaseConnectTimeoutMs,
    statement_timeout: config.databaseStatementTimeoutMs,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: logQuery });
  return {
    db,
    kind: 'postgres',
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: config.databasePoolSize }),
    openSession: () => openDedicatedSession({ url, connectionTimeoutMs: config.databaseConnectTimeoutMs, queryTimeoutMs: 10_000 }),
    close: () => db.destroy(),
  };
}

/** The statements that took the most time in total (client-side time, summed over concurrent queries). */
function topStatements(stats: QueryStats, n: number) {
  return [...stats.byStatement.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, n)
    .map(([statement, s]) => ({ statement, count: s.count, ms: round(s.ms, 1) }));
}

interface Catalog {
  url: string;
  config: Config;
  handle: DatabaseHandle;
  deps: AppDependencies;
  store: ObjectStore;
  warehouse: Warehouse;
  warehouseDir: string;
  /** A plain connection for setup: no statement timeout, no pool. */
  setup: pg.Client;
  close(): Promise<void>;
}

/**
 * A catalog as production builds it (src/dependencies.ts), on a fresh database with a
 * local-directory warehouse; the only difference is a Kysely log hook that times statements.
 * The collector's grace period is 0, so released files can go in the same run.
 */
async function openCatalog(label: string): Promise<Catalog> {
  const url = await createDatabase(label);
  const scratch = await mkdtemp(join(tmpdir(), `catalog-bench-gc-${label}-`));
  const warehouseDir = join(scratch, 'warehouse');
  await mkdir(warehouseDir, { recursive: true });
  const config = loadConfig({
    CATALOG_DATA_DIR: scratch,
    CATALOG_DATABASE_URL: url,
    CATALOG_WAREHOUSE_LOCATION: fileUri(warehouseDir),
    CATALOG_LOG_LEVEL: 'silent',
    CATALOG_GC_GRACE_MS: '0',
    ...(values['s3-endpoint'] ? { CATALOG_S3_ENDPOINT: values['s3-endpoint'], CATALOG_S3_PATH_STYLE: 'true', CATALOG_S3_REGION: 'us-east-1' } : {}),
  });
  const handle = openLoggedDatabase(url, config);
  const db = handle.db;
  await migrate(db);
  const warehouse = await ensureWarehouse(db, config.warehouseName, config.warehouseLocation);
  const store = createObjectStore(config);
  const deps = await createDependencies(config, handle, store, { started: true, shuttingDown: false });
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  return {
    url,
    config,
    handle,
    deps,
    store,
    warehouse,
    warehouseDir,
    setup,
    close: async () => {
      await deps.collector.stop();
      await setup.end();
      await handle.close();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

async function createTables(catalog: Catalog, namespace: string, names: string[]) {
  await catalog.deps.namespaces.create(catalog.warehouse, [namespace], {});
  const tables: { id: string; location: string; name: string }[] = [];
  for (const name of names) {
    const created = await catalog.deps.tables.create(catalog.warehouse, [namespace], { name, schema: simpleSchema as Schema });
    tables.push({ id: created.record.id, location: created.record.location, name });
  }
  return tables;
}

let snapshotIds = 4_000_000_000_000_000;

/**
 * A table's history as the collector's index holds it once every file was read: `snapshots`
 * appends, each adding `manifestsPerSnapshot` manifests of `filesPerManifest` data files;
 * snapshot k's manifest list names every manifest added up to k (as Iceberg's fast append
 * does). Snapshot rows go through the triggers (roots); the rest is written as the indexer
 * records it (counted edges, parent_count, children_counted, 'leaf' data files).
 */
async function populateTable(
  c: pg.Client,
  table: { id: string; location: string },
  shape: { snapshots: number; manifestsPerSnapshot: number; filesPerManifest: number },
) {
  const { snapshots: S, manifestsPerSnapshot: M, filesPerManifest: D } = shape;
  const loc = table.location;
  const base = snapshotIds;
  snapshotIds += S + 1;
  await c.query(
    `INSERT INTO snapshot (table_id, snapshot_id, parent_snapshot_id, sequence_number, timestamp_ms, manifest_list, schema_id, operation)
     SELECT $1, $2::bigint + k, CASE WHEN k > 1 THEN $2::bigint + k - 1 END, k, $3::bigint,
       $4 || '/metadata/snap-' || ($2::bigint + k) || '-1-' || md5(k::text) || '.avro', 0, 'append'
     FROM generate_series(1, $5::int) k`,
    [table.id, base, Date.now(), loc, S],
  );
  // Manifest lists: read by an earlier run (list k names k*M manifests of ~150 bytes each).
  await c.query(
    `UPDATE storage_object o SET edges_state = 'indexed', children_counted = true, size_bytes = 1500 + 150 * k * $3::int
     FROM generate_series(1, $2::int) k
     WHERE o.uri = $1 || '/metadata/snap-' || ($4::bigint + k) || '-1-' || md5(k::text) || '.avro'`,
    [loc, S, M, base],
  );
  // Manifests: manifest m was added by append m / M, so the lists of that snapshot and every
  // later one name it.
  await c.query(
    `INSERT INTO storage_object (uri, kind, size_bytes, root_count, parent_count, edges_state, children_counted)
     SELECT $1 || '/metadata/' || md5('m' || m) || '-m' || m || '.avro', 'manifest', 6000 + 250 * $4::int, 0, $2::int - m / $3::int, 'indexed', true
     FROM generate_series(0, $2::int * $3::int - 1) m`,
    [loc, S, M, D],
  );
  await c.query(
    `INSERT INTO object_edge (parent_id, child_id)
     SELECT l.object_id, mo.object_id
     FROM generate_series(1, $2::int) k
     JOIN storage_object l ON l.uri = $1 || '/metadata/snap-' || ($4::bigint + k) || '-1-' || md5(k::text) || '.avro'
     JOIN generate_series(0, $2::int * $3::int - 1) m ON m < k * $3::int
     JOIN storage_object mo ON mo.uri = $1 || '/metadata/' || md5('m' || m) || '-m' || m || '.avro'`,
    [loc, S, M, base],
  );
  const manifests = await c.query<{ object_id: string; m: number }>(
    `SELECT o.object_id, m FROM generate_series(0, $2::int * $3::int - 1) m
     JOIN storage_object o ON o.uri = $1 || '/metadata/' || md5('m' || m) || '-m' || m || '.avro' ORDER BY m`,
    [loc, S, M],
  );
  // Data files, one statement per manifest: Iceberg-like names (task, uuid), sizes 64-128 MiB.
  for (const { object_id, m } of manifests.rows) {
    await c.query(
      `WITH added AS (
         INSERT INTO storage_object (uri, kind, size_bytes, parent_count, edges_state)
         SELECT $1 || '/data/' || lpad((i % 1000)::text, 5, '0') || '-' || (i / 1000) || '-' || md5($3 || '-' || i) || '-00001.parquet',
           'data', 67108864 + (i * 7919 % 67108864), 1, 'leaf'
         FROM generate_series(0, $4::int - 1) i
         RETURNING object_id)
       INSERT INTO object_edge (parent_id, child_id) SELECT $2::bigint, object_id FROM added`,
      [loc, object_id, `${table.location}#${m}`, D],
    );
  }
  const lists = await c.query<{ object_id: string }>(
    `SELECT o.object_id FROM generate_series(1, $2::int) k
     JOIN storage_object o ON o.uri = $1 || '/metadata/snap-' || ($3::bigint + k) || '-1-' || md5(k::text) || '.avro'`,
    [loc, S, base],
  );
  await summarizeChildren(c, [...lists.rows, ...manifests.rows].map((r) => String(r.object_id)));
}

/**
 * The multi_ref flags and child_rollup sums the indexer keeps (migrations/20261123000000_child_rollup.sql)
 * for these parents, whose edges are all written: a child named more than once is flagged,
 * every other child is summed under its one parent and directory.
 */
async function summarizeChildren(c: pg.Client, parentIds: string[]) {
  await c.query(
    `SELECT gc_flag_multi_ref(array(
       SELECT e.child_id FROM object_edge e WHERE e.child_id IN (SELECT child_id FROM object_edge WHERE parent_id = ANY($1::bigint[]))
       GROUP BY e.child_id HAVING count(*) > 1))`,
    [parentIds],
  );
  await c.query(
    `INSERT INTO child_rollup (parent_id, dir, files, bytes)
     SELECT e.parent_id, gc_uri_dir(o.uri), count(*), sum(o.size_bytes)
     FROM object_edge e JOIN storage_object o ON o.object_id = e.child_id
     WHERE e.parent_id = ANY($1::bigint[]) AND NOT e.multi_ref GROUP BY 1, 2`,
    [parentIds],
  );
}

async function liveObjects(c: pg.Client): Promise<number> {
  const r = await c.query<{ n: string }>(`SELECT count(*) AS n FROM storage_object WHERE state = 'live' AND released_at IS NULL`);
  return Number(r.rows[0].n);
}

async function vacuumAnalyze(c: pg.Client) {
  for (const t of ['storage_object', 'object_edge', 'child_rollup', 'snapshot', 'metadata_file', 'iceberg_table']) await c.query(`VACUUM ANALYZE ${t}`);
}

// ---------------------------------------------------------------------------------------------
// 1. Collection cost against catalog size
// ---------------------------------------------------------------------------------------------

/**
 * Makes `files` files garbage the way expiry does: a snapshot whose manifest list, manifests
 * and data files nothing else names (already indexed by an earlier run, as in steady state)
 * loses its row; the trigger releases the list. The files exist on disk (1 KiB each).
 */
async function makeGarbage(catalog: Catalog, table: { id: string; location: string }, tag: string, files: number) {
  const c = catalog.setup;
  const manifests = Math.max(1, Math.floor((files - 1) / 111));
  const dataFiles = files - 1 - manifests;
  const dir = `${table.location}/garbage-${tag}`;
  const listUri = `${dir}/metadata/snap-list.avro`;
  const manifestUris = Array.from({ length: manifests }, (_, j) => `${dir}/metadata/m${j}.avro`);
  const dataUris = Array.from({ length: dataFiles }, (_, i) => `${dir}/data/part-${i}.parquet`);
  for (const sub of ['metadata', 'data']) await mkdir(fileUriToPath(`${dir}/${sub}`), { recursive: true });
  const body = Buffer.alloc(1024, 7);
  for (let i = 0; i < files; i += 200) {
    const batch = [listUri, ...manifestUris, ...dataUris].slice(i, i + 200);
    await Promise.all(batch.map((u) => writeFile(fileUriToPath(u), body)));
  }
  const snapshotId = snapshotIds++;
  await c.query('BEGIN');
  try {
    await c.query(
      `INSERT INTO snapshot (table_id, snapshot_id, sequence_number, timestamp_ms, manifest_list, schema_id, operation)
       VALUES ($1, $2, 1000, $3, $4, 0, 'append')`,
      [table.id, snapshotId, Date.now(), listUri],
    );
    const list = await c.query<{ object_id: string }>(
      `UPDATE storage_object SET edges_state = 'indexed', children_counted = true, size_bytes = 1024 WHERE uri = $1 RETURNING object_id`,
      [listUri],
    );
    const listId = list.rows[0].object_id;
    const m = await c.query<{ object_id: string }>(
      `INSERT INTO storage_object (uri, kind, size_bytes, parent_count, edges_state, children_counted)
       SELECT u, 'manifest', 1024, 1, 'indexed', true FROM unnest($1::text[]) u RETURNING object_id`,
      [manifestUris],
    );
    await c.query(`INSERT INTO object_edge (parent_id, child_id) SELECT $1::bigint, unnest($2::bigint[])`, [listId, m.rows.map((r) => r.object_id)]);
    const d = await c.query<{ object_id: string }>(
      `INSERT INTO storage_object (uri, kind, size_bytes, parent_count, edges_state)
       SELECT u, 'data', 1024, 1, 'leaf' FROM unnest($1::text[]) u RETURNING object_id`,
      [dataUris],
    );
    // Data file i belongs to manifest i mod manifests.
    await c.query(
      `INSERT INTO object_edge (parent_id, child_id)
       SELECT (($1::bigint[])[1 + (i - 1) % $3::int]), ($2::bigint[])[i] FROM generate_series(1, $4::int) i`,
      [m.rows.map((r) => r.object_id), d.rows.map((r) => r.object_id), manifests, dataFiles],
    );
    await summarizeChildren(c, [listId, ...m.rows.map((r) => r.object_id)]);
    await c.query('COMMIT');
  } catch (error) {
    await c.query('ROLLBACK');
    throw error;
  }
  // The expiry commit: the snapshot row goes, the trigger releases the manifest list.
  await c.query(`DELETE FROM snapshot WHERE table_id = $1 AND snapshot_id = $2`, [table.id, snapshotId]);
  return { dir, uris: [listUri, ...manifestUris, ...dataUris] };
}

async function timedCollection(catalog: Catalog) {
  const stats: QueryStats = { byStatement: new Map(), phases: [] };
  recording = stats;
  const started = performance.now();
  try {
    const run = await catalog.deps.collector.start({ trigger: 'request', dryRun: false, orphans: 'off' });
    if (!run) throw new Error('the collector did not start (another run holds the lock)');
    const finished = await withTimeout('collection run', run.finished);
    const ms = performance.now() - started;
    const phases: Record<string, number> = {};
    for (let i = 0; i < stats.phases.length; i++) {
      const end = stats.phases[i + 1]?.at ?? started + ms;
      phases[stats.phases[i].phase] = round(end - stats.phases[i].at, 1);
    }
    const top = topStatements(stats, 6);
    return { ms, run: finished, phases, top };
  } finally {
    recording = undefined;
  }
}

async function collectionCost() {
  const sizes = values.sizes.split(',').map(Number);
  const garbage = Number(values.garbage);
  const results: Record<string, unknown>[] = [];
  for (const size of sizes) {
    const catalog = await openCatalog(`collect_${size}`);
    try {
      const buildStart = performance.now();
      const tables = await createTables(catalog, 'bench', Array.from({ length: 10 }, (_, i) => `t${i}`));
      // 10 tables x 10 appends x 1 manifest each: the data files per manifest set the size.
      const filesPerManifest = Math.max(1, Math.round(size / 100));
      for (const table of tables) await populateTable(catalog.setup, table, { snapshots: 10, manifestsPerSnapshot: 1, filesPerManifest });
      await vacuumAnalyze(catalog.setup);
      const live = await liveObjects(catalog.setup);
      console.log(`catalog of ${live} live objects built in ${round((performance.now() - buildStart) / 1000, 1)} s`);
      // A first run reads the tables' metadata files (pending since their create); not timed.
      const warmup = await timedCollection(catalog);
      console.log(`  warm-up run: ${round(warmup.ms)} ms, ${warmup.run.status}`, warmup.run.counts);
      const runs: Record<string, unknown>[] = [];
      for (let r = 1; r <= repeat; r++) {
        const { dir, uris } = await makeGarbage(catalog, tables[0], String(r), garbage);
        const timed = await timedCollection(catalog);
        const left = (await readdir(fileUriToPath(`${dir}/data`))).length + (await readdir(fileUriToPath(`${dir}/metadata`))).length;
        const deleted = timed.run.counts['files-deleted'] ?? 0;
        if (timed.run.status !== 'succeeded' || deleted !== uris.length || left !== 0) {
          throw new Error(`run ${r}: status ${timed.run.status}, ${deleted} deleted, ${left} garbage files left; errors ${JSON.stringify(timed.run.errors)}`);
        }
        const row = { run: r, ms: round(timed.ms), filesDeleted: deleted, phasesMs: timed.phases, topStatements: timed.top };
        console.log(`  ${live} live objects, run ${r}: ${row.ms} ms`, JSON.stringify(row.phasesMs));
        for (const t of timed.top) console.log(`     ${String(t.ms).padStart(8)} ms  x${String(t.count).padEnd(4)} ${t.statement}`);
        runs.push(row);
      }
      results.push({ liveObjects: live, tables: tables.length, runs });
    } finally {
      await catalog.close();
      await dropDatabases();
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const medians = results.map((r) => median((r.runs as { ms: number }[]).map((x) => x.ms)));
  const summary = {
    garbageFiles: garbage,
    sizes: results.map((r, i) => ({ liveObjects: r.liveObjects, medianMs: medians[i], runsMs: (r.runs as { ms: number }[]).map((x) => x.ms) })),
    ratioOfMedians: medians.length > 1 ? round(medians[medians.length - 1] / medians[0], 2) : undefined,
  };
  console.log('collection cost', JSON.stringify(summary));
  return { summary, detail: results };
}

// ---------------------------------------------------------------------------------------------
// 2. Deletion rate
// ---------------------------------------------------------------------------------------------

class NullStore implements ObjectStore {
  async put() {}
  async get() {
    return undefined;
  }
  async delete() {
    return { refused: [] };
  }
  async *list(): AsyncIterable<StoredObject> {}
  async ensureDirectory() {}
}

async function timeSweep(
  store: ObjectStore,
  objects: IndexedObject[],
  root: string,
  cpuOf?: () => Promise<number>,
  concurrency = DEFAULT_SWEEPER_OPTIONS.concurrency,
) {
  const sweeper = new Sweeper(store, { ...DEFAULT_SWEEPER_OPTIONS, concurrency });
  const serverBefore = cpuOf ? await cpuOf() : 0;
  const selfBefore = process.cpuUsage();
  const started = performance.now();
  const outcome = await withTimeout('sweep', sweeper.delete(objects, [root]));
  const seconds = (performance.now() - started) / 1000;
  const self = process.cpuUsage(selfBefore);
  const serverAfter = cpuOf ? await cpuOf() : 0;
  if (outcome.failed.length > 0 || outcome.deleted.length !== objects.length) {
    throw new Error(`sweep: ${outcome.deleted.length} deleted, ${outcome.failed.length} failed: ${outcome.failed[0]?.error}`);
  }
  return {
    files: objects.length,
    seconds: round(seconds, 2),
    filesPerSecond: round(objects.length / seconds),
    retries: outcome.retries,
    benchProcessCores: round((self.user + self.system) / 1e6 / seconds, 2),
    ...(cpuOf ? { serverCores: round((serverAfter - serverBefore) / seconds, 2) } : {}),
  };
}

async function deletionRate() {
  const n = Number(values['delete-files']);
  const body = Buffer.alloc(1024, 7);
  const objectsUnder = (root: string) =>
    Array.from({ length: n }, (_, i): IndexedObject => ({ id: i + 1, uri: `${root}/data/${String(i % 1000).padStart(5, '0')}-${i}-${crypto.randomUUID()}.parquet`, kind: 'data', sizeBytes: body.length }));
  const results: Record<string, unknown> = { concurrency: DEFAULT_SWEEPER_OPTIONS.concurrency, batchSize: DEFAULT_SWEEPER_OPTIONS.batchSize };

  // The sweeper's own cost: a store that deletes nothing.
  {
    const root = 'file:///nowhere/warehouse';
    results.nullStore = await timeSweep(new NullStore(), objectsUnder(root), root);
    console.log('sweep, store that does nothing', results.nullStore);
  }

  // Local filesystem.
  {
    const scratch = await mkdtemp(join(tmpdir(), 'catalog-bench-gc-fs-'));
    try {
      const root = fileUri(join(scratch, 'warehouse'));
      const objects = objectsUnder(root);
      await mkdir(fileUriToPath(`${root}/data`), { recursive: true });
      for (let i = 0; i < objects.length; i += 256) {
        await Promise.all(objects.slice(i, i + 256).map((o) => writeFile(fileUriToPath(o.uri), body)));
      }
      results.filesystem = await timeSweep(new FilesystemObjectStore(), objects, root);
      const left = (await readdir(fileUriToPath(`${root}/data`))).length;
      if (left !== 0) throw new Error(`${left} files left on disk`);
      console.log('sweep, local filesystem', results.filesystem);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  // S3-compatible server.
  const endpoint = values['s3-endpoint'];
  if (!endpoint) {
    results.s3 = 'skipped: no --s3-endpoint';
    console.log('sweep, S3: skipped (no --s3-endpoint)');
    return results;
  }
  const port = new URL(endpoint).port;
  const serverCpu = () => cpuSeconds((cmdline) => cmdline.includes('moto_server') && new RegExp(`-p ${port}( |$)`).test(cmdline));
  if ((await serverCpu()) === 0) console.log(`  (no moto_server process on port ${port} found: its CPU is not reported)`);
  const store = new S3ObjectStore({ endpoint, region: 'us-east-1', forcePathStyle: true });
  const s3: Record<string, unknown>[] = [];
  for (const concurrency of values['s3-delete-concurrency'].split(',').map(Number)) {
    const root = `s3://warehouse/gc-bench-${Math.random().toString(36).slice(2, 8)}`;
    const objects = objectsUnder(root);
    const putStart = performance.now();
    let next = 0;
    await withTimeout(
      'put',
      Promise.all(
        Array.from({ length: 32 }, async () => {
          while (next < objects.length) await store.put(objects[next++].uri, body);
        }),
      ),
    );
    const putSeconds = (performance.now() - putStart) / 1000;
    const put = { seconds: round(putSeconds, 1), filesPerSecond: round(n / putSeconds), writers: 32 };
    console.log(`S3 put of ${n} objects (setup)`, put);
    const swept = await timeSweep(store, objects, root, serverCpu, concurrency);
    let left = 0;
    for await (const _ of store.list(root)) left += 1;
    if (left !== 0) throw new Error(`${left} objects left in the bucket`);
    s3.push({ concurrency, ...swept, setupPut: put });
    console.log(`sweep, S3-compatible server (moto), ${concurrency} batches at once`, swept);
  }
  results.s3 = s3;
  return results;
}

// ---------------------------------------------------------------------------------------------
// 3. Index rate
// ---------------------------------------------------------------------------------------------

/** This file, and the repository it is in (it also runs compiled, from dist/bench/gc.js). */
const SCRIPT = fileURLToPath(import.meta.url);
const REPO = SCRIPT.endsWith('.ts') ? join(dirname(SCRIPT), '..') : join(dirname(SCRIPT), '../..');
const FIXTURES = join(REPO, 'test/fixtures/avro/gzip');

/** The writer schema and header metadata of an Avro container file (records are not decoded). */
async function containerHeader(path: string): Promise<{ schema: avro.Schema; meta: Record<string, Buffer> }> {
  const { readFile } = await import('node:fs/promises');
  const bytes = await readFile(path);
  return new Promise((resolve, reject) => {
    const decoder = new avro.streams.BlockDecoder({ noDecode: true });
    decoder.on('metadata', (_type: unknown, _codec: string, header: { meta: Record<string, Buffer> }) => {
      const { 'avro.schema': schema, 'avro.codec': _c, ...meta } = header.meta;
      resolve({ schema: JSON.parse(schema.toString()) as avro.Schema, meta });
    });
    decoder.on('error', reject);
    decoder.on('data', () => undefined);
    decoder.end(bytes);
  });
}

function encodeContainer(schema: avro.Schema, meta: Record<string, Buffer>, records: unknown[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // `metadata` (the header's key/value pairs) is an option avsc has but does not declare.
    const encoder = new avro.streams.BlockEncoder(schema, { codec: 'deflate', metadata: meta } as Partial<avro.EncoderOptions>);
    const chunks: Buffer[] = [];
    encoder.on('data', (chunk: Buffer) => chunks.push(chunk));
    encoder.on('end', () => resolve(Buffer.concat(chunks)));
    encoder.on('error', reject);
    for (const record of records) encoder.write(record);
    encoder.end();
  });
}

/** Little-endian 8-byte long, Iceberg's single-value serialisation of a long bound. */
function longBound(n: number) {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(n));
  return b;
}

/** Writes 1 manifest list naming `manifests` manifests of `entries` ADDED data-file entries each. */
async function writeManifests(location: string, snapshotId: number, manifests: number, entries: number) {
  const entryFile = await containerHeader(join(FIXTURES, 'manifest-0.avro'));
  const listFile = await containerHeader(join(FIXTURES, 'manifest-list.avro'));
  const metadataDir = fileUriToPath(`${location}/metadata`);
  await mkdir(metadataDir, { recursive: true });
  const commit = crypto.randomUUID();
  const listed: Record<string, unknown>[] = [];
  let bytes = 0;
  for (let m = 0; m < manifests; m++) {
    const records = Array.from({ length: entries }, (_, i) => {
      const rows = 50_000 + ((i * 7919) % 50_000);
      return {
        status: 1,
        snapshot_id: snapshotId,
        sequence_number: null,
        file_sequence_number: null,
        data_file: {
          content: 0,
          file_path: `${location}/data/${String(i % 1000).padStart(5, '0')}-${m}-${crypto.randomUUID()}-00001.parquet`,
          file_format: 'PARQUET',
          partition: {},
          record_count: rows,
          file_size_in_bytes: rows * 1300,
          column_sizes: [
            { key: 1, value: rows * 8 },
            { key: 2, value: rows * 20 },
          ],
          value_counts: [
            { key: 1, value: rows },
            { key: 2, value: rows },
          ],
          null_value_counts: [
            { key: 1, value: 0 },
            { key: 2, value: i % 7 },
          ],
          nan_value_counts: [],
          lower_bounds: [
            { key: 1, value: longBound(i * 100_000) },
            { key: 2, value: Buffer.from(`a${i}`) },
          ],
          upper_bounds: [
            { key: 1, value: longBound(i * 100_000 + rows) },
            { key: 2, value: Buffer.from(`z${i}`) },
          ],
          key_metadata: null,
          split_offsets: [4],
          equality_ids: null,
          sort_order_id: null,
        },
      };
    });
    const encoded = await encodeContainer(entryFile.schema, entryFile.meta, records);
    const path = `${location}/metadata/${commit}-m${m}.avro`;
    await writeFile(fileUriToPath(path), encoded);
    bytes += encoded.length;
    listed.push({
      manifest_path: path,
      manifest_length: encoded.length,
      partition_spec_id: 0,
      content: 0,
      sequence_number: 1,
      min_sequence_number: 1,
      added_snapshot_id: snapshotId,
      added_files_count: entries,
      existing_files_count: 0,
      deleted_files_count: 0,
      added_rows_count: entries * 75_000,
      existing_rows_count: 0,
      deleted_rows_count: 0,
      partitions: [],
      key_metadata: null,
    });
  }
  const listMeta = { ...listFile.meta, 'snapshot-id': Buffer.from(String(snapshotId)), 'sequence-number': Buffer.from('1') };
  delete (listMeta as Record<string, Buffer>)['parent-snapshot-id'];
  const list = await encodeContainer(listFile.schema, listMeta, listed);
  const listUri = `${location}/metadata/snap-${snapshotId}-1-${commit}.avro`;
  await writeFile(fileUriToPath(listUri), list);
  return { listUri, manifestBytes: bytes, listBytes: list.length };
}

async function indexRate() {
  const manifests = Number(values['index-manifests']);
  const entries = Number(values['index-entries']);
  const catalog = await openCatalog('index');
  try {
    const [table] = await createTables(catalog, 'bench', ['indexed']);
    // The table's own metadata file is pending too: index it first, so the timed call reads
    // only the manifest list and its manifests.
    await new ObjectIndexer(catalog.handle.db, catalog.store, catalog.config.gc.indexConcurrency).indexPending();
    const snapshotId = snapshotIds++;
    const writeStart = performance.now();
    const written = await writeManifests(table.location, snapshotId, manifests, entries);
    console.log(
      `wrote 1 manifest list and ${manifests} manifests of ${entries} entries (${round(written.manifestBytes / 1e6, 1)} MB, deflate) in ${round((performance.now() - writeStart) / 1000, 1)} s`,
    );
    await catalog.setup.query(
      `INSERT INTO snapshot (table_id, snapshot_id, sequence_number, timestamp_ms, manifest_list, schema_id, operation)
       VALUES ($1, $2, 1, $3, $4, 0, 'append')`,
      [table.id, snapshotId, Date.now(), written.listUri],
    );
    await vacuumAnalyze(catalog.setup);
    // The indexer runs in a child process launched as production launches the catalog
    // (--max-old-space-size=192), so its resident memory is its own.
    const result = await withTimeout('index worker', runIndexWorker(catalog.url, catalog.config.gc.indexConcurrency));
    const counts = await catalog.setup.query<{ data: string; edges: string; pending: string }>(
      `SELECT (SELECT count(*) FROM storage_object WHERE kind = 'data' AND released_at IS NULL) AS data,
              (SELECT count(*) FROM object_edge) AS edges,
              (SELECT count(*) FROM storage_object WHERE edges_state = 'pending') AS pending`,
    );
    const row = counts.rows[0];
    if (Number(row.data) !== manifests * entries || Number(row.pending) !== 0) {
      throw new Error(`index: ${row.data} live data files (expected ${manifests * entries}), ${row.pending} still pending`);
    }
    const summary = {
      manifests,
      entriesPerManifest: entries,
      manifestBytes: written.manifestBytes,
      bytesPerEntry: round(written.manifestBytes / (manifests * entries), 1),
      concurrency: catalog.config.gc.indexConcurrency,
      ...result,
      edgesInDatabase: Number(row.edges),
    };
    console.log('index rate', JSON.stringify(summary));
    return summary;
  } finally {
    await catalog.close();
    await dropDatabases();
  }
}

/**
 * The worker runs compiled, as production runs the catalog (bench/run.sh builds dist/ first),
 * so its memory has no TypeScript loader in it; under tsx when there is no fresh build.
 */
function runIndexWorker(url: string, concurrency: number): Promise<Record<string, unknown>> {
  const compiled = join(REPO, 'dist/bench/gc.js');
  const fresh = SCRIPT === compiled || (existsSync(compiled) && statSync(compiled).mtimeMs >= statSync(SCRIPT).mtimeMs);
  const entry = fresh ? [compiled] : [...process.execArgv, SCRIPT];
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--max-old-space-size=192', ...entry, '--index-worker', '--database-url', url, '--index-concurrency', String(concurrency)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`index worker exited with ${code}: ${out}`));
      resolve({ worker: fresh ? 'compiled' : 'tsx', ...(JSON.parse(last) as Record<string, unknown>) });
    });
  });
}

/** The child of part 3: index what is pending, report time and memory as one JSON line. */
async function indexWorker() {
  const config = loadConfig({
    CATALOG_DATABASE_URL: databaseUrl,
    CATALOG_DATA_DIR: tmpdir(),
    CATALOG_LOG_LEVEL: 'silent',
    CATALOG_GC_INDEX_CONCURRENCY: values['index-concurrency'],
  });
  const handle = openLoggedDatabase(databaseUrl!, config);
  const stats: QueryStats = { byStatement: new Map(), phases: [] };
  try {
    const indexer = new ObjectIndexer(handle.db, createObjectStore(config), config.gc.indexConcurrency);
    const memory = sampleMemory(process.pid);
    await new Promise((r) => setTimeout(r, 300));
    const baselineRssMb = process.memoryUsage().rss / 2 ** 20;
    let peakHeapMb = 0;
    let peakBuffersMb = 0;
    const heapTimer = setInterval(() => {
      const usage = process.memoryUsage();
      peakHeapMb = Math.max(peakHeapMb, usage.heapUsed / 2 ** 20);
      peakBuffersMb = Math.max(peakBuffersMb, usage.arrayBuffers / 2 ** 20);
    }, 100);
    const cpuBefore = process.cpuUsage();
    // Postgres backends name their database in their command line.
    const database = new URL(databaseUrl!).pathname.slice(1);
    const backends = (c: string) => c.startsWith('postgres') && c.includes(` ${database} `);
    const pgBefore = await cpuSeconds(backends);
    const started = performance.now();
    recording = stats;
    const progress = await indexer.indexPending();
    recording = undefined;
    const seconds = (performance.now() - started) / 1000;
    const pgAfter = await cpuSeconds(backends);
    const cpu = process.cpuUsage(cpuBefore);
    clearInterval(heapTimer);
    const peakRssMb = Math.max(memory.stop(), process.memoryUsage().rss / 2 ** 20);
    console.log(
      JSON.stringify({
        seconds: round(seconds, 1),
        objectsIndexed: progress.objects,
        entriesIndexed: progress.edges,
        entriesPerSecond: round(progress.edges / seconds),
        unreadable: progress.unreadable,
        failures: progress.failures,
        baselineRssMb: round(baselineRssMb),
        peakRssMb: round(peakRssMb),
        peakHeapUsedMb: round(peakHeapMb),
        peakArrayBuffersMb: round(peakBuffersMb),
        indexerCores: round((cpu.user + cpu.system) / 1e6 / seconds, 2),
        postgresBackendCores: round((pgAfter - pgBefore) / seconds, 2),
        topStatements: topStatements(stats, 8),
      }),
    );
  } finally {
    await handle.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 4. Storage report of a 1,000,000-file table
// ---------------------------------------------------------------------------------------------

async function storageReport() {
  const files = Number(values['report-files']);
  const catalog = await openCatalog('report');
  try {
    const [table] = await createTables(catalog, 'bench', ['big']);
    // 10 appends of 10 manifests each; 100 manifests name the data files.
    const filesPerManifest = Math.max(1, Math.round(files / 100));
    const buildStart = performance.now();
    await populateTable(catalog.setup, table, { snapshots: 10, manifestsPerSnapshot: 10, filesPerManifest });
    await new ObjectIndexer(catalog.handle.db, catalog.store, catalog.config.gc.indexConcurrency).indexPending(); // the metadata file
    await vacuumAnalyze(catalog.setup);
    console.log(`table of ${filesPerManifest * 100} data files built in ${round((performance.now() - buildStart) / 1000, 1)} s`);
    const runs: number[] = [];
    let report: Awaited<ReturnType<typeof tableStorage>> | undefined;
    for (let r = 0; r < repeat; r++) {
      const started = performance.now();
      report = await withTimeout('tableStorage', tableStorage(catalog.handle.db, table.id, table.location));
      runs.push(round(performance.now() - started));
      console.log(`  tableStorage run ${r + 1}: ${runs[runs.length - 1]} ms`);
    }
    const summary = { dataFiles: filesPerManifest * 100, runsMs: runs, report };
    console.log('storage report', JSON.stringify(summary));
    return summary;
  } finally {
    await catalog.close();
    await dropDatabases();
  }
}

// ---------------------------------------------------------------------------------------------

/** The machine is shared: each part records the 1-minute load average before and after it. */
async function withLoad<T extends object>(run: () => Promise<T>): Promise<T & { loadAverage: [number, number] }> {
  const before = round(loadavg()[0], 1);
  const result = await run();
  return { ...result, loadAverage: [before, round(loadavg()[0], 1)] };
}

if (values['index-worker']) {
  await indexWorker();
} else {
  const results: Record<string, unknown> = {};
  try {
    if (parts.has('collect')) results.collect = await withLoad(async () => (await collectionCost()).summary);
    if (parts.has('delete')) results.delete = await withLoad(deletionRate);
    if (parts.has('index')) results.index = await withLoad(indexRate);
    if (parts.has('report')) results.report = await withLoad(storageReport);
    console.log(JSON.stringify(results));
  } finally {
    await dropDatabases().catch(() => undefined);
  }
}
