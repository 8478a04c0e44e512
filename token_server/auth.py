"""Bearer API keys. Clinic keys see only their clinic; an operator key (OPERATOR_API_KEY, or an api_keys
row without a clinic) may act for any clinic by naming it in the `X-Clinic` header.

Every clinic-scoped query takes `caller.clinic_id`, so another clinic's object is simply not found (404):
the API never confirms that an id exists elsewhere."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from clinic.clinics import hash_key
from clinic.settings import get_settings
from token_server.database import Conn

bearer = HTTPBearer(auto_error=False, description="A clinic API key (`python -m dialer keys create`) "
                    "or the operator key. Send as `Authorization: Bearer cd_...`.")


@dataclass(frozen=True)
class Caller:
    """Who is calling. `clinic` is set for clinic keys, and for operator keys that named a clinic."""

    key_prefix: str
    operator: bool
    clinic: dict[str, Any] | None

    @property
    def actor(self) -> str:
        return f"api:{self.key_prefix}"


@dataclass(frozen=True)
class ClinicCaller(Caller):
    clinic: dict[str, Any]

    @property
    def clinic_id(self) -> int:
        return int(self.clinic["id"])


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


def authenticate(conn: Conn, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
                 x_clinic: Annotated[str | None, Header(description="Operator keys only: the clinic slug "
                                                         "to act for.")] = None) -> Caller:
    """Resolve the bearer key to a caller; revoked and unknown keys are 401 alike."""
    if credentials is None or not credentials.credentials:
        raise _unauthorized("missing API key: send `Authorization: Bearer <key>`")
    key = credentials.credentials
    operator_key = get_settings().operator_api_key
    if operator_key and hmac.compare_digest(key.encode(), operator_key.get_secret_value().encode()):
        caller = Caller(key_prefix="operator", operator=True, clinic=None)
    else:
        row = conn.execute(
            "UPDATE api_keys SET last_used_at = now() WHERE key_hash = %s AND revoked_at IS NULL"
            " RETURNING clinic_id, prefix", (hash_key(key),)).fetchone()
        conn.commit()
        if row is None:
            raise _unauthorized("invalid or revoked API key")
        if row["clinic_id"] is None:
            caller = Caller(key_prefix=row["prefix"], operator=True, clinic=None)
        else:
            clinic = conn.execute("SELECT * FROM clinics WHERE id = %s", (row["clinic_id"],)).fetchone()
            return Caller(key_prefix=row["prefix"], operator=False, clinic=clinic)
    if x_clinic:
        clinic = conn.execute("SELECT * FROM clinics WHERE slug = %s", (x_clinic,)).fetchone()
        if clinic is None:
            # The header is not echoed back: it is caller-controlled (a 100 KB header made a 100 KB body).
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no clinic with the slug given in X-Clinic"
                                " (GET /api/clinics lists them)")
        caller = Caller(key_prefix=caller.key_prefix, operator=True, clinic=clinic)
    return caller


def require_clinic(caller: Annotated[Caller, Depends(authenticate)]) -> ClinicCaller:
    """Clinic-scoped endpoints: clinic keys, or operator keys that sent `X-Clinic`."""
    if caller.clinic is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST,
                            "operator keys must name a clinic: send the `X-Clinic: <slug>` header")
    return ClinicCaller(key_prefix=caller.key_prefix, operator=caller.operator, clinic=caller.clinic)


def require_operator(caller: Annotated[Caller, Depends(authenticate)]) -> Caller:
    if not caller.operator:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this endpoint needs the operator key")
    return caller


def require_metrics_reader(conn: Conn,
                           credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str:
    """/metrics lists every clinic's slugs and counts, so only a scraper holding METRICS_TOKEN or an operator
    key may read it; a clinic key is 403 (it must not see other clinics' figures)."""
    metrics_token = get_settings().metrics_token
    if (credentials is not None and metrics_token and metrics_token.get_secret_value()
            and hmac.compare_digest(credentials.credentials.encode(), metrics_token.get_secret_value().encode())):
        return "metrics-token"
    return require_operator(authenticate(conn, credentials)).actor


AnyCaller = Annotated[Caller, Depends(authenticate)]
ClinicScope = Annotated[ClinicCaller, Depends(require_clinic)]
Operator = Annotated[Caller, Depends(require_operator)]
MetricsReader = Annotated[str, Depends(require_metrics_reader)]
