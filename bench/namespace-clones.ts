// Benchmark of namespace and warehouse clones by table count (issue: "Clones and loads at
// catalog scale"). One warehouse holds a namespace tree `w` of 10,000 tables (`w.n100` with
// 100, `w.n1000` with 1,000, `w.rest` with the others), each with one appended snapshot and
// two grants, and one view per 20 tables. Then, timed end to end over HTTP:
//   1. a warehouse clone of all 10,000 tables (to a new root each run);
//   2. namespace clones of `w.n100`, `w.n1000` and `w` (100, 1,000 and 10,000 tables),
//      each with its views and copy-grants, to a new destination each run.
// The first run of each also commits gc.enabled=false onto every source that lacks it (the
// warehouse clone goes first, so the namespace clones find it set): reported apart. Clones of
// more than 64 tables write their metadata files after answering: the time from the answer
// until the last is written is reported apart (filesWrittenMs), and waited for between runs.
//
// Usage: bash bench/run.sh namespace-clones [--repeat 3] [--tables 10000]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { RestClient, simpleSchema } from '../test/support/rest-client.js';
import { viewSchema, viewVersion } from '../test/support/view-fixtures.js';
import { appendCommit, startCatalog } from './support.js';

const { values } = parseArgs({
  options: { 'database-url': { type: 'string' }, repeat: { type: 'string', default: '3' }, tables: { type: 'string', default: '10000' } },
});
const databaseUrl = values['database-url'];
if (!databaseUrl) throw new Error('--database-url is required');
const repeat = Number(values.repeat);
const total = Number(values.tables);
const VIEW_EVERY = 20;
const SETUP_CONCURRENCY = 8;

function summary(samples: number[], tables: number, filesWrittenMs: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  return { tables, samplesMs: samples.map(Math.round), medianMs: Math.round(median), perTableMs: Number((median / tables).toFixed(3)), filesWrittenMs };
}

async function inParallel(count: number, work: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: SETUP_CONCURRENCY }, async () => {
    while (next < count) await work(next++);
  }));
}

const dataDir = await mkdtemp(join(tmpdir(), 'catalog-bench-nsclones-'));
const rootsDir = join(dataDir, 'roots');
const { child: catalog, baseUrl } = await startCatalog(dataDir, databaseUrl, {
  CATALOG_CLONE_EXPIRY_INTERVAL_MS: '0',
  CATALOG_WAREHOUSE_ALLOWED_ROOTS: `file://${rootsDir}`,
});
const client = new RestClient(baseUrl);
const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
const results: Record<string, unknown> = {};

/** `count` tables (one snapshot each) and count/20 views in namespace `ns`. */
async function fill(ns: string[], count: number) {
  await client.createNamespace(ns);
  await inParallel(count, async (i) => {
    const created = await client.createTable(ns, { name: `t${i}`, schema: simpleSchema });
    if (created.status !== 200) throw new Error(`create failed: ${created.status}`);
    await appendCommit(client, ns, `t${i}`);
  });
  for (let i = 0; i < count / VIEW_EVERY; i++) {
    const body = { name: `v${i}`, schema: viewSchema, 'view-version': viewVersion(`SELECT * FROM t${i}`, ns) };
    const response = await client.request('POST', `/v1/default/namespaces/${client.ns(ns)}/views`, body);
    if (response.status !== 200) throw new Error(`view failed: ${response.status}`);
  }
}

const settled: number[] = [];

/**
 * One clone, timed to its answer. Then the bench waits until the clone's deferred metadata
 * files are written (recorded apart, from the answer on), so one run's writing never slows the
 * next run down.
 */
async function clone(path: string, body: Record<string, unknown>, expected: number): Promise<number> {
  const start = performance.now();
  const response = await client.request('POST', path, { 'copy-grants': true, ...body });
  const answered = performance.now();
  if (response.status !== 200 || response.body.tables.length !== expected) {
    throw new Error(`clone failed: ${response.status} ${JSON.stringify(response.body).slice(0, 500)}`);
  }
  for (let i = 0; i < 600; i++) {
    const { rows } = await db.query('SELECT count(*) AS n FROM pending_metadata_file');
    if (Number(rows[0].n) === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  settled.push(Math.round(performance.now() - answered));
  return answered - start;
}

try {
  const small = Math.min(100, total);
  const medium = Math.min(1000, total - small);
  const setupStart = performance.now();
  await client.createNamespace(['w']);
  await fill(['w', 'n100'], small);
  await fill(['w', 'n1000'], medium);
  await fill(['w', 'rest'], total - small - medium);
  // Two grants on every table and view (the bench catalog runs without authentication, so they
  // are written straight into the grant table; copy-grants copies them all the same).
  await db.query(`
    INSERT INTO auth_grant (securable_id, securable_kind, grantee_kind, grantee, privilege)
    SELECT t.table_id, t.kind, 'role', r.role, r.privilege FROM iceberg_table t,
      (VALUES ('analysts', 'read'), ('engineers', 'write')) AS r(role, privilege)
    WHERE t.dropped_at IS NULL`);
  results.setupSeconds = Math.round((performance.now() - setupStart) / 1000);
  console.log(`setup: ${total} tables in ${results.setupSeconds} s`);

  const warehouse: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const destination = { name: `copy${i}`, location: `file://${rootsDir}/copy${i}` };
    warehouse.push(await clone('/ext/v1/default/clone', { destination }, total));
    console.log(`warehouse clone ${i}: ${Math.round(warehouse[i])} ms, its files written ${settled.at(-1)} ms later`);
  }
  results.warehouseClone = { first: Math.round(warehouse[0]), ...summary(warehouse.slice(1), total, settled.splice(0).slice(1)) };

  const namespaces: Record<string, unknown> = {};
  for (const [ns, tables] of [[['w', 'n100'], small], [['w', 'n1000'], medium], [['w'], total]] as const) {
    const samples: number[] = [];
    for (let i = 0; i < repeat; i++) {
      const destination = [`${ns.join('_')}_copy${i}`];
      samples.push(await clone(`/ext/v1/default/namespaces/${client.ns([...ns])}/clone`, { destination }, tables));
    }
    namespaces[String(tables)] = summary(samples, tables, settled.splice(0));
    console.log(`namespace clone of ${tables} tables`, namespaces[String(tables)]);
  }
  results.namespaceClone = namespaces;
  console.log(JSON.stringify(results));
} finally {
  await db.end();
  catalog.kill('SIGTERM');
  await new Promise((r) => catalog.once('exit', r));
  await rm(dataDir, { recursive: true, force: true });
}
