"""The appointment domain, in one package (models, service side by side).

- `models`: the `Status` and `Outcome` enums (the only lists of them in the code base; the SQL CHECKs and the
  page's colours are checked against them by tests/clinic/test_appointment_enums.py) and the typed `Clinic`,
  `Appointment` and `Attempt` records, built from database rows in one place (`from_row`).
- `service`: loading those records, and `transition(...)`, the one writer of `appointments.status` and its
  audit event. No other module runs `UPDATE appointments` (tests/architecture/test_one_owner.py).

The HTTP view stays with the token server (token_server/appointments/views.py) and uses these types.
"""

from clinic.appointments.models import (
    CONFIRMED_STATUSES,
    SETTLED_STATUSES,
    Appointment,
    Attempt,
    AttemptStatus,
    Clinic,
    Outcome,
    Status,
)

__all__ = ["CONFIRMED_STATUSES", "SETTLED_STATUSES", "Appointment", "Attempt", "AttemptStatus", "Clinic", "Outcome",
           "Status"]
