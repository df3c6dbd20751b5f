// loadView (issue 11): a view with ten versions (the default history kept), loaded plain, with
// gzip, and revalidated with If-None-Match (304), at 16 and 64 connections. The catalog runs as
// its own process, as in production.
//
// Usage: node --import tsx bench/load-view.ts --database-url postgres://... [--seconds 10]
// (bash bench/run.sh load-view starts a throwaway Postgres and calls this.)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { RestClient } from '../test/support/rest-client.js';
import { viewSchema, viewVersion } from '../test/support/view-fixtures.js';
import { cpuShare, cpuSnapshot, startCatalog } from './support.js';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16,64' },
  },
});
const databaseUrl = values['database-url'];
if (!databaseUrl) throw new Error('--database-url is required');

const dataDir = await mkdtemp(join(tmpdir(), 'catalog-bench-'));
const { child: catalog, baseUrl } = await startCatalog(dataDir, databaseUrl);
try {
  const client = new RestClient(baseUrl);
  const ns = [`bench_${Date.now()}`];
  await client.createNamespace(ns);
  const path = `/v1/default/namespaces/${client.ns(ns)}/views/daily`;
  const select = (i: number) => `SELECT region, sum(amount) AS total, count(*) AS orders FROM orders WHERE day = current_date - ${i} GROUP BY region`;
  const created = await client.request('POST', `/v1/default/namespaces/${client.ns(ns)}/views`, {
    name: 'daily',
    schema: viewSchema,
    'view-version': viewVersion(select(0), ns),
  });
  if (created.status !== 200) throw new Error(`createView: ${created.status}`);
  for (let i = 1; i < 10; i++) {
    const replaced = await client.request('POST', path, {
      updates: [
        { action: 'add-view-version', 'view-version': { ...viewVersion(select(i), ns), 'schema-id': 0 } },
        { action: 'set-current-view-version', 'view-version-id': -1 },
      ],
    });
    if (replaced.status !== 200) throw new Error(`replaceView: ${replaced.status}`);
  }
  const loaded = await client.request('GET', path);
  const etag = loaded.headers.get('etag')!;
  const bytes = Buffer.byteLength(JSON.stringify(loaded.body));

  const cases = [
    { name: 'plain', headers: {} as Record<string, string> },
    { name: 'gzip', headers: { 'accept-encoding': 'gzip' } },
    { name: 'if-none-match (304)', headers: { 'if-none-match': etag } },
  ];
  const results = [];
  for (const c of cases) {
    for (const connections of values.connections!.split(',').map(Number)) {
      const before = await cpuSnapshot(catalog.pid!);
      const run = await autocannon({ url: `${baseUrl}${path}`, connections, duration: Number(values.seconds), headers: c.headers });
      const result = {
        case: c.name,
        connections,
        requestsPerSecond: Math.round(run.requests.average),
        p50Ms: run.latency.p50,
        p99Ms: run.latency.p99,
        errors: run.errors + run.non2xx - (c.name.includes('304') ? run['3xx'] : 0),
        cpu: cpuShare(before, await cpuSnapshot(catalog.pid!), run.duration),
      };
      console.log(JSON.stringify(result));
      results.push(result);
    }
  }
  console.log(JSON.stringify({ loadView: results, viewAnswerBytes: bytes, versions: loaded.body.metadata.versions.length }));
} finally {
  catalog.kill('SIGTERM');
  await new Promise((r) => catalog.once('exit', r));
  await rm(dataDir, { recursive: true, force: true });
}
