-- The accounts schema: users with their password hashes, and their
-- address books.

-- users: one row per registered shopper. email is stored lower-cased by
-- the service, so UNIQUE makes it unique case-insensitively. create_key is
-- the idempotency key of the CreateAccount call that made the row.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    create_key    TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL
);

-- addresses: a user's address book, ordered by position (1, 2, ...).
-- idempotency_key is the key of the AddAddress call that made the row.
CREATE TABLE addresses (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id),
    position        BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    name            TEXT NOT NULL,
    street          TEXT NOT NULL,
    city            TEXT NOT NULL,
    postal_code     TEXT NOT NULL,
    country_code    TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    UNIQUE (user_id, position),
    UNIQUE (user_id, idempotency_key)
);
