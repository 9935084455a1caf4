-- PostgreSQL spelling of 0001_init.sqlite.sql (identity keys, BIGINT, BYTEA): keep the two in step.
-- The catalog's schema: categories, products, their tags and images, and
-- a lower-cased search table kept beside each product.

CREATE TABLE categories (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    position    BIGINT NOT NULL
);

CREATE TABLE products (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    description    TEXT NOT NULL,
    category_id    TEXT NOT NULL REFERENCES categories (id),
    price_currency TEXT NOT NULL,
    price_units    BIGINT NOT NULL,
    price_nanos    BIGINT NOT NULL CHECK (price_nanos BETWEEN 0 AND 999999999),
    weight_grams   BIGINT NOT NULL CHECK (weight_grams > 0)
);

CREATE INDEX products_by_category_name ON products (category_id, name, id);

CREATE TABLE product_tags (
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position   BIGINT NOT NULL,
    tag        TEXT NOT NULL,
    PRIMARY KEY (product_id, position),
    UNIQUE (product_id, tag)
);

CREATE TABLE product_images (
    product_id   TEXT PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    data         BYTEA NOT NULL,
    etag         TEXT NOT NULL
);

-- product_search holds each product's searchable text, lower-cased by the
-- service (Unicode-aware) so that a plain LIKE is case-insensitive on any
-- SQL engine.
CREATE TABLE product_search (
    product_id TEXT PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    name_text  TEXT NOT NULL,
    tags_text  TEXT NOT NULL,
    body_text  TEXT NOT NULL
);
