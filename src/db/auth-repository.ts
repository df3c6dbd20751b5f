// Rows of the catalog's own authentication (migrations/20261208020000_auth_clients.sql).
import { sql } from 'kysely';
import type { DbOrTx } from './database.js';

export interface AuthClient {
  clientId: string;
  secretHash: string;
  principal: string;
  createdAt: Date;
  createdBy: string | null;
  disabledAt: Date | null;
}

type ClientRow = {
  client_id: string;
  secret_hash: string;
  principal: string;
  created_at: Date | string;
  created_by: string | null;
  disabled_at: Date | string | null;
};

const toClient = (r: ClientRow): AuthClient => ({
  clientId: r.client_id,
  secretHash: r.secret_hash,
  principal: r.principal,
  createdAt: new Date(r.created_at),
  createdBy: r.created_by,
  disabledAt: r.disabled_at === null ? null : new Date(r.disabled_at),
});

export async function findClient(db: DbOrTx, clientId: string): Promise<AuthClient | undefined> {
  const row = await db.selectFrom('auth_client').selectAll().where('client_id', '=', clientId).executeTakeFirst();
  return row && toClient(row as unknown as ClientRow);
}

export async function listClients(db: DbOrTx): Promise<AuthClient[]> {
  const rows = await db.selectFrom('auth_client').selectAll().orderBy('client_id').execute();
  return rows.map((r) => toClient(r as unknown as ClientRow));
}

/** Inserts the client; false when the id is taken. */
export async function insertClient(db: DbOrTx, client: Omit<AuthClient, 'createdAt' | 'disabledAt'>): Promise<boolean> {
  const result = await db
    .insertInto('auth_client')
    .values({ client_id: client.clientId, secret_hash: client.secretHash, principal: client.principal, created_by: client.createdBy })
    .onConflict((oc) => oc.column('client_id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** The bootstrap client: created, or its secret and principal set to the configured ones. */
export async function upsertClient(db: DbOrTx, client: Omit<AuthClient, 'createdAt' | 'disabledAt'>): Promise<void> {
  await db
    .insertInto('auth_client')
    .values({ client_id: client.clientId, secret_hash: client.secretHash, principal: client.principal, created_by: client.createdBy })
    .onConflict((oc) =>
      oc.column('client_id').doUpdateSet({ secret_hash: client.secretHash, principal: client.principal, disabled_at: null }),
    )
    .execute();
}

export async function disableClient(db: DbOrTx, clientId: string): Promise<boolean> {
  const result = await db
    .updateTable('auth_client')
    .set({ disabled_at: sql`now()` })
    .where('client_id', '=', clientId)
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export interface SigningKeyRow {
  kid: string;
  privateJwk: string;
  publicJwk: string;
  signsUntil: Date;
  verifiesUntil: Date;
}

type KeyRow = { kid: string; private_jwk: string; public_jwk: string; signs_until: Date | string; verifies_until: Date | string };

const toKey = (r: KeyRow): SigningKeyRow => ({
  kid: r.kid,
  privateJwk: r.private_jwk,
  publicJwk: r.public_jwk,
  signsUntil: new Date(r.signs_until),
  verifiesUntil: new Date(r.verifies_until),
});

/** Keys that still verify, newest first (the first that still signs is the signing key). */
export async function liveSigningKeys(db: DbOrTx): Promise<SigningKeyRow[]> {
  const rows = await db
    .selectFrom('auth_signing_key')
    .selectAll()
    .where('verifies_until', '>', sql<Date>`now()`)
    .orderBy('signs_until', 'desc')
    .execute();
  return rows.map((r) => toKey(r as unknown as KeyRow));
}

export async function insertSigningKey(db: DbOrTx, key: SigningKeyRow): Promise<void> {
  await db
    .insertInto('auth_signing_key')
    .values({ kid: key.kid, private_jwk: key.privateJwk, public_jwk: key.publicJwk, signs_until: key.signsUntil, verifies_until: key.verifiesUntil })
    .execute();
}

export async function deleteRetiredSigningKeys(db: DbOrTx): Promise<void> {
  await db.deleteFrom('auth_signing_key').where('verifies_until', '<=', sql<Date>`now()`).execute();
}
