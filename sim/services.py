"""The processes a simulated run needs, started the way production starts them: a Celery worker, Celery
beat, and the LiveKit stand-in (with the phone network and the sim-mode agent job inside).

Each run gets its own namespace — Celery queue, pacing keys, simulated-clock key, call counters — so runs
(a demo next to a test suite) never see each other's tasks or time. Processes run in their own process
groups; `kill`/`restart` act on one of them by its id (the chaos test), `stop_all` ends them all."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from clinic.settings import get_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Namespace:
    """Names one run's private Redis keys and Celery queue."""

    name: str

    @property
    def queue(self) -> str:
        return f"{self.name}-dialer"

    @property
    def clock_key(self) -> str:
        return f"{self.name}:sim-clock"

    @property
    def pacing_prefix(self) -> str:
        return f"{self.name}:pace:"

    @property
    def counter_prefix(self) -> str:
        return f"{self.name}:net:"


@dataclass
class Services:
    namespace: Namespace
    workdir: Path
    call_list: Path
    seed: str = "0"
    speed: float = 20.0
    worker_concurrency: int = 2
    tick_seconds: float = 1.0
    use_llm: bool = False
    clinic_slugs: list[str] = field(default_factory=list)  # the only clinics this run's worker and beat touch
    database_url: str = field(default_factory=lambda: get_settings().database_url)
    redis_url: str = field(default_factory=lambda: get_settings().redis_url)
    port: int = field(default_factory=free_port)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    down: set[str] = field(default_factory=set)   # killed on purpose (chaos), not yet started again

    @property
    def livekit_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        s = get_settings()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DIALER_", "LIVEKIT_"))}
        if not self.use_llm:
            env.pop("OPENAI_API_KEY", None)   # the scripted brain plays the agent, deterministically
        env.update({
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "DIALER_CLOCK": "sim",
            "DIALER_SIM_CLOCK_KEY": self.namespace.clock_key,
            "DIALER_QUEUE": self.namespace.queue,
            "DIALER_PACING_PREFIX": self.namespace.pacing_prefix,
            "DIALER_TICK_SECONDS": str(self.tick_seconds),
            "DIALER_CALL_MODE": "sim",
            # Beat passes (planner, reaper, batches) see only the simulated clinic: a run never dials,
            # reaps or batches any other clinic in the database on its simulated clock.
            "DIALER_CLINICS": json.dumps(self.clinic_slugs),
            "LIVEKIT_URL": self.livekit_url,
            "LIVEKIT_API_KEY": s.livekit_api_key,
            "LIVEKIT_API_SECRET": s.livekit_api_secret.get_secret_value(),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        })
        return env

    def _commands(self) -> dict[str, list[str]]:
        py = sys.executable
        ns = self.namespace
        standin = [py, "-m", "sim.simulated_livekit", "--port", str(self.port), "--call-list", str(self.call_list),
                   "--seed", self.seed, "--counter-prefix", ns.counter_prefix, "--ring-scale", f"{1 / self.speed:.4f}"]
        if self.use_llm:
            standin.append("--llm")
        return {
            "standin": standin,
            "worker": [py, "-m", "celery", "-A", "dialer.celery_app", "worker", "-Q", ns.queue, "-c",
                       str(self.worker_concurrency), "--pool=prefork", "-l", "WARNING", "--without-gossip",
                       "--without-mingle", "--without-heartbeat", "-n", f"{ns.name}@%h"],
            "beat": [py, "-m", "celery", "-A", "dialer.celery_app", "beat", "-l", "WARNING",
                     "-s", str(self.workdir / "beat-schedule"), "--pidfile", str(self.workdir / "beat.pid")],
        }

    def log_path(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def start(self, name: str) -> None:
        if name in self.down:
            self.down.discard(name)
            self.restarts[name] = self.restarts.get(name, 0) + 1
        cmd = self._commands()[name]
        log = self.log_path(name).open("ab")
        self.procs[name] = subprocess.Popen(cmd, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        if name == "standin":
            self._wait_for_standin()

    def start_all(self) -> None:
        for name in ("standin", "worker", "beat"):
            self.start(name)

    def _wait_for_standin(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.procs["standin"]
            if proc.poll() is not None:
                raise RuntimeError(f"the LiveKit stand-in exited ({proc.returncode}); see {self.log_path('standin')}")
            try:
                with urllib.request.urlopen(self.livekit_url + "/", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the LiveKit stand-in did not start within {timeout:.0f}s")

    def kill(self, name: str) -> None:
        """SIGKILL one service's process group (what a crash or an OOM kill looks like); it stays down
        until `start(name)`, and is not reported as having died unexpectedly meanwhile."""
        proc = self.procs.pop(name, None)
        self.down.add(name)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def restart(self, name: str) -> None:
        self.kill(name)
        self.start(name)

    def dead(self) -> list[str]:
        return [n for n, p in self.procs.items() if p.poll() is not None]

    def stop_all(self) -> None:
        """SIGTERM every process group, then SIGKILL whatever is left after a grace period."""
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 8
        for proc in self.procs.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)

    def log_tail(self, name: str, lines: int = 20) -> str:
        path = self.log_path(name)
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def hook_failures(self) -> int:
        """Agent jobs that crashed inside the stand-in (logged by its dispatch hook)."""
        path = self.log_path("standin")
        return path.read_text(errors="replace").count("dispatch hook failed") if path.exists() else 0
