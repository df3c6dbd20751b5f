// Benchmark of zero-copy clones (issue: "Zero-copy clones over HTTP"):
//   1. single-table clone latency for tables of 10, 10,000 and 1,000,000 data files;
//   2. single-table clone latency for tables of 1, 100 and 1,000 snapshots (kept: the point
//      only, and the whole history);
//   3. a namespace clone of 1,000 tables;
//   4. for comparison, a physical copy of the data files of the 10- and 10,000-file tables.
//
// The large tables are synthetic: their snapshot's manifest list and manifests are files of
// realistic size (about 200 bytes per data-file entry, 10,000 entries per manifest) filled
// with placeholder bytes, and their data files are not written. A clone never opens a
// manifest list or anything below it (the integration suite counts storage calls to check
// that), so what those files contain cannot change the clone's cost.
//
// Usage: bash bench/run.sh clones [--repeat 30]
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RestClient, appendSnapshot, bigSnapshotId, simpleSchema } from '../test/support/rest-client.js';
import { fileUriToPath } from '../src/storage/filesystem-store.js';
import { appendCommit, startCatalog } from './support.js';

const { values } = parseArgs({
  options: { 'database-url': { type: 'string' }, repeat: { type: 'string', default: '30' }, tables: { type: 'string', default: '1000' } },
});
const databaseUrl = values['database-url'];
if (!databaseUrl) throw new Error('--database-url is required');
const repeat = Number(values.repeat);

const ENTRY_BYTES = 200;
const ENTRIES_PER_MANIFEST = 10_000;

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { runs: samples.length, medianMs: Number(at(0.5).toFixed(2)), p99Ms: Number(at(0.99).toFixed(2)) };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const dataDir = await mkdtemp(join(tmpdir(), 'catalog-bench-clones-'));
const { child: catalog, baseUrl } = await startCatalog(dataDir, databaseUrl, { CATALOG_CLONE_EXPIRY_INTERVAL_MS: '0' });
const client = new RestClient(baseUrl);
const results: Record<string, unknown> = {};
let cloneCounter = 0;

async function cloneTable(ns: string[], name: string, body: Record<string, unknown> = {}) {
  cloneCounter += 1;
  const response = await client.request('POST', `/ext/v1/default/namespaces/${client.ns(ns)}/tables/${name}/clone`, {
    destination: { namespace: ['clones'], name: `${name}_c${cloneCounter}` },
    ...body,
  });
  if (response.status !== 200) throw new Error(`clone failed: ${response.status} ${JSON.stringify(response.body)}`);
}

/** A table whose one snapshot references `dataFiles` data files through synthetic manifests. */
async function tableWithDataFiles(ns: string[], name: string, dataFiles: number): Promise<string> {
  const created = await client.createTable(ns, { name, schema: simpleSchema });
  const location: string = created.body.metadata.location;
  const metadataDir = fileUriToPath(`${location}/metadata`);
  await mkdir(metadataDir, { recursive: true });
  const manifests = Math.max(1, Math.ceil(dataFiles / ENTRIES_PER_MANIFEST));
  for (let m = 0; m < manifests; m++) {
    const entries = Math.min(ENTRIES_PER_MANIFEST, dataFiles - m * ENTRIES_PER_MANIFEST);
    await writeFile(join(metadataDir, `manifest-${m}.avro`), Buffer.alloc(entries * ENTRY_BYTES, 1));
  }
  await writeFile(join(metadataDir, 'snap-1.avro'), Buffer.alloc(manifests * 300, 1));
  const id = bigSnapshotId();
  const snapshot = {
    ...appendSnapshot(id, null, 1, location),
    'manifest-list': `${location}/metadata/snap-1.avro`,
    summary: { operation: 'append', 'added-data-files': String(dataFiles), 'total-data-files': String(dataFiles) },
  };
  const committed = await client.commit(ns, name, [], [
    { action: 'add-snapshot', snapshot },
    { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
  ]);
  if (committed.status !== 200) throw new Error(`setup commit failed: ${JSON.stringify(committed.body)}`);
  return location;
}

try {
  await client.createNamespace(['src']);
  await client.createNamespace(['clones']);

  // --- 1. data files ---
  const byFiles: Record<string, unknown> = {};
  for (const files of [10, 10_000, 1_000_000]) {
    const name = `files_${files}`;
    await tableWithDataFiles(['src'], name, files);
    await cloneTable(['src'], name); // warm-up; also sets gc.enabled=false on the source once
    const samples: number[] = [];
    for (let i = 0; i < repeat; i++) samples.push(await timed(() => cloneTable(['src'], name)));
    byFiles[String(files)] = stats(samples);
    console.log(`clone of a ${files}-data-file table`, byFiles[String(files)]);
  }
  results.cloneByDataFiles = byFiles;

  // --- 2. snapshots ---
  const bySnapshots: Record<string, unknown> = {};
  for (const count of [1, 100, 1000]) {
    const name = `snapshots_${count}`;
    await client.createTable(['src'], { name, schema: simpleSchema });
    for (let i = 0; i < count; i++) await appendCommit(client, ['src'], name);
    await cloneTable(['src'], name);
    for (const history of ['point', 'all'] as const) {
      const samples: number[] = [];
      for (let i = 0; i < repeat; i++) samples.push(await timed(() => cloneTable(['src'], name, { history })));
      bySnapshots[`${count}/${history}`] = stats(samples);
      console.log(`clone of a ${count}-snapshot table keeping ${history}`, bySnapshots[`${count}/${history}`]);
    }
  }
  results.cloneBySnapshots = bySnapshots;

  // --- 3. a namespace of many tables ---
  const tables = Number(values.tables);
  await client.createNamespace(['wide']);
  for (let i = 0; i < tables; i++) {
    await client.createTable(['wide'], { name: `t${i}`, schema: simpleSchema });
    await appendCommit(client, ['wide'], `t${i}`);
  }
  const nsSamples: number[] = [];
  for (let i = 0; i < 3; i++) {
    nsSamples.push(
      await timed(async () => {
        const response = await client.request('POST', '/ext/v1/default/namespaces/wide/clone', { destination: [`wide_copy_${i}`] });
        if (response.status !== 200 || response.body.tables.length !== tables) throw new Error(`namespace clone failed: ${response.status}`);
      }),
    );
  }
  results.namespaceClone = { tables, ...stats(nsSamples), samplesMs: nsSamples.map((s) => Math.round(s)) };
  console.log(`namespace clone of ${tables} tables`, results.namespaceClone);

  // --- 4. what a physical copy of the data would take (4 KiB files: a lower bound) ---
  const copies: Record<string, unknown> = {};
  for (const files of [10, 10_000]) {
    const from = join(dataDir, `physical-${files}`);
    await mkdir(from, { recursive: true });
    for (let i = 0; i < files; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, files - i) }, (_, k) => writeFile(join(from, `part-${i + k}.parquet`), Buffer.alloc(4096, 7))),
      );
    }
    const ms = await timed(() => cp(from, `${from}-copy`, { recursive: true }));
    copies[String(files)] = { ms: Math.round(ms), filesPerSecond: Math.round(files / (ms / 1000)) };
    console.log(`physical copy of ${files} 4 KiB files`, copies[String(files)]);
  }
  results.physicalCopy = copies;
  console.log(JSON.stringify(results));
} finally {
  catalog.kill('SIGTERM');
  await new Promise((r) => catalog.once('exit', r));
  await rm(dataDir, { recursive: true, force: true });
}
