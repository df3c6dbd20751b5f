// Turns an Authorization header into a principal, by the deployment's mode: nobody is asked
// for anything when authentication is off; a catalog-issued token or an OIDC token otherwise.
// A verified token is remembered until it expires (bounded), so the signature of a token an
// engine sends a thousand times is checked once.
import type { AuthConfig } from '../config.js';
import type { CatalogTokens } from './catalog-tokens.js';
import type { ClientRegistry } from './client-registry.js';
import type { OidcVerifier } from './oidc-verifier.js';
import { ANONYMOUS, NotAuthorizedError, type Principal } from './principal.js';

// Node refuses headers past 16 KiB (431) before this is reached; real tokens are a few KiB.
const MAX_TOKEN_LENGTH = 8 * 1024;
const CACHE_ENTRIES = 10_000;

export class Authenticator {
  private readonly verified = new Map<string, Principal>();

  constructor(
    private readonly config: AuthConfig,
    private readonly verifiers: { catalog?: CatalogTokens; clients?: ClientRegistry; oidc?: OidcVerifier },
    private readonly now: () => number = Date.now,
  ) {}

  get required(): boolean {
    return this.config.mode !== 'off';
  }

  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (!this.required) return ANONYMOUS;
    if (authorization === undefined || authorization === '') throw new NotAuthorizedError('Not authorized: a bearer token is required');
    const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(authorization);
    if (!match) throw new NotAuthorizedError('Not authorized: the Authorization header is not a bearer token', 'invalid_request');
    const token = match[1];
    if (token.length > MAX_TOKEN_LENGTH) throw new NotAuthorizedError('Not authorized: the token is too long', 'invalid_token');
    const cached = this.verified.get(token);
    if (cached && cached.expiresAt! > this.now()) {
      // A client disabled since the token was verified is refused (ClientRegistry caches briefly).
      if (cached.clientId && !(await this.verifiers.clients!.isActive(cached.clientId))) {
        this.verified.delete(token);
        throw new NotAuthorizedError('Not authorized: the client of this token is disabled', 'invalid_token');
      }
      return cached;
    }
    const principal = await this.verify(token);
    if (this.verified.size >= CACHE_ENTRIES) this.verified.clear();
    this.verified.set(token, principal);
    return principal;
  }

  private async verify(token: string): Promise<Principal> {
    // PyIceberg without credentials sends "Bearer None": say what is wrong in plain words.
    if (token.split('.').length !== 3) {
      throw new NotAuthorizedError('Not authorized: the token is not valid: it is not a JWT (is the client configured with a credential or token?)', 'invalid_token');
    }
    try {
      if (this.config.mode === 'catalog') {
        const claims = await this.verifiers.catalog!.verify(token);
        if (!(await this.verifiers.clients!.isActive(claims.clientId))) throw new Error('its client is disabled');
        return { name: claims.principal, groups: [], via: 'catalog', clientId: claims.clientId, expiresAt: claims.expiresAt };
      }
      const identity = await this.verifiers.oidc!.verify(token);
      return { name: identity.principal, groups: identity.groups, via: 'oidc', expiresAt: identity.expiresAt };
    } catch (error) {
      throw new NotAuthorizedError(`Not authorized: the token is not valid: ${(error as Error).message}`, 'invalid_token');
    }
  }
}
