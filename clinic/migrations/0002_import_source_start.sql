-- The start time as the clinic's file last gave it. The agent may move `starts_at` (rescheduled);
-- a later upload must reset an appointment only when the clinic's own data moved it, not because the
-- file still shows the time the patient already moved away from.
ALTER TABLE appointments ADD COLUMN imported_starts_at timestamptz;
UPDATE appointments SET imported_starts_at = starts_at WHERE row_hash IS NOT NULL AND imported_starts_at IS NULL;
