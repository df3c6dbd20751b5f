// Temporary S3 credentials for engines, from STS AssumeRole with a session policy that says
// exactly what they may do (vended-access.ts): the role grants the catalog's reach, the policy
// narrows each credential to one table's files. Credentials are reused while they have more
// than a quarter of their lifetime left, per (what they allow, who asked), so a burst of loads
// makes one STS call, not one each.
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { roleSessionName, SESSION_POLICY_LIMIT, sessionPolicyText, type VendedAccess } from './vended-access.js';

export interface VendedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Absent for static keys, which have no session and do not expire. */
  sessionToken?: string;
  expiresAt?: Date;
}

/** Whatever hands out keys for a table's access (STS sessions, or one static pair). */
export interface Vendor {
  vend(access: VendedAccess, principal: string): Promise<VendedCredentials>;
}

/**
 * CATALOG_S3_VENDING=static, for stores without STS: every engine that asks gets the same
 * keys, whatever the table and the caller may do. Only as narrow as the store user behind
 * them (docs/security.md): the catalog's grants decide who gets them, not what they reach.
 */
export class StaticVendor implements Vendor {
  constructor(private readonly keys: { accessKeyId: string; secretAccessKey: string }) {}

  async vend(): Promise<VendedCredentials> {
    return { accessKeyId: this.keys.accessKeyId, secretAccessKey: this.keys.secretAccessKey };
  }
}

export interface CredentialVendorOptions {
  /** The role whose session the credentials are; the session policy narrows it. */
  roleArn: string;
  durationSeconds: number;
  /** STS endpoint (MinIO and other S3-compatible stores serve it on their S3 port). */
  endpoint?: string;
  region: string;
  now?: () => number;
}

/** A table whose files lie under more prefixes than one session policy can name. */
export class PolicyTooLongError extends Error {
  constructor(readonly prefixes: number) {
    super(`the session policy for ${prefixes} prefixes is longer than STS allows (${SESSION_POLICY_LIMIT} characters)`);
  }
}

/** At most this many credentials are kept (the oldest go first). */
const CACHED = 10_000;

export class CredentialVendor implements Vendor {
  private readonly sts: STSClient;
  private readonly cache = new Map<string, Promise<VendedCredentials>>();
  private readonly now: () => number;

  constructor(private readonly options: CredentialVendorOptions) {
    this.sts = new STSClient({ region: options.region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
    this.now = options.now ?? Date.now;
  }

  /** Credentials allowing `access` for `principal`, from the cache while fresh enough. */
  async vend(access: VendedAccess, principal: string): Promise<VendedCredentials> {
    const key = JSON.stringify([principal, [...access.read].sort(), [...access.write].sort()]);
    const cached = this.cache.get(key);
    if (cached) {
      const credentials = await cached.catch(() => undefined);
      if (credentials?.expiresAt && credentials.expiresAt.getTime() - this.now() > (this.options.durationSeconds * 1000) / 4) return credentials;
      if (this.cache.get(key) === cached) this.cache.delete(key);
    }
    const pending = this.assume(access, principal);
    if (this.cache.size >= CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, pending);
    // A failure is not cached: the next load asks again.
    pending.catch(() => this.cache.get(key) === pending && this.cache.delete(key));
    return pending;
  }

  private async assume(access: VendedAccess, principal: string): Promise<VendedCredentials> {
    const policy = sessionPolicyText(access);
    // Never widened to fit: a broader prefix would read what the table cannot.
    if (policy === undefined) throw new PolicyTooLongError(access.read.length);
    const answer = await this.sts.send(
      new AssumeRoleCommand({
        RoleArn: this.options.roleArn,
        RoleSessionName: roleSessionName(principal),
        DurationSeconds: this.options.durationSeconds,
        Policy: policy,
      }),
    );
    const c = answer.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) throw new Error('STS answered AssumeRole without credentials');
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiresAt: new Date(c.Expiration) };
  }

  destroy(): void {
    this.sts.destroy();
  }
}
