-- Stock per product. Every change keeps on_hand + reserved + sold = loaded.
CREATE TABLE stock (
    -- Catalog id of the product.
    product_id  TEXT    NOT NULL PRIMARY KEY,
    -- Units neither reserved nor sold.
    on_hand     BIGINT NOT NULL CHECK (on_hand >= 0),
    -- Units held by RESERVED reservations.
    reserved    BIGINT NOT NULL CHECK (reserved >= 0),
    -- Units of COMMITTED reservations.
    sold        BIGINT NOT NULL CHECK (sold >= 0),
    -- Units loaded into inventory.
    loaded      BIGINT NOT NULL CHECK (loaded >= 0),
    -- 1 while on_hand is below the low-stock threshold (stock.low was
    -- sent, or the product was loaded low), so the event is sent once per
    -- crossing; 0 otherwise.
    low         BIGINT NOT NULL DEFAULT 0 CHECK (low IN (0, 1)),
    -- When the stock last changed: RFC 3339 with nanoseconds, UTC.
    update_time TEXT    NOT NULL,
    CHECK (on_hand + reserved + sold = loaded)
);

-- One reservation per order.
CREATE TABLE reservations (
    -- The order; the idempotency key of Reserve, Release and Commit.
    order_id    TEXT    NOT NULL PRIMARY KEY,
    -- bazaar.inventory.v1.ReservationState: 1 RESERVED, 2 REJECTED,
    -- 3 RELEASED, 4 COMMITTED.
    state       BIGINT NOT NULL CHECK (state BETWEEN 1 AND 4),
    -- RFC 3339 with nanoseconds, UTC.
    create_time TEXT    NOT NULL,
    update_time TEXT    NOT NULL
);

-- What each reservation asked for, in request order.
CREATE TABLE reservation_items (
    order_id   TEXT    NOT NULL REFERENCES reservations (order_id),
    position   BIGINT NOT NULL,
    product_id TEXT    NOT NULL,
    quantity   BIGINT NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, position),
    UNIQUE (order_id, product_id)
);

-- Why a REJECTED reservation holds nothing, in request order.
CREATE TABLE reservation_shortages (
    order_id   TEXT    NOT NULL REFERENCES reservations (order_id),
    position   BIGINT NOT NULL,
    product_id TEXT    NOT NULL,
    requested  BIGINT NOT NULL,
    available  BIGINT NOT NULL,
    PRIMARY KEY (order_id, position)
);
