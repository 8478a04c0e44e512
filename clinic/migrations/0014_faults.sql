-- Issue 14: LiveKit webhooks are applied once. Each verified webhook's id is stored when it is applied; a
-- second delivery of the same id (a replay) is refused. Rows older than the accepted window can be deleted
-- at any time (a webhook that old is refused by its created_at anyway).
CREATE TABLE livekit_webhooks (
    id           text PRIMARY KEY,
    event        text NOT NULL,
    created_at   timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX livekit_webhooks_received ON livekit_webhooks (received_at);
