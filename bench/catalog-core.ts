// Benchmark of the catalog core against a real Postgres (issue: "Iceberg REST catalog core"):
//   1. loadTable of a table with 100 snapshots: throughput and latency (autocannon);
//   2. append commits spread over 50 tables: commits per second, with client-side retry on 409;
//   3. the catalog process's resident memory, sampled while 1 and 2 run.
// The catalog runs as its own process (as in production), so its memory is its own.
//
// Usage: node --import tsx bench/catalog-core.ts --database-url postgres://... [--seconds 15]
// (bench/run.sh starts a throwaway Postgres and calls this.)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { RestClient, simpleSchema } from '../test/support/rest-client.js';
import { appendCommit, cpuShare, cpuSnapshot, hundredSnapshotTable, sampleMemory, startCatalog } from './support.js';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    seconds: { type: 'string', default: '15' },
    connections: { type: 'string', default: '32' },
    'commit-writers': { type: 'string', default: '16' },
  },
});
const databaseUrl = values['database-url'];
if (!databaseUrl) throw new Error('--database-url is required');
const seconds = Number(values.seconds);

const dataDir = await mkdtemp(join(tmpdir(), 'catalog-bench-'));
const { child: catalog, baseUrl } = await startCatalog(dataDir, databaseUrl);
const memory = sampleMemory(catalog.pid!);
try {
  const client = new RestClient(baseUrl);
  // --- setup: one table with 100 snapshots ---
  const { ns } = await hundredSnapshotTable(client);
  const loaded = await client.loadTable(ns, 'hundred');
  const documentBytes = Buffer.byteLength(JSON.stringify(loaded.body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  console.log(`table with ${loaded.body.metadata.snapshots.length} snapshots, load response ~${(documentBytes / 1024).toFixed(1)} KiB`);

  // --- 1. loadTable ---
  const loadCpuBefore = await cpuSnapshot(catalog.pid!);
  const load = await autocannon({
    url: `${baseUrl}${client.tablePath(ns, 'hundred')}`,
    connections: Number(values.connections),
    duration: seconds,
  });
  const loadResult = {
    requestsPerSecond: Math.round(load.requests.average),
    p50Ms: load.latency.p50,
    p99Ms: load.latency.p99,
    errors: load.errors + load.non2xx,
    cpu: cpuShare(loadCpuBefore, await cpuSnapshot(catalog.pid!), load.duration),
    peakRssMb: Math.round(memory.takePeak()),
  };
  console.log('loadTable', loadResult);

  // --- 2. commits across 50 tables ---
  const tables = Array.from({ length: 50 }, (_, i) => `t${i}`);
  for (const name of tables) await client.createTable(ns, { name, schema: simpleSchema });
  let commits = 0;
  let conflicts = 0;
  const commitCpuBefore = await cpuSnapshot(catalog.pid!);
  const deadline = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: Number(values['commit-writers']) }, async () => {
      while (Date.now() < deadline) {
        const table = tables[Math.floor(Math.random() * tables.length)];
        conflicts += await appendCommit(client, ns, table);
        commits += 1;
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  const commitResult = {
    commitsPerSecond: Math.round(commits / elapsed),
    commits,
    conflictsRetried: conflicts,
    writers: Number(values['commit-writers']),
    cpu: cpuShare(commitCpuBefore, await cpuSnapshot(catalog.pid!), elapsed),
    peakRssMb: Math.round(memory.takePeak()),
  };
  console.log('commits', commitResult);
  memory.stop();
  console.log(JSON.stringify({ load: loadResult, commits: commitResult, catalogNodeOptions: process.env.CATALOG_NODE_OPTIONS ?? '' }));
} finally {
  memory.stop();
  catalog.kill('SIGTERM');
  await new Promise((r) => catalog.once('exit', r));
  await rm(dataDir, { recursive: true, force: true });
}
