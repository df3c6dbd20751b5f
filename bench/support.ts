// Shared by the benchmarks: the catalog as its own process, CPU and memory sampling from
// /proc, and an append commit as engines do it (load, commit, retry on 409).
import { readFile } from 'node:fs/promises';
import { stringifyJson } from '../src/json/int64-json.js';
import { startCatalogProcess } from '../test/support/catalog-process.js';
import { RestClient, appendSnapshot, bigSnapshotId, simpleSchema } from '../test/support/rest-client.js';

/** The compiled build, as production runs it (bench/run.sh builds it first). */
export async function startCatalog(dataDir: string, databaseUrl: string, env: Record<string, string> = {}) {
  // CATALOG_NODE_OPTIONS: V8 flags for the catalog process only (e.g. a heap cap).
  const nodeFlags = (process.env.CATALOG_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
  return startCatalogProcess({
    entry: [...nodeFlags, 'dist/src/cli.js'],
    env: {
      CATALOG_DATA_DIR: dataDir,
      CATALOG_DATABASE_URL: databaseUrl,
      CATALOG_DATABASE_POOL_SIZE: '16',
      CATALOG_LOG_LEVEL: 'warn',
      ...env,
    },
  });
}

/** CPU seconds (user + system) used so far by the processes whose command line matches. */
export async function cpuSeconds(match: (cmdline: string, pid: number) => boolean): Promise<number> {
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

export async function cpuSnapshot(catalogPid: number) {
  return {
    catalog: await cpuSeconds((_c, pid) => pid === catalogPid),
    postgres: await cpuSeconds((c) => c.startsWith('postgres')),
    loadGenerator: await cpuSeconds((_c, pid) => pid === process.pid),
  };
}

export function cpuShare(before: Awaited<ReturnType<typeof cpuSnapshot>>, after: typeof before, seconds: number) {
  const share = (k: keyof typeof before) => Number(((after[k] - before[k]) / seconds).toFixed(2));
  return { catalogCores: share('catalog'), postgresCores: share('postgres'), loadGeneratorCores: share('loadGenerator') };
}

/** Peak resident set size of a process, sampled from /proc every 100 ms. */
export function sampleMemory(pid: number) {
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
export async function loadHead(client: RestClient, ns: string[], name: string, headers: Record<string, string> = {}) {
  const text = await fetch(`${client.baseUrl}${client.tablePath(ns, name)}`, { headers }).then((r) => r.text());
  const current = /"current-snapshot-id":(-?\d+)/.exec(text)![1];
  return {
    parent: current === '-1' ? null : BigInt(current),
    sequence: Number(/"last-sequence-number":(\d+)/.exec(text)![1]),
    location: /"location":"([^"]+)"/.exec(text)![1],
  };
}

/** `perAttempt`: headers of each attempt's commit (an Idempotency-Key is one request's, not a retry with another body's). */
export async function appendCommit(client: RestClient, ns: string[], name: string, headers: Record<string, string> = {}, perAttempt: () => Record<string, string> = () => ({})): Promise<number> {
  for (let attempt = 1; attempt <= 100; attempt++) {
    const { parent, sequence, location } = await loadHead(client, ns, name, headers);
    const id = bigSnapshotId();
    const body = stringifyJson({
      requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent }],
      updates: [
        { action: 'add-snapshot', snapshot: appendSnapshot(id, parent, sequence + 1, location) },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
      ],
    });
    // Only the status matters here: the body (the whole new metadata) is read, not parsed.
    const response = await fetch(`${client.baseUrl}${client.tablePath(ns, name)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers, ...perAttempt() },
      body,
    });
    const text = await response.text();
    if (response.status === 200) return attempt - 1;
    if (response.status !== 409) throw new Error(`commit failed: ${response.status} ${text}`);
  }
  throw new Error('gave up after 100 attempts');
}

/** The benchmarks' standard table: `hundred`, with 100 appended snapshots, in a new namespace. */
export async function hundredSnapshotTable(client: RestClient): Promise<{ ns: string[]; name: string }> {
  const ns = [`bench_${Date.now()}`];
  await client.createNamespace(ns);
  await client.createTable(ns, { name: 'hundred', schema: simpleSchema });
  for (let i = 0; i < 100; i++) await appendCommit(client, ns, 'hundred');
  return { ns, name: 'hundred' };
}
