import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CronJob, isCronExpression } from '../../../src/scheduler/cron-job.js';

function collectingLogger() {
  const calls: { level: 'info' | 'error'; details: object; message: string }[] = [];
  return {
    calls,
    info: (details: object, message: string) => void calls.push({ level: 'info', details, message }),
    error: (details: object, message: string) => void calls.push({ level: 'error', details, message }),
  };
}

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('isCronExpression', () => {
  it('accepts the default schedules', () => {
    assert.equal(isCronExpression('*/15 * * * *'), true);
    assert.equal(isCronExpression('30 3 * * 0'), true);
  });

  it('rejects words and out-of-range fields', () => {
    assert.equal(isCronExpression('every hour'), false);
    assert.equal(isCronExpression('61 * * * *'), false);
    assert.equal(isCronExpression('0 25 * * *'), false);
  });
});

describe('CronJob.runOnce', () => {
  it('never runs twice at once: a second call while the first is pending joins it', async () => {
    const gate = deferred<object | undefined>();
    let runs = 0;
    const job = new CronJob('gc', '*/15 * * * *', () => {
      runs += 1;
      return gate.promise;
    }, collectingLogger());

    const first = job.runOnce();
    const second = job.runOnce();
    assert.equal(runs, 1);
    gate.resolve(undefined);
    await Promise.all([first, second]);
    assert.equal(runs, 1);
  });

  it('runs again once the previous run has finished', async () => {
    let runs = 0;
    const job = new CronJob('gc', '*/15 * * * *', async () => {
      runs += 1;
      return undefined;
    }, collectingLogger());
    await job.runOnce();
    await job.runOnce();
    assert.equal(runs, 2);
  });

  it('logs a failed run instead of throwing, and can run again afterwards', async () => {
    const log = collectingLogger();
    const failure = new Error('database unavailable');
    let runs = 0;
    const job = new CronJob('gc', '*/15 * * * *', async () => {
      runs += 1;
      if (runs === 1) throw failure;
      return undefined;
    }, log);

    await job.runOnce();
    assert.equal(log.calls.length, 1);
    assert.equal(log.calls[0].level, 'error');
    assert.deepEqual(log.calls[0].details, { job: 'gc', err: failure });

    await job.runOnce();
    assert.equal(runs, 2);
  });

  it('logs what a run reports, with the job name; a run reporting nothing logs nothing', async () => {
    const log = collectingLogger();
    let result: object | undefined = { deleted: 3 };
    const job = new CronJob('gc', '*/15 * * * *', async () => result, log);

    await job.runOnce();
    assert.deepEqual(log.calls.map((c) => [c.level, c.details]), [['info', { job: 'gc', deleted: 3 }]]);

    result = undefined;
    await job.runOnce();
    assert.equal(log.calls.length, 1);
  });

  it('stop waits for the run under way', async () => {
    const gate = deferred<object | undefined>();
    let finished = false;
    const job = new CronJob('gc', '*/15 * * * *', async () => {
      const result = await gate.promise;
      finished = true;
      return result;
    }, collectingLogger());
    void job.runOnce();
    const stopped = job.stop();
    setTimeout(() => gate.resolve(undefined), 5);
    await stopped;
    assert.equal(finished, true);
  });
});
