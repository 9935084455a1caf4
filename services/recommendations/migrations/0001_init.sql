-- Orders already counted: order.confirmed is counted once per order, even
-- when the same order is published again under a new event id.
CREATE TABLE counted_orders (
    order_id   TEXT NOT NULL PRIMARY KEY,
    -- RFC 3339 with nanoseconds, UTC.
    count_time TEXT NOT NULL
);

-- How many confirmed orders held each product.
CREATE TABLE product_purchases (
    product_id TEXT    NOT NULL PRIMARY KEY,
    orders     BIGINT NOT NULL CHECK (orders > 0)
);

CREATE INDEX product_purchases_by_rank ON product_purchases (orders DESC, product_id);

-- How many confirmed orders held both products; every pair is stored in
-- both directions, so the products bought with X are the rows of X.
CREATE TABLE co_purchases (
    product_id TEXT    NOT NULL,
    other_id   TEXT    NOT NULL CHECK (other_id <> product_id),
    orders     BIGINT NOT NULL CHECK (orders > 0),
    PRIMARY KEY (product_id, other_id)
);
