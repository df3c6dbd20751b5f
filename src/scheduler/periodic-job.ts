// Runs a job every `intervalMs`, never two runs of it at once in this process, until stopped.
// Jobs must be safe to run on several replicas at the same time (the clone expiry is one
// UPDATE, so each expired clone is dropped exactly once whichever replica gets there first).
export interface JobLogger {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

export class PeriodicJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly intervalMs: number,
    private readonly run: () => Promise<object | undefined>,
    private readonly log: JobLogger,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  /** One run now (skipped if one is already under way); errors are logged, never thrown. */
  runOnce(): Promise<void> {
    this.running ??= this.run()
      .then((result) => {
        if (result) this.log.info({ job: this.name, ...result }, 'scheduled job ran');
      })
      .catch((error: unknown) => this.log.error({ job: this.name, err: error }, 'scheduled job failed'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** Stops scheduling and waits for a run under way to finish. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
