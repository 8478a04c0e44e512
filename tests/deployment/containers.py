"""Build and run the service images on a machine without a Docker engine: buildah builds them
(deployment/local/build_images.sh, the same script as `make image`), podman runs them with host networking
(deployment/local/podman.sh) against this machine's Postgres, Redis and a real LiveKit server.

Shared by tests/deployment/test_containers.py and bench/containers.py (sizes and start-up times)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PODMAN = ROOT / "deployment" / "local" / "podman.sh"
BUILD = ROOT / "deployment" / "local" / "build_images.sh"
TARGETS = ("migrate", "token-server", "dialer-worker", "beat", "agent")
REPOSITORY = os.environ.get("IMAGE_REPOSITORY", "clinic-dialer")
TAG = os.environ.get("IMAGE_TAG", "local")
TOOLS = ("buildah", "podman", "runc", "debootstrap")
LIVEKIT_KEY, LIVEKIT_SECRET = "devkey", "devsecret-devsecret-devsecret-0000"


def image(target: str) -> str:
    return f"{REPOSITORY}:{target}-{TAG}"


def missing_tools() -> list[str]:
    return [t for t in TOOLS if shutil.which(t) is None and not Path("/usr/sbin", t).exists()]


def build_images(log: Path, targets: Sequence[str] = TARGETS, script: Path = BUILD) -> float:
    """Build (or find cached) every target with buildah; returns the seconds it took."""
    started = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.run(["bash", str(script), *targets], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                              env={**os.environ, "BUILDER": "buildah"}, timeout=3600)
    if proc.returncode != 0:
        raise AssertionError(f"image build failed (exit {proc.returncode}); last lines of {log}:\n" + tail(log))
    return time.monotonic() - started


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def podman(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(PODMAN), *args], capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"podman {' '.join(args[:3])} ... failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc


def inspect_image(name: str) -> dict:
    return json.loads(podman("image", "inspect", name).stdout)[0]


def image_size_mb(name: str) -> float:
    return int(podman("image", "inspect", "--format", "{{.Size}}", name).stdout.strip()) / 1e6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Container:
    name: str
    image: str
    run_seconds: float            # `podman run -d` until it returned (create + start)
    started_at: float = field(default_factory=time.monotonic)

    def state(self) -> dict:
        return json.loads(podman("inspect", "--type", "container", self.name).stdout)[0]["State"]

    def logs(self, lines: int = 60) -> str:
        proc = podman("logs", "--tail", str(lines), self.name, check=False)
        return proc.stdout + proc.stderr

    def health(self) -> tuple[bool, str]:
        """Run the image's own HEALTHCHECK command once (what Docker/ECS run on their interval)."""
        proc = podman("healthcheck", "run", self.name, check=False, timeout=60)
        return proc.returncode == 0, (proc.stdout + proc.stderr).strip()

    def wait_healthy(self, timeout: float) -> float:
        """Seconds from `podman run` to the first passing health check; fails if the container exits."""
        deadline = time.monotonic() + timeout
        last = ""
        while True:
            state = self.state()
            if not state.get("Running"):
                raise AssertionError(f"{self.image} exited with {state.get('ExitCode')} before it was healthy:\n"
                                     + self.logs())
            ok, last = self.health()
            if ok:
                return time.monotonic() - self.started_at + self.run_seconds
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.image} not healthy after {timeout:.0f}s ({last}):\n{self.logs()}")
            time.sleep(1.0)

    def wait_exit(self, timeout: float) -> int:
        proc = podman("wait", self.name, timeout=timeout)
        return int(proc.stdout.strip().splitlines()[-1])


@contextmanager
def containers() -> Iterator[Callable[..., Container]]:
    """start(target, env, command=None): a detached container on the host network; all removed after."""
    started: list[Container] = []

    def start(target: str, env: dict[str, str], command: Sequence[str] = (), name: str | None = None,
              image_name: str | None = None) -> Container:
        """`target`: a Dockerfile target (image clinic-dialer:<target>-local), or any image as `image_name`."""
        image_name = image_name or image(target)
        name = name or f"cd-test-{target}-{uuid.uuid4().hex[:8]}"
        args = ["run", "-d", "--name", name, "--network", "host"]
        for key, value in env.items():
            args += ["-e", f"{key}={value}"]
        t0 = time.monotonic()
        podman(*args, image_name, *command, timeout=300)
        c = Container(name, image_name, time.monotonic() - t0)
        started.append(c)
        return c

    try:
        yield start
    finally:
        for c in started:
            podman("rm", "-f", "-t", "2", c.name, check=False, timeout=120)


@contextmanager
def livekit_server(log: Path) -> Iterator[str]:
    """A real LiveKit server (the binary `make livekit` builds) on free loopback ports, in-memory (no Redis):
    its own instance, so the lead's server on 7880 and other runs are untouched. Yields its ws:// URL."""
    binary = Path(os.environ.get("LIVEKIT_SERVER_BIN", ROOT / ".livekit" / "bin" / "server"))
    if not binary.is_file():
        raise AssertionError(f"no LiveKit server at {binary}: `make livekit` (scripts/build_livekit.sh) builds it")
    port = free_port()
    udp = 52000 + (os.getpid() % 60) * 100
    config = (f"port: {port}\nbind_addresses: [127.0.0.1]\n"
              f"rtc: {{tcp_port: 0, port_range_start: {udp}, port_range_end: {udp + 99}, use_external_ip: false,"
              f" node_ip: 127.0.0.1}}\n"
              f"keys: {{{LIVEKIT_KEY}: {LIVEKIT_SECRET}}}\nlogging: {{level: info}}\n")
    with log.open("wb") as out:
        proc = subprocess.Popen([str(binary), "--config-body", config], stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while not port_in_use(port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"LiveKit server did not start:\n{tail(log)}")
                time.sleep(0.2)
            yield f"ws://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
