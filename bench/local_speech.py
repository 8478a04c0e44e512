"""Local speech cost: per-phrase STT/TTS latency (p50/p95) and CPU-seconds per call-minute.

    python bench/local_speech.py [--phrases 20] [--concurrency 1] [--json]

Starts `python -m speech_server` on a free loopback port (models loaded once), then drives it through
LiveKit's own `openai.TTS` / `openai.STT` plugins exactly as the agent does with SPEECH_BACKEND=local:
- TTS: each receptionist phrase; time to first audio and to the whole phrase.
- STT: the same audio after a phone line (8 kHz, 300-3400 Hz, mu-law, light noise) — one turn per request
  as LiveKit's StreamAdapter sends it.
The server's CPU time (from /proc via psutil) is divided by the seconds of audio processed, and priced
for one call-minute: `--patient-share` of the minute is patient speech (STT), `--agent-share` is agent
speech (TTS). The agent worker's own per-call audio work (Silero VAD on every incoming frame, the local
turn detector at each end of turn) is measured in-process and added."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from livekit import rtc

from agent.speech_backends import local_speech_parts
from clinic.settings import Settings
from sim.phone_audio import telephone

PHRASES = [
    "Good morning, this is the automated assistant calling for Maple Street Clinic about an upcoming appointment.",
    "Am I speaking with Dana?",
    "Thanks, Dana. You're booked for Tuesday, March 3rd at 9:15 in the morning with Dr. Patel.",
    "Can you make it?",
    "No problem. Let me pull that up.",
    "I have Wednesday at 2 in the afternoon, Thursday at 10 in the morning, or Friday at 4:30 in the afternoon.",
    "You're all set for Thursday at 10 in the morning. Is there anything else I can help with?",
    "Got it, I've cancelled that appointment. Would you like to book a new time?",
    "Sorry, I didn't catch that. Could you say it again?",
    "Are you still there?",
    "Yes, this is Dana speaking.",
    "I can't make it on Tuesday, can we do later in the week?",
    "Thursday morning works better for me.",
    "Please stop calling this number.",
    "Can you tell me where the office is?",
    "Hello? Who is this?",
    "Sorry, she's not home right now, this is her husband.",
    "That's fine, I'll be there, thank you.",
    "Actually, can you call me back tomorrow after five?",
    "Hi, you've reached the Garcia family. Please leave a message after the tone.",
    "Thank you for your help, goodbye.",
    "I'd like to talk to someone at the front desk, please.",
]


@dataclass
class PhraseTiming:
    words: int
    audio_seconds: float
    tts_first_audio: float
    tts_total: float
    stt_latency: float
    word_accuracy: float


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _word_accuracy(said: str, heard: str) -> float:
    ref, hyp = _words(said), set(_words(heard))
    return sum(w in hyp for w in ref) / max(1, len(ref))


async def _one(parts: object, text: str) -> tuple[PhraseTiming, np.ndarray]:
    tts, stt = parts.tts, parts.stt  # type: ignore[attr-defined]
    started = time.perf_counter()
    first = None
    frames: list[rtc.AudioFrame] = []
    async for ev in tts.synthesize(text):
        if first is None:
            first = time.perf_counter() - started
        frames.append(ev.frame)
    tts_total = time.perf_counter() - started
    audio = rtc.combine_audio_frames(frames)
    pcm = np.frombuffer(audio.data, dtype=np.int16)
    line = telephone(pcm, audio.sample_rate, noise_db=30, rng=np.random.default_rng(len(text)))
    started = time.perf_counter()
    heard = await stt.recognize([rtc.AudioFrame(line.tobytes(), 8000, 1, len(line))])
    stt_latency = time.perf_counter() - started
    return PhraseTiming(len(_words(text)), len(line) / 8000, first or tts_total, tts_total, stt_latency,
                        _word_accuracy(text, heard.alternatives[0].text)), line


def _worker_audio_cpu(seconds: float, turns_per_minute: int) -> dict[str, float]:
    """CPU the agent worker spends per call-minute on its own audio models: Silero VAD over every
    incoming frame, and the v1-mini turn detector once per end of turn."""
    from livekit.local_inference import EOT, init_eot
    from livekit.plugins import silero

    async def vad_run() -> None:
        vad = silero.VAD.load()
        stream = vad.stream()
        rng = np.random.default_rng(1)
        frame_samples = 160   # 20 ms at 8 kHz, as a phone participant's track arrives
        for _ in range(int(seconds * 50)):
            pcm = (rng.standard_normal(frame_samples) * 800).astype(np.int16)
            stream.push_frame(rtc.AudioFrame(pcm.tobytes(), 8000, 1, frame_samples))
        stream.end_input()
        async for _ev in stream:
            pass

    proc = psutil.Process()
    before = sum(proc.cpu_times()[:2])
    asyncio.run(vad_run())
    vad_cpu = (sum(proc.cpu_times()[:2]) - before) / seconds * 60
    init_eot()
    eot = EOT()
    pcm = (np.random.default_rng(2).standard_normal(19200) * 800).astype(np.int16)
    before = sum(proc.cpu_times()[:2])
    for _ in range(20):
        eot.predict(pcm)
    eot_cpu = (sum(proc.cpu_times()[:2]) - before) / 20 * turns_per_minute
    return {"vad_cpu_s_per_min": vad_cpu, "turn_detector_cpu_s_per_min": eot_cpu}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--phrases", type=int, default=len(PHRASES), help="phrases to run (default: all %(default)s)")
    p.add_argument("--concurrency", type=int, default=1, help="phrases in flight at once (default 1)")
    p.add_argument("--patient-share", type=float, default=0.35, help="share of a call-minute the patient talks")
    p.add_argument("--agent-share", type=float, default=0.5, help="share of a call-minute the agent talks")
    p.add_argument("--turns-per-minute", type=int, default=8, help="ends of turn per call-minute")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    if not 1 <= args.phrases <= len(PHRASES):
        p.error(f"--phrases: must be 1..{len(PHRASES)}")
    if args.concurrency < 1:
        p.error("--concurrency: must be at least 1")

    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "speech_server", "--port", str(port), "--log-level", "WARNING"],
                              cwd=Path(__file__).resolve().parents[1], env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                print("error: speech server did not start", file=sys.stderr)
                return 1
            time.sleep(0.2)
        sproc = psutil.Process(server.pid)
        url = f"http://127.0.0.1:{port}/v1"

        async def run() -> tuple[list[PhraseTiming], float, float, float]:
            parts = local_speech_parts(Settings(speech_backend="local", local_speech_url=url))
            await _one(parts, "Warm up.")   # first-request costs (thread pools, allocators) not in the figures
            sem = asyncio.Semaphore(args.concurrency)
            texts = PHRASES[: args.phrases]

            async def guarded(t: str) -> tuple[PhraseTiming, np.ndarray]:
                async with sem:
                    return await _one(parts, t)

            cpu0 = sum(sproc.cpu_times()[:2])
            results = await asyncio.gather(*(guarded(t) for t in texts))
            cpu_both = sum(sproc.cpu_times()[:2]) - cpu0
            # STT alone on the same lines, to split the server's CPU between the two models
            cpu1 = sum(sproc.cpu_times()[:2])
            for _, line in results:
                await parts.stt.recognize([rtc.AudioFrame(line.tobytes(), 8000, 1, len(line))])
            cpu_stt = sum(sproc.cpu_times()[:2]) - cpu1
            await parts.tts.aclose()
            return [r for r, _ in results], cpu_both, cpu_stt, sum(r.audio_seconds for r, _ in results)

        timings, cpu_both, cpu_stt, audio_s = asyncio.run(run())
    finally:
        server.terminate()
        server.wait(timeout=20)

    cpu_tts = max(0.0, cpu_both - cpu_stt)
    stt_per_audio_s = cpu_stt / audio_s
    tts_per_audio_s = cpu_tts / audio_s
    worker = _worker_audio_cpu(30.0, args.turns_per_minute)
    server_per_min = 60 * (args.patient_share * stt_per_audio_s + args.agent_share * tts_per_audio_s)
    per_min = server_per_min + worker["vad_cpu_s_per_min"] + worker["turn_detector_cpu_s_per_min"]
    report = {
        "phrases": len(timings), "concurrency": args.concurrency, "cores": psutil.cpu_count(),
        "stt_latency_p50": _pct([t.stt_latency for t in timings], 0.5),
        "stt_latency_p95": _pct([t.stt_latency for t in timings], 0.95),
        "stt_word_accuracy": statistics.mean(t.word_accuracy for t in timings),
        "tts_first_audio_p50": _pct([t.tts_first_audio for t in timings], 0.5),
        "tts_first_audio_p95": _pct([t.tts_first_audio for t in timings], 0.95),
        "tts_total_p50": _pct([t.tts_total for t in timings], 0.5),
        "tts_total_p95": _pct([t.tts_total for t in timings], 0.95),
        "stt_cpu_s_per_audio_s": stt_per_audio_s,
        "tts_cpu_s_per_audio_s": tts_per_audio_s,
        **worker,
        "cpu_s_per_call_minute": per_min,
        "concurrent_calls_per_core": 60 / per_min if per_min else None,
        "assumptions": {"patient_share": args.patient_share, "agent_share": args.agent_share,
                        "turns_per_minute": args.turns_per_minute},
        "per_phrase": [asdict(t) for t in timings],
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"local speech on {report['cores']} cores, {len(timings)} phrases, concurrency {args.concurrency}")
    print(f"  STT (Whisper tiny.en, 8 kHz phone audio): p50 {report['stt_latency_p50']:.2f}s  "
          f"p95 {report['stt_latency_p95']:.2f}s per phrase; word accuracy {report['stt_word_accuracy']:.0%}")
    print(f"  TTS (Piper joe-medium): first audio p50 {report['tts_first_audio_p50']:.2f}s  "
          f"p95 {report['tts_first_audio_p95']:.2f}s; whole phrase p50 {report['tts_total_p50']:.2f}s  "
          f"p95 {report['tts_total_p95']:.2f}s")
    print(f"  CPU: STT {stt_per_audio_s:.3f} s/s of patient audio, TTS {tts_per_audio_s:.3f} s/s of agent audio, "
          f"VAD {worker['vad_cpu_s_per_min']:.2f} s/min, "
          f"turn detector {worker['turn_detector_cpu_s_per_min']:.2f} s/min")
    print(f"  => {per_min:.1f} CPU-seconds per call-minute (patient talks {args.patient_share:.0%}, agent "
          f"{args.agent_share:.0%}); about {60 / per_min:.1f} concurrent calls per core")
    return 0


if __name__ == "__main__":
    sys.exit(main())
