"""Start and stop the SIP phone network from tests and tools: `with running_phone(...) as phone: ...`.

The phone network runs as its own process (`python -m sim.sip_phone`), as it does beside a real LiveKit SIP
service; this module starts it, waits for its ready line, reads its call records, and stops it with SIGTERM
(the process hangs up live calls and writes their records first)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.sip_phone.caller import free_port


class PhoneStartError(RuntimeError):
    """The phone network process did not come up; the message carries its last output."""


@dataclass
class PhoneHandle:
    """A running phone network: where it listens and what it has recorded."""

    host: str
    port: int
    json_log: Path
    record_dir: Path
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    @property
    def address(self) -> str:
        """host:port, as an outbound trunk's address."""
        return f"{self.host}:{self.port}"

    def uri(self, number: str, transport: str = "udp") -> str:
        """The SIP URI that reaches `number` on this network."""
        tail = ";transport=tcp" if transport == "tcp" else ""
        return f"sip:{number}@{self.host}:{self.port}{tail}"

    def records(self) -> list[dict[str, Any]]:
        """Every call leg recorded so far (one JSON object per line of the log), oldest first."""
        if not self.json_log.exists():
            return []
        return [json.loads(line) for line in self.json_log.read_text().splitlines() if line.strip()]

    def wait_for_record(self, match: Callable[[dict[str, Any]], bool], timeout: float = 30.0) -> dict[str, Any]:
        """The first recorded leg for which `match` is true, waiting up to `timeout` seconds for it."""
        deadline = time.monotonic() + timeout
        while True:
            for rec in self.records():
                if match(rec):
                    return rec
            if time.monotonic() > deadline:
                raise TimeoutError(f"no matching call record within {timeout:.0f}s; have {self.records()}")
            if self.process.poll() is not None:
                raise PhoneStartError(f"phone network exited ({self.process.returncode}): {self.output[-20:]}")
            time.sleep(0.1)


def phone_command(*, host: str, port: int, record_dir: Path, json_log: Path,
                  personas: Mapping[str, str] | None = None, call_list: Path | None = None,
                  front_desk: Sequence[str] = (), extra: Sequence[str] = ()) -> list[str]:
    """The command line that runs the phone network with these settings."""
    cmd = [sys.executable, "-m", "sim.sip_phone", "--listen", f"{host}:{port}", "--record-dir", str(record_dir),
           "--json-log", str(json_log)]
    if call_list is not None:
        cmd += ["--call-list", str(call_list)]
    for number, persona in (personas or {}).items():
        cmd += ["--persona-for", f"{number}={persona}"]
    for number in front_desk:
        cmd += ["--front-desk", number]
    return cmd + list(extra)


@contextmanager
def running_phone(record_dir: Path, *, personas: Mapping[str, str] | None = None, call_list: Path | None = None,
                  front_desk: Sequence[str] = (), host: str = "127.0.0.1", port: int | None = None,
                  json_log: Path | None = None, extra: Sequence[str] = (), start_timeout: float = 60.0,
                  env: Mapping[str, str] | None = None) -> Iterator[PhoneHandle]:
    """Run the phone network for the duration of the block. `extra` passes further CLI options (timings:
    --answer-after, --ring-timeout, ...). `port=None` picks a free port."""
    port = port or free_port(host)
    json_log = json_log or record_dir / "calls.jsonl"
    cmd = phone_command(host=host, port=port, record_dir=record_dir, json_log=json_log, personas=personas,
                        call_list=call_list, front_desk=front_desk, extra=extra)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, **(env or {})})
    handle = PhoneHandle(host, port, json_log, record_dir, proc)
    ready = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            handle.output.append(line.rstrip())
            if line.startswith('{"event": "ready"'):
                ready.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + start_timeout
        while not ready.wait(0.1):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise PhoneStartError(f"phone network did not start: {handle.output[-20:]}")
        yield handle
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        reader.join(5)


def run_caller(to: str, steps: Sequence[str] = (), *, record_dir: Path, transport: str = "udp",
               max_seconds: float = 30.0, caller_id: str = "+15550000000", sip_log: Path | None = None,
               timeout: float | None = None) -> dict[str, Any]:
    """Place one call with the test caller (`python -m sim.sip_phone.caller`) in its own process and return
    its record (final SIP status received, digits heard, what it said, its recordings)."""
    cmd = [sys.executable, "-m", "sim.sip_phone.caller", "--to", to, "--transport", transport, "--max-seconds",
           str(max_seconds), "--record-dir", str(record_dir), "--caller-id", caller_id]
    for step in steps:
        cmd += ["--step", step]
    if sip_log is not None:
        cmd += ["--sip-log", str(sip_log)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout or max_seconds + 60)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"caller failed ({proc.returncode}): {proc.stdout[-2000:]} {proc.stderr[-2000:]}")
    return dict(json.loads(lines[-1]))
