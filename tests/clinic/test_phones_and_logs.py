import json
import logging

import pytest
import structlog

from clinic import logs
from clinic.phones import InvalidPhone, mask, mask_in_text, to_e164


@pytest.mark.parametrize("raw", ["(415) 555-0132", "415.555.0132", "+1 415 555 0132", "1-415-555-0132",
                                 "  4155550132 "])
def test_us_formats_parse_to_e164(raw: str) -> None:
    assert to_e164(raw) == "+14155550132"


@pytest.mark.parametrize("raw", ["", "12345", "555-0132", "not a number", "+1 999 555 0132"])
def test_invalid_numbers_are_rejected_with_a_reason(raw: str) -> None:
    with pytest.raises(InvalidPhone) as err:
        to_e164(raw)
    assert str(err.value)


def test_mask_keeps_country_area_and_last_four() -> None:
    assert mask("+14155550132") == "+1415***0132"
    assert mask_in_text("call +1 (415) 555-0132 now") == "call +1415***0132 now"


def test_info_logs_never_carry_numbers_or_names(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO", json_output=True)
    try:
        logs.get_logger("t").info("dialing +14155550132", patient_name="Ada Lovelace", attempt_id=7)
        line = capsys.readouterr().err.strip().splitlines()[-1]
    finally:
        # configure() bound structlog to this test's captured stderr, closed after the test: any later
        # test that logs would fail with "I/O operation on closed file".
        structlog.reset_defaults()
    event = json.loads(line)
    assert "4155550132" not in line and "Ada" not in line
    assert event["attempt_id"] == 7
    logging.getLogger().handlers.clear()
