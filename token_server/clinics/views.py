"""Who am I (for the page's header and clinic picker), and the operator's list of clinics."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from token_server.auth import AnyCaller, Operator
from token_server.database import Conn
from token_server.errors import COMMON_RESPONSES

router = APIRouter(prefix="/api", tags=["clinics"], responses=COMMON_RESPONSES)


class ClinicOut(BaseModel):
    id: int
    slug: str
    name: str
    timezone: str
    paused_at: str | None = None


class Me(BaseModel):
    operator: bool
    key_prefix: str
    clinic: ClinicOut | None


def _clinic(row: dict) -> ClinicOut:
    return ClinicOut(id=row["id"], slug=row["slug"], name=row["name"], timezone=row["timezone"],
                     paused_at=row["paused_at"].isoformat() if row.get("paused_at") else None)


@router.get("/me", response_model=Me)
def me(caller: AnyCaller) -> Me:
    return Me(operator=caller.operator, key_prefix=caller.key_prefix,
              clinic=_clinic(caller.clinic) if caller.clinic else None)


@router.get("/clinics", response_model=list[ClinicOut])
def list_clinics(caller: Operator, conn: Conn) -> list[ClinicOut]:
    """Operator only: every clinic, to pick one for `X-Clinic`."""
    return [_clinic(r) for r in conn.execute("SELECT * FROM clinics ORDER BY slug").fetchall()]
