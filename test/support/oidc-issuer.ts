// A real OpenID Connect provider for tests: oidc-provider (npm), on loopback, issuing
// client-credentials access tokens as JWTs (ES256) for one audience. Its signing key is made
// here, so a test can also sign tokens the provider never issued (expired, another audience,
// tampered) with the very key the catalog trusts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type JWTPayload } from 'jose';

export interface TestIssuer {
  issuer: string;
  audience: string;
  /** A client-credentials token for `clientId`, from the provider's own token endpoint. */
  token(clientId: string): Promise<string>;
  /** A token signed with the provider's key, with the claims given (defaults: a valid one). */
  sign(claims: JWTPayload, header?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export interface TestIssuerClient {
  clientId: string;
  secret: string;
  /** Extra claims its tokens carry (groups). */
  claims?: Record<string, unknown>;
}

// oidc-provider warns that Node 20 is not its supported runtime; it works (tests show it).
process.env.NODE_SUPPRESS_OIDC_WARNING ??= '1';

export async function startTestIssuer(clients: TestIssuerClient[], audience = 'https://catalog.example.test'): Promise<TestIssuer> {
  const { default: Provider } = await import('oidc-provider');
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = crypto.randomUUID();
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' };
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const extra = new Map(clients.map((c) => [c.clientId, c.claims ?? {}]));
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.secret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      id_token_signed_response_alg: 'ES256',
    })),
    jwks: { keys: [jwk] },
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'catalog', audience, accessTokenTTL: 600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }),
      },
    },
    extraTokenClaims: (_ctx: unknown, token: { clientId?: string }) => extra.get(token.clientId ?? '') ?? {},
  } as never);
  server.on('request', provider.callback());
  return {
    issuer,
    audience,
    async token(clientId) {
      const client = clients.find((c) => c.clientId === clientId)!;
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.secret, scope: 'catalog' }),
      });
      const body = (await response.json()) as { access_token?: string };
      if (!body.access_token) throw new Error(`the test issuer gave no token: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    sign(claims, header = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: issuer, aud: audience, sub: 'someone', iat: now, exp: now + 300, ...claims })
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt', ...header })
        .sign(privateKey);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
