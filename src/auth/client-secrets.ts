// Client secrets are stored only as scrypt hashes (Node's own, no dependency), with their
// parameters and salt, and compared in constant time. scrypt at these parameters costs tens of
// milliseconds of CPU per check, which is the point: a stolen table of hashes is slow to
// attack. Engines that fetch a token per operation (Trino 476 does) would pay that on every
// request, so a check that passed is remembered for a while, keyed by a fast hash of the
// secret: the slow hash protects the secret at rest, the memory only what this process saw.
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const N = 1 << 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
const MAX_MEMORY = 64 * 1024 * 1024;

function derive(secret: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEY_BYTES, { N: n, r, p, maxmem: MAX_MEMORY }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** `scrypt$N$r$p$<salt b64url>$<hash b64url>` */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function secretMatches(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  const expected = Buffer.from(parts[5], 'base64url');
  if (![n, r, p].every(Number.isSafeInteger) || expected.length !== KEY_BYTES) return false;
  const actual = await derive(secret, Buffer.from(parts[4], 'base64url'), n, r, p);
  return timingSafeEqual(actual, expected);
}

/** A new secret: 32 random bytes, URL-safe (Basic authentication carries it unencoded). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Remembers secrets that matched, per client, for `ttlMs`; forgets a client on demand. */
export class VerifiedSecrets {
  private readonly entries = new Map<string, { digest: string; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private digest(clientId: string, secret: string, hash: string): string {
    return createHash('sha256').update(`${clientId}\0${secret}\0${hash}`).digest('base64url');
  }

  has(clientId: string, secret: string, hash: string): boolean {
    const entry = this.entries.get(clientId);
    return entry !== undefined && entry.until > this.now() && entry.digest === this.digest(clientId, secret, hash);
  }

  remember(clientId: string, secret: string, hash: string): void {
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(clientId, { digest: this.digest(clientId, secret, hash), until: this.now() + this.ttlMs });
  }
}
