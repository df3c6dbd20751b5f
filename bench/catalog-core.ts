// Benchmark of the catalog core against a real Postgres (issue: "Iceberg REST catalog core"):
//   1. loadTable of a table with 100 snapshots: throughput and latency (autocannon);
//   2. append commits spread over 50 tables: commits per second, with client-side retry on 409;
//   3. the catalog process's resident memory, sampled while 1 and 2 run.
// The catalog runs as its own process (as in production), so its memory is its own.
//
// Usage: node --import tsx bench/catalog-core.ts --database-url postgres://... [--seconds 15]
// (bench/run.sh starts a throwaway Postgres and calls this.)
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { RestClient, appendSnapshot, bigSnapshotId, simpleSchema } from '../test/support/rest-client.js';

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
const port = 20000 + Math.floor(Math.random() * 10000);
const baseUrl = `http://127.0.0.1:${port}`;

async function startCatalog(dataDir: string) {
  // The compiled build, as production runs it (bench/run.sh builds it first).
  // CATALOG_NODE_OPTIONS: V8 flags for the catalog process only (e.g. a heap cap).
  const nodeFlags = (process.env.CATALOG_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeFlags, 'dist/src/cli.js', 'serve'], {
    env: {
      ...process.env,
      CATALOG_HOST: '127.0.0.1',
      CATALOG_PORT: String(port),
      CATALOG_DATA_DIR: dataDir,
      CATALOG_DATABASE_URL: databaseUrl,
      CATALOG_DATABASE_POOL_SIZE: '16',
      CATALOG_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 120; i++) {
    if (await fetch(`${baseUrl}/health/ready`).then((r) => r.ok).catch(() => false)) return child;
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill();
  throw new Error('catalog did not start');
}

/** CPU seconds (user + system) used so far by the processes whose command line matches. */
async function cpuSeconds(match: (cmdline: string, pid: number) => boolean): Promise<number> {
  const { readdir } = await import('node:fs/promises');
  let ticks = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (!match(cmdline.replace(/\0/g, ' '), Number(entry))) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

async function cpuSnapshot(catalogPid: number) {
  return {
    catalog: await cpuSeconds((_c, pid) => pid === catalogPid),
    postgres: await cpuSeconds((c) => c.startsWith('postgres')),
    loadGenerator: await cpuSeconds((_c, pid) => pid === process.pid),
  };
}

function cpuShare(before: Awaited<ReturnType<typeof cpuSnapshot>>, after: typeof before, seconds: number) {
  const share = (k: keyof typeof before) => Number(((after[k] - before[k]) / seconds).toFixed(2));
  return { catalogCores: share('catalog'), postgresCores: share('postgres'), loadGeneratorCores: share('loadGenerator') };
}

/** Peak resident set size of a process, sampled from /proc every 100 ms. */
function sampleMemory(pid: number) {
  let peakKb = 0;
  const timer = setInterval(async () => {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    peakKb = Math.max(peakKb, kb);
  }, 100);
  return {
    /** Peak since the last call, in MB; sampling goes on. */
    takePeak: () => {
      const peak = peakKb / 1024;
      peakKb = 0;
      return peak;
    },
    stop: () => (clearInterval(timer), peakKb / 1024),
  };
}

/**
 * What an appending engine needs from a load, read straight from the response text: the
 * load generator shares the machine's two cores with the catalog, so it parses nothing else.
 */
async function loadHead(client: RestClient, ns: string[], name: string) {
  const text = await fetch(`${client.baseUrl}${client.tablePath(ns, name)}`).then((r) => r.text());
  const current = /"current-snapshot-id":(-?\d+)/.exec(text)![1];
  return {
    parent: current === '-1' ? null : BigInt(current),
    sequence: Number(/"last-sequence-number":(\d+)/.exec(text)![1]),
    location: /"location":"([^"]+)"/.exec(text)![1],
  };
}

async function appendCommit(client: RestClient, ns: string[], name: string): Promise<number> {
  for (let attempt = 1; attempt <= 100; attempt++) {
    const { parent, sequence, location } = await loadHead(client, ns, name);
    const id = bigSnapshotId();
    const response = await client.commit(
      ns,
      name,
      [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent }],
      [
        { action: 'add-snapshot', snapshot: appendSnapshot(id, parent, sequence + 1, location) },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
      ],
    );
    if (response.status === 200) return attempt - 1;
    if (response.status !== 409) throw new Error(`commit failed: ${response.status} ${JSON.stringify(response.body)}`);
  }
  throw new Error('gave up after 100 attempts');
}

const dataDir = await mkdtemp(join(tmpdir(), 'catalog-bench-'));
const catalog = await startCatalog(dataDir);
const memory = sampleMemory(catalog.pid!);
try {
  const client = new RestClient(baseUrl);
  const ns = [`bench_${Date.now()}`];
  await client.createNamespace(ns);

  // --- setup: one table with 100 snapshots ---
  await client.createTable(ns, { name: 'hundred', schema: simpleSchema });
  for (let i = 0; i < 100; i++) await appendCommit(client, ns, 'hundred');
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
