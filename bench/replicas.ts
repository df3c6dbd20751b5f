// Benchmark of 1, 2 and 4 catalog processes on one Postgres (issue: "Clones and loads at
// catalog scale", many replicas): for each count, loadTable of a 100-snapshot table at a fixed
// total of connections, then append commits over 50 tables, with the CPU each side used.
//
// The balancer is the load generator's: each process gets an equal share of the connections
// (one autocannon instance per process, results aggregated into one latency histogram), so no
// proxy process competes for the machine's two cores. On this machine every process shares two
// cores with Postgres and the load generator: the figures say where one host saturates, not
// how a cluster of hosts scales.
//
// Usage: bash bench/run.sh replicas [--seconds 15] [--connections 64] [--commit-writers 16] [--replicas 1,2,4]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { RestClient, simpleSchema } from '../test/support/rest-client.js';
import { appendCommit, cpuSeconds, hundredSnapshotTable, startCatalog } from './support.js';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    seconds: { type: 'string', default: '15' },
    connections: { type: 'string', default: '64' },
    'commit-writers': { type: 'string', default: '16' },
    replicas: { type: 'string', default: '1,2,4' },
  },
});
const databaseUrl = values['database-url'];
if (!databaseUrl) throw new Error('--database-url is required');
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const writers = Number(values['commit-writers']);

type Catalog = Awaited<ReturnType<typeof startCatalog>>;
/** In autocannon's API (README: autocannon.aggregateResult), not in its type declarations. */
const aggregateResult = (autocannon as unknown as { aggregateResult(results: autocannon.Result[], options: object): autocannon.Result }).aggregateResult;

async function cpu(catalogs: Catalog[]) {
  const pids = new Set(catalogs.map((c) => c.child.pid!));
  return {
    catalogs: await cpuSeconds((_c, pid) => pids.has(pid)),
    postgres: await cpuSeconds((c) => c.startsWith('postgres')),
    loadGenerator: await cpuSeconds((_c, pid) => pid === process.pid),
  };
}

const cores = (before: Awaited<ReturnType<typeof cpu>>, after: typeof before, elapsed: number) => ({
  catalogCores: Number(((after.catalogs - before.catalogs) / elapsed).toFixed(2)),
  postgresCores: Number(((after.postgres - before.postgres) / elapsed).toFixed(2)),
  loadGeneratorCores: Number(((after.loadGenerator - before.loadGenerator) / elapsed).toFixed(2)),
});

const dirs: string[] = [];
let catalogs: Catalog[] = [];
const results: Record<string, unknown> = {};
try {
  // One shared setup through a first process: the table every process loads, 50 commit targets.
  const setupDir = await mkdtemp(join(tmpdir(), 'catalog-bench-replicas-'));
  dirs.push(setupDir);
  // Every process serves the same warehouse (a process refuses a root other than the one stored).
  const env = { CATALOG_WAREHOUSE_LOCATION: `file://${join(setupDir, 'warehouse')}` };
  catalogs.push(await startCatalog(setupDir, databaseUrl, env));
  const setupClient = new RestClient(catalogs[0].baseUrl);
  const { ns } = await hundredSnapshotTable(setupClient);
  const tables = Array.from({ length: 50 }, (_, i) => `t${i}`);
  for (const name of tables) await setupClient.createTable(ns, { name, schema: simpleSchema });

  for (const count of values.replicas.split(',').map(Number)) {
    while (catalogs.length < count) {
      const dir = await mkdtemp(join(tmpdir(), 'catalog-bench-replicas-'));
      dirs.push(dir);
      catalogs.push(await startCatalog(dir, databaseUrl, env));
    }
    const active = catalogs.slice(0, count);
    const path = setupClient.tablePath(ns, 'hundred');

    const loadBefore = await cpu(active);
    const share = (i: number) => Math.floor(connections / count) + (i < connections % count ? 1 : 0);
    const runs = await Promise.all(
      active.map((c, i) => autocannon({ url: `${c.baseUrl}${path}`, connections: share(i), duration: seconds, skipAggregateResult: true } as autocannon.Options)),
    );
    const load = aggregateResult(runs, { url: `${active[0].baseUrl}${path}`, connections });
    const loadResult = {
      requestsPerSecond: Math.round(load.requests.total / seconds),
      p50Ms: load.latency.p50,
      p99Ms: load.latency.p99,
      errors: load.errors + load.non2xx,
      ...cores(loadBefore, await cpu(active), seconds),
    };

    const clients = active.map((c) => new RestClient(c.baseUrl));
    let commits = 0;
    let conflicts = 0;
    const commitBefore = await cpu(active);
    const started = Date.now();
    const deadline = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const client = clients[w % clients.length];
        while (Date.now() < deadline) {
          conflicts += await appendCommit(client, ns, tables[Math.floor(Math.random() * tables.length)]);
          commits += 1;
        }
      }),
    );
    const elapsed = (Date.now() - started) / 1000;
    const commitResult = {
      commitsPerSecond: Math.round(commits / elapsed),
      conflictsRetried: conflicts,
      ...cores(commitBefore, await cpu(active), elapsed),
    };
    results[String(count)] = { load: loadResult, commits: commitResult };
    console.log(`${count} catalog process(es)`, results[String(count)]);
  }
  console.log(JSON.stringify({ connections, writers, seconds, replicas: results }));
} finally {
  for (const c of catalogs) c.child.kill('SIGTERM');
  await Promise.all(catalogs.map((c) => (c.child.exitCode === null ? new Promise((r) => c.child.once('exit', r)) : undefined)));
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  catalogs = [];
}
