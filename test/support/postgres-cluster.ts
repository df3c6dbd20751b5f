// A Postgres cluster of a test's own, which the test may stop and start (the shared test
// server must stay up for the other tests). It is created and started by the same script the
// test run uses (scripts/test-env/start-postgres.sh: loopback only, trust auth, run as the
// `postgres` user when we are root), and stopped with pg_ctl in the mode the test asks for.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './catalog-process.js';

const run = promisify(execFile);
const scripts = join(dirname(fileURLToPath(import.meta.url)), '../../scripts/test-env');

export class PostgresCluster {
  private constructor(
    private readonly dir: string,
    readonly port: number,
    /** postgres://postgres@127.0.0.1:<port>/catalog */
    readonly url: string,
    private readonly binDir: string,
  ) {}

  static async create(): Promise<PostgresCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'catalog-pg-faults-'));
    const port = await freePort();
    const binDir = (await run(join(scripts, 'ensure-postgres.sh'))).stdout.trim();
    const url = (await run(join(scripts, 'start-postgres.sh'), [dir, String(port)])).stdout.trim();
    // The test server acknowledges commits before their WAL is written (synchronous_commit
    // off), which an immediate shutdown loses by design. This cluster tests durability of
    // acknowledged commits, so it writes the WAL first, as a production server does.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query('ALTER SYSTEM SET synchronous_commit = on');
    await admin.query('SELECT pg_reload_conf()');
    await admin.end();
    return new PostgresCluster(dir, port, url, binDir);
  }

  /** Starts the stopped cluster again, on the same port; resolves once it accepts connections. */
  async start(): Promise<void> {
    await run(join(scripts, 'start-postgres.sh'), [this.dir, String(this.port)]);
  }

  /**
   * `fast`: sessions are terminated, the server shuts down cleanly. `immediate`: the server
   * processes quit at once, as in a crash; the next start recovers from the WAL.
   */
  async stop(mode: 'fast' | 'immediate'): Promise<void> {
    const pgdata = (await readFile(join(this.dir, 'pgdata-location'), 'utf8')).trim();
    const args = [join(this.binDir, 'pg_ctl'), '-D', pgdata, 'stop', '-m', mode, '-w', '-t', '30'];
    const owner = (await stat(pgdata)).uid;
    // Postgres refuses to run as root, so the cluster belongs to another user then.
    if (userInfo().uid === 0 && owner !== 0) await run('runuser', ['-u', await userName(owner), '--', ...args]);
    else await run(args[0], args.slice(1));
  }

  async destroy(): Promise<void> {
    await run(join(scripts, 'stop-postgres.sh'), [this.dir, '--purge']).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function userName(uid: number): Promise<string> {
  return (await run('id', ['-nu', String(uid)])).stdout.trim();
}
