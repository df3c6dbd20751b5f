// Vended credentials (issue 13): what they cost a load. One catalog process on Postgres with an
// S3 warehouse in MinIO and CATALOG_S3_VENDING=sts; a table with 100 snapshots that is a clone
// (so its credentials cover two prefixes). Measured at 16 connections: loadTable without the
// header, then with X-Iceberg-Access-Delegation: vended-credentials (one principal: the
// credential is vended once and reused, a cache hit), then AssumeRole itself (a cache miss:
// every call for another principal), as calls per second of the catalog's own vendor.
//
// Usage: node --import tsx bench/vending.ts --database-url postgres://... [--seconds 10]
// (bash bench/run.sh vending starts a throwaway Postgres and calls this; MinIO comes from
// scripts/test-env/ensure_minio.py.)
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import autocannon from 'autocannon';
import { CredentialVendor } from '../src/storage/credential-vendor.js';
import { startMinio } from '../test/support/minio-server.js';
import { RestClient, simpleSchema } from '../test/support/rest-client.js';
import { appendCommit, cpuShare, cpuSnapshot, startCatalog } from './support.js';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
  },
});
const databaseUrl = values['database-url'];
if (!databaseUrl) throw new Error('--database-url is required');
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const minioBinary = process.env.CATALOG_TEST_MINIO_BIN || execFileSync('python3', ['scripts/test-env/ensure_minio.py'], { encoding: 'utf8' }).trim();

const minio = await startMinio(minioBinary);
process.env.AWS_ACCESS_KEY_ID = minio.rootUser;
process.env.AWS_SECRET_ACCESS_KEY = minio.rootPassword;
const root = new S3Client({ endpoint: minio.endpoint, region: 'us-east-1', forcePathStyle: true });
await root.send(new CreateBucketCommand({ Bucket: 'lake' }));
const dataDir = await mkdtemp(join(tmpdir(), 'catalog-bench-'));
const catalog = await startCatalog(dataDir, databaseUrl, {
  CATALOG_WAREHOUSE_LOCATION: `s3://lake/bench-${Date.now()}`,
  CATALOG_S3_ENDPOINT: minio.endpoint,
  CATALOG_S3_PATH_STYLE: 'true',
  CATALOG_S3_VENDING: 'sts',
  CATALOG_S3_VENDING_ROLE_ARN: 'arn:aws:iam::000000000000:role/catalog-vended',
  CATALOG_S3_VENDING_DURATION_SECONDS: '3600',
});
const results: Record<string, unknown> = {};
try {
  const client = new RestClient(catalog.baseUrl);
  const ns = ['bench'];
  await client.createNamespace(ns);
  await client.createTable(ns, { name: 'source', schema: simpleSchema });
  for (let i = 0; i < 100; i++) await appendCommit(client, ns, 'source');
  const cloned = await client.request('POST', '/ext/v1/default/namespaces/bench/tables/source/clone', { destination: { namespace: ns, name: 'hundred' } });
  if (cloned.status !== 200) throw new Error(`clone: ${cloned.status}`);
  const url = `${catalog.baseUrl}${client.tablePath(ns, 'hundred')}`;
  const pid = catalog.child.pid!;
  for (const [phase, headers] of [
    ['plain', {}],
    ['vended (cache hit)', { 'x-iceberg-access-delegation': 'vended-credentials' }],
  ] as const) {
    const before = await cpuSnapshot(pid);
    const run = await autocannon({ url, connections, duration: seconds, headers });
    results[phase] = {
      requestsPerSecond: Math.round(run.requests.average),
      p50Ms: run.latency.p50,
      p99Ms: run.latency.p99,
      errors: run.errors + run.non2xx,
      cpu: cpuShare(before, await cpuSnapshot(pid), run.duration),
    };
    console.log(phase, JSON.stringify(results[phase]));
  }
  // A miss: AssumeRole for a principal not seen before, by the catalog's own vendor.
  const vendor = new CredentialVendor({ roleArn: 'arn:aws:iam::000000000000:role/catalog-vended', durationSeconds: 3600, endpoint: minio.endpoint, region: 'us-east-1' });
  const loaded = await client.loadTable(ns, 'hundred');
  const prefixes = [`${loaded.body.metadata.location}/`];
  let calls = 0;
  const latencies: number[] = [];
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async (_, worker) => {
      while (Date.now() < deadline) {
        const started = performance.now();
        await vendor.vend({ read: prefixes, write: prefixes }, `principal-${worker}-${calls++}`);
        latencies.push(performance.now() - started);
      }
    }),
  );
  vendor.destroy();
  latencies.sort((a, b) => a - b);
  results['assume-role (cache miss)'] = {
    callsPerSecond: Math.round(calls / seconds),
    p50Ms: Math.round(latencies[Math.floor(latencies.length / 2)]),
    p99Ms: Math.round(latencies[Math.floor(latencies.length * 0.99)]),
  };
  console.log('assume-role (cache miss)', JSON.stringify(results['assume-role (cache miss)']));
  console.log(JSON.stringify(results));
} finally {
  catalog.child.kill('SIGTERM');
  await new Promise((r) => catalog.child.once('exit', r));
  root.destroy();
  await minio.stop();
  await rm(dataDir, { recursive: true, force: true });
}
