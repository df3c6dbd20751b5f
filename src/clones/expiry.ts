// When a clone expires: `ttl-seconds` from now, or an absolute `expires-at` (ISO-8601 or
// epoch milliseconds). Automation creates short-lived clones for CI runs with these.
import { badRequest } from '../iceberg/errors.js';

export interface ExpiryRequest {
  'ttl-seconds'?: number;
  'expires-at'?: string | number;
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
    return new Date(now + ttl * 1000);
  }
  if (at !== undefined) {
    const date = typeof at === 'number' ? new Date(at) : new Date(at);
    if (Number.isNaN(date.getTime())) throw badRequest(`Invalid expires-at: ${at}`);
    if (date.getTime() <= now) throw badRequest(`expires-at ${date.toISOString()} is not in the future`);
    return date;
  }
  return null;
}
