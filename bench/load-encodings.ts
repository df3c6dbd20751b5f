// loadTable of a table with 100 snapshots, with and without compression (issue 11): bytes per
// answer, requests per second and latency for each Accept-Encoding at 16 and 64 connections.
// The catalog runs as its own process, as in production.
//
// Usage: node --import tsx bench/load-encodings.ts --database-url postgres://... [--seconds 10]
// (bench/run.sh load-encodings starts a throwaway Postgres and calls this.)
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { RestClient } from '../test/support/rest-client.js';
import { cpuShare, cpuSnapshot, hundredSnapshotTable, startCatalog } from './support.js';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16,64' },
    encodings: { type: 'string', default: 'identity,gzip,br' },
  },
});
const databaseUrl = values['database-url'];
if (!databaseUrl) throw new Error('--database-url is required');
const seconds = Number(values.seconds);

/** The body size as sent (compressed when the catalog compressed it). */
function answerBytes(url: string, encoding: string): Promise<{ bytes: number; contentEncoding: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { 'accept-encoding': encoding } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ bytes, contentEncoding: String(res.headers['content-encoding'] ?? 'identity') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const dataDir = await mkdtemp(join(tmpdir(), 'catalog-bench-'));
const { child: catalog, baseUrl } = await startCatalog(dataDir, databaseUrl);
try {
  const client = new RestClient(baseUrl);
  const { ns } = await hundredSnapshotTable(client);
  const url = `${baseUrl}${client.tablePath(ns, 'hundred')}`;

  const results = [];
  for (const encoding of values.encodings!.split(',')) {
    const size = await answerBytes(url, encoding);
    for (const connections of values.connections!.split(',').map(Number)) {
      const cpuBefore = await cpuSnapshot(catalog.pid!);
      const run = await autocannon({ url, connections, duration: seconds, headers: { 'accept-encoding': encoding } });
      const result = {
        encoding: size.contentEncoding,
        answerBytes: size.bytes,
        connections,
        requestsPerSecond: Math.round(run.requests.average),
        p50Ms: run.latency.p50,
        p99Ms: run.latency.p99,
        errors: run.errors + run.non2xx,
        cpu: cpuShare(cpuBefore, await cpuSnapshot(catalog.pid!), run.duration),
      };
      console.log(JSON.stringify(result));
      results.push(result);
    }
  }
  console.log(JSON.stringify({ loadEncodings: results, catalogNodeOptions: process.env.CATALOG_NODE_OPTIONS ?? '' }));
} finally {
  catalog.kill('SIGTERM');
  await new Promise((r) => catalog.once('exit', r));
  await rm(dataDir, { recursive: true, force: true });
}
