"""The sample clinic the demo and examples use (idempotent)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import psycopg

from clinic import clinics, slots

SAMPLE_SLUG = "sunrise-family"
SAMPLE_PROVIDERS = ("Dr. Patel", "Dr. Nguyen")


def ensure_sample_clinic(conn: psycopg.Connection[Any], today: date, days: int = 14) -> dict[str, Any]:
    """Create the sample clinic if missing and make sure it has free slots for the next `days` days
    (`days=0`: the clinic only)."""
    try:
        clinic = clinics.get_by_slug(conn, SAMPLE_SLUG)
    except clinics.ClinicNotFound:
        clinic = clinics.create_clinic(
            conn,
            slug=SAMPLE_SLUG,
            name="Sunrise Family Medicine",
            timezone="America/New_York",
            state="NY",
            calling_hours="09:00-19:00",
            caller_id="+12125550100",
            callback_number="+12125550100",
            transfer_number="+12125550101",
            sip_trunk_id="ST_demo_trunk",
            address="120 Main Street, Suite 4, Springfield",
            parking="Free parking in the lot behind the building; enter from Oak Avenue.",
            what_to_bring="Your insurance card, a photo ID and a list of the medicines you take.",
            preparation="Please arrive 10 minutes early to check in.",
        )
    for provider in SAMPLE_PROVIDERS if days > 0 else ():
        slots.generate(conn, clinic_id=clinic["id"], tz_name=clinic["timezone"], provider=provider,
                       start=today, end=today + timedelta(days=days), location="Main Street office")
    return clinic
