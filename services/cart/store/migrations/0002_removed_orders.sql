-- removed_orders: the orders whose items were taken out of a cart, so the
-- removal happens once per order whoever asks (the storefront right after
-- checkout, the order.placed consumer later).
CREATE TABLE removed_orders (
    order_id   TEXT PRIMARY KEY,
    shopper_id TEXT NOT NULL,
    removed_at TEXT NOT NULL
);
