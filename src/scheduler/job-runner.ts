// What both kinds of scheduled job share: never two runs of a job at once in this process,
// and a run's outcome logged, never thrown into a timer.
export interface JobLogger {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

export class JobRunner {
  private running: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly run: () => Promise<object | undefined>,
    private readonly log: JobLogger,
  ) {}

  /** One run now (skipped if one is already under way); errors are logged, never thrown. */
  runOnce(): Promise<void> {
    this.running ??= this.start()
      .then((result) => {
        if (result) this.log.info({ job: this.name, ...result }, 'scheduled job ran');
      })
      .catch((error: unknown) => this.log.error({ job: this.name, err: error }, 'scheduled job failed'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** Starts the job now; a job that throws before returning its promise fails like one that rejects. */
  private start(): Promise<object | undefined> {
    try {
      return this.run();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Resolves when no run is under way. */
  async idle(): Promise<void> {
    await this.running;
  }
}
