// Classifying database errors: which ones are a conflict the catalog expects, and which
// mean the database cannot be reached (answered with 503 instead of 500).

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isUniqueViolation(error: unknown): boolean {
  return codeOf(error) === '23505';
}

/**
 * A transaction that lost to another one on the same rows: a deadlock (40P01) or a
 * serialization failure (40001). Like a lost compare-and-swap, it is retried from the top.
 */
export function isTransactionConflict(error: unknown): boolean {
  const code = codeOf(error);
  return code === '40P01' || code === '40001';
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH', 'EAI_AGAIN']);

/**
 * True when Postgres is down, restarting, unreachable, out of connections, or too slow to
 * answer within the statement timeout: a client may retry shortly, so these are 503s.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = codeOf(error);
  if (code && NETWORK_CODES.has(code)) return true;
  // SQLSTATE class 08 (connection exception), 57P01-57P03 (shutdown, cannot connect now),
  // 53300 (too many connections), 57014 (statement cancelled: the catalog cancels nothing
  // itself, so it is the statement timeout, e.g. behind a lock or on an overloaded server).
  if (code && (code.startsWith('08') || ['57P01', '57P02', '57P03', '53300', '57014'].includes(code))) return true;
  const message = error instanceof Error ? error.message : '';
  // pg's own messages: the socket closed, the pool had no connection in time, a client that
  // failed earlier, a dedicated session's query timeout.
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/i.test(message);
}

/**
 * Whether a write that failed with this error may still have committed: a connection lost
 * (or a statement cut) around COMMIT leaves the outcome unknown. The files such a write
 * created must then stay; if it did not commit, they are orphans for the orphan sweep. Any
 * other error is raised inside the transaction, which Postgres then rolls back.
 */
export function mayHaveCommitted(error: unknown): boolean {
  return isDatabaseUnavailable(error);
}

/**
 * A value too large for an index entry or a field (SQLSTATE 54000, program_limit_exceeded):
 * the request's fault, as the limits in front of the database should have caught it.
 */
export function isValueTooLarge(error: unknown): boolean {
  return codeOf(error) === '54000';
}

/** gc_root_added refused a root on a file the collector has marked or deleted (SQLSTATE 55G01). */
export function isReferenceToCollectedFile(error: unknown): boolean {
  return codeOf(error) === '55G01';
}
