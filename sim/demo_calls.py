"""`python -m sim.demo_calls` (the end of `make demo`): three real calls to listen to.

After the simulated night, the demo places three calls through the production chain on this machine
(Celery dispatch -> LiveKit server -> agent worker -> LiveKit SIP -> the SIP phone network): a patient who
confirms, one who reschedules (both talking personas: they hear the agent through Whisper and answer with
Piper) and a voicemail box. It prints each outcome and where to listen: the stereo recording (left = the
agent as the phone heard it, right = the phone) and the two mono tracks.

Exits 0 when all three ended as their personas must, 1 when one did not, 2 when the stack could not run."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from rich.console import Console

from clinic.logs import configure
from clinic.settings import get_settings
from sim.personas import get_spec
from sim.real_call import CallReport, RealCallStack, persona_number, ready_clinic

DEMO_CALLS = ("confirmer", "rescheduler", "voicemail")
DEMO_CLINIC = "demo-calls"
EXPECTED = {"confirmer": "confirmed", "rescheduler": "rescheduled", "voicemail": "voicemail_left"}
console = Console(soft_wrap=True)   # paths stay on one line, ready to copy


def place_demo_calls(workdir: Path, personas: tuple[str, ...] = DEMO_CALLS) -> list[CallReport]:
    for p in personas:
        get_spec(p)
    settings = get_settings()
    with RealCallStack(database_url=settings.database_url, workdir=workdir,
                       personas={persona_number(p): p for p in personas}, front_desk=("+12125550199",),
                       phone_port=None) as stack:
        with stack.connect() as conn:
            # its own clinic: a `sim call` elsewhere re-points the `sim-call` clinic's trunk at its own phone
            clinic = ready_clinic(conn, DEMO_CLINIC)
        clinic, _ = stack.ensure_trunk(clinic)
        reports = []
        for persona in personas:
            console.print(f"calling [bold]{persona}[/bold] over SIP ...")
            reports.append(stack.place_call(clinic, persona, timeout=300))
        return reports


def main() -> int:
    configure("WARNING")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    console.rule("[bold]Three real calls (LiveKit + SIP + local speech)")
    workdir = (Path(".run") / "demo-calls" / time.strftime("%Y%m%dT%H%M%S")).resolve()
    try:
        reports = place_demo_calls(workdir)
    except Exception as exc:   # the stack itself: LiveKit binaries missing, a port taken, a worker crashed
        console.print(f"[red]real calls failed:[/red] {exc}")
        return 2
    bad = 0
    for r in reports:
        want = EXPECTED.get(r.persona, get_spec(r.persona).outcome)
        ok = r.outcome == want
        bad += not ok
        mark = "[green]ok[/green]" if ok else f"[red]expected {want}[/red]"
        console.print(f"{r.persona:<12} {r.outcome or '-':<16} {mark}  attempt {r.attempt_id}, {r.seconds:.0f}s")
        rec = r.phone_record or {}
        if r.recording:
            console.print(f"   listen: [bold]{r.recording}[/bold]  (stereo: left = agent, right = phone)")
            console.print(f"           agent only: {rec.get('recording_remote')}")
            console.print(f"           phone only: {rec.get('recording_phone')}")
        if rec.get("message_recording"):
            console.print(f"           voicemail message as left: {rec['message_recording']}")
        console.print(f"   transcript: python -m dialer calls show {r.attempt_id}")
    console.print("play one with `aplay FILE` (or open it in a browser)")
    if bad:
        console.print(f"[red]real calls:[/red] {bad} of {len(reports)} did not end as their persona must")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
