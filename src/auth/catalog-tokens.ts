// The tokens the catalog issues itself (CATALOG_AUTHENTICATION=catalog): ES256 JWTs signed
// with a key kept in Postgres, so every replica signs and verifies alike. A key signs for
// CATALOG_TOKEN_KEY_ROTATION_SECONDS, then only verifies, until the last token it signed has
// expired; then it is deleted. Two replicas that both find no current key both make one:
// harmless, both verify everywhere.
import { SignJWT, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK } from 'jose';
import type { Db } from '../db/database.js';
import { deleteRetiredSigningKeys, insertSigningKey, liveSigningKeys } from '../db/auth-repository.js';

export const CATALOG_TOKEN_ISSUER = 'urn:iceberg-clone-catalog:tokens';
export const CATALOG_TOKEN_AUDIENCE = 'iceberg-clone-catalog';
const ALG = 'ES256';
/** How often keys are re-read from Postgres (a key another replica made is found within this). */
const KEY_REFRESH_MS = 60_000;
/** An unknown kid re-reads the keys at most this often (a forged kid must not hammer Postgres). */
const UNKNOWN_KID_COOLDOWN_MS = 5_000;
const CLOCK_TOLERANCE_S = 30;

interface LoadedKey {
  kid: string;
  signsUntil: number;
  verifiesUntil: number;
  privateKey?: CryptoKey;
  publicKey: CryptoKey;
}

export interface CatalogTokenClaims {
  principal: string;
  clientId: string;
  expiresAt: number;
}

export class CatalogTokens {
  private keys: LoadedKey[] = [];
  private loadedAt = -Infinity;
  private lastUnknownKidReload = -Infinity;
  private loading?: Promise<void>;

  constructor(
    private readonly db: Db,
    private readonly options: { lifetimeSeconds: number; rotationSeconds: number; now?: () => number },
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  get lifetimeSeconds(): number {
    return this.options.lifetimeSeconds;
  }

  async issue(principal: string, clientId: string): Promise<{ token: string; expiresIn: number }> {
    const key = await this.signingKey();
    const now = Math.floor(this.now() / 1000);
    const token = await new SignJWT({ client_id: clientId })
      .setProtectedHeader({ alg: ALG, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(CATALOG_TOKEN_ISSUER)
      .setAudience(CATALOG_TOKEN_AUDIENCE)
      .setSubject(principal)
      .setIssuedAt(now)
      .setExpirationTime(now + this.options.lifetimeSeconds)
      .setJti(crypto.randomUUID())
      .sign(key.privateKey!);
    return { token, expiresIn: this.options.lifetimeSeconds };
  }

  /** The claims of a token this catalog issued and that is still valid; throws otherwise. */
  async verify(token: string): Promise<CatalogTokenClaims> {
    const { kid, alg } = decodeProtectedHeader(token);
    if (alg !== ALG || typeof kid !== 'string') throw new Error('not a token of this catalog');
    let key = (await this.current()).find((k) => k.kid === kid);
    if (!key && this.now() - this.lastUnknownKidReload > UNKNOWN_KID_COOLDOWN_MS) {
      this.lastUnknownKidReload = this.now();
      await this.reload();
      key = this.keys.find((k) => k.kid === kid);
    }
    if (!key || key.verifiesUntil <= this.now()) throw new Error('signed with an unknown or retired key');
    const { payload } = await jwtVerify(token, key.publicKey, {
      issuer: CATALOG_TOKEN_ISSUER,
      audience: CATALOG_TOKEN_AUDIENCE,
      algorithms: [ALG],
      requiredClaims: ['exp', 'sub'],
      clockTolerance: CLOCK_TOLERANCE_S,
      currentDate: new Date(this.now()),
    });
    if (typeof payload.client_id !== 'string') throw new Error('no client_id claim');
    return { principal: payload.sub!, clientId: payload.client_id, expiresAt: payload.exp! * 1000 };
  }

  private async current(): Promise<LoadedKey[]> {
    if (this.now() - this.loadedAt > KEY_REFRESH_MS) await this.reload();
    return this.keys;
  }

  private reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const rows = await liveSigningKeys(this.db);
        this.keys = await Promise.all(
          rows.map(async (row) => ({
            kid: row.kid,
            signsUntil: row.signsUntil.getTime(),
            verifiesUntil: row.verifiesUntil.getTime(),
            privateKey: (await importJWK(JSON.parse(row.privateJwk) as JWK, ALG)) as CryptoKey,
            publicKey: (await importJWK(JSON.parse(row.publicJwk) as JWK, ALG)) as CryptoKey,
          })),
        );
        this.loadedAt = this.now();
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /** The newest key that may still sign a token for its whole lifetime; made when there is none. */
  private async signingKey(): Promise<LoadedKey> {
    const usable = (k: LoadedKey) => k.privateKey !== undefined && k.signsUntil > this.now();
    let key = (await this.current()).find(usable);
    if (key) return key;
    await this.reload();
    key = this.keys.find(usable);
    if (key) return key;
    const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
    const kid = crypto.randomUUID();
    const signsUntil = this.now() + this.options.rotationSeconds * 1000;
    const verifiesUntil = signsUntil + (this.options.lifetimeSeconds + CLOCK_TOLERANCE_S) * 1000;
    await insertSigningKey(this.db, {
      kid,
      privateJwk: JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: ALG }),
      publicJwk: JSON.stringify({ ...(await exportJWK(publicKey)), kid, alg: ALG }),
      signsUntil: new Date(signsUntil),
      verifiesUntil: new Date(verifiesUntil),
    });
    await deleteRetiredSigningKeys(this.db);
    await this.reload();
    return this.keys.find((k) => k.kid === kid)!;
  }
}
