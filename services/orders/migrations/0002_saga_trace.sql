-- The W3C trace context of the checkout that placed the order, so every
-- saga step (and the events it publishes) joins the checkout's trace, even
-- when the step runs after a restart.
ALTER TABLE sagas ADD COLUMN traceparent TEXT NOT NULL DEFAULT '';
ALTER TABLE sagas ADD COLUMN tracestate TEXT NOT NULL DEFAULT '';
