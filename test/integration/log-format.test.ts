// Logs are JSON lines when standard output is not a terminal (containers, pipes, files: what
// log collectors read), and readable lines when it is one (a person running `npm start`).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exitOf, freePort, startCatalogProcess } from '../support/catalog-process.js';

const hasScript = spawnSync('script', ['--version']).status === 0;

describe('log format', () => {
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'catalog-logs-'));
  });

  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  test('standard output that is not a terminal gets one JSON object per line', async () => {
    const catalog = await startCatalogProcess({
      entry: ['--import', 'tsx', 'src/cli.ts'],
      env: { CATALOG_DATA_DIR: join(dataDir, 'json'), CATALOG_LOG_LEVEL: 'info' },
      captureLog: true,
    });
    await fetch(`${catalog.baseUrl}/v1/config`);
    await fetch(`${catalog.baseUrl}/v1/default/namespaces/missing`);
    const exited = exitOf(catalog);
    catalog.child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(catalog.log.length >= 4, catalog.log.join('\n'));
    for (const line of catalog.log) {
      const entry = JSON.parse(line) as { level: number; time: string; msg: string };
      assert.equal(typeof entry.level, 'number', line);
      assert.equal(typeof entry.msg, 'string', line);
    }
    const messages = catalog.log.map((line) => (JSON.parse(line) as { msg: string }).msg);
    assert.ok(messages.includes('Iceberg REST catalog ready') && messages.includes('request'), messages.join(', '));
  });

  test('a terminal gets readable lines', { skip: hasScript ? false : 'script(1) is not installed' }, async () => {
    const port = await freePort();
    const env = `CATALOG_HOST=127.0.0.1 CATALOG_PORT=${port} CATALOG_METRICS_PORT=0 CATALOG_GC_SCHEDULE=off CATALOG_SHUTDOWN_DRAIN_MS=0 CATALOG_DATA_DIR=${join(dataDir, 'tty')}`;
    // script(1) runs the catalog with a pseudo-terminal as its standard output.
    const child = spawn('script', ['-qec', `env ${env} ${process.execPath} --import tsx src/cli.ts serve`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const closed = new Promise((resolve) => child.once('close', resolve));
    try {
      for (let i = 0; i < 120 && !output.includes('catalog ready'); i++) await new Promise((r) => setTimeout(r, 250));
      await fetch(`http://127.0.0.1:${port}/v1/config`);
      for (let i = 0; i < 40 && !output.includes('/v1/config'); i++) await new Promise((r) => setTimeout(r, 100));
    } finally {
      child.stdin.end('\x03'); // Ctrl-C on the terminal: SIGINT to the catalog
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await closed;
      clearTimeout(timer);
    }
    const lines = output.replace(/\x1b\[[0-9;]*m/g, '').split(/\r?\n/).filter(Boolean);
    const ready = lines.find((l) => l.includes('Iceberg REST catalog ready'));
    assert.ok(ready, output);
    assert.match(ready, /^\d\d:\d\d:\d\d\.\d{3} INFO +Iceberg REST catalog ready database=embedded/);
    assert.ok(lines.some((l) => /INFO +GET \/v1\/config 200 [\d.]+ ms request/.test(l)), output);
    assert.ok(lines.every((l) => !l.startsWith('{')), 'no JSON lines');
  });
});
