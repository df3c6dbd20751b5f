// Decisions: what a principal may do on a securable, from ownership along its path and the
// grants made to the principal, its groups and its roles. Behind one interface so that an
// external policy engine (OpenFGA, OPA, Cedar) can take the place of the grants in Postgres.
//
// The grants a principal holds are read once and cached per replica; every change to roles,
// members or grants moves an epoch counter in Postgres, which each replica reads at most every
// EPOCH_POLL_MS and drops its cache when it moved. So a revoked grant is in force on every
// replica within that bound (plus a request already past its check). Ownership is read with
// the objects themselves on every request, never cached.
import type { Administrators } from '../auth/administrators.js';
import type { Principal } from '../auth/principal.js';
import type { Db } from '../db/database.js';
import { currentEpoch, grantsTo, rolesOf, type Grantee } from '../db/grant-repository.js';
import { ALL_PRIVILEGES, effectivePrivileges, type Privilege, type SecurableStep } from './privileges.js';

export const EPOCH_POLL_MS = 1_000;
const CACHED_PRINCIPALS = 10_000;

export interface Authorizer {
  /** What the principal may do on the last step of `path` (warehouse first). */
  privileges(principal: Principal, path: readonly SecurableStep[], options?: LookupOptions): Promise<ReadonlySet<Privilege>>;
  /** Every securable id the principal holds a grant on (for listings): id -> privileges. */
  granted(principal: Principal): Promise<ReadonlyMap<string, readonly Privilege[]>>;
  isAdmin(principal: Principal): boolean;
}

export interface LookupOptions {
  /** Read the grants afresh and keep nothing (a question about some other principal). */
  uncached?: boolean;
}

export interface DecisionStats {
  hits: number;
  misses: number;
}

export class PostgresAuthorizer implements Authorizer {
  private readonly cache = new Map<string, Promise<ReadonlyMap<string, readonly Privilege[]>>>();
  private epoch = -1;
  private checkedAt = -Infinity;
  private polling?: Promise<void>;
  readonly stats: DecisionStats = { hits: 0, misses: 0 };

  constructor(
    private readonly db: Db,
    private readonly administrators: Administrators,
    private readonly now: () => number = Date.now,
  ) {}

  isAdmin(principal: Principal): boolean {
    return this.administrators.isAdmin(principal);
  }

  administratorNames(): readonly string[] {
    return this.administrators.names;
  }

  async privileges(principal: Principal, path: readonly SecurableStep[], options: LookupOptions = {}): Promise<ReadonlySet<Privilege>> {
    if (this.isAdmin(principal)) return ALL_PRIVILEGES;
    return effectivePrivileges(path, principal.name, options.uncached ? await this.load(principal) : await this.granted(principal));
  }

  async granted(principal: Principal): Promise<ReadonlyMap<string, readonly Privilege[]>> {
    await this.poll();
    // Names may hold any character but NUL: JSON keeps ("a\nb", []) apart from ("a", ["b"]).
    const key = JSON.stringify([principal.name, [...principal.groups].sort()]);
    let entry = this.cache.get(key);
    if (entry) {
      this.stats.hits += 1;
      return entry;
    }
    this.stats.misses += 1;
    if (this.cache.size >= CACHED_PRINCIPALS) this.cache.clear();
    entry = this.load(principal);
    this.cache.set(key, entry);
    entry.catch(() => this.cache.delete(key));
    return entry;
  }

  /** Forgets everything cached (after a change made through this replica: in force at once here). */
  invalidate(): void {
    this.cache.clear();
    this.checkedAt = -Infinity;
  }

  private async load(principal: Principal): Promise<ReadonlyMap<string, readonly Privilege[]>> {
    const roles = await rolesOf(this.db, principal.name, principal.groups);
    const grantees: Grantee[] = [
      { kind: 'principal', name: principal.name },
      ...principal.groups.map((name) => ({ kind: 'group' as const, name })),
      ...roles.map((name) => ({ kind: 'role' as const, name })),
    ];
    return grantsTo(this.db, grantees);
  }

  private poll(): Promise<void> {
    if (this.now() - this.checkedAt < EPOCH_POLL_MS) return Promise.resolve();
    this.polling ??= (async () => {
      try {
        const epoch = await currentEpoch(this.db);
        if (epoch !== this.epoch) {
          this.cache.clear();
          this.epoch = epoch;
        }
        this.checkedAt = this.now();
      } finally {
        this.polling = undefined;
      }
    })();
    return this.polling;
  }
}
