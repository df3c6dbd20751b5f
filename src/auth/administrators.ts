// Who administers the catalog: with authentication off, everyone (the loopback default); with
// it on, the principals named in CATALOG_ADMINS and the bootstrap client's principal.
import type { AuthConfig } from '../config.js';
import { forbidden } from '../iceberg/errors.js';
import type { Principal } from './principal.js';

export class Administrators {
  private readonly names_: ReadonlySet<string>;

  constructor(private readonly config: AuthConfig) {
    this.names_ = new Set([...config.admins, ...(config.bootstrapClient ? [config.bootstrapClient.id] : [])]);
  }

  /** The administrators named by configuration (with authentication off, everyone is one). */
  get names(): readonly string[] {
    return [...this.names_];
  }

  isAdmin(principal: Principal): boolean {
    return this.config.mode === 'off' || this.names_.has(principal.name);
  }

  require(principal: Principal, what: string): void {
    if (!this.isAdmin(principal)) throw forbidden(`Forbidden: ${principal.name} may not ${what}; only administrators may`);
  }
}
