// When a clone expires: `ttl-seconds` from now, or an absolute `expires-at` (ISO-8601 or
// epoch milliseconds). Automation creates short-lived clones for CI runs with these.
import { badRequest } from '../iceberg/errors.js';

export interface ExpiryRequest {
  'ttl-seconds'?: number;
  'expires-at'?: string | number;
}

/**
 * The latest expiry accepted: the end of year 9999, which ISO-8601 writes with four digits and
 * Postgres and JavaScript dates both hold (a later Date fails to print, and the request was a 500).
 */
export const MAX_EXPIRES_AT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function withinRange(date: Date, given: unknown): Date {
  const time = date.getTime();
  if (Number.isNaN(time)) throw badRequest(`Invalid expires-at: ${String(given)}`);
  if (time > MAX_EXPIRES_AT_MS) throw badRequest(`Expiry ${String(given)} is too far away (the latest is ${new Date(MAX_EXPIRES_AT_MS).toISOString()})`);
  return date;
}

/** The expiry the request asks for, or null for none; a time not in the future is refused. */
export function expiryFrom(request: ExpiryRequest, now: number): Date | null {
  const ttl = request['ttl-seconds'];
  const at = request['expires-at'];
  if (ttl !== undefined && at !== undefined) throw badRequest('Give ttl-seconds or expires-at, not both');
  if (ttl !== undefined) {
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl <= 0) {
      throw badRequest(`Invalid ttl-seconds: ${ttl} (expected a positive whole number)`);
    }
    return withinRange(new Date(now + ttl * 1000), `ttl-seconds ${ttl}`);
  }
  if (at !== undefined) {
    const date = withinRange(new Date(at), at);
    if (date.getTime() <= now) throw badRequest(`expires-at ${date.toISOString()} is not in the future`);
    return date;
  }
  return null;
}
