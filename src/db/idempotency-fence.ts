// The fence of an idempotent request (a commit step, commit-steps.ts): every transaction the
// request commits first notes that the request's work landed, and only while the request's
// attempt still holds its Idempotency-Key. So a retry can tell "nothing happened, run it
// again" from "it landed, do not", even when the process that ran the first attempt died
// before answering; and an attempt a retry took over (it stalled, or its answer was a 503
// while its handler went on) can no longer commit anything.
import { CompiledQuery } from 'kysely';
import type { CommitStep } from './commit-steps.js';

export interface Fence {
  principal: string;
  key: string;
  attempt: string;
}

/** A commit refused because a retry took the key over: answered 503, nothing changed. */
export class FencedOut extends Error {
  constructor() {
    super('A retry with the same Idempotency-Key took this request over; it changed nothing');
  }
}

const MARK_LANDED = 'UPDATE idempotency_key SET landed = true WHERE principal = $1 AND key = $2::uuid AND attempt = $3::uuid';

export function fenceStep(fence: Fence): CommitStep {
  return async (execute) => {
    const result = await execute(CompiledQuery.raw(MARK_LANDED, [fence.principal, fence.key, fence.attempt]));
    if (Number(result.numAffectedRows ?? 0) !== 1) throw new FencedOut();
  };
}
