-- Core domain. The database enforces the invariants the product's safety rests on:
-- E.164 phone numbers, one appointment per slot, at most one in-flight attempt per appointment,
-- unique (clinic, external_id).

CREATE DOMAIN e164 AS text CHECK (VALUE ~ '^\+[1-9][0-9]{6,14}$');

CREATE TABLE clinics (
    id                    bigserial PRIMARY KEY,
    slug                  text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name                  text NOT NULL CHECK (length(trim(name)) > 0),
    timezone              text NOT NULL,
    country               char(2) NOT NULL DEFAULT 'US',
    us_state              char(2),
    calling_hours_start   time NOT NULL DEFAULT '09:00',
    calling_hours_end     time NOT NULL DEFAULT '19:00' CHECK (calling_hours_end > calling_hours_start),
    closed_weekdays       smallint[] NOT NULL DEFAULT '{7}',   -- ISO weekdays (1 = Monday .. 7 = Sunday)
    closed_dates          date[] NOT NULL DEFAULT '{}',
    batch_time            time NOT NULL DEFAULT '02:00',
    call_ahead_min        interval NOT NULL DEFAULT '24 hours',
    call_ahead_max        interval NOT NULL DEFAULT '72 hours' CHECK (call_ahead_max > call_ahead_min),
    caller_id             e164,
    sip_trunk_id          text,
    transfer_number       e164,
    callback_number       e164,
    max_concurrent_calls  integer NOT NULL DEFAULT 5 CHECK (max_concurrent_calls > 0),
    calls_per_second      numeric(6, 2) NOT NULL DEFAULT 1 CHECK (calls_per_second > 0),
    max_call_seconds      integer NOT NULL DEFAULT 600 CHECK (max_call_seconds > 0),
    ring_timeout_seconds  integer NOT NULL DEFAULT 30 CHECK (ring_timeout_seconds > 0),
    retry_policy          jsonb NOT NULL DEFAULT '{}',       -- overrides of dialer.retry_policy defaults
    guardrails_enabled    boolean NOT NULL DEFAULT true,
    max_calls_per_number_per_day  integer NOT NULL DEFAULT 1 CHECK (max_calls_per_number_per_day > 0),
    max_calls_per_number_per_week integer NOT NULL DEFAULT 3 CHECK (max_calls_per_number_per_week > 0),
    -- Facts the agent may tell a patient. Nothing else is ever said as fact.
    address               text,
    parking               text,
    what_to_bring         text,
    preparation           text,
    extra_facts           jsonb NOT NULL DEFAULT '{}',
    test_allowlist        e164[] NOT NULL DEFAULT '{}',
    paused_at             timestamptz,
    paused_reason         text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

-- API keys: only a SHA-256 of the key is stored. clinic_id NULL = operator (cross-clinic admin).
CREATE TABLE api_keys (
    id          bigserial PRIMARY KEY,
    clinic_id   bigint REFERENCES clinics (id) ON DELETE CASCADE,
    key_hash    text NOT NULL UNIQUE,
    prefix      text NOT NULL,
    label       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE TABLE patients (
    id          bigserial PRIMARY KEY,
    clinic_id   bigint NOT NULL REFERENCES clinics (id) ON DELETE CASCADE,
    full_name   text NOT NULL CHECK (length(trim(full_name)) > 0),
    phone       e164 NOT NULL,
    timezone    text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- A patient is a name at a number within a clinic (call lists carry no patient id).
CREATE UNIQUE INDEX patients_identity ON patients (clinic_id, phone, lower(full_name));

CREATE TABLE call_lists (
    id            bigserial PRIMARY KEY,
    clinic_id     bigint NOT NULL REFERENCES clinics (id) ON DELETE CASCADE,
    filename      text NOT NULL,
    source        text NOT NULL DEFAULT 'cli' CHECK (source IN ('cli', 'api', 'demo')),
    sha256        text,
    size_bytes    bigint,
    status        text NOT NULL DEFAULT 'processing' CHECK (status IN ('processing', 'completed', 'failed')),
    failure_reason text,
    total_rows    integer NOT NULL DEFAULT 0,
    imported      integer NOT NULL DEFAULT 0,
    updated       integer NOT NULL DEFAULT 0,
    unchanged     integer NOT NULL DEFAULT 0,
    rejected      integer NOT NULL DEFAULT 0,
    errors        jsonb NOT NULL DEFAULT '[]',   -- [{"row": N, "column": C, "message": M}]
    created_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz
);
CREATE INDEX call_lists_clinic ON call_lists (clinic_id, created_at DESC);

-- Appointment status: pending (to be confirmed), confirmed, rescheduled (moved and confirmed),
-- cancelled, unreachable (attempts exhausted), staff_followup (automation stops; a human takes over).
CREATE TABLE appointments (
    id                bigserial PRIMARY KEY,
    clinic_id         bigint NOT NULL REFERENCES clinics (id) ON DELETE CASCADE,
    external_id       text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 200),
    patient_id        bigint NOT NULL REFERENCES patients (id),
    starts_at         timestamptz NOT NULL,
    duration_minutes  integer NOT NULL DEFAULT 30 CHECK (duration_minutes > 0 AND duration_minutes <= 1440),
    provider          text,
    location          text,
    timezone          text,             -- patient's time zone when the row gave one
    notes             text,
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'confirmed', 'rescheduled', 'cancelled',
                                        'unreachable', 'staff_followup')),
    status_changed_at timestamptz NOT NULL DEFAULT now(),
    attempts_count    integer NOT NULL DEFAULT 0 CHECK (attempts_count >= 0),
    next_attempt_at   timestamptz,      -- NULL = as soon as the calling window allows
    last_outcome      text,
    voicemail_left    boolean NOT NULL DEFAULT false,
    callback_at       timestamptz,
    row_hash          text,             -- digest of the imported row: unchanged re-uploads are no-ops
    call_list_id      bigint REFERENCES call_lists (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (clinic_id, external_id)
);
CREATE INDEX appointments_due ON appointments (clinic_id, starts_at) WHERE status = 'pending';
CREATE INDEX appointments_patient ON appointments (patient_id);

-- Free times per provider for rescheduling. appointment_id set = booked; UNIQUE = one appointment per slot.
CREATE TABLE slots (
    id                bigserial PRIMARY KEY,
    clinic_id         bigint NOT NULL REFERENCES clinics (id) ON DELETE CASCADE,
    provider          text NOT NULL,
    location          text,
    starts_at         timestamptz NOT NULL,
    duration_minutes  integer NOT NULL DEFAULT 30 CHECK (duration_minutes > 0),
    appointment_id    bigint UNIQUE REFERENCES appointments (id) ON DELETE SET NULL,
    booked_at         timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (clinic_id, provider, starts_at)
);
CREATE INDEX slots_free ON slots (clinic_id, starts_at) WHERE appointment_id IS NULL;

-- One row per dial attempt. outcome IS NULL = in flight.
CREATE TABLE call_attempts (
    id                bigserial PRIMARY KEY,
    clinic_id         bigint NOT NULL REFERENCES clinics (id) ON DELETE CASCADE,
    appointment_id    bigint NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    attempt_number    integer NOT NULL CHECK (attempt_number > 0),
    phone             e164 NOT NULL,   -- the number dialed (guardrails count calls per number)
    mode              text NOT NULL DEFAULT 'sip' CHECK (mode IN ('sip', 'web', 'sim')),
    status            text NOT NULL DEFAULT 'planned'
                      CHECK (status IN ('planned', 'dispatched', 'dialing', 'in_call', 'ended')),
    outcome           text CHECK (outcome IN (
                        'confirmed', 'rescheduled', 'cancelled', 'callback_requested', 'not_patient',
                        'wrong_number', 'opted_out', 'transferred', 'voicemail_left', 'no_answer', 'busy',
                        'rejected', 'failed', 'hung_up', 'lost')),
    room_name         text UNIQUE,
    dispatch_id       text,
    sip_call_id       text,
    sip_status_code   integer,
    sip_status        text,
    error             text,
    planned_at        timestamptz NOT NULL DEFAULT now(),
    dispatched_at     timestamptz,
    dial_started_at   timestamptz,
    answered_at       timestamptz,
    ended_at          timestamptz,
    deadline_at       timestamptz,
    duration_seconds  numeric(10, 3),
    transcript        jsonb,
    summary           text,
    usage             jsonb,
    cost_usd          numeric(10, 5),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (appointment_id, attempt_number),
    CHECK ((status = 'ended') = (outcome IS NOT NULL))
);
-- The "never dial one appointment twice at once" rule, enforced by the database.
CREATE UNIQUE INDEX call_attempts_one_in_flight ON call_attempts (appointment_id) WHERE outcome IS NULL;
CREATE INDEX call_attempts_number_history ON call_attempts (clinic_id, phone, planned_at);
CREATE INDEX call_attempts_in_flight ON call_attempts (clinic_id, status) WHERE outcome IS NULL;

-- Do-not-call. clinic_id NULL = global (every clinic).
CREATE TABLE dnc (
    id          bigserial PRIMARY KEY,
    clinic_id   bigint REFERENCES clinics (id) ON DELETE CASCADE,
    phone       e164 NOT NULL,
    reason      text NOT NULL CHECK (length(trim(reason)) > 0),
    source      text NOT NULL DEFAULT 'staff'
                CHECK (source IN ('staff', 'patient_request', 'wrong_number', 'carrier', 'import', 'api')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX dnc_clinic_phone ON dnc (clinic_id, phone) WHERE clinic_id IS NOT NULL;
CREATE UNIQUE INDEX dnc_global_phone ON dnc (phone) WHERE clinic_id IS NULL;

-- Audit trail: who did what to which object. Never holds full numbers, names or transcripts.
CREATE TABLE events (
    id            bigserial PRIMARY KEY,
    clinic_id     bigint REFERENCES clinics (id) ON DELETE CASCADE,
    occurred_at   timestamptz NOT NULL DEFAULT now(),
    actor         text NOT NULL,            -- 'cli', 'api:<key prefix>', 'dialer', 'agent', 'webhook'
    kind          text NOT NULL,            -- 'clinic.created', 'dnc.added', 'call_list.imported', ...
    subject_type  text,
    subject_id    bigint,
    data          jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX events_clinic_time ON events (clinic_id, occurred_at DESC);

-- The night's batch: the appointments a clinic will try to reach on one calling day.
-- Progress (dialed, reached, confirmed, ...) is derived from call_attempts and appointments.
CREATE TABLE batches (
    id             bigserial PRIMARY KEY,
    clinic_id      bigint NOT NULL REFERENCES clinics (id) ON DELETE CASCADE,
    batch_date     date NOT NULL,              -- the calling day, clinic time
    built_at       timestamptz NOT NULL DEFAULT now(),
    planned        integer NOT NULL DEFAULT 0, -- appointments in the batch when it was built
    paused_at      timestamptz,
    paused_reason  text,
    UNIQUE (clinic_id, batch_date)
);

CREATE TABLE batch_appointments (
    batch_id        bigint NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    appointment_id  bigint NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    added_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (batch_id, appointment_id)
);
CREATE INDEX batch_appointments_appointment ON batch_appointments (appointment_id);
