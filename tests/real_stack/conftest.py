"""The real stack for one test module: LiveKit server + SIP (built by `make livekit`), the local speech server,
the SIP phone network, one agent worker and one Celery worker (sim.real_call.RealCallStack), on a database of
the module's own. Calls go through the production chain; only the phone network is simulated."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from clinic.settings import get_settings
from sim.real_call import RealCallStack, persona_number, ready_clinic
from tests.conftest import _admin_url, _drop, _url_for

PERSONAS = ("busy", "no_answer", "rejecter", "voicemail", "keypad_opt_out", "keypad_confirmer", "human", "hang_up",
            "confirmer", "rescheduler", "not_patient", "opt_out", "interrupter", "silent_confirmer", "mumbler")
FRONT_DESK = "+12125550199"


@pytest.fixture(scope="module")
def real_db(template_db: str) -> Iterator[str]:
    name = f"cd_real_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name),
                                                                       sql.Identifier(template_db)))
    url = _url_for(name)
    # Rooms are `call-<attempt id>` on the one LiveKit server this machine shares: a test database numbering
    # its attempts from 1 would walk into another run's live room. Start this one's ids somewhere of its own.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT setval('call_attempts_id_seq', %s)", (secrets.randbelow(10**9) + 10**6,))
    yield url
    _drop(name)


@pytest.fixture(scope="module")
def stack(real_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealCallStack]:
    workdir = Path(tmp_path_factory.mktemp("real-stack"))
    with RealCallStack(database_url=real_db, workdir=workdir, personas={persona_number(p): p for p in PERSONAS},
                       front_desk=(FRONT_DESK,), phone_port=None, with_token_server=True,
                       phone_options=("--ring-timeout", "12", "--answer-after", "0.5", "--max-call", "60")) as s:
        yield s


@pytest.fixture(scope="module")
def clinic(stack: RealCallStack) -> dict[str, Any]:
    with stack.connect() as conn:
        row = ready_clinic(conn, "real-stack")
        conn.execute("UPDATE clinics SET ring_timeout_seconds = 20 WHERE id = %s", (row["id"],))
        conn.commit()
    row, _ = stack.ensure_trunk({**row, "ring_timeout_seconds": 20})
    assert get_settings() is not None
    return row
