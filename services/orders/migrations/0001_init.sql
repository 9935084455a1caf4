-- Orders, their items, the saga that carries each order to a final state,
-- and the card of an order whose charge has no final answer yet. Times are
-- Unix nanoseconds (create_ns, update_ns) or Unix milliseconds (the saga's
-- scheduling columns), so they compare and sort as numbers.
CREATE TABLE orders (
    -- Opaque id (a UUIDv7).
    id                TEXT    NOT NULL PRIMARY KEY,
    -- The caller's idempotency key: one order per key, ever.
    idempotency_key   TEXT    NOT NULL UNIQUE,
    -- SHA-256 (hex) of the canonical request that made the order; a later
    -- call with the same key must carry the same hash.
    request_hash      TEXT    NOT NULL,
    shopper_id        TEXT    NOT NULL,
    user_id           TEXT    NOT NULL DEFAULT '',
    email             TEXT    NOT NULL,
    ship_name         TEXT    NOT NULL,
    ship_street       TEXT    NOT NULL,
    ship_city         TEXT    NOT NULL,
    ship_postal_code  TEXT    NOT NULL,
    ship_country_code TEXT    NOT NULL,
    -- The currency every amount of the order is in. It differs from
    -- requested_currency when pricing was down at checkout and the order
    -- was priced in the base currency.
    currency_code      TEXT   NOT NULL,
    requested_currency TEXT   NOT NULL,
    subtotal_units    BIGINT NOT NULL,
    subtotal_nanos    BIGINT NOT NULL,
    shipping_units    BIGINT NOT NULL,
    shipping_nanos    BIGINT NOT NULL,
    total_units       BIGINT NOT NULL,
    total_nanos       BIGINT NOT NULL,
    -- 1 when shipping quoted the cost, 0 when the flat rate was used.
    shipping_quoted   BIGINT NOT NULL CHECK (shipping_quoted IN (0, 1)),
    status            TEXT    NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED')),
    -- bazaar.orders.v1.CancelReason value name; '' unless CANCELLED.
    cancel_reason     TEXT    NOT NULL DEFAULT '',
    cancel_message    TEXT    NOT NULL DEFAULT '',
    card_last_four    TEXT    NOT NULL,
    charge_id         TEXT    NOT NULL DEFAULT '',
    tracking_id       TEXT    NOT NULL DEFAULT '',
    carrier           TEXT    NOT NULL DEFAULT '',
    create_ns         BIGINT NOT NULL,
    update_ns         BIGINT NOT NULL
);

CREATE INDEX orders_newest  ON orders (create_ns DESC, id DESC);
CREATE INDEX orders_user    ON orders (user_id, create_ns DESC, id DESC);
CREATE INDEX orders_shopper ON orders (shopper_id, create_ns DESC, id DESC);

-- The lines of an order, priced in the order's currency when it was placed.
CREATE TABLE order_items (
    order_id     TEXT    NOT NULL REFERENCES orders (id),
    -- 0-based position in the request.
    position     BIGINT NOT NULL,
    product_id   TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    quantity     BIGINT NOT NULL CHECK (quantity > 0),
    weight_grams BIGINT NOT NULL,
    unit_units   BIGINT NOT NULL,
    unit_nanos   BIGINT NOT NULL,
    line_units   BIGINT NOT NULL,
    line_nanos   BIGINT NOT NULL,
    PRIMARY KEY (order_id, position)
);

-- The saga of each order: the step to run next and when. 'done' once the
-- order is CONFIRMED or CANCELLED.
CREATE TABLE sagas (
    order_id        TEXT    NOT NULL PRIMARY KEY REFERENCES orders (id),
    step            TEXT    NOT NULL CHECK (step IN ('reserve', 'charge', 'commit', 'compensate', 'done')),
    -- Failed attempts of the current step (reset when the step changes).
    attempts        BIGINT NOT NULL DEFAULT 0,
    -- Unix ms before which the step is not run again (backoff).
    next_attempt_at BIGINT NOT NULL,
    -- Unix ms until which lock_owner holds the saga; another runner may
    -- take it after that (its owner died).
    locked_until    BIGINT NOT NULL DEFAULT 0,
    lock_owner      TEXT    NOT NULL DEFAULT '',
    -- Compensation: 1 when the payment must be refunded, and the reason and
    -- message the order is cancelled with.
    refund          BIGINT NOT NULL DEFAULT 0 CHECK (refund IN (0, 1)),
    cancel_reason   TEXT    NOT NULL DEFAULT '',
    cancel_message  TEXT    NOT NULL DEFAULT '',
    last_error      TEXT    NOT NULL DEFAULT '',
    update_ns       BIGINT NOT NULL
);

CREATE INDEX sagas_due ON sagas (next_attempt_at) WHERE step <> 'done';

-- The card of an order, kept only until its charge has a final answer
-- (then the row is deleted; the order keeps the last four digits).
CREATE TABLE cards (
    order_id  TEXT    NOT NULL PRIMARY KEY REFERENCES orders (id),
    number    TEXT    NOT NULL,
    exp_month BIGINT NOT NULL,
    exp_year  BIGINT NOT NULL,
    cvv       TEXT    NOT NULL
);
