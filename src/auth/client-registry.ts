// The OAuth2 clients the catalog registers (CATALOG_AUTHENTICATION=catalog): an id, a secret
// it hands out once and keeps only as a slow hash, and the principal its tokens name.
import type { Db } from '../db/database.js';
import { disableClient, findClient, insertClient, listClients, upsertClient, type AuthClient } from '../db/auth-repository.js';
import { alreadyExists, badRequest, notFound } from '../iceberg/errors.js';
import { VerifiedSecrets, hashSecret, newSecret, secretMatches } from './client-secrets.js';

const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;
/** How long a disabled client's tokens may still be accepted by a replica that checked it before. */
export const CLIENT_STATUS_TTL_MS = 5_000;

export type ClientView = Omit<AuthClient, 'secretHash'>;

const view = ({ secretHash: _hash, ...client }: AuthClient): ClientView => client;

export class ClientRegistry {
  private readonly verified = new VerifiedSecrets(5 * 60_000);
  private readonly status = new Map<string, { active: boolean; until: number }>();

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  async register(request: { clientId?: string; principal?: string }, createdBy: string): Promise<ClientView & { secret: string }> {
    const clientId = request.clientId ?? `client-${crypto.randomUUID()}`;
    if (!CLIENT_ID.test(clientId)) throw badRequest('Invalid client id: 1-128 characters of A-Z a-z 0-9 . _ ~ -');
    const principal = request.principal ?? clientId;
    if (principal === '' || principal.length > 255) throw badRequest('Invalid principal: 1-255 characters');
    const secret = newSecret();
    const inserted = await insertClient(this.db, { clientId, secretHash: await hashSecret(secret), principal, createdBy });
    if (!inserted) throw alreadyExists(`Client already exists: ${clientId}`);
    const client = await findClient(this.db, clientId);
    return { ...view(client!), secret };
  }

  /** The configured bootstrap client, (re)set at every start to the configured secret. */
  async ensure(clientId: string, secret: string): Promise<void> {
    const existing = await findClient(this.db, clientId);
    if (existing && existing.disabledAt === null && existing.principal === clientId && (await secretMatches(secret, existing.secretHash))) return;
    await upsertClient(this.db, { clientId, secretHash: await hashSecret(secret), principal: clientId, createdBy: 'configuration' });
  }

  /** The client if the secret is its own and it is not disabled; undefined otherwise. */
  async authenticate(clientId: string, secret: string): Promise<AuthClient | undefined> {
    if (!CLIENT_ID.test(clientId) || secret.length > 1024) return undefined;
    const client = await findClient(this.db, clientId);
    if (!client || client.disabledAt !== null) return undefined;
    if (this.verified.has(clientId, secret, client.secretHash)) return client;
    if (!(await secretMatches(secret, client.secretHash))) return undefined;
    this.verified.remember(clientId, secret, client.secretHash);
    return client;
  }

  async isActive(clientId: string): Promise<boolean> {
    const cached = this.status.get(clientId);
    if (cached && cached.until > this.now()) return cached.active;
    const client = await findClient(this.db, clientId);
    const active = client !== undefined && client.disabledAt === null;
    if (this.status.size > 10_000) this.status.clear();
    this.status.set(clientId, { active, until: this.now() + CLIENT_STATUS_TTL_MS });
    return active;
  }

  async list(): Promise<ClientView[]> {
    return (await listClients(this.db)).map(view);
  }

  async disable(clientId: string): Promise<void> {
    if (!(await disableClient(this.db, clientId))) throw notFound(`No active client ${clientId}`);
    this.status.delete(clientId);
  }
}
