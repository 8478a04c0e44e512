-- Dialer: circuit-breaker resume mark, and the batch progress staff watch during the calling day.

-- Results before the last resume are not counted again by the circuit breaker.
ALTER TABLE clinics ADD COLUMN resumed_at timestamptz;

-- The reaper scans in-flight attempts by age; the partial index keeps that scan tiny.
CREATE INDEX call_attempts_in_flight_age ON call_attempts (planned_at) WHERE outcome IS NULL;

-- Progress of each night's batch, derived from the attempts and appointments (never stored twice).
-- "reached" = a person answered (an answered attempt that did not end in a voicemail).
CREATE VIEW batch_progress AS
SELECT b.id AS batch_id,
       b.clinic_id,
       b.batch_date,
       b.built_at,
       b.planned,
       count(ba.appointment_id)                                                AS appointments,
       count(*) FILTER (WHERE s.attempts > 0)                                  AS dialed,
       count(*) FILTER (WHERE s.reached)                                       AS reached,
       count(*) FILTER (WHERE s.in_flight)                                     AS in_flight,
       count(*) FILTER (WHERE a.status = 'pending')                            AS pending,
       count(*) FILTER (WHERE a.status = 'confirmed')                          AS confirmed,
       count(*) FILTER (WHERE a.status = 'rescheduled')                        AS rescheduled,
       count(*) FILTER (WHERE a.status = 'cancelled')                          AS cancelled,
       count(*) FILTER (WHERE a.status = 'unreachable')                        AS unreachable,
       count(*) FILTER (WHERE a.status = 'staff_followup')                     AS staff_followup,
       count(*) FILTER (WHERE s.voicemail)                                     AS voicemail_left
FROM batches b
LEFT JOIN batch_appointments ba ON ba.batch_id = b.id
LEFT JOIN appointments a ON a.id = ba.appointment_id
LEFT JOIN LATERAL (
    SELECT count(*) AS attempts,
           coalesce(bool_or(ca.answered_at IS NOT NULL AND ca.outcome IS DISTINCT FROM 'voicemail_left'), false)
               AS reached,
           coalesce(bool_or(ca.outcome IS NULL), false) AS in_flight,
           coalesce(bool_or(ca.outcome = 'voicemail_left'), false) AS voicemail
    FROM call_attempts ca
    WHERE ca.appointment_id = ba.appointment_id AND ca.planned_at >= b.built_at
) s ON true
GROUP BY b.id;
