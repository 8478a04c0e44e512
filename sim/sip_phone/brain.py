"""Line brains: what the party at a phone number does once the call is answered.

The SIP layer (`ua.py`) knows nothing about personas. For every answered call it hands the brain the
remote party's audio, 20 ms at a time, and any RFC 2833 digits it receives, and whenever it asks, executes
the brain's next action: say something (text or PCM), press keys, hang up, or nothing (stay silent). All of
it runs on the phone network's main thread; brains need no locking.

Brains here:
- `ScriptedBrain`: a fixed list of steps taken in turn (say, wait for the other side to finish speaking,
  press a key, hang up). Persons speak this way until speech recognition exists in the phone network.
- `FarEndBrain`: drives a text persona (`agent.far_end.FarEnd`, the same one text mode uses) through a
  `Transcriber` (remote utterance -> text). This is the seam for talking personas: give it a transcriber
  and every persona in sim/personas.py talks over SIP exactly as it does in text mode.
- `VoicemailBrain`: greeting, beep, then it records in silence until the caller hangs up or time runs out.
- `FrontDeskBrain`: the clinic's front desk: answers with a greeting and listens.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from agent.far_end import FarEnd, Turn
from sim.sip_phone import audio

# ---------------------------------------------------------------------------------------------------------
# Actions a brain asks the SIP layer to take.


@dataclass(frozen=True)
class Say:
    """Play speech: `text` is spoken by the phone network's voice; `pcm` (16 kHz mono) is played as is.
    `label` names the sound in the call record (e.g. "beep") when there is no text."""

    text: str | None = None
    pcm: bytes | None = None
    label: str = ""


@dataclass(frozen=True)
class Press:
    """Send keypad digits as RFC 2833 telephone events."""

    digits: str


@dataclass(frozen=True)
class HangUp:
    reason: str = ""


@dataclass(frozen=True)
class Mark:
    """Note a moment in the call record (e.g. "message_start" after a voicemail beep)."""

    name: str


@dataclass(frozen=True)
class Refer:
    """Transfer the call (SIP REFER) to `target` (a sip: or tel: URI)."""

    target: str


Action = Say | Press | HangUp | Mark | Refer


class LineBrain(Protocol):
    """The party on one answered call. Times are seconds on the phone network's monotonic clock."""

    def on_answer(self, now: float) -> None:
        """The call was answered (200 OK sent and media flowing)."""
        ...

    def on_frame(self, pcm: bytes, now: float) -> None:
        """20 ms of the remote party's audio (16 kHz mono 16-bit)."""
        ...

    def on_dtmf(self, digit: str, now: float) -> None:
        """The remote party pressed a key."""
        ...

    def next_action(self, now: float, speaking: bool) -> Action | None:
        """What to do now; None = nothing (keep listening). Asked every few milliseconds; `speaking` is True
        while the phone is still playing an earlier `Say`."""
        ...


class Transcriber(Protocol):
    def __call__(self, pcm: bytes) -> str:
        """The words in one remote utterance (16 kHz mono PCM)."""
        ...


# ---------------------------------------------------------------------------------------------------------
# Turn taking: when has the other side finished saying something?


@dataclass
class TurnDetector:
    """Energy-based end-of-utterance detection on the remote party's audio.

    An utterance is at least `min_speech` seconds of frames louder than `threshold_dbfs`; it has ended when
    `end_silence` seconds of quieter frames follow. Good enough for synthetic speech over a clean loopback
    line; a talking persona can swap in a real VAD behind the same brain."""

    threshold_dbfs: float = -42.0
    min_speech: float = 0.2
    end_silence: float = 0.7
    in_speech: bool = False
    speech_seconds: float = 0.0
    silence_seconds: float = 0.0
    ended: int = 0                     # utterances ended so far
    last_voice: float | None = None    # when the remote party was last heard
    current: bytearray = field(default_factory=bytearray)
    utterances: list[bytes] = field(default_factory=list)

    def feed(self, pcm: bytes, now: float) -> bool:
        """Take one frame; True when it ended an utterance."""
        step = audio.duration(pcm)
        loud = audio.rms_dbfs(pcm) > self.threshold_dbfs
        if loud:
            self.last_voice = now
            self.silence_seconds = 0.0
            self.speech_seconds += step
            self.current.extend(pcm)
            if self.speech_seconds >= self.min_speech:
                self.in_speech = True
            return False
        if self.in_speech:
            self.current.extend(pcm)
            self.silence_seconds += step
            if self.silence_seconds >= self.end_silence:
                self.in_speech = False
                self.speech_seconds = 0.0
                self.ended += 1
                self.utterances.append(bytes(self.current))
                self.current.clear()
                return True
            return False
        self.speech_seconds = 0.0         # a click or a breath, not speech
        self.current.clear()
        return False


# ---------------------------------------------------------------------------------------------------------
# Scripted steps.


@dataclass(frozen=True)
class AwaitTurn:
    """Wait until the other side has said something and stopped; give up after `patience` seconds without
    hearing anything (a person says their next line anyway)."""

    patience: float = 8.0


@dataclass(frozen=True)
class Pause:
    seconds: float


Step = Say | Press | HangUp | Mark | Refer | AwaitTurn | Pause


class ScriptedBrain:
    """Takes `steps` in order; after the last one it stays on the line silently until the other side hangs
    up or `max_seconds` have passed since the answer (then it hangs up: nobody holds a dead line forever)."""

    def __init__(self, steps: Sequence[Step], *, max_seconds: float = 120.0,
                 detector: TurnDetector | None = None) -> None:
        self.steps = list(steps)
        self.max_seconds = max_seconds
        self.turns = detector or TurnDetector()
        self.index = 0
        self.answered_at: float | None = None
        self.step_started: float | None = None
        self.consumed = 0                   # remote utterances already answered
        self.dtmf_heard: list[str] = []
        self.hung_up = False

    def on_answer(self, now: float) -> None:
        self.answered_at = self.step_started = now

    def on_frame(self, pcm: bytes, now: float) -> None:
        self.turns.feed(pcm, now)

    def on_dtmf(self, digit: str, now: float) -> None:
        self.dtmf_heard.append(digit)

    def next_action(self, now: float, speaking: bool) -> Action | None:
        if self.answered_at is None:
            return None
        if speaking:
            self.step_started = now     # waits and pauses count from the end of our own speech
            return None
        if self.hung_up:
            return None
        if now - self.answered_at > self.max_seconds:
            self.hung_up = True
            return HangUp("max_seconds")
        while self.index < len(self.steps):
            step = self.steps[self.index]
            started = self.step_started if self.step_started is not None else now
            if isinstance(step, AwaitTurn):
                if self.turns.ended > self.consumed and not self.turns.in_speech:
                    self.consumed = self.turns.ended
                    self._advance(now)
                    continue
                heard = self.turns.last_voice if self.turns.last_voice is not None else started
                if self.turns.in_speech or now - max(started, heard) < step.patience:
                    return None
                self._advance(now)
                continue
            if isinstance(step, Pause):
                if now - started < step.seconds:
                    return None
                self._advance(now)
                continue
            self._advance(now)
            if isinstance(step, HangUp):
                self.hung_up = True
            return step
        return None

    def _advance(self, now: float) -> None:
        self.index += 1
        self.step_started = now


class VoicemailBrain(ScriptedBrain):
    """An answering machine: greeting, a 1 kHz beep, then records silently. It hangs up after
    `max_message` seconds of message, or `silence_after_message` seconds of silence once the caller spoke."""

    def __init__(self, greeting: str, *, max_message: float = 60.0, silence_after_message: float = 6.0,
                 beep: bytes | None = None) -> None:
        super().__init__([Pause(0.3), Say(text=greeting), Say(pcm=beep or audio.tone(1000.0, 0.5), label="beep"),
                          Mark("message_start")], max_seconds=3600.0)
        self.max_message = max_message
        self.silence_after_message = silence_after_message
        self.message_started: float | None = None

    def next_action(self, now: float, speaking: bool) -> Action | None:
        action = super().next_action(now, speaking)
        if isinstance(action, Mark) and action.name == "message_start":
            self.message_started = now
            self.turns.last_voice = None
            return action
        if action is not None or self.message_started is None:
            return action
        if now - self.message_started > self.max_message:
            return self._hang_up_once("max_message")
        heard = self.turns.last_voice
        if heard is not None and heard > self.message_started and not self.turns.in_speech \
                and now - heard > self.silence_after_message:
            return self._hang_up_once("silence")
        return None

    def _hang_up_once(self, reason: str) -> HangUp | None:
        if self.message_started is None:
            return None
        self.message_started = None
        return HangUp(reason)


class FrontDeskBrain(ScriptedBrain):
    """The clinic's front desk: picks up, greets, and listens (a person there would take it from here)."""

    def __init__(self, greeting: str = "Front desk, this is Sam. How can I help you?", *,
                 max_seconds: float = 60.0) -> None:
        super().__init__([Pause(0.3), Say(text=greeting)], max_seconds=max_seconds)


class FarEndBrain:
    """A text persona on a phone line: each finished remote utterance is transcribed and handed to the
    persona's `reply`; its `Turn` becomes speech, key presses or a hang-up. With the same `FarEnd` text mode
    uses, a talking persona over SIP needs only a transcriber (and a voice).

    Listening and speaking run off the SIP thread (`workers`): transcribing takes a good part of a second and
    the phone must keep moving audio meanwhile. What the persona says is synthesised by `voice` (text -> PCM)
    when one is given, else the SIP layer's voice speaks the text.

    Turn-taking follows `delivery` (sim.personas.Delivery):
    - patient: answers once the agent has finished (TurnDetector's end of utterance): a question at once, words
      that ask nothing after `statement_patience` seconds of quiet. Utterances that end while the agent is
      already talking again are answered together, as a person answers the whole thought.
    - barge_in: once per call, when the agent has been talking for `barge_after` seconds after the persona
      said who it is (so: the appointment, not the greeting), transcribes what it heard so far and answers at
      once, over the agent.
    - silent: says nothing on pick-up (no "hello?"); waits for the caller.
    - mumble: speaks quietly over line noise (`speech.mumble`)."""

    def __init__(self, far_end: FarEnd, transcriber: Transcriber | Callable[[bytes], str], *,
                 max_seconds: float = 300.0, detector: TurnDetector | None = None,
                 voice: Callable[[str], bytes] | None = None, delivery: str = "patient",
                 barge_after: float = 1.8, piece_pause: float | None = None, statement_patience: float = 4.0,
                 workers: Executor | None = None) -> None:
        self.far_end = far_end
        self.transcribe = transcriber
        self.voice = voice
        self.delivery = delivery
        self.barge_after = barge_after
        self.piece_pause = piece_pause
        self.statement_patience = statement_patience
        self.max_seconds = max_seconds
        self.turns = detector or TurnDetector()
        self.workers = workers or _shared_workers()
        self.pieces: list[Future[str]] = []          # the current utterance, transcribed piece by piece
        self.piece_start = 0                          # bytes of the current utterance already sent
        self.listening: list[list[Future[str]]] = []  # finished utterances being transcribed, in order
        self.understood: list[str] = []               # transcribed, not yet answered
        self.speaking: list[Future[Action]] = []      # replies being synthesised, in order
        self.answered_at: float | None = None
        self.heard: list[str] = []           # what the persona understood, in order
        self.utterances_seen = 0
        self.barged = False                  # barge_in: done (once per call)
        self.barge: list[Future[str]] | None = None
        self.done = False

    def on_answer(self, now: float) -> None:
        self.answered_at = now
        self._say(self.far_end.first_words())

    def on_frame(self, pcm: bytes, now: float) -> None:
        """Listen to the agent. With `piece_pause`, a long utterance is understood while it is still being said
        (each piece up to such a pause goes to the transcriber at once), so the answer waits only for the last
        piece; off by default: on a busy speech server more requests queue longer than one whole utterance."""
        if self.done:
            return
        t = self.turns
        if t.feed(pcm, now):
            self.utterances_seen += 1
            tail = t.utterances[-1][self.piece_start:]
            self.piece_start = 0
            if _voiced_seconds(tail, t.threshold_dbfs) >= 0.15:
                self.pieces.append(self.workers.submit(self.transcribe, tail))
            if self.pieces:
                self.listening.append(self.pieces)
            self.pieces = []
            return
        if not t.in_speech:
            if not t.current:
                self.piece_start = 0
            return
        if self.piece_pause is not None and t.silence_seconds >= self.piece_pause \
                and len(t.current) - self.piece_start > audio.FRAME_BYTES * 10:
            self._cut_piece()
        if (self.delivery == "barge_in" and not self.barged and getattr(self.far_end, "identified", True)
                and t.silence_seconds == 0 and audio.duration(bytes(t.current)) >= self.barge_after):
            self.barged = True
            self._cut_piece()
            self.barge, self.pieces = self.pieces, []

    def _cut_piece(self) -> None:
        piece = bytes(self.turns.current[self.piece_start:])
        self.piece_start = len(self.turns.current)
        if _voiced_seconds(piece, self.turns.threshold_dbfs) >= 0.15:
            self.pieces.append(self.workers.submit(self.transcribe, piece))

    def on_dtmf(self, digit: str, now: float) -> None:
        return None

    def next_action(self, now: float, speaking: bool) -> Action | None:
        if self.done:
            return None
        if self.answered_at is not None and now - self.answered_at > self.max_seconds:
            self.done = True
            return HangUp("max_seconds")
        if self.barge is not None and all(f.done() for f in self.barge):
            text = " ".join(x for x in (f.result() for f in self.barge) if x)
            self.barge = None
            if text:
                self.heard.append(text)
                self._say(self.far_end.reply(text))     # at once: the agent is still talking
        while self.listening and all(f.done() for f in self.listening[0]):
            text = " ".join(x for x in (f.result() for f in self.listening.pop(0)) if x)
            if text:
                self.heard.append(text)
                self.understood.append(text)
        agent_talking = self.turns.in_speech or self.turns.speech_seconds > 0
        if self.understood and not self.listening and not agent_talking and self._may_answer(now):
            self._say(self.far_end.reply(" ".join(self.understood)))
            self.understood.clear()
        if speaking or not self.speaking or not self.speaking[0].done():
            return None
        action = self.speaking.pop(0).result()
        if isinstance(action, HangUp):
            self.done = True
            for f in self.speaking:
                f.cancel()
            self.speaking.clear()
        return action

    def _may_answer(self, now: float) -> bool:
        """A question (or "press 1...") is answered as soon as it is over. After words that ask nothing
        ("Sorry about that.", "Thank you, Jordan.") a person gives the speaker a moment to go on
        (`statement_patience` seconds of quiet) before saying anything: a caller whose next sentence is a few
        seconds late (its speech is made sentence by sentence) is not answered for the half it has said."""
        if any("?" in text or _ASKS.search(text) for text in self.understood):
            return True
        last = self.turns.last_voice
        return last is None or now - last >= self.statement_patience

    def _say(self, turn: Turn) -> None:
        for action in self._actions(turn):
            if isinstance(action, Say) and action.text and self.voice is not None:
                self.speaking.append(self.workers.submit(self._voiced, action.text))
            else:
                done: Future[Action] = Future()
                done.set_result(action)
                self.speaking.append(done)

    def _voiced(self, text: str) -> Action:
        assert self.voice is not None
        pcm = self.voice(text)
        if self.delivery == "mumble":
            from sim.sip_phone.speech import mumble

            pcm = mumble(pcm, seed=len(self.heard))
        return Say(text=text, pcm=pcm)

    @staticmethod
    def _actions(turn: Turn) -> list[Action]:
        out: list[Action] = []
        if turn.text:
            out.append(Say(text=turn.text))
        if turn.dtmf:
            out.append(Press(turn.dtmf))
        if turn.hang_up:
            out.append(HangUp("persona"))
        return out


# Words that ask for something without a question mark ("Press 1 to confirm.", "Let me know which one.").
_ASKS = re.compile(r"\b(press|please (say|tell|let)|tell me|let me know)\b", re.IGNORECASE)


def _voiced_seconds(pcm: bytes, threshold_dbfs: float) -> float:
    """Seconds of 20 ms frames louder than `threshold_dbfs`."""
    step = audio.FRAME_BYTES
    return sum(audio.FRAME_MS / 1000 for i in range(0, len(pcm) - step + 1, step)
               if audio.rms_dbfs(pcm[i:i + step]) > threshold_dbfs)


_WORKERS: ThreadPoolExecutor | None = None


def _shared_workers() -> ThreadPoolExecutor:
    """One small pool per phone-network process for every talking persona's listening and speaking."""
    global _WORKERS
    if _WORKERS is None:
        _WORKERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="persona-speech")
    return _WORKERS
