-- Zoom's webhook deliveries already acted on, by the SHA-256 of their body (Zoom
-- delivers at least once and a retry repeats the body), so that a repeated delivery
-- changes nothing. Kept a day: Zoom's last retry comes about 85 minutes after the
-- first attempt.
CREATE TABLE webhook_deliveries (
    digest TEXT NOT NULL PRIMARY KEY,
    event TEXT NOT NULL,
    received_ms BIGINT NOT NULL
);

CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (received_ms);
