// A catalog with the production heap (`npm start`: --max-old-space-size=192) survives a request
// at every limit, alone and several at once, and still serves other traffic meanwhile and after.
// (A 6 MiB body, or 7.5 MiB in 150,000 properties, used to take the process down.) Memory
// figures are in docs/benchmarks.md; this test asserts survival and answers, never timings.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { exitOf, startCatalogProcess, type CatalogProcess } from '../support/catalog-process.js';
import { largeRequests, prepareLargeRequests, type LargeRequest } from '../support/large-requests.js';

const BODY_LIMIT = loadConfig({}).bodyLimitBytes;
const AT_ONCE = 4;

async function send(baseUrl: string, request: LargeRequest, n: number): Promise<number> {
  const response = await fetch(`${baseUrl}${request.path.replace('{n}', String(n))}`, {
    method: request.method,
    headers: { 'content-type': 'application/json' },
    body: request.body(n),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('requests at the limits, with the production heap (embedded default)', () => {
  let catalog: CatalogProcess;
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'catalog-limits-'));
    catalog = await startCatalogProcess({
      entry: ['--max-old-space-size=192', '--import', 'tsx', 'src/cli.ts'],
      env: { CATALOG_DATA_DIR: dataDir, CATALOG_LOG_LEVEL: 'warn' },
    });
    await prepareLargeRequests(catalog.baseUrl);
  });

  after(async () => {
    if (catalog.child.exitCode === null && catalog.child.signalCode === null) {
      catalog.child.kill('SIGTERM');
      await exitOf(catalog);
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  for (const request of largeRequests(BODY_LIMIT - 1024)) {
    test(`${request.shape}: alone, ${AT_ONCE} at once, with small requests alongside`, async () => {
      const n = Math.floor(Math.random() * 1e9);
      const alone = await send(catalog.baseUrl, request, n);
      assert.ok(alone < 300, `alone: ${alone}`);
      const small = Array.from({ length: 20 }, () => fetch(`${catalog.baseUrl}/v1/default/namespaces`).then((r) => r.status));
      const together = await Promise.all(Array.from({ length: AT_ONCE }, (_, i) => send(catalog.baseUrl, request, n + 1 + i)));
      // Past the body budget a large request is turned away with 503 (Retry-After), never a crash.
      for (const status of together) assert.ok(status < 300 || status === 503 || status === 409, `together: ${together}`);
      assert.ok(together.some((s) => s < 300), `none of ${together} was served`);
      assert.deepEqual([...new Set(await Promise.all(small))], [200]);
      assert.equal(catalog.child.exitCode, null, 'the catalog exited');
      assert.equal(catalog.child.signalCode, null, 'the catalog was killed');
    });
  }

  test('one byte past the body limit is a 413 in the Iceberg error model', async () => {
    const response = await fetch(`${catalog.baseUrl}/v1/default/namespaces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ namespace: ['over'], properties: { k: 'x'.repeat(BODY_LIMIT) } }),
    }).catch(() => undefined);
    if (response) {
      assert.equal(response.status, 413);
      assert.equal((await response.json()).error.code, 413);
    }
    assert.equal(catalog.child.exitCode, null);
  });
});
