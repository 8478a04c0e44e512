-- Token server: test calls from the clinic page.
-- A test call never touches a real appointment: it runs against a copy flagged is_test, which the
-- planner must never pick up and which dashboards leave out of the night's figures.
ALTER TABLE appointments ADD COLUMN is_test boolean NOT NULL DEFAULT false;
CREATE INDEX appointments_tests ON appointments (clinic_id, created_at) WHERE is_test;

-- When a key was last used: staff can see stale keys before revoking them.
ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz;
