// A collection run's record: counts and errors in memory, written at each phase and now and
// then. Every write first asks whether the run should stop (shutdown, leadership lost), so the
// run stops between steps, never inside one.
import type { Db } from '../db/database.js';
import { updateRun } from '../db/gc-run-repository.js';

export type RunCounts = Record<string, number>;

/** The run's record: counts and errors in memory, written at each phase and now and then. */
export class RunProgress {
  private counts: RunCounts = {};
  private errors: string[] = [];
  private current = 'starting';
  private lastSave = 0;

  constructor(
    private readonly db: Db,
    private readonly runId: string,
    private readonly checkStop: () => void,
  ) {}

  add(deltas: RunCounts) {
    for (const [key, value] of Object.entries(deltas)) this.counts[key] = (this.counts[key] ?? 0) + value;
  }

  async set(values: RunCounts) {
    this.checkStop();
    Object.assign(this.counts, values);
    if (Date.now() - this.lastSave > 1000) await this.save();
  }

  error(message: string) {
    this.errors.push(message);
  }

  async phase(name: string) {
    this.current = name;
    await this.save();
  }

  async save() {
    this.checkStop();
    this.lastSave = Date.now();
    await updateRun(this.db, this.runId, { phase: this.current, counts: this.counts, errors: this.errors });
  }

  async finish(status: 'succeeded' | 'failed' | 'interrupted') {
    await updateRun(this.db, this.runId, { phase: 'done', counts: this.counts, errors: this.errors, status });
  }
}
