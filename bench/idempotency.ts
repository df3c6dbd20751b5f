// Idempotency keys (issue 13): what an Idempotency-Key costs a commit, and what a replay costs.
// One catalog on Postgres; 8 writers append to fifty empty tables of each phase for N seconds:
// first without keys, then with a fresh key on every commit (a claim before, the fenced
// commit, the answer kept after). Then the kept answers are asked for again: a repeat of a
// key already answered, replayed from Postgres (autocannon, one key, 16 connections).
//
// Usage: node --import tsx bench/idempotency.ts --database-url postgres://... [--seconds 10]
// (bash bench/run.sh idempotency starts a throwaway Postgres and calls this.)
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { stringifyJson } from '../src/json/int64-json.js';
import { RestClient, appendSnapshot, bigSnapshotId, simpleSchema } from '../test/support/rest-client.js';
import { appendCommit, cpuShare, cpuSnapshot, startCatalog } from './support.js';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    seconds: { type: 'string', default: '10' },
    'commit-writers': { type: 'string', default: '8' },
  },
});
const databaseUrl = values['database-url'];
if (!databaseUrl) throw new Error('--database-url is required');
const seconds = Number(values.seconds);
const tablesOf = (phase: string) => Array.from({ length: 50 }, (_, i) => `${phase}${i}`);

async function commits(client: RestClient, ns: string[], phase: string, keyed: boolean, pid: number) {
  const tables = tablesOf(phase);
  let count = 0;
  let conflicts = 0;
  const before = await cpuSnapshot(pid);
  const started = Date.now();
  const deadline = started + seconds * 1000;
  const perAttempt = keyed ? () => ({ 'idempotency-key': randomUUID() }) : undefined;
  await Promise.all(
    Array.from({ length: Number(values['commit-writers']) }, async () => {
      while (Date.now() < deadline) {
        conflicts += await appendCommit(client, ns, tables[Math.floor(Math.random() * tables.length)], {}, perAttempt);
        count += 1;
      }
    }),
  );
  const elapsed = Date.now() - started;
  const result = { phase, commitsPerSecond: Math.round(count / (elapsed / 1000)), conflicts, cpu: cpuShare(before, await cpuSnapshot(pid), elapsed / 1000) };
  console.log(JSON.stringify(result));
  return result;
}

const dataDir = await mkdtemp(join(tmpdir(), 'catalog-bench-'));
const ns = [`bench_${Date.now()}`];
const catalog = await startCatalog(dataDir, databaseUrl);
try {
  const client = new RestClient(catalog.baseUrl);
  await client.createNamespace(ns);
  for (const name of [...tablesOf('plain'), ...tablesOf('keyed')]) await client.createTable(ns, { name, schema: simpleSchema });
  const pid = catalog.child.pid!;
  const plain = await commits(client, ns, 'plain', false, pid);
  const keyed = await commits(client, ns, 'keyed', true, pid);

  // A replay: one commit's kept answer (the table's whole new metadata), asked for again
  // with the same key and body.
  const metadata = (await client.loadTable(ns, 'keyed0')).body.metadata;
  const parent = BigInt(metadata['current-snapshot-id']);
  const snapshot = bigSnapshotId();
  const body = stringifyJson({
    requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent }],
    updates: [
      { action: 'add-snapshot', snapshot: appendSnapshot(snapshot, parent, Number(metadata['last-sequence-number']) + 1, metadata.location) },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snapshot },
    ],
  });
  const headers = { 'content-type': 'application/json', 'idempotency-key': randomUUID() };
  const first = await fetch(`${catalog.baseUrl}${client.tablePath(ns, 'keyed0')}`, { method: 'POST', headers, body });
  if (first.status !== 200) throw new Error(`commit: ${first.status} ${await first.text()}`);
  const bytes = (await first.arrayBuffer()).byteLength;
  const before = await cpuSnapshot(pid);
  const replay = await autocannon({ url: `${catalog.baseUrl}${client.tablePath(ns, 'keyed0')}`, method: 'POST', connections: 16, duration: seconds, headers, body });
  const replays = {
    answerBytes: bytes,
    requestsPerSecond: Math.round(replay.requests.average),
    p99Ms: replay.latency.p99,
    errors: replay.errors + replay.non2xx,
    cpu: cpuShare(before, await cpuSnapshot(pid), replay.duration),
  };
  console.log(JSON.stringify({ replays }));
  console.log(JSON.stringify({ plain, keyed, replays, costPercent: Math.round((1 - keyed.commitsPerSecond / plain.commitsPerSecond) * 100) }));
} finally {
  catalog.child.kill('SIGTERM');
  await new Promise((r) => catalog.child.once('exit', r));
  await rm(dataDir, { recursive: true, force: true });
}
