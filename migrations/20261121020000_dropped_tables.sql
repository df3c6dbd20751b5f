-- Restorable drops: a dropped table remembers the namespace path it was dropped from, since
-- that namespace may itself be dropped (namespace_id then becomes NULL) before a restore.
ALTER TABLE iceberg_table ADD COLUMN dropped_namespace text[];
CREATE INDEX iceberg_table_dropped ON iceberg_table (warehouse_id, dropped_at) WHERE dropped_at IS NOT NULL;
