"""PHI never reaches INFO logs through stdlib logging: livekit-agents' `lk.pii.*` record attributes
(AMD's "amd prediction" transcript) are stripped and phone numbers masked, DEBUG left as is."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from livekit.agents.log import logger as lk_logger

from clinic.logs import PhiLogFilter, install_phi_filter
from tests.agent.conftest import ScriptedFarEnd

TRANSCRIPT = "Hi, you reached Maria Lopez at 212-555-0143, leave a message"


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def kept() -> Iterator[_Keep]:
    handler = _Keep()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    install_phi_filter()
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_amd_prediction_at_info_loses_its_pii_attributes(kept: _Keep) -> None:
    lk_logger.info("amd prediction", extra={"category": "machine-vm", "lk.pii.transcript": TRANSCRIPT})
    (record,) = [r for r in kept.records if r.msg == "amd prediction"]
    assert not any(k.startswith("lk.pii") for k in vars(record))
    assert record.category == "machine-vm"   # type: ignore[attr-defined]
    assert TRANSCRIPT not in kept.format(record)


def test_debug_keeps_pii_and_info_masks_phone_numbers(kept: _Keep) -> None:
    lk_logger.debug("amd prediction", extra={"lk.pii.transcript": TRANSCRIPT})
    logging.getLogger("agent.dialing").info("dialing %s for %s", "+12125550143", "attempt 7",
                                            extra={"to": "call +1 (212) 555-0143"})
    debug, info = kept.records[-2:]
    assert vars(debug)["lk.pii.transcript"] == TRANSCRIPT
    assert info.getMessage() == "dialing +1212***0143 for attempt 7"
    assert info.to == "call +1212***0143"   # type: ignore[attr-defined]


def test_filter_on_a_plain_record_and_install_is_idempotent() -> None:
    record = logging.LogRecord("livekit.agents", logging.WARNING, __file__, 1, "x %s", ("2125550143",), None)
    record.__dict__["lk.pii.user_transcript"] = "my name is Maria"
    assert PhiLogFilter().filter(record)
    assert "lk.pii.user_transcript" not in vars(record) and "2125550143" not in record.getMessage()
    first = install_phi_filter()
    assert install_phi_filter() is first
    assert sum(isinstance(f, PhiLogFilter) for f in lk_logger.filters) == 1


def test_real_amd_log_in_a_sim_call_has_no_transcript(world: dict[str, Any], run_call: Any, kept: _Keep) -> None:
    far_end = ScriptedFarEnd([], greeting=TRANSCRIPT, kind="machine")
    assert run_call(far_end).outcome == "voicemail_left"
    amd = [r for r in kept.records if r.msg == "amd prediction"]
    assert amd and all(r.levelno == logging.INFO for r in amd)
    assert not any(k.startswith("lk.pii") for r in amd for k in vars(r))
