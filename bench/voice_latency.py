"""Voice latency measured where the patient is: at the phone, from the recordings of real calls.

    python -m bench.voice_latency                    # places 10 real calls (talking personas), then measures
    python -m bench.voice_latency --calls 12 --json
    python -m bench.voice_latency --records .run/voice-bench/<run>/calls.jsonl   # re-measure earlier calls

Each call goes through the production chain (sim.real_call.RealCallStack: Celery dispatch -> LiveKit server ->
agent worker -> LiveKit SIP -> the SIP phone network, whose personas hear with Whisper and speak with Piper).
The phone network records both directions on one clock (remote.wav = agent, phone.wav = patient); from them:

- answer -> the agent's first audio (target <= 2 s; a silent pick-up is greeted once AMD stops listening);
- turn gap: patient stops speaking -> first agent audio (any: speech, filler or the thinking sound), p50/p95;
- tool -> filler audible: the agent's filler is said when a tool starts (agent/confirmation_agent._filler,
  stamped in the transcript); measured to the next agent audio on the line;
- beside them, LiveKit's own per-turn stage metrics stored on the transcript (agent.call_record.stage_metrics:
  end-of-turn delay, STT transcription delay, LLM time to first token, TTS time to first byte, end-to-end).

The personas' own delay (their Whisper and Piper) is not in any figure: every figure starts when a side
stops speaking on the recording. The machine's load is printed: on a shared 2-core box the figures say as
much about the neighbours as about the pipeline."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # `python bench/voice_latency.py` (make bench)

from sim import heard

# Ten calls: eight gave 29 measured turns, one short of the 30 the figure needs.
DEFAULT_PERSONAS = ("confirmer", "rescheduler", "question_then_confirm", "canceller", "opt_out", "not_patient",
                    "callback", "rescheduler", "confirmer", "question_then_confirm")
SPEECH_URL = "http://127.0.0.1:8090"
# The agent is heard within this long of the answer (the target; a person answering says "hello"
# and expects the caller to speak). A target to measure against, not a test: on a loaded 2-core machine it is
# often missed, and the figure says by how much.
FIRST_AUDIO_TARGET = 2.0
STAGES = ("end_of_turn_delay", "transcription_delay", "llm_node_ttft", "tts_node_ttfb", "e2e_latency")


@dataclass
class CallAudio:
    """One analysed call."""

    persona: str
    outcome: str | None
    turn_gaps: list[float]
    word_gaps: list[float]         # patient stops -> the agent's first words (fillers count; typing sounds do not)
    filler_delays: list[float]
    first_agent_audio: float | None
    stages: dict[str, list[float]] = field(default_factory=dict)


def _seconds_into(record: dict[str, Any], at: str) -> float | None:
    """Wall-clock ISO time -> seconds into the leg's recording (recording starts at the answer)."""
    if not record.get("answered_at"):
        return None
    return (datetime.fromisoformat(at) - datetime.fromisoformat(record["answered_at"])).total_seconds()


def _word_gaps(samples: Any, patient: list[heard.Span], agent: list[heard.Span], speech_url: str) -> list[float]:
    """Patient stops -> the first agent span Whisper finds words in (the thinking sound has none)."""
    import re

    out: list[float] = []
    for p in patient:
        if any(a.start < p.end < a.end for a in agent):
            continue
        later = [q.start for q in patient if q.start > p.end]
        limit = min(later) if later else float("inf")
        for a in (a for a in agent if p.end <= a.start < min(limit, p.end + 12)):
            clip = samples[int(a.start * heard.RATE):int(min(a.end, a.start + 2.0) * heard.RATE)]
            if re.search(r"[a-zA-Z]{2}", heard.transcribe(speech_url, clip)):
                out.append(a.start - p.end)
                break
    return out


def analyse(record: dict[str, Any], transcript: list[dict[str, Any]], outcome: str | None,
            speech_url: str | None = None) -> CallAudio:
    samples = heard.read_mono(record["recording_remote"])
    agent = heard.speech_spans(samples, join_gap=0.3)
    patient = heard.sentences(heard.speech_spans(heard.read_mono(record["recording_phone"])), gap=0.6)
    fillers: list[float] = []
    for e in transcript:
        if e.get("role") == "agent" and e.get("filler") and e.get("at"):
            t = _seconds_into(record, e["at"])
            if t is None or any(a.start < t < a.end for a in agent):
                continue        # queued behind speech already playing: its own start is not on the recording
            nxt = next((a for a in agent if a.start >= t), None)
            if nxt is not None and nxt.start - t < 10:
                fillers.append(nxt.start - t)
    stages: dict[str, list[float]] = {k: [] for k in STAGES}
    for e in transcript:
        for k, v in (e.get("metrics") or {}).items():
            if k in stages:
                stages[k].append(float(v))
    return CallAudio(persona=record.get("persona", "?"), outcome=outcome,
                     turn_gaps=heard.response_gaps(patient, agent),
                     word_gaps=_word_gaps(samples, patient, agent, speech_url) if speech_url else [],
                     filler_delays=fillers,
                     first_agent_audio=agent[0].start if agent else None, stages=stages)


def _transcript(database_url: str, record: dict[str, Any], attempt_id: int | None = None
                ) -> tuple[list[dict[str, Any]], str | None]:
    """The agent's transcript (with its stage metrics) for a phone leg: by attempt id, else the attempt to the
    same number whose transcript starts within a minute of the leg's answer (wall clock; the dialer's own
    timestamps are on the simulated clock)."""
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        if attempt_id is not None:
            rows = conn.execute("SELECT transcript, outcome FROM call_attempts WHERE id = %s",
                                (attempt_id,)).fetchall()
        else:
            rows = conn.execute("SELECT transcript, outcome FROM call_attempts WHERE phone = %s AND transcript"
                                " IS NOT NULL ORDER BY id DESC LIMIT 50", (record.get("number"),)).fetchall()
    for row in rows:
        entries = list(row["transcript"] or [])
        if attempt_id is not None:
            return entries, row["outcome"]
        at = next((e.get("at") for e in entries if e.get("at")), None)
        t = _seconds_into(record, at) if at else None
        if t is not None and abs(t) < 60:
            return entries, row["outcome"]
    return [], None


def place_calls(personas: list[str], workdir: Path) -> list[CallAudio]:
    from clinic.settings import get_settings
    from sim.real_call import RealCallStack, persona_number, ready_clinic

    settings = get_settings()
    out: list[CallAudio] = []
    numbers = {persona_number(p): p for p in personas}
    with RealCallStack(database_url=settings.database_url, workdir=workdir, personas=numbers,
                       front_desk=("+12125550199",), phone_port=None) as stack:
        with stack.connect() as conn:
            clinic = ready_clinic(conn, "voice-bench")
            # The bench's own clinic and numbers: an earlier run's opt-out put its number on the DNC list,
            # and the dialer (rightly) would not call it again.
            conn.execute("DELETE FROM dnc WHERE clinic_id = %s AND phone = ANY(%s)", (clinic["id"], list(numbers)))
            conn.commit()
        clinic, _ = stack.ensure_trunk(clinic)
        for persona in personas:
            report = stack.place_call(clinic, persona, timeout=300)
            if report.phone_record is None or not report.phone_record.get("recording_remote"):
                print(f"{persona}: no recording (outcome {report.outcome})", file=sys.stderr)
                continue
            transcript, _ = _transcript(settings.database_url, report.phone_record, report.attempt_id)
            call = analyse(report.phone_record, transcript, report.outcome, stack.speech_url)
            out.append(call)
            print(f"{persona}: {report.outcome}, {len(call.turn_gaps)} turns, {report.seconds:.0f}s",
                  file=sys.stderr)
    return out


def from_records(path: Path) -> list[CallAudio]:
    from clinic.settings import get_settings

    url = get_settings().database_url
    out = []
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        if rec.get("direction") == "inbound" and rec.get("line") == "person" and rec.get("recording_remote"):
            transcript, outcome = _transcript(url, rec)
            out.append(analyse(rec, transcript, outcome, SPEECH_URL))
    return out


def summarize(calls: list[CallAudio]) -> dict[str, Any]:
    gaps = [g for c in calls for g in c.turn_gaps]
    words = [g for c in calls for g in c.word_gaps]
    fillers = [f for c in calls for f in c.filler_delays]
    firsts = [c.first_agent_audio for c in calls if c.first_agent_audio is not None]

    def pct(v: list[float]) -> dict[str, Any]:
        return {"n": len(v), "p50": round(heard.percentile(v, 50), 3) if v else None,
                "p95": round(heard.percentile(v, 95), 3) if v else None}

    stages = {k: pct([x for c in calls for x in c.stages.get(k, [])]) for k in STAGES}
    return {"calls": len(calls), "outcomes": [f"{c.persona}:{c.outcome}" for c in calls],
            "turn_gap_at_phone": pct(gaps), "turn_gap_to_words": pct(words), "tool_to_filler_audible": pct(fillers),
            "answer_to_first_agent_audio": pct(firsts),
            "answer_to_first_agent_audio_within_target": [sum(1 for f in firsts if f <= FIRST_AUDIO_TARGET),
                                                          len(firsts)],
            "livekit_stages": stages,
            "load_average": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.voice_latency", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=len(DEFAULT_PERSONAS), help="real calls to place (default 10)")
    ap.add_argument("--personas", default=",".join(DEFAULT_PERSONAS), help="comma-separated, cycled")
    ap.add_argument("--records", type=Path, help="measure the calls in this phone-network calls.jsonl instead")
    ap.add_argument("--min-turns", type=int, default=30, help="exit 1 if fewer turns were measured")
    ap.add_argument("--json", action="store_true", help="one JSON object")
    args = ap.parse_args(argv)
    if args.records is not None:
        if not args.records.exists():
            print(f"error: --records {args.records}: no such file", file=sys.stderr)
            return 2
        calls = from_records(args.records)
    else:
        names = [p.strip() for p in args.personas.split(",") if p.strip()]
        from sim.personas import get_spec

        try:
            for n in names:
                get_spec(n)
        except ValueError as exc:
            print(f"error: --personas: {exc}", file=sys.stderr)
            return 2
        personas = [names[i % len(names)] for i in range(args.calls)]
        workdir = (Path(".run") / "voice-bench" / time.strftime("%Y%m%dT%H%M%S")).resolve()
        calls = place_calls(personas, workdir)
        print(f"recordings: {workdir / 'recordings'}", file=sys.stderr)
    s = summarize(calls)
    if args.json:
        print(json.dumps(s))
    else:
        g, f, a = s["turn_gap_at_phone"], s["tool_to_filler_audible"], s["answer_to_first_agent_audio"]
        print(f"{s['calls']} calls on {s['cpus']} CPUs, load {s['load_average']}")
        print(f"patient stops -> first agent audio: p50 {g['p50']}s  p95 {g['p95']}s  over {g['n']} turns")
        w = s["turn_gap_to_words"]
        print(f"patient stops -> agent's first words: p50 {w['p50']}s  p95 {w['p95']}s  over {w['n']} turns")
        print(f"tool starts -> filler audible:      p50 {f['p50']}s  p95 {f['p95']}s  over {f['n']} fillers")
        within = s["answer_to_first_agent_audio_within_target"]
        print(f"answer -> agent's first audio:      p50 {a['p50']}s  p95 {a['p95']}s  over {a['n']} calls"
              f"  (target <= {FIRST_AUDIO_TARGET:g}s: {within[0]}/{within[1]} calls)")
        print("LiveKit per-turn stages (ChatMessage.metrics):")
        for k, v in s["livekit_stages"].items():
            print(f"  {k:<22} p50 {v['p50']}s  p95 {v['p95']}s  (n={v['n']})")
    return 0 if s["turn_gap_at_phone"]["n"] >= args.min_turns else 1


if __name__ == "__main__":
    sys.exit(main())
