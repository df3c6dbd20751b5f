// Runs a job every `intervalMs`, never two runs of it at once in this process, until stopped.
// Jobs must be safe to run on several replicas at the same time (the clone expiry is one
// UPDATE, so each expired clone is dropped exactly once whichever replica gets there first).
import { JobRunner, type JobLogger } from './job-runner.js';

export class PeriodicJob {
  private timer: NodeJS.Timeout | undefined;
  private readonly runner: JobRunner;

  constructor(
    readonly name: string,
    private readonly intervalMs: number,
    run: () => Promise<object | undefined>,
    log: JobLogger,
  ) {
    this.runner = new JobRunner(name, run, log);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  /** One run now (skipped if one is already under way); errors are logged, never thrown. */
  runOnce(): Promise<void> {
    return this.runner.runOnce();
  }

  /** Stops scheduling and waits for a run under way to finish. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.runner.idle();
  }
}
