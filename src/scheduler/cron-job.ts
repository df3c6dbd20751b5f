// Runs a job at the times of a cron expression (UTC), never two runs of it at once in this
// process, until stopped. Every replica schedules it; the job decides who does the work
// (the collector takes a leader lock, so the other replicas' runs return at once).
import { CronExpressionParser } from 'cron-parser';
import { JobRunner, type JobLogger } from './job-runner.js';

export function isCronExpression(expression: string): boolean {
  try {
    CronExpressionParser.parse(expression, { tz: 'UTC' });
    return true;
  } catch {
    return false;
  }
}

export class CronJob {
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private readonly runner: JobRunner;

  constructor(
    readonly name: string,
    private readonly expression: string,
    run: () => Promise<object | undefined>,
    log: JobLogger,
  ) {
    this.runner = new JobRunner(name, run, log);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.scheduleNext();
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    const next = CronExpressionParser.parse(this.expression, { tz: 'UTC', currentDate: new Date() }).next().getTime();
    // Long waits are split: setTimeout takes at most about 24.8 days.
    const wait = Math.min(Math.max(0, next - Date.now()), 2 ** 31 - 1);
    this.timer = setTimeout(() => {
      if (Date.now() + 5 < next) return this.scheduleNext();
      void this.runOnce().finally(() => this.scheduleNext());
    }, wait);
    this.timer.unref();
  }

  /** One run now (skipped if one is already under way); errors are logged, never thrown. */
  runOnce(): Promise<void> {
    return this.runner.runOnce();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.runner.idle();
  }
}
