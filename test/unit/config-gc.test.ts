import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

const isConfigError = (variable: string) => (e: unknown) => e instanceof ConfigError && e.message.includes(variable);

test('the collector runs every 15 minutes and sweeps orphans weekly in dry-run mode by default', () => {
  const { gc } = loadConfig({ CATALOG_DATA_DIR: '/srv/catalog' });
  assert.equal(gc.schedule, '*/15 * * * *');
  assert.equal(gc.orphanSchedule, '30 3 * * 0');
  assert.equal(gc.orphanMode, 'dry-run');
});

test('CATALOG_GC_SCHEDULE=off turns the collector off on this replica', () => {
  assert.equal(loadConfig({ CATALOG_DATA_DIR: '/srv/catalog', CATALOG_GC_SCHEDULE: 'off' }).gc.schedule, null);
  assert.equal(loadConfig({ CATALOG_DATA_DIR: '/srv/catalog', CATALOG_GC_ORPHAN_SCHEDULE: 'off' }).gc.orphanSchedule, null);
});

test('a valid cron expression is kept as written', () => {
  const { gc } = loadConfig({ CATALOG_DATA_DIR: '/srv/catalog', CATALOG_GC_SCHEDULE: '0 * * * *', CATALOG_GC_ORPHAN_SCHEDULE: '0 4 1 * *' });
  assert.equal(gc.schedule, '0 * * * *');
  assert.equal(gc.orphanSchedule, '0 4 1 * *');
});

test('an invalid cron expression stops the start, naming the variable', () => {
  assert.throws(() => loadConfig({ CATALOG_DATA_DIR: '/srv/catalog', CATALOG_GC_SCHEDULE: 'nope' }), isConfigError('CATALOG_GC_SCHEDULE'));
  assert.throws(() => loadConfig({ CATALOG_DATA_DIR: '/srv/catalog', CATALOG_GC_SCHEDULE: '61 * * * *' }), isConfigError('CATALOG_GC_SCHEDULE'));
  assert.throws(
    () => loadConfig({ CATALOG_DATA_DIR: '/srv/catalog', CATALOG_GC_ORPHAN_SCHEDULE: 'weekly' }),
    isConfigError('CATALOG_GC_ORPHAN_SCHEDULE'),
  );
});

test('CATALOG_GC_ORPHAN_MODE is dry-run or delete, nothing else', () => {
  assert.equal(loadConfig({ CATALOG_DATA_DIR: '/srv/catalog', CATALOG_GC_ORPHAN_MODE: 'delete' }).gc.orphanMode, 'delete');
  assert.equal(loadConfig({ CATALOG_DATA_DIR: '/srv/catalog', CATALOG_GC_ORPHAN_MODE: 'dry-run' }).gc.orphanMode, 'dry-run');
  for (const mode of ['Delete', 'dryrun', 'true']) {
    assert.throws(() => loadConfig({ CATALOG_DATA_DIR: '/srv/catalog', CATALOG_GC_ORPHAN_MODE: mode }), isConfigError('CATALOG_GC_ORPHAN_MODE'), mode);
  }
});

test('the concurrency settings are at least 1', () => {
  const { gc } = loadConfig({ CATALOG_DATA_DIR: '/srv/catalog', CATALOG_GC_INDEX_CONCURRENCY: '0', CATALOG_GC_DELETE_CONCURRENCY: '0' });
  assert.equal(gc.indexConcurrency, 1);
  assert.equal(gc.deleteConcurrency, 1);
});

test('without a database URL, a warehouse containing the embedded database is refused', () => {
  for (const warehouse of ['file:///tmp/x', 'file:///tmp/x/', 'file:///tmp', 'file:///tmp/x/catalog-db']) {
    assert.throws(
      () => loadConfig({ CATALOG_DATA_DIR: '/tmp/x', CATALOG_WAREHOUSE_LOCATION: warehouse }),
      isConfigError('CATALOG_WAREHOUSE_LOCATION'),
      warehouse,
    );
  }
});

test('the default warehouse (under the data folder) and warehouses beside the database are fine', () => {
  assert.equal(loadConfig({ CATALOG_DATA_DIR: '/tmp/x' }).warehouseLocation, 'file:///tmp/x/warehouse');
  for (const warehouse of ['file:///tmp/x/warehouse', 'file:///tmp/x/catalog-db2', 'file:///tmp/y', 's3://bucket/tmp/x']) {
    assert.equal(loadConfig({ CATALOG_DATA_DIR: '/tmp/x', CATALOG_WAREHOUSE_LOCATION: warehouse }).warehouseLocation, warehouse.replace(/\/$/, ''));
  }
});

test('with a database URL there is no embedded database, so the data folder may be the warehouse', () => {
  const config = loadConfig({
    CATALOG_DATA_DIR: '/tmp/x',
    CATALOG_WAREHOUSE_LOCATION: 'file:///tmp/x',
    CATALOG_DATABASE_URL: 'postgres://catalog@localhost:5432/catalog',
  });
  assert.equal(config.warehouseLocation, 'file:///tmp/x');
});
