// SIGTERM under commit load, as Kubernetes delivers it during a rolling update: two catalog
// processes share a database; a client balancer routes to whichever answers its readiness
// probe (as an endpoints controller does); one replica gets SIGTERM mid-load. No request
// may fail and no acknowledged commit may be missing afterwards.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exitOf, startCatalogProcess, type CatalogProcess } from '../support/catalog-process.js';
import { RestClient, simpleSchema } from '../support/rest-client.js';
import { createDatabase, noPostgres } from '../support/test-catalog.js';

const DRAIN_MS = 1500;
const WORKERS = 4;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function startReplica(databaseUrl: string, dataDir: string): Promise<CatalogProcess> {
  return startCatalogProcess({
    entry: ['--import', 'tsx', 'src/cli.ts'],
    env: {
      CATALOG_DATA_DIR: dataDir,
      CATALOG_DATABASE_URL: databaseUrl,
      CATALOG_LOG_LEVEL: 'info',
      CATALOG_SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
      CATALOG_SHUTDOWN_TIMEOUT_MS: '10000',
      // The collector runs every second, so a replica is likely to hold leadership at SIGTERM.
      CATALOG_GC_SCHEDULE: '* * * * * *',
    },
    captureLog: true,
  });
}

const probe = (replica: CatalogProcess, path: string) =>
  fetch(`${replica.baseUrl}${path}`).then((r) => r.status, () => 0);

describe('graceful shutdown under commit load', { skip: noPostgres }, () => {
  let database: { url: string; drop: () => Promise<void> };
  let dataDir: string;
  const replicas: CatalogProcess[] = [];

  before(async () => {
    database = await createDatabase('shutdown');
    dataDir = await mkdtemp(join(tmpdir(), 'catalog-shutdown-'));
    replicas.push(await startReplica(database.url, dataDir));
    replicas.push(await startReplica(database.url, dataDir));
  });

  after(async () => {
    for (const r of replicas) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('SIGTERM mid-load: readiness fails first, in-flight requests finish, nothing fails or is lost', async () => {
    const [a, b] = replicas;
    const admin = new RestClient(b.baseUrl);
    assert.equal((await admin.createNamespace(['load'])).status, 200);
    assert.equal((await admin.createTable(['load'], { name: 'events', schema: simpleSchema })).status, 200);

    const load = new CommitLoad(replicas);
    let sigtermAt = 0;
    let code: number | null = null;
    let exitedAfter = 0;
    let beforeSigterm = 0;
    let readyDuringDrain = 0;
    let liveDuringDrain = 0;
    try {
      await sleep(1500);
      beforeSigterm = load.acknowledged.length;
      const aExited = exitOf(a);
      sigtermAt = Date.now();
      load.sigtermAt = sigtermAt;
      a.child.kill('SIGTERM');
      await sleep(200);
      readyDuringDrain = await probe(a, '/health/ready');
      liveDuringDrain = await probe(a, '/health/live');
      code = await aExited;
      exitedAfter = Date.now() - sigtermAt;
      await sleep(1000); // B alone carries the load for a while
    } finally {
      // Whatever failed above, the load and the poller stop, so the test ends.
      await load.stop();
    }

    assert.deepEqual(load.failures, [], 'no request failed');
    assert.equal(readyDuringDrain, 503, 'readiness fails at once on SIGTERM');
    assert.equal(liveDuringDrain, 200, 'liveness holds during the drain');
    assert.equal(code, 0, 'A exited cleanly');
    assert.ok(exitedAfter >= DRAIN_MS, `A kept serving for the drain period (exited after ${exitedAfter} ms)`);
    assert.ok(beforeSigterm > 0 && load.acknowledged.length > beforeSigterm, 'commits went on before and after SIGTERM');
    assert.ok(load.answeredByFirstAfterSigterm > 0, 'A answered requests that were in flight or routed to it after SIGTERM');
    const messages = a.log.map((line) => (JSON.parse(line) as { msg?: string }).msg);
    assert.ok(messages.includes('shutting down') && messages.includes('stopped'), 'A logged an orderly shutdown');

    const table = await admin.loadTable(['load'], 'events');
    assert.equal(table.status, 200);
    const properties = table.body.metadata.properties as Record<string, string>;
    const missing = load.acknowledged.filter((key) => !(key in properties));
    assert.deepEqual(missing, [], 'every acknowledged commit is in the table');
    console.log(
      `commits acknowledged: ${load.acknowledged.length} (${beforeSigterm} before SIGTERM), 409s retried: ` +
        `${load.conflictsRetried}, answered by A after SIGTERM: ${load.answeredByFirstAfterSigterm}, A exited after ${exitedAfter} ms`,
    );
  });
});

/**
 * WORKERS clients committing one property each, in a loop, through a balancer that routes to
 * the replicas whose readiness probe passed at its last poll (every 100 ms, round robin).
 * A 409 CommitFailedException is retried, as Iceberg clients do; anything else that is not a
 * success, a refused connection included, is a failed request.
 */
class CommitLoad {
  readonly acknowledged: string[] = [];
  readonly failures: string[] = [];
  conflictsRetried = 0;
  sigtermAt = Infinity;
  answeredByFirstAfterSigterm = 0;
  private routable: CatalogProcess[];
  private running = true;
  private readonly poller: Promise<void>;
  private readonly workers: Promise<void>[];
  private turn = 0;

  constructor(private readonly replicas: CatalogProcess[]) {
    this.routable = [...replicas];
    this.poller = this.poll();
    this.workers = Array.from({ length: WORKERS }, (_, w) => this.work(w));
  }

  async stop() {
    this.running = false;
    await Promise.all([this.poller, ...this.workers]);
  }

  private async poll() {
    while (this.running) {
      const ready = await Promise.all(this.replicas.map(async (r) => ((await probe(r, '/health/ready')) === 200 ? r : undefined)));
      this.routable = ready.filter((r): r is CatalogProcess => r !== undefined);
      await sleep(100);
    }
  }

  private async work(w: number) {
    for (let n = 0; this.running && n < 10_000; n++) {
      const key = `w${w}-${n}`;
      for (let attempt = 1; ; attempt++) {
        const replica = this.routable[this.turn++ % this.routable.length] ?? this.replicas[1];
        const name = replica === this.replicas[0] ? 'A' : 'B';
        let status: number;
        try {
          const client = new RestClient(replica.baseUrl);
          status = (await client.commit(['load'], 'events', [], [{ action: 'set-properties', updates: { [key]: String(n) } }])).status;
        } catch (error) {
          this.failures.push(`${key} on ${name}: ${String((error as Error).cause ?? error)}`);
          break;
        }
        if (name === 'A' && Date.now() > this.sigtermAt) this.answeredByFirstAfterSigterm++;
        if (status === 200) {
          this.acknowledged.push(key);
          break;
        }
        if (status === 409 && attempt < 20) {
          this.conflictsRetried++;
          continue;
        }
        this.failures.push(`${key} on ${name}: HTTP ${status}`);
        break;
      }
    }
  }
}
