-- A collection run may be scoped to one warehouse (requested by who holds `manage-gc` on it):
-- it expires, purges, sweeps and looks for orphans there only. NULL: every warehouse (an
-- administrator's run, or the schedule's).
ALTER TABLE gc_run ADD COLUMN warehouse_id uuid;
CREATE INDEX gc_run_warehouse ON gc_run (warehouse_id, started_at);
