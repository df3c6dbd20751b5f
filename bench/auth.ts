// Access control (issue 12): what authentication and authorization cost. The same database and
// table are served twice: with CATALOG_AUTHENTICATION=off, then =catalog with a non-admin
// engine principal holding `write` on the namespace (every request verifies an ES256 token and
// checks the privilege table against its grants). Measured each time: loadTable req/s and p99
// at 16 and 64 connections, append commits per second; with it on, also the token endpoint's
// issue rate and the grant cache's hit rate (from /metrics).
//
// Usage: node --import tsx bench/auth.ts --database-url postgres://... [--seconds 10]
// (bash bench/run.sh auth starts a throwaway Postgres and calls this.)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { freePort } from '../test/support/catalog-process.js';
import { RestClient, simpleSchema } from '../test/support/rest-client.js';
import { appendCommit, cpuShare, cpuSnapshot, startCatalog } from './support.js';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16,64' },
    'commit-writers': { type: 'string', default: '8' },
    // engine: a non-admin principal with a write grant (authorization decides every request);
    // admin: the bootstrap administrator (authentication only), to tell the two costs apart.
    as: { type: 'string', default: 'engine' },
  },
});
const databaseUrl = values['database-url'];
if (!databaseUrl) throw new Error('--database-url is required');
const seconds = Number(values.seconds);
const ADMIN = { id: 'bench-admin', secret: 'bench-admin-secret-0123456789' };

async function token(baseUrl: string, id: string, secret: string): Promise<string> {
  const answer = await fetch(`${baseUrl}/v1/oauth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: id, client_secret: secret }),
  });
  if (answer.status !== 200) throw new Error(`token: ${answer.status} ${await answer.text()}`);
  return ((await answer.json()) as { access_token: string }).access_token;
}

/** Each phase commits to fifty tables of its own, all created empty: metadata grows with every commit, so sharing them would slow the second phase. */
const commitTables = (phase: string) => Array.from({ length: 50 }, (_, i) => `${phase}${i}`);

async function measure(pid: number, baseUrl: string, ns: string[], headers: Record<string, string>, phase: string) {
  const client = new RestClient(baseUrl);
  const loads = [];
  for (const connections of values.connections!.split(',').map(Number)) {
    const before = await cpuSnapshot(pid);
    const run = await autocannon({ url: `${baseUrl}${client.tablePath(ns, 'hundred')}`, connections, duration: seconds, headers });
    loads.push({
      connections,
      requestsPerSecond: Math.round(run.requests.average),
      p50Ms: run.latency.p50,
      p99Ms: run.latency.p99,
      errors: run.errors + run.non2xx,
      cpu: cpuShare(before, await cpuSnapshot(pid), run.duration),
    });
    console.log(JSON.stringify(loads[loads.length - 1]));
  }
  let commits = 0;
  const deadline = Date.now() + seconds * 1000;
  const started = Date.now();
  const tables = commitTables(phase);
  await Promise.all(
    Array.from({ length: Number(values['commit-writers']) }, async () => {
      while (Date.now() < deadline) {
        await appendCommit(client, ns, tables[Math.floor(Math.random() * tables.length)], headers);
        commits += 1;
      }
    }),
  );
  const commitsPerSecond = Math.round(commits / ((Date.now() - started) / 1000));
  console.log(JSON.stringify({ commitsPerSecond }));
  return { loads, commitsPerSecond };
}

const dataDir = await mkdtemp(join(tmpdir(), 'catalog-bench-'));
const ns = [`bench_${Date.now()}`];
const results: Record<string, unknown> = {};
try {
  // --- authentication off: the table, and the baseline ---
  let catalog = await startCatalog(dataDir, databaseUrl);
  try {
    const client = new RestClient(catalog.baseUrl);
    await client.createNamespace(ns);
    for (const name of ['hundred', ...commitTables('off'), ...commitTables('on')]) await client.createTable(ns, { name, schema: simpleSchema });
    for (let i = 0; i < 100; i++) await appendCommit(client, ns, 'hundred');
    console.log('authentication off');
    results.off = await measure(catalog.child.pid!, catalog.baseUrl, ns, {}, 'off');
  } finally {
    catalog.child.kill('SIGTERM');
    await new Promise((r) => catalog.child.once('exit', r));
  }

  // --- authentication and authorization on, as a non-admin engine ---
  const metricsPort = await freePort();
  catalog = await startCatalog(dataDir, databaseUrl, {
    CATALOG_AUTHENTICATION: 'catalog',
    CATALOG_BOOTSTRAP_CLIENT_ID: ADMIN.id,
    CATALOG_BOOTSTRAP_CLIENT_SECRET: ADMIN.secret,
    CATALOG_METRICS_PORT: String(metricsPort),
  });
  try {
    const base = catalog.baseUrl;
    const admin = { authorization: `Bearer ${await token(base, ADMIN.id, ADMIN.secret)}` };
    const client = new RestClient(base);
    const registered = await client.request('POST', '/ext/v1/auth/clients', { 'client-id': 'engine' }, admin);
    const secret = registered.body['client-secret'] as string;
    const granted = await client.request('POST', `/ext/v1/default/grants?namespace=${client.ns(ns)}`, { action: 'grant', grantee: { kind: 'principal', name: 'engine' }, privileges: ['write'] }, admin);
    if (granted.status !== 204) throw new Error(`grant: ${granted.status}`);
    const engine = values.as === 'admin' ? admin : { authorization: `Bearer ${await token(base, 'engine', secret)}` };
    console.log('authentication and authorization on');
    results.on = await measure(catalog.child.pid!, base, ns, engine, 'on');

    const before = await cpuSnapshot(catalog.child.pid!);
    const issued = await autocannon({
      url: `${base}/v1/oauth/tokens`,
      method: 'POST',
      connections: 4,
      duration: seconds,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'engine', client_secret: secret }).toString(),
    });
    results.tokenEndpoint = {
      tokensPerSecond: Number(issued.requests.average.toFixed(1)),
      p99Ms: issued.latency.p99,
      errors: issued.errors + issued.non2xx,
      cpu: cpuShare(before, await cpuSnapshot(catalog.child.pid!), issued.duration),
    };
    console.log(JSON.stringify(results.tokenEndpoint));
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const lookups = (cache: string) => Number(new RegExp(`catalog_authz_grant_lookups\\{cache="${cache}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    const hits = lookups('hit');
    const misses = lookups('miss');
    results.grantCache = { hits, misses, hitRate: Number((hits / Math.max(1, hits + misses)).toFixed(5)) };
  } finally {
    catalog.child.kill('SIGTERM');
    await new Promise((r) => catalog.child.once('exit', r));
  }
  console.log(JSON.stringify(results));
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
