// The OAuth2 token endpoint's grants (spec: /v1/oauth/tokens; RFC 6749 client credentials,
// RFC 8693 token exchange), for CATALOG_AUTHENTICATION=catalog. What clients send, read from
// their sources: Java and PyIceberg put client_id and client_secret in the form (scope
// `catalog`), DuckDB uses HTTP Basic (scope `PRINCIPAL_ROLE:ALL`); Java refreshes by
// exchanging its current token (with it as the Bearer header, or, once it expired, with Basic
// credentials); Trino 476 fetches a token per operation with the catalog token as Bearer and
// the credentials in the form. A Bearer header here is never a conflict: it is ignored.
import type { CatalogTokens } from './catalog-tokens.js';
import type { ClientRegistry } from './client-registry.js';

export const CLIENT_CREDENTIALS = 'client_credentials';
export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export interface TokenAnswer {
  status: number;
  body: Record<string, string | number>;
  /** WWW-Authenticate for a refused Basic authentication (RFC 6749, section 5.2). */
  challenge?: string;
}

const oauthError = (status: number, error: string, description: string, challenge?: string): TokenAnswer => ({
  status,
  body: { error, error_description: description },
  challenge,
});

/** Client id and secret from an `Authorization: Basic` header, if it is one. */
export function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  // RFC 6749 asks for form-encoding inside Basic; DuckDB and Java send the raw values.
  const unescape = (v: string) => {
    try {
      return decodeURIComponent(v.replace(/\+/g, ' '));
    } catch {
      return v;
    }
  };
  const id = decoded.slice(0, colon);
  const secret = decoded.slice(colon + 1);
  return { id: /%[0-9A-Fa-f]{2}/.test(id) ? unescape(id) : id, secret: /%[0-9A-Fa-f]{2}/.test(secret) ? unescape(secret) : secret };
}

export class TokenGrants {
  constructor(
    private readonly tokens: CatalogTokens,
    private readonly clients: ClientRegistry,
  ) {}

  async grant(form: URLSearchParams, authorization: string | undefined): Promise<TokenAnswer> {
    const grantType = form.get('grant_type');
    const basic = basicCredentials(authorization);
    if (grantType === CLIENT_CREDENTIALS) {
      const id = basic?.id ?? form.get('client_id');
      const secret = basic?.secret ?? form.get('client_secret');
      if (!id || !secret) {
        return oauthError(401, 'invalid_client', 'client_id and client_secret are required (credential "<id>:<secret>")');
      }
      return this.issueFor(id, secret, basic !== undefined);
    }
    if (grantType === TOKEN_EXCHANGE) {
      const subject = form.get('subject_token');
      if (!subject) return oauthError(400, 'invalid_request', 'subject_token is required');
      try {
        const claims = await this.tokens.verify(subject);
        if (await this.clients.isActive(claims.clientId)) return this.answer(await this.tokens.issue(claims.principal, claims.clientId));
      } catch {
        // Expired or not ours: the client's own credentials may still authenticate it.
      }
      if (basic) return this.issueFor(basic.id, basic.secret, true);
      return oauthError(400, 'invalid_grant', 'The subject token is expired, invalid or not issued by this catalog');
    }
    if (grantType === null) return oauthError(400, 'invalid_request', 'grant_type is required');
    return oauthError(400, 'unsupported_grant_type', `Unsupported grant type ${grantType.slice(0, 100)}: use client_credentials or token exchange`);
  }

  private async issueFor(id: string, secret: string, viaBasic: boolean): Promise<TokenAnswer> {
    const client = await this.clients.authenticate(id, secret);
    if (!client) {
      return oauthError(401, 'invalid_client', 'Unknown client, wrong secret, or a disabled client', viaBasic ? 'Basic realm="iceberg"' : undefined);
    }
    return this.answer(await this.tokens.issue(client.principal, client.clientId));
  }

  private answer(issued: { token: string; expiresIn: number }): TokenAnswer {
    return {
      status: 200,
      body: { access_token: issued.token, token_type: 'bearer', expires_in: issued.expiresIn, issued_token_type: ACCESS_TOKEN_TYPE },
    };
  }
}
