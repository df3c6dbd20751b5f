-- Authentication with the catalog's own tokens (CATALOG_AUTHENTICATION=catalog): the OAuth2
-- clients it registers and the keys it signs tokens with. Every replica reads the same rows,
-- so a token one replica issued verifies on all of them.

-- A client's secret is stored only as a slow hash (scrypt, with its parameters and salt), so
-- a copy of the database gives nobody a usable secret.
CREATE TABLE auth_client (
    client_id   text PRIMARY KEY,
    secret_hash text NOT NULL,
    -- The principal its tokens name (grants are made to principals and their roles).
    principal   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text,
    disabled_at timestamptz
);

-- A key signs new tokens until signs_until, then verifies the tokens it signed until
-- verifies_until (signs_until + the token lifetime), then it is deleted. The private key is
-- in the database as a JWK: whoever can read this table can mint tokens, as whoever can
-- write the catalog's other tables can change what tokens allow.
CREATE TABLE auth_signing_key (
    kid            text PRIMARY KEY,
    private_jwk    text NOT NULL,
    public_jwk     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    signs_until    timestamptz NOT NULL,
    verifies_until timestamptz NOT NULL
);
CREATE INDEX auth_signing_key_signs_until ON auth_signing_key (signs_until);
