// Faults at start that one setting fixes read like messages: one line on standard error that
// names the variable to change, no stack trace, and a non-zero exit.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../support/catalog-process.js';

interface Outcome {
  code: number | null;
  stdout: string[];
  stderr: string[];
}

function serve(env: Record<string, string>): Promise<Outcome> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
    env: { ...process.env, CATALOG_HOST: '127.0.0.1', CATALOG_METRICS_PORT: '0', CATALOG_GC_SCHEDULE: 'off', CATALOG_GC_ORPHAN_SCHEDULE: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Outcome = { code: null, stdout: [], stderr: [] };
  child.stdout.on('data', (chunk: Buffer) => out.stdout.push(...chunk.toString().split('\n').filter(Boolean)));
  child.stderr.on('data', (chunk: Buffer) => out.stderr.push(...chunk.toString().split('\n').filter(Boolean)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ ...out, code });
    }),
  );
}

function assertOneLineNaming(outcome: Outcome, variable: string) {
  assert.ok(outcome.code !== null && outcome.code !== 0, `exits non-zero (got ${outcome.code})`);
  assert.equal(outcome.stderr.length, 1, `one line on standard error:\n${outcome.stderr.join('\n')}`);
  assert.match(outcome.stderr[0], new RegExp(`^configuration error: ${variable}: .*(set|fix) ${variable}`));
  assert.ok(!outcome.stderr[0].includes('    at '), 'no stack trace');
}

describe('start-up faults', () => {
  let scratch: string;
  let taken: Server;
  let takenPort: number;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'catalog-startup-'));
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    takenPort = (taken.address() as { port: number }).port;
  });

  after(async () => {
    await new Promise((resolve) => taken.close(resolve));
    await rm(scratch, { recursive: true, force: true });
  });

  test('a taken port names CATALOG_PORT', async () => {
    const outcome = await serve({ CATALOG_PORT: String(takenPort), CATALOG_DATA_DIR: join(scratch, 'port') });
    assertOneLineNaming(outcome, 'CATALOG_PORT');
    assert.match(outcome.stderr[0], new RegExp(`port ${takenPort} on 127.0.0.1 is already in use`));
  });

  test('a taken metrics port names CATALOG_METRICS_PORT', async () => {
    const outcome = await serve({ CATALOG_PORT: String(await freePort()), CATALOG_METRICS_PORT: String(takenPort), CATALOG_DATA_DIR: join(scratch, 'metrics') });
    assertOneLineNaming(outcome, 'CATALOG_METRICS_PORT');
  });

  test('a data folder that cannot be written names CATALOG_DATA_DIR', async () => {
    // A path below a regular file can never be a folder, even for root (who may write anywhere else).
    const file = join(scratch, 'a-file');
    await writeFile(file, '');
    const outcome = await serve({ CATALOG_PORT: String(await freePort()), CATALOG_DATA_DIR: join(file, 'data') });
    assertOneLineNaming(outcome, 'CATALOG_DATA_DIR');
  });

  test('an unreachable database names CATALOG_DATABASE_URL and hides the password', async () => {
    const closed = await freePort();
    const outcome = await serve({
      CATALOG_PORT: String(await freePort()),
      CATALOG_DATA_DIR: join(scratch, 'db'),
      CATALOG_DATABASE_URL: `postgres://catalog:s3cret@127.0.0.1:${closed}/catalog`,
      CATALOG_DATABASE_CONNECT_TIMEOUT_MS: '2000',
    });
    assertOneLineNaming(outcome, 'CATALOG_DATABASE_URL');
    assert.match(outcome.stderr[0], new RegExp(`postgres://catalog@127.0.0.1:${closed}/catalog`));
    assert.ok(!outcome.stderr.join('\n').includes('s3cret'), 'the password is not printed');
  });

  test('authentication off on a non-loopback address names CATALOG_AUTHENTICATION, unless explicitly allowed', async () => {
    const dataDir = join(scratch, 'open');
    const outcome = await serve({ CATALOG_HOST: '0.0.0.0', CATALOG_PORT: String(await freePort()), CATALOG_DATA_DIR: dataDir });
    assertOneLineNaming(outcome, 'CATALOG_AUTHENTICATION');
    assert.match(outcome.stderr[0], /CATALOG_ALLOW_UNAUTHENTICATED=true/);
    // Said explicitly, it starts (and is stopped here once it listens).
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
      env: {
        ...process.env,
        CATALOG_HOST: '0.0.0.0',
        CATALOG_ALLOW_UNAUTHENTICATED: 'true',
        CATALOG_PORT: String(await freePort()),
        CATALOG_METRICS_PORT: '0',
        CATALOG_DATA_DIR: dataDir,
        CATALOG_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`did not start: ${lines.join('\n')}`)), 30_000);
      child.stdout.on('data', (chunk: Buffer) => {
        lines.push(chunk.toString());
        if (lines.join('').includes('authentication is off')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    try {
      await ready;
      assert.match(lines.join(''), /authentication is off: every request is served without a token/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('close', resolve));
    }
  });
});
