-- One shipment per order: order_id is the idempotency key of
-- CreateShipment and of the order.confirmed consumer.
CREATE TABLE shipments (
    -- Opaque identifier (a UUID).
    id                 TEXT    NOT NULL PRIMARY KEY,
    -- The order shipped; at most one shipment per order.
    order_id           TEXT    NOT NULL UNIQUE,
    -- Carrier tracking id ("BZ" and 10 digits), unique.
    tracking_id        TEXT    NOT NULL UNIQUE,
    -- Carrier name ("Bazaar Post").
    carrier            TEXT    NOT NULL,
    -- bazaar.shipping.v1.ShipmentStatus number; never 0.
    status             BIGINT NOT NULL CHECK (status > 0),
    -- Destination address.
    name               TEXT    NOT NULL,
    street             TEXT    NOT NULL,
    city               TEXT    NOT NULL,
    postal_code        TEXT    NOT NULL,
    country_code       TEXT    NOT NULL CHECK (length(country_code) = 2),
    -- Where the carrier's notices go; may be empty.
    email              TEXT    NOT NULL,
    -- Sum of quantity * weight over the items.
    total_weight_grams BIGINT NOT NULL CHECK (total_weight_grams >= 0),
    -- Estimated business days to delivery, from the rate table.
    estimated_days     BIGINT NOT NULL,
    -- RFC 3339 with nanoseconds, UTC.
    create_time        TEXT    NOT NULL,
    update_time        TEXT    NOT NULL
);

-- What each parcel holds, in request order.
CREATE TABLE shipment_items (
    shipment_id  TEXT    NOT NULL REFERENCES shipments (id),
    position     BIGINT NOT NULL,
    product_id   TEXT    NOT NULL,
    quantity     BIGINT NOT NULL CHECK (quantity > 0),
    weight_grams BIGINT NOT NULL CHECK (weight_grams >= 0),
    PRIMARY KEY (shipment_id, position)
);

-- Each parcel's journey, oldest first.
CREATE TABLE tracking_events (
    shipment_id TEXT    NOT NULL REFERENCES shipments (id),
    seq         BIGINT NOT NULL,
    status      BIGINT NOT NULL CHECK (status > 0),
    description TEXT    NOT NULL,
    occur_time  TEXT    NOT NULL,
    PRIMARY KEY (shipment_id, seq)
);
