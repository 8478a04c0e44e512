"""Self-hosted LiveKit on this machine: the open-source server and SIP service built by `make livekit`,
started with the very config files docker-compose's `selfhosted` profile mounts (deployment/livekit/), on
127.0.0.1, with the project's Redis.

    python -m sim.livekit_stack start [--json]    # build if needed, start what is not answering, wait
    python -m sim.livekit_stack status [--json]
    python -m sim.livekit_stack stop

Both run detached (their own sessions), log to .run/livekit/*.log and keep pid files there, so a test run,
`sim call` and a person at a shell share one pair and `stop` ends it. "Answering" means the server's HTTP
port says OK and the SIP service answers a SIP OPTIONS on 127.0.0.1:5060."""

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
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import typer
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".livekit" / "bin"
RUN = ROOT / ".run" / "livekit"
SERVER_CONFIG = ROOT / "deployment" / "livekit" / "livekit.yaml"
SIP_CONFIG = ROOT / "deployment" / "livekit" / "sip.yaml"


@dataclass(frozen=True)
class Endpoints:
    """Where the stack answers, read from the config files (one source of truth)."""

    http_url: str            # LiveKit API / signalling (http://127.0.0.1:7880)
    api_key: str
    api_secret: str
    sip_host: str
    sip_port: int
    webhook_urls: tuple[str, ...]

    @property
    def ws_url(self) -> str:
        return self.http_url.replace("http://", "ws://", 1)


def endpoints() -> Endpoints:
    server = yaml.safe_load(SERVER_CONFIG.read_text())
    sip = yaml.safe_load(SIP_CONFIG.read_text())
    host = (server.get("bind_addresses") or ["127.0.0.1"])[0] or "127.0.0.1"
    (key, secret), = server["keys"].items()
    return Endpoints(http_url=f"http://{host}:{server['port']}", api_key=key, api_secret=secret,
                     sip_host=sip.get("listen_ip", "127.0.0.1"), sip_port=int(sip.get("sip_port", 5060)),
                     webhook_urls=tuple((server.get("webhook") or {}).get("urls") or ()))


def server_answers(ep: Endpoints, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(ep.http_url + "/", timeout=timeout) as resp:
            return resp.status == 200
    except OSError:
        return False


def sip_answers(ep: Endpoints, timeout: float = 1.0) -> bool:
    """Send a SIP OPTIONS over UDP and wait for any final response."""
    tag = uuid.uuid4().hex
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(timeout)
        port = s.getsockname()[1]
        target = f"sip:{ep.sip_host}:{ep.sip_port}"
        msg = (f"OPTIONS {target} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{tag[:12]}\r\n"
               f"Max-Forwards: 70\r\nTo: <{target}>\r\nFrom: <sip:probe@127.0.0.1:{port}>;tag={tag[:8]}\r\n"
               f"Call-ID: {tag}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
        try:
            s.sendto(msg.encode(), (ep.sip_host, ep.sip_port))
            data, _ = s.recvfrom(4096)
        except OSError:
            return False
    return data.startswith(b"SIP/2.0 2")


def _pid(name: str) -> int | None:
    try:
        pid = int((RUN / f"{name}.pid").read_text())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except OSError:
        return None
    return pid


def build() -> None:
    """`make livekit`'s script: builds the pinned binaries once, then returns at once."""
    subprocess.run(["bash", str(ROOT / "scripts" / "build_livekit.sh")], check=True,
                   stdout=sys.stderr if sys.stderr else None)


def _spawn(name: str, cmd: list[str]) -> None:
    RUN.mkdir(parents=True, exist_ok=True)
    with (RUN / f"{name}.log").open("ab") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    (RUN / f"{name}.pid").write_text(str(proc.pid))


def _wait(what: str, check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"LiveKit {what} did not answer within {timeout:.0f}s; see {RUN / (what + '.log')}")


def status() -> dict[str, object]:
    ep = endpoints()
    return {"server": server_answers(ep), "sip": sip_answers(ep), "server_pid": _pid("server"),
            "sip_pid": _pid("sip"), "url": ep.http_url, "sip_address": f"{ep.sip_host}:{ep.sip_port}",
            "logs": str(RUN)}


def start(timeout: float = 60.0) -> Endpoints:
    """Start whatever is not answering (building first if needed) and wait until both answer."""
    ep = endpoints()
    if not server_answers(ep):
        build()
        _spawn("server", [str(BIN / "server"), "--config", str(SERVER_CONFIG)])
        _wait("server", lambda: server_answers(ep), timeout)
    if not sip_answers(ep, timeout=0.5):
        build()
        _spawn("sip", [str(BIN / "livekit-sip"), "--config", str(SIP_CONFIG)])
        _wait("sip", lambda: sip_answers(ep, timeout=0.5), timeout)
    return ep


def kill(name: str) -> bool:
    """SIGKILL the `server` or `sip` process (a crash, for the fault tests); `start()` brings it back. Found by
    its pid file, else by its command line (another checkout of the project may have started it)."""
    pid = _pid(name)
    if pid is None:
        binary = "server" if name == "server" else "livekit-sip"
        found = subprocess.run(["pgrep", "-f", f".livekit/bin/{binary} --config"], capture_output=True, text=True)
        pids = [int(p) for p in found.stdout.split()]
        if not pids:
            return False
        for other in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(other, signal.SIGKILL)
        time.sleep(0.5)
        return True
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    for _ in range(50):
        if _pid(name) is None:
            break
        time.sleep(0.1)
    (RUN / f"{name}.pid").unlink(missing_ok=True)
    return True


def stop() -> list[str]:
    stopped = []
    for name in ("sip", "server"):
        pid = _pid(name)
        if pid is None:
            continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        for _ in range(50):
            if _pid(name) is None:
                break
            time.sleep(0.1)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        (RUN / f"{name}.pid").unlink(missing_ok=True)
        stopped.append(name)
    return stopped


app = typer.Typer(help="Self-hosted LiveKit server + SIP on 127.0.0.1 (configs in deployment/livekit/).",
                  no_args_is_help=True, pretty_exceptions_show_locals=False)


@app.command("start")
def _start(as_json: bool = typer.Option(False, "--json", help="Print the status as one JSON object")) -> None:
    """Build if needed, start the server and SIP service if they are not answering, wait until they do."""
    try:
        start()
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    _print(status(), as_json)


@app.command("status")
def _status(as_json: bool = typer.Option(False, "--json", help="Print the status as one JSON object")) -> None:
    """Say whether the server and SIP service answer (exit 1 if either does not)."""
    st = status()
    _print(st, as_json)
    if not (st["server"] and st["sip"]):
        raise typer.Exit(1)


@app.command("stop")
def _stop() -> None:
    """Stop the server and SIP service started by `start`."""
    stopped = stop()
    typer.echo("stopped: " + (", ".join(stopped) or "nothing was running"))


def _print(st: dict[str, object], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(st))
    else:
        typer.echo(f"server {'answers' if st['server'] else 'DOWN'} at {st['url']}; "
                   f"SIP {'answers' if st['sip'] else 'DOWN'} at {st['sip_address']}; logs in {st['logs']}")


if __name__ == "__main__":
    app()
