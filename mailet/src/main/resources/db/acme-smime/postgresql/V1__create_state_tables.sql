-- State of the james-acme-smime extension, shared by every James node that uses this
-- database. Instants are timestamptz, stored to the microsecond.

-- The ACME account. The CHECK allows one row only, so racing nodes end with one account.
CREATE TABLE acme_smime_account (
    id          smallint    PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    private_key bytea       NOT NULL,
    public_key  bytea       NOT NULL,
    account_url text,
    created_at  timestamptz NOT NULL
);

CREATE TABLE acme_smime_orders (
    id                text        PRIMARY KEY,
    -- Insertion order, which breaks ties between orders created at the same instant.
    seq               bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
    address           text        NOT NULL,
    state             text        NOT NULL CHECK (state IN ('CREATED', 'AUTHORIZATION_FETCHED',
                          'CHALLENGE_RECEIVED', 'ANSWERED', 'TRIGGERED', 'VALID', 'FINALIZED',
                          'ISSUED', 'STORED', 'FAILED')),
    order_url         text,
    challenge_url     text,
    token_part2       text,
    challenge_from    text,
    certificate_key   bytea,
    certificate_chain text,
    failure           text,
    retry_at          timestamptz,
    attempts          integer     NOT NULL CHECK (attempts >= 0),
    version           bigint      NOT NULL CHECK (version >= 1),
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);

-- At most one active order per address. STORED and FAILED are the final states. The store
-- repeats this predicate in its queries so that they can use the index.
CREATE UNIQUE INDEX acme_smime_orders_one_active_per_address
    ON acme_smime_orders (address)
    WHERE state NOT IN ('STORED', 'FAILED');

CREATE INDEX acme_smime_orders_by_address ON acme_smime_orders (address, created_at, seq);

-- A challenge URL is claimed once: the primary key rejects every later claim.
CREATE TABLE acme_smime_challenge_claims (
    challenge_url text        PRIMARY KEY,
    claimant      text        NOT NULL,
    claimed_at    timestamptz NOT NULL
);

CREATE TABLE acme_smime_leases (
    name       text        PRIMARY KEY,
    owner      text        NOT NULL,
    expires_at timestamptz NOT NULL
);
