// How much heap the largest accepted requests take, on a catalog with the production heap cap.
//
//   node --import tsx bench/request-memory.ts [--body-bytes N] [--concurrency N] [--database-url URL]
//
// For each shape in test/support/large-requests.ts a fresh catalog process starts (embedded
// PGlite unless --database-url is given) with `--max-old-space-size=192 --trace-gc`, as `npm
// start` runs it; the request is sent once alone, then `--concurrency` copies at once, then 50
// small requests check that the process still serves. Peak heap is the largest "before" figure
// of V8's GC trace (what the heap held when it had to collect); peak RSS is the kernel's VmHWM.
// Results go to docs/benchmarks.md ("Request memory").
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { exitOf, startCatalogProcess } from '../test/support/catalog-process.js';
import { largeRequests, prepareLargeRequests, type LargeRequest } from '../test/support/large-requests.js';

const { values } = parseArgs({
  options: {
    'body-bytes': { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    'database-url': { type: 'string' },
    heap: { type: 'string', default: '192' },
  },
});
const concurrency = Number(values.concurrency);

const GC_LINE = /(?:Scavenge|Mark-Compact|Mark-Compact \(reduce\))[^\d]*([\d.]+) \(([\d.]+)\) -> ([\d.]+)/;

function peakHeapMb(log: string[], from: number): number {
  let peak = 0;
  for (const line of log.slice(from)) {
    const match = GC_LINE.exec(line);
    if (match) peak = Math.max(peak, Number(match[1]));
  }
  return peak;
}

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function send(baseUrl: string, request: LargeRequest, n: number) {
  const started = Date.now();
  try {
    const response = await fetch(`${baseUrl}${request.path.replace('{n}', String(n))}`, {
      method: request.method,
      headers: { 'content-type': 'application/json' },
      body: request.body(n),
    });
    await response.arrayBuffer();
    return { status: response.status, ms: Date.now() - started };
  } catch (error) {
    return { status: 0, ms: Date.now() - started, error: (error as Error).message };
  }
}

async function measure(request: LargeRequest, bodyBytes: number) {
  const dataDir = await mkdtemp(join(tmpdir(), 'catalog-request-memory-'));
  const env: Record<string, string> = { CATALOG_DATA_DIR: dataDir, CATALOG_LOG_LEVEL: 'warn' };
  if (values['database-url']) env.CATALOG_DATABASE_URL = values['database-url'];
  if (values['body-bytes']) env.CATALOG_BODY_LIMIT_BYTES = String(bodyBytes);
  const catalog = await startCatalogProcess({
    entry: [`--max-old-space-size=${values.heap}`, '--trace-gc', '--import', 'tsx', 'src/cli.ts'],
    env,
    captureLog: true,
  });
  const pid = catalog.child.pid!;
  try {
    await prepareLargeRequests(catalog.baseUrl);
    const baseline = { heap: peakHeapMb(catalog.log, 0), rss: await peakRssMb(pid) };
    const mark = catalog.log.length;
    const alone = await send(catalog.baseUrl, request, 1);
    const aloneHeap = peakHeapMb(catalog.log, mark);
    const mark2 = catalog.log.length;
    const together = await Promise.all(Array.from({ length: concurrency }, (_, i) => send(catalog.baseUrl, request, 100 + i)));
    const togetherHeap = peakHeapMb(catalog.log, mark2);
    const small = await Promise.all(
      Array.from({ length: 50 }, () => fetch(`${catalog.baseUrl}/v1/default/namespaces`).then((r) => r.status).catch(() => 0)),
    );
    const alive = catalog.child.exitCode === null && catalog.child.signalCode === null && small.every((s) => s === 200);
    return {
      shape: request.shape,
      bodyMiB: request.body(1).length / 2 ** 20,
      status: alone.status,
      ms: alone.ms,
      statuses: [...new Set(together.map((t) => t.status))].join('/'),
      baselineHeap: baseline.heap,
      aloneHeap,
      togetherHeap,
      rss: alive ? await peakRssMb(pid) : NaN,
      died: alive ? '' : (catalog.log.find((l) => /heap out of memory|FATAL/.test(l)) ?? `exit ${catalog.child.exitCode ?? catalog.child.signalCode}`),
      alive,
    };
  } finally {
    if (catalog.child.exitCode === null && catalog.child.signalCode === null) {
      catalog.child.kill('SIGKILL');
      await exitOf(catalog);
    }
    await rm(dataDir, { recursive: true, force: true });
  }
}

const bodyBytes = Number(values['body-bytes'] ?? 4 * 2 ** 20) - 1024;
console.log(`heap cap ${values.heap} MB, body ${(bodyBytes / 2 ** 20).toFixed(2)} MiB, ${concurrency} at once, ${values['database-url'] ? 'Postgres' : 'embedded PGlite'}`);
console.log('| shape | body MiB | status (alone / together) | time alone | peak heap alone | peak heap together | peak RSS | alive |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const request of largeRequests(bodyBytes)) {
  const r = await measure(request, bodyBytes + 1024);
  console.log(
    `| ${r.shape} | ${r.bodyMiB.toFixed(2)} | ${r.status} / ${r.statuses} | ${r.ms} ms | ${r.aloneHeap.toFixed(0)} MB | ${r.togetherHeap.toFixed(0)} MB | ${r.rss.toFixed(0)} MB | ${r.alive ? 'yes' : `NO (${r.died})`} |`,
  );
}
