-- Every attempt to charge a card. The only card data kept is the last
-- four digits and the brand.
CREATE TABLE charges (
    -- Insertion order: ListCharges pages by it, oldest first.
    seq             INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    -- Opaque id ("ch_<uuid>").
    id              TEXT    NOT NULL UNIQUE,
    order_id        TEXT    NOT NULL,
    -- The caller's key for this attempt: the same key always answers with
    -- this charge.
    idempotency_key TEXT    NOT NULL UNIQUE,
    -- The amount asked for (bazaar.types.v1.Money).
    currency_code   TEXT    NOT NULL,
    units           INTEGER NOT NULL,
    nanos           INTEGER NOT NULL,
    -- bazaar.payment.v1.ChargeStatus: 1 SUCCEEDED, 2 DECLINED,
    -- 3 INSUFFICIENT_FUNDS, 4 REFUNDED.
    status          INTEGER NOT NULL CHECK (status BETWEEN 1 AND 4),
    failure_message TEXT    NOT NULL DEFAULT '',
    card_last_four  TEXT    NOT NULL CHECK (length(card_last_four) = 4),
    card_brand      TEXT    NOT NULL,
    -- RFC 3339 with nanoseconds, UTC.
    create_time     TEXT    NOT NULL,
    update_time     TEXT    NOT NULL
);

CREATE INDEX charges_order ON charges (order_id, seq);

-- At most one charge per order ever succeeds (a refunded one still
-- counts): the database itself refuses a second.
CREATE UNIQUE INDEX charges_one_success ON charges (order_id) WHERE status IN (1, 4);

-- At most one refund per order; it closes the order to further charges.
CREATE TABLE refunds (
    order_id        TEXT    NOT NULL PRIMARY KEY,
    -- Opaque id ("re_<uuid>").
    id              TEXT    NOT NULL UNIQUE,
    -- The charge refunded; '' when the order had no successful charge.
    charge_id       TEXT    NOT NULL,
    -- The amount returned; currency_code '' when the order's currency was
    -- never known (nothing was ever asked for).
    currency_code   TEXT    NOT NULL,
    units           INTEGER NOT NULL,
    nanos           INTEGER NOT NULL,
    idempotency_key TEXT    NOT NULL,
    create_time     TEXT    NOT NULL
);

-- Money that moved: a charge entry (positive) per SUCCEEDED charge and a
-- refund entry (negative) per refund of one; an order's entries sum to
-- what it holds charged.
CREATE TABLE ledger (
    seq           INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    kind          TEXT    NOT NULL CHECK (kind IN ('charge', 'refund')),
    order_id      TEXT    NOT NULL,
    charge_id     TEXT    NOT NULL,
    -- The refund's id for a refund entry, '' for a charge entry.
    refund_id     TEXT    NOT NULL DEFAULT '',
    currency_code TEXT    NOT NULL,
    units         INTEGER NOT NULL,
    nanos         INTEGER NOT NULL,
    create_time   TEXT    NOT NULL,
    CHECK ((kind = 'charge' AND units >= 0 AND nanos >= 0) OR (kind = 'refund' AND units <= 0 AND nanos <= 0))
);

CREATE UNIQUE INDEX ledger_one_entry ON ledger (kind, charge_id);

-- How often the simulated processor was asked to charge an order with the
-- transient-failure test card: it fails the first attempts.
CREATE TABLE processor_attempts (
    order_id TEXT    NOT NULL PRIMARY KEY,
    attempts INTEGER NOT NULL
);
