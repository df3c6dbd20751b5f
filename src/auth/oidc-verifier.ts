// Bearer JWTs of external identity providers (CATALOG_AUTHENTICATION=oidc), verified with
// jose against each configured issuer's discovery document and JWKS. jose caches the key set,
// refetches it when a token names a key it does not know (a rotation), and never more often
// than its cooldown. Only asymmetric algorithms are accepted: `alg: none` and an HS256 token
// "signed" with a public key are refused. `iss` picks the issuer (among the configured ones
// only), then `iss`, `aud`, `exp` and `nbf` are checked with 30 s of clock skew.
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const CLOCK_TOLERANCE_S = 30;
const DISCOVERY_TIMEOUT_MS = 5_000;
/** A failed discovery is retried after this long, not on every request. */
const DISCOVERY_RETRY_MS = 10_000;

export interface OidcOptions {
  issuers: readonly string[];
  audience: string;
  principalClaim: string;
  groupsClaim: string;
  /** Overrides fetch (tests). */
  fetch?: typeof fetch;
}

export interface OidcIdentity {
  principal: string;
  groups: string[];
  issuer: string;
  expiresAt: number;
}

interface IssuerState {
  keys?: JWTVerifyGetKey;
  failedAt?: number;
  discovering?: Promise<JWTVerifyGetKey>;
}

export class OidcVerifier {
  private readonly state = new Map<string, IssuerState>();

  constructor(private readonly options: OidcOptions) {
    for (const issuer of options.issuers) this.state.set(issuer, {});
  }

  async verify(token: string): Promise<OidcIdentity> {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw new Error('not a JWT');
    }
    const issuer = unverified.iss;
    const state = typeof issuer === 'string' ? this.state.get(issuer) : undefined;
    if (!state || issuer === undefined) throw new Error(`issuer ${String(issuer)} is not trusted by this catalog`);
    const keys = await this.keysOf(issuer, state);
    const { payload } = await jwtVerify(token, keys, {
      issuer,
      audience: this.options.audience,
      algorithms: ALGORITHMS,
      requiredClaims: ['exp'],
      clockTolerance: CLOCK_TOLERANCE_S,
    });
    const principal = payload[this.options.principalClaim];
    if (typeof principal !== 'string' || principal === '') throw new Error(`the token has no ${this.options.principalClaim} claim`);
    const rawGroups = payload[this.options.groupsClaim];
    const groups = Array.isArray(rawGroups) ? rawGroups.filter((g): g is string => typeof g === 'string') : typeof rawGroups === 'string' ? [rawGroups] : [];
    return { principal, groups, issuer, expiresAt: payload.exp! * 1000 };
  }

  private keysOf(issuer: string, state: IssuerState): Promise<JWTVerifyGetKey> {
    if (state.keys) return Promise.resolve(state.keys);
    if (state.failedAt !== undefined && Date.now() - state.failedAt < DISCOVERY_RETRY_MS) {
      return Promise.reject(new Error(`the discovery document of ${issuer} could not be read; retrying shortly`));
    }
    state.discovering ??= this.discover(issuer)
      .then((keys) => {
        state.keys = keys;
        return keys;
      })
      .catch((error: Error) => {
        state.failedAt = Date.now();
        throw new Error(`the discovery document of ${issuer} could not be read: ${error.message}`);
      })
      .finally(() => {
        state.discovering = undefined;
      });
    return state.discovering;
  }

  private async discover(issuer: string): Promise<JWTVerifyGetKey> {
    const fetcher = this.options.fetch ?? fetch;
    const response = await fetcher(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, {
      signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
    // OpenID Connect Discovery 1.0, section 4.3: the document must name the issuer it was asked for.
    if (document.issuer !== issuer) throw new Error(`it names issuer ${String(document.issuer)}`);
    if (typeof document.jwks_uri !== 'string') throw new Error('it has no jwks_uri');
    return createRemoteJWKSet(new URL(document.jwks_uri), { timeoutDuration: DISCOVERY_TIMEOUT_MS, cooldownDuration: 30_000 });
  }
}
