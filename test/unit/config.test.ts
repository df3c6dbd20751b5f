import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError, SETTINGS, loadConfig } from '../../src/config.js';

test('defaults give the embedded setup: PGlite and a local warehouse under the data folder, port 8181', () => {
  const config = loadConfig({ CATALOG_DATA_DIR: '/srv/catalog' });
  assert.equal(config.databaseUrl, undefined);
  assert.equal(config.port, 8181);
  assert.equal(config.warehouseLocation, 'file:///srv/catalog/warehouse');
  assert.ok(Object.isFrozen(config));
});

test('a bad value stops the start with a message naming the variable', () => {
  assert.throws(() => loadConfig({ CATALOG_PORT: 'eighty' }), (e: Error) => e instanceof ConfigError && /CATALOG_PORT/.test(e.message));
  assert.throws(() => loadConfig({ CATALOG_S3_PATH_STYLE: 'yes' }), /CATALOG_S3_PATH_STYLE/);
  assert.throws(() => loadConfig({ CATALOG_LOG_LEVEL: 'loud' }), /CATALOG_LOG_LEVEL/);
  assert.throws(() => loadConfig({ CATALOG_WAREHOUSE_LOCATION: 'hdfs://x/y' }), /CATALOG_WAREHOUSE_LOCATION/);
  assert.throws(() => loadConfig({ CATALOG_DATABASE_URL: 'not a url' }), /CATALOG_DATABASE_URL/);
});

test('a database URL is never echoed in an error (it may hold a password)', () => {
  assert.throws(() => loadConfig({ CATALOG_DATABASE_URL: 'secret-password' }), (e: Error) => !e.message.includes('secret-password'));
});

test('the README documents every setting with its default', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const setting of Object.values(SETTINGS)) {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${setting.env}\` |`));
    assert.ok(row, `${setting.env} is missing from the README's configuration table`);
    const expected = 'default' in setting ? `\`${setting.default}\`` : '(unset)';
    assert.ok(row.includes(`| ${expected} |`), `${setting.env}: README default differs from ${expected}`);
  }
});
