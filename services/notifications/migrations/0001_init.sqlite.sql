-- The mailbox: every e-mail made from an event, newest last.
CREATE TABLE messages (
    -- Listing order: newest first is seq descending; page tokens carry it.
    seq         INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    -- Opaque identifier (a UUID); the SMTP Message-ID is made from it.
    id          TEXT    NOT NULL UNIQUE,
    -- Recipient e-mail address, lower case.
    recipient   TEXT    NOT NULL CHECK (recipient = lower(recipient)),
    subject     TEXT    NOT NULL,
    -- Plain-text body.
    body        TEXT    NOT NULL,
    -- bazaar.notifications.v1.MessageKind number; never 0.
    kind        INTEGER NOT NULL CHECK (kind > 0),
    -- The order the message is about.
    order_id    TEXT    NOT NULL,
    -- The event the message was made from.
    event_id    TEXT    NOT NULL,
    -- RFC 3339 with nanoseconds, UTC.
    create_time TEXT    NOT NULL,
    -- One message of each kind per order. The events inbox already drops
    -- a redelivered event (same event id), but a producer can publish the
    -- same fact twice under two event ids (an orders saga step retried
    -- after a crash, an operator replaying an outbox); this key makes the
    -- mailbox write idempotent on the fact itself, so a shopper is never
    -- sent two confirmations of one order.
    UNIQUE (order_id, kind)
);

CREATE INDEX messages_by_recipient ON messages (recipient, seq);
CREATE INDEX messages_by_order ON messages (order_id, seq);

-- SMTP delivery of a message, when the service has an SMTP server: written
-- with the message, then worked off by the delivery loop, so a mail server
-- that is down never blocks or loses a mailbox write.
CREATE TABLE deliveries (
    message_id        TEXT    NOT NULL PRIMARY KEY REFERENCES messages (id),
    -- pending: to be sent at next_attempt_time; sent: accepted by the
    -- server; failed: refused for good (a 5xx reply), not retried.
    state             TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    -- Attempts made so far.
    attempts          INTEGER NOT NULL DEFAULT 0,
    -- When the next attempt is due (RFC 3339, UTC).
    next_attempt_time TEXT    NOT NULL,
    -- The last attempt's error; empty when none failed.
    last_error        TEXT    NOT NULL DEFAULT '',
    -- When the server accepted the message; NULL until then.
    sent_time         TEXT
);

CREATE INDEX deliveries_due ON deliveries (state, next_attempt_time);
