-- Currencies the shop sells in, each with its rate against the base
-- currency. Rates are exact decimal strings, never floats.
CREATE TABLE currencies (
    -- ISO 4217 code, three upper-case letters ("EUR").
    code              TEXT    NOT NULL PRIMARY KEY CHECK (length(code) = 3 AND code = upper(code)),
    -- English name ("Euro").
    name              TEXT    NOT NULL,
    -- Display symbol ("€").
    symbol            TEXT    NOT NULL,
    -- Digits after the decimal point of the minor unit (2 for EUR, 0 for JPY).
    minor_unit_digits BIGINT NOT NULL CHECK (minor_unit_digits BETWEEN 0 AND 9),
    -- 1 for the one base currency catalog prices are kept in, else 0.
    is_base           BIGINT NOT NULL DEFAULT 0 CHECK (is_base IN (0, 1)),
    -- How many of this currency one unit of the base currency buys, in
    -- canonical plain decimal ("0.9215", "151.2"); "1" for the base.
    rate              TEXT    NOT NULL CHECK (is_base = 0 OR rate = '1'),
    -- When the rate was set: RFC 3339 with nanoseconds, UTC.
    rate_set_time     TEXT    NOT NULL
);

-- At most one base currency.
CREATE UNIQUE INDEX currencies_one_base ON currencies (is_base) WHERE is_base = 1;
