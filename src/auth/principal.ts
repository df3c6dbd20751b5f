// Who is calling: the principal a verified token names, with the groups its identity
// provider put in it. Authentication decides this; authorization decides what it may do.
import { CatalogError } from '../iceberg/errors.js';

export interface Principal {
  /** The name grants and ownership refer to (a token's subject, or a client's principal). */
  name: string;
  groups: readonly string[];
  /** anonymous: authentication is off; catalog: a token the catalog issued; oidc: an IdP's token. */
  via: 'anonymous' | 'catalog' | 'oidc';
  /** The catalog client behind a catalog-issued token. */
  clientId?: string;
  /** When the token stops being accepted (epoch ms). */
  expiresAt?: number;
}

/** Everyone, when authentication is off (a loopback `npm start`, or behind a trusted proxy). */
export const ANONYMOUS: Principal = Object.freeze({ name: 'anonymous', groups: Object.freeze([]), via: 'anonymous' });

/** A missing, malformed, expired or untrusted token (spec: 401 NotAuthorizedException). */
export class NotAuthorizedError extends CatalogError {
  constructor(
    message: string,
    /** RFC 6750: `invalid_token` when a token was given, none when it was missing. */
    readonly bearerError?: 'invalid_token' | 'invalid_request',
  ) {
    super(401, 'NotAuthorizedException', message);
  }

  /** The WWW-Authenticate challenge for this refusal (RFC 6750). */
  get challenge(): string {
    const description = this.message.replace(/["\\]/g, "'").slice(0, 200);
    return this.bearerError
      ? `Bearer realm="iceberg", error="${this.bearerError}", error_description="${description}"`
      : 'Bearer realm="iceberg"';
  }
}
