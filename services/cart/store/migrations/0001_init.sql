-- The cart schema: one cart per shopper, its lines, and the idempotency
-- keys of the AddItem calls already applied.

-- carts: a row once a shopper's cart was first written.
CREATE TABLE carts (
    shopper_id TEXT PRIMARY KEY,
    updated_at TEXT NOT NULL
);

-- cart_lines: one row per product in a cart; position keeps the order in
-- which lines were first added.
CREATE TABLE cart_lines (
    shopper_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    quantity   BIGINT NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    position   BIGINT NOT NULL,
    PRIMARY KEY (shopper_id, product_id)
);

CREATE INDEX cart_lines_by_position ON cart_lines (shopper_id, position);

-- applied_keys: AddItem idempotency keys already applied, per shopper;
-- pruned once older than the retention period.
CREATE TABLE applied_keys (
    shopper_id      TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    applied_at      TEXT NOT NULL,
    PRIMARY KEY (shopper_id, idempotency_key)
);

CREATE INDEX applied_keys_by_time ON applied_keys (applied_at);
