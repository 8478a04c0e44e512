"""A local OpenAI-compatible chat-completions endpoint standing in for the cloud model.

The production brain (`agent.session_factory.brains`: LiveKit's `openai.LLM` chained with the scripted policy
through `llm.FallbackAdapter`) is pointed at it with OPENAI_BASE_URL, so the real plugin, the real
instructions and tool schemas, streaming tool calls and the fallback switch run offline. `policy.py` decides
the replies, `server.py` speaks the protocol and injects faults, `python -m sim.local_llm` runs it.
`start_local_llm()` starts it as its own process (so a test can kill it like a crashed server)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class LocalLLM:
    """A running endpoint process."""

    proc: subprocess.Popen[str]
    url: str          # base URL for OPENAI_BASE_URL (ends in /v1)

    @property
    def root(self) -> str:
        return self.url.removesuffix("/v1")

    def set_fault(self, mode: str, *, after: int = 0, times: int | None = None, seconds: float = 5.0) -> None:
        r = httpx.post(f"{self.root}/control/fault", json={"mode": mode, "after": after, "times": times,
                                                           "seconds": seconds}, timeout=5)
        r.raise_for_status()

    def set_reckless_identity(self, on: bool) -> None:
        httpx.post(f"{self.root}/control/policy", json={"reckless_identity": on}, timeout=5).raise_for_status()

    def requests(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.root}/control/requests", timeout=5).json()

    def kill(self) -> None:
        """SIGKILL, as a crashed or unreachable model server."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def start_local_llm(*extra_args: str, timeout: float = 60.0) -> LocalLLM:
    """Start `python -m sim.local_llm --port 0` and wait for its ready line."""
    proc = subprocess.Popen([sys.executable, "-m", "sim.local_llm", "--port", "0", *extra_args],
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    if not sel.select(timeout):
        proc.kill()
        raise RuntimeError("local_llm did not start in time")
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(f"local_llm exited with {proc.wait()}")
    return LocalLLM(proc=proc, url=json.loads(line)["url"])


__all__ = ["LocalLLM", "start_local_llm"]
