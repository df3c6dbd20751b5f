// Remote signing (issue 13): signature requests per second. One catalog process on Postgres
// with an S3 warehouse in MinIO and CATALOG_S3_REMOTE_SIGNING=true, a clone whose source has
// a file; an engine's GET of that file (under the source's prefix) signed at 16 connections:
// with the catalog's own keys, then on a second catalog that also vends (it signs with the
// vended key for the table's access, a cache hit). Each phase first checks that MinIO accepts
// what was signed.
//
// Usage: node --import tsx bench/signing.ts --database-url postgres://... [--seconds 10]
// (bash bench/run.sh signing starts a throwaway Postgres; MinIO comes from ensure_minio.py.)
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import autocannon from 'autocannon';
import { startMinio } from '../test/support/minio-server.js';
import { RestClient, simpleSchema } from '../test/support/rest-client.js';
import { cpuShare, cpuSnapshot, startCatalog } from './support.js';

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
const results: Record<string, unknown> = {};
try {
  for (const [phase, warehouse, vending] of [
    ['signed with its own keys', 'own', {}],
    ['signed with vended keys (cache hit)', 'vended', { CATALOG_S3_VENDING: 'sts', CATALOG_S3_VENDING_ROLE_ARN: 'arn:aws:iam::000000000000:role/catalog-vended' }],
  ] as const) {
    const dataDir = await mkdtemp(join(tmpdir(), 'catalog-bench-'));
    const catalog = await startCatalog(dataDir, databaseUrl, {
      // A warehouse per phase: both catalogs share the database.
      CATALOG_WAREHOUSE_NAME: warehouse,
      CATALOG_WAREHOUSE_LOCATION: `s3://lake/bench-${warehouse}`,
      CATALOG_S3_ENDPOINT: minio.endpoint,
      CATALOG_S3_PATH_STYLE: 'true',
      CATALOG_S3_REMOTE_SIGNING: 'true',
      ...vending,
    });
    try {
      const client = new RestClient(catalog.baseUrl, warehouse);
      const ns = ['bench'];
      await client.createNamespace(ns);
      await client.createTable(ns, { name: 'source', schema: simpleSchema });
      const cloned = await client.request('POST', `/ext/v1/${warehouse}/namespaces/bench/tables/source/clone`, { destination: { namespace: ns, name: 'clone' } });
      if (cloned.status !== 200) throw new Error(`clone: ${cloned.status}`);
      const source = await client.loadTable(ns, 'source');
      const body = JSON.stringify({
        region: 'us-east-1',
        uri: `${minio.endpoint}/${String(source.body['metadata-location']).replace('s3://', '')}`,
        method: 'GET',
        headers: { 'amz-sdk-request': ['attempt=1; max=3'], range: ['bytes=0-1023'] },
      });
      const url = `${catalog.baseUrl}${client.tablePath(ns, 'clone')}/sign`;
      const signed = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } }).then((r) => r.json());
      const headers = Object.fromEntries(Object.entries(signed.headers as Record<string, string[]>).map(([k, v]) => [k, v.join(',')]));
      const store = await fetch(signed.uri, { headers });
      if (store.status !== 206 && store.status !== 200) throw new Error(`MinIO refused the signed request: ${store.status}`);
      const pid = catalog.child.pid!;
      const before = await cpuSnapshot(pid);
      const run = await autocannon({ url, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections, duration: seconds });
      results[phase] = {
        requestsPerSecond: Math.round(run.requests.average),
        p50Ms: run.latency.p50,
        p99Ms: run.latency.p99,
        errors: run.errors + run.non2xx,
        cpu: cpuShare(before, await cpuSnapshot(pid), run.duration),
      };
      console.log(phase, JSON.stringify(results[phase]));
    } finally {
      catalog.child.kill('SIGTERM');
      await new Promise((r) => catalog.child.once('exit', r));
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  console.log(JSON.stringify(results));
} finally {
  root.destroy();
  await minio.stop();
}
