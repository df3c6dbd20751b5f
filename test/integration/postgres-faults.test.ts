// Postgres faults under a commit load never end the catalog process: a restart (fast and
// immediate shutdown), connections reset under it, statements cut by the statement timeout, a
// full pool. Requests that cannot be served meanwhile get 503 with Retry-After (never a 500,
// never a dropped connection); the catalog serves again once Postgres is back, without a
// restart; every commit acknowledged with 200 is in its table afterwards. And kill -9 of the
// catalog under load loses no acknowledged commit. The cluster is the test's own, since it
// is stopped and started.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { exitOf, startCatalogProcess, type CatalogProcess } from '../support/catalog-process.js';
import { PostgresCluster } from '../support/postgres-cluster.js';
import { RestClient, simpleSchema } from '../support/rest-client.js';
import { SnapshotLoad, type LoadEvent } from '../support/snapshot-load.js';
import { noPostgres } from '../support/test-catalog.js';

const TABLES = ['t0', 't1', 't2', 't3', 't4', 't5'];
const NAMESPACE = ['faults'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const count = (events: LoadEvent[], status: number) => events.filter((e) => e.status === status).length;
const summary = (events: LoadEvent[]) => {
  const byStatus = new Map<number, number>();
  for (const e of events) byStatus.set(e.status, (byStatus.get(e.status) ?? 0) + 1);
  return [...byStatus].map(([status, n]) => `${status === 0 ? 'no answer' : status}: ${n}`).join(', ');
};

describe('Postgres faults under commit load', { skip: noPostgres }, () => {
  let cluster: PostgresCluster;
  let dataDir: string;
  let catalog: CatalogProcess | undefined;

  const start = (env: Record<string, string> = {}) =>
    startCatalogProcess({
      entry: ['--import', 'tsx', 'src/cli.ts'],
      env: {
        CATALOG_DATA_DIR: dataDir,
        CATALOG_DATABASE_URL: cluster.url,
        CATALOG_DATABASE_CONNECT_TIMEOUT_MS: '1000',
        CATALOG_LOG_LEVEL: 'warn',
        // A collection every second: the leader lock's own connection is likely held when Postgres goes.
        CATALOG_GC_SCHEDULE: '* * * * * *',
        CATALOG_CLONE_EXPIRY_INTERVAL_MS: '500',
        ...env,
      },
      captureLog: true,
    });

  const stopCatalog = async () => {
    if (catalog && catalog.child.exitCode === null) {
      const exited = exitOf(catalog);
      catalog.child.kill('SIGKILL');
      await exited;
    }
    catalog = undefined;
  };

  /** Every acknowledged snapshot is in its table. */
  async function assertNothingLost(load: SnapshotLoad, baseUrl: string) {
    const client = new RestClient(baseUrl, 'default', 10_000);
    for (const [table, ids] of load.acknowledged) {
      const loaded = await client.loadTable(NAMESPACE, table);
      assert.equal(loaded.status, 200);
      const present = new Set((loaded.body.metadata.snapshots as { 'snapshot-id': bigint | number }[]).map((s) => s['snapshot-id'].toString()));
      assert.deepEqual(ids.filter((id) => !present.has(id)), [], `acknowledged commits missing from ${table}`);
    }
  }

  /** The catalog logged no 500 (an unexpected error) and is still running. */
  function assertAliveAndNoUnexpectedErrors(process: CatalogProcess) {
    assert.equal(process.child.exitCode, null, `the catalog process exited: ${process.stderr.slice(-12).join('\n')}`);
    const unexpected = process.log.filter((line) => line.includes('"unexpected error"'));
    assert.deepEqual(unexpected, [], 'no unexpected errors logged');
  }

  /** Waits until a commit is acknowledged after `since` (the catalog serves again). */
  async function recovered(load: SnapshotLoad, since: number, withinMs: number): Promise<number> {
    const deadline = Date.now() + withinMs;
    while (Date.now() < deadline) {
      const first = load.events.find((e) => e.at > since && e.kind === 'commit' && e.status === 200);
      if (first) return first.at - since;
      await sleep(50);
    }
    const exited = catalog?.child.exitCode;
    throw new Error(
      `no commit acknowledged within ${withinMs} ms after Postgres came back` +
        (exited === null ? '' : `; the catalog exited with ${exited}: ${catalog?.stderr.slice(-12).join('\n')}`),
    );
  }

  before(async () => {
    cluster = await PostgresCluster.create();
    dataDir = await mkdtemp(join(tmpdir(), 'catalog-faults-'));
    catalog = await start();
    const client = new RestClient(catalog.baseUrl);
    assert.equal((await client.createNamespace(NAMESPACE)).status, 200);
    for (const name of TABLES) assert.equal((await client.createTable(NAMESPACE, { name, schema: simpleSchema })).status, 200);
  });

  after(async () => {
    await stopCatalog();
    await cluster?.destroy();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('Postgres stopped (fast, then immediate) and started under load: 503s meanwhile, the process stays up, nothing lost', async () => {
    const process = catalog!;
    const load = new SnapshotLoad(() => process.baseUrl, NAMESPACE, TABLES, { maxCommitsPerTable: 400, requestTimeoutMs: 10_000 });
    const outages: { mode: string; from: number; to: number; recoveredMs: number }[] = [];
    try {
      await sleep(1500);
      for (const mode of ['fast', 'immediate'] as const) {
        const from = Date.now();
        await cluster.stop(mode);
        await sleep(2000);
        await cluster.start();
        const to = Date.now();
        outages.push({ mode, from, to, recoveredMs: await recovered(load, to, 15_000) });
        await sleep(1000);
      }
    } finally {
      await load.stop();
    }

    assertAliveAndNoUnexpectedErrors(process);
    const failures = load.events.filter((e) => e.status === 0 || (e.status >= 500 && e.status !== 503));
    assert.deepEqual(failures, [], 'only 503s, no 500s and no dropped connections');
    for (const outage of outages) {
      const during = load.between(outage.from, outage.to);
      assert.ok(count(during, 503) > 0, `503s during the ${outage.mode} outage (${summary(during)})`);
    }
    assert.equal((await fetch(`${process.baseUrl}/health/ready`)).status, 200);
    await assertNothingLost(load, process.baseUrl);
    for (const outage of outages) {
      console.log(
        `pg_ctl stop -m ${outage.mode}: outage ${outage.to - outage.from} ms, answers meanwhile {${summary(load.between(outage.from, outage.to))}}, ` +
          `first commit acknowledged ${outage.recoveredMs} ms after the restart`,
      );
    }
    console.log(`commits acknowledged: ${load.commitsAcknowledged}; all answers {${summary(load.events)}}`);
  });

  test('kill -9 of the catalog under load, then a restart: no acknowledged commit lost', async () => {
    let current = catalog!;
    const load = new SnapshotLoad(() => current.baseUrl, NAMESPACE, TABLES, { maxCommitsPerTable: 400, requestTimeoutMs: 10_000 });
    let killedAt = 0;
    let restartedAt = 0;
    let recoveredMs = 0;
    try {
      await sleep(1500);
      const exited = exitOf(current);
      killedAt = Date.now();
      current.child.kill('SIGKILL');
      await exited;
      catalog = current = await start();
      restartedAt = Date.now();
      recoveredMs = await recovered(load, restartedAt, 15_000);
      await sleep(1000);
    } finally {
      await load.stop();
    }
    assertAliveAndNoUnexpectedErrors(current);
    // Requests sent to the killed process just before the switch fail after it: not the new one's answers.
    const afterRestart = load.between(restartedAt, Infinity).filter((e) => e.target === current.baseUrl);
    assert.deepEqual(afterRestart.filter((e) => e.status !== 200 && e.status !== 409), [], 'the restarted catalog serves every request');
    await assertNothingLost(load, current.baseUrl);
    console.log(
      `kill -9: ${load.commitsAcknowledged} commits acknowledged, none lost; unanswered while down: ${count(load.between(killedAt, restartedAt), 0)}, ` +
        `down for ${restartedAt - killedAt} ms (restart included), first commit acknowledged ${recoveredMs} ms after it was ready`,
    );
  });

  test('connections reset, statements past the statement timeout, a full pool: 503s, then service again', async () => {
    await stopCatalog();
    // Two connections, so a locked table fills the pool; requests waiting for one give up after 300 ms.
    catalog = await start({ CATALOG_DATABASE_POOL_SIZE: '2', CATALOG_DATABASE_STATEMENT_TIMEOUT_MS: '1000', CATALOG_DATABASE_CONNECT_TIMEOUT_MS: '300' });
    const process = catalog;
    const load = new SnapshotLoad(() => process.baseUrl, NAMESPACE, TABLES, { maxCommitsPerTable: 400, requestTimeoutMs: 10_000 });
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    const windows: Record<string, { from: number; to: number }> = {};
    try {
      await sleep(1000);
      let from = Date.now();
      let terminated = 0;
      // Until a request in flight was cut (at least 3 rounds, at most 20).
      for (let i = 0; i < 20 && (i < 3 || count(load.between(from, Date.now()), 503) === 0); i++) {
        const result = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
        );
        terminated += result.rowCount ?? 0;
        await sleep(300);
      }
      windows[`connections reset (${terminated} backends terminated)`] = { from, to: Date.now() };
      await recovered(load, Date.now(), 10_000);

      from = Date.now();
      // Every statement on the table catalog waits for this lock: those holding the two
      // connections hit the statement timeout, the others wait for the pool and time out.
      await admin.query('BEGIN');
      await admin.query('LOCK TABLE iceberg_table IN ACCESS EXCLUSIVE MODE');
      await sleep(2500);
      await admin.query('COMMIT');
      windows['table locked for 2.5 s'] = { from, to: Date.now() };
      await recovered(load, Date.now(), 10_000);
      await sleep(500);
    } finally {
      await load.stop();
      await admin.end();
    }
    assertAliveAndNoUnexpectedErrors(process);
    const failures = load.events.filter((e) => e.status === 0 || (e.status >= 500 && e.status !== 503));
    assert.deepEqual(failures, [], 'only 503s, no 500s and no dropped connections');
    for (const [name, window] of Object.entries(windows)) {
      const during = load.between(window.from, window.to);
      assert.ok(count(during, 503) > 0, `503s while ${name} (${summary(during)})`);
      console.log(`${name}: answers meanwhile {${summary(during)}}`);
    }
    const causes = process.log.filter((line) => line.includes('"catalog database unavailable"')).join('\n');
    assert.match(causes, /statement timeout/, 'statements cut by the statement timeout were answered 503');
    assert.match(causes, /timeout exceeded when trying to connect/, 'requests that found the pool full were answered 503');
    await assertNothingLost(load, process.baseUrl);
    console.log(`commits acknowledged: ${load.commitsAcknowledged}; all answers {${summary(load.events)}}`);
  });
});
