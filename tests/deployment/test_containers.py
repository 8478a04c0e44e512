"""The service images built and run for real (buildah + podman, no Docker engine needed): every entry point's
container starts against this machine's Postgres and Redis (host network) and a real LiveKit server, and
its own HEALTHCHECK passes; the migration task migrates and exits 0; a worker container killed mid-work
loses no task and dispatches nothing twice; calls dispatched by the worker container are made by the agent
container over the real LiveKit server and SIP service to the SIP phone network, and their outcomes land in
Postgres; docker-compose.yml comes up with podman-compose, every service healthy, and goes down.

The images are the ones `make image` builds (same script, cached layers: a warm run only checks the cache).
Figures (build time, image sizes, start-up times, call and compose times) go to
test-artifacts/containers/figures.json and the test output;
deployment/README.md quotes them. Marked `containers`: deselect with `-m "not containers"`."""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml
from celery import Celery

from clinic.migrate import MIGRATIONS_DIR
from clinic.settings import get_settings
from dialer import planner
from sim.real_call import CallReport, RealCallStack, persona_number, ready_clinic
from tests.deployment.containers import (
    LIVEKIT_KEY,
    LIVEKIT_SECRET,
    ROOT,
    TARGETS,
    Container,
    build_images,
    containers,
    free_port,
    image,
    image_size_mb,
    inspect_image,
    livekit_server,
    missing_tools,
    podman,
    port_in_use,
)
from tests.deployment.manifests import DOCKERFILE, HealthCheck, dockerfile_health, parse_dockerfile
from tests.dialer.conftest import wait_until
from tests.dialer.factories import appointment
from tests.dialer.test_dispatch import _midday_zone
from tests.real_stack.test_real_calls import seconds_of, transcribe

pytestmark = [
    pytest.mark.containers,
    pytest.mark.timeout(1800),
    pytest.mark.skipif(bool(missing_tools()), reason=(
        f"{', '.join(missing_tools())} not installed (`make containers` installs them on Debian; it failed or was"
        " not run): the images cannot be built or run here")),
]

ARTIFACTS = ROOT / "test-artifacts" / "containers"
FIGURES: dict[str, Any] = {"start_seconds": {}, "size_mb": {}}
STAGES = parse_dockerfile(DOCKERFILE.read_text())


@pytest.fixture(scope="module")
def images() -> Iterator[dict[str, str]]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    FIGURES["build_seconds"] = round(build_images(ARTIFACTS / "build.log"), 1)
    yield {t: image(t) for t in TARGETS}
    FIGURES["size_mb"].update({t: round(image_size_mb(image(t))) for t in TARGETS})
    (ARTIFACTS / "figures.json").write_text(json.dumps(FIGURES, indent=2))
    print("\ncontainer figures:", json.dumps(FIGURES))


@pytest.fixture(scope="module")
def livekit_url(images: dict[str, str]) -> Iterator[str]:
    with livekit_server(ARTIFACTS / "livekit-server.log") as url:
        yield url


@pytest.fixture
def run() -> Iterator[Callable[..., Container]]:
    with containers() as start:
        yield start


COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def app_env(service: str, db_url: str, prefix: str, livekit_url: str = "ws://127.0.0.1:9",
            **extra: str) -> dict[str, str]:
    """The environment docker-compose.yml declares for `service` (defaults of its ${VAR:-default}), with the
    compose network's host names pointed at this machine (host network) and this test's own database, LiveKit
    server, queue and agent name. So each container also proves the compose service's settings start it."""
    declared = {k: re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(v)) for k, v in COMPOSE[service]["environment"].items()}
    assert re.fullmatch(r"postgresql://[^@]+@postgres:5432/\w+", declared["DATABASE_URL"]), declared["DATABASE_URL"]
    assert declared["REDIS_URL"].startswith("redis://redis:6379/"), declared["REDIS_URL"]
    assert declared["LIVEKIT_URL"] == "ws://livekit:7880", declared["LIVEKIT_URL"]
    env = {**declared, "DATABASE_URL": db_url, "REDIS_URL": get_settings().redis_url, "LIVEKIT_URL": livekit_url}
    assert (env["LIVEKIT_API_KEY"], env["LIVEKIT_API_SECRET"]) == (LIVEKIT_KEY, LIVEKIT_SECRET)
    return {**env, "AGENT_NAME": f"{prefix}agent", "DIALER_QUEUE": f"{prefix}dialer",
            "DIALER_PACING_PREFIX": f"{prefix}pace:", **extra}


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    p = f"ct{uuid.uuid4().hex[:8]}-"
    yield p
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{p}*"):
        client.delete(key)


# ------------------------------------------------------------------------------------------------ the images

def test_every_target_is_built_non_root_with_its_declared_command_and_health_check(images: dict[str, str]) -> None:
    for target, name in images.items():
        inspected = inspect_image(name)
        config = inspected["Config"]
        assert config["User"] == "10001:10001", f"{target} runs as {config['User']!r}"
        stage = STAGES[target]
        assert config["Cmd"] == stage.cmd, f"{target}: image CMD {config['Cmd']} != Dockerfile {stage.cmd}"
        assert sorted(int(p.split("/")[0]) for p in config.get("ExposedPorts") or {}) == sorted(stage.expose)
        health = inspected.get("Healthcheck") or {}
        built = None if health.get("Test", ["NONE"]) == ["NONE"] else HealthCheck(
            test=tuple(health["Test"]), interval=health["Interval"] // 10**9, timeout=health["Timeout"] // 10**9,
            start_period=health["StartPeriod"] // 10**9, retries=health["Retries"])
        assert built == dockerfile_health(stage.healthcheck), f"{target}: built health check {health}"
    # The React page is in the token server's static files, owned by root (the app user cannot rewrite it).
    out = podman("run", "--rm", images["token-server"], "sh", "-c",
                 "id -u; stat -c %U token_server/static/index.html; touch token_server/static/x 2>&1 || true").stdout
    uid, owner, touch = out.strip().splitlines()[:3]
    assert (uid, owner) == ("10001", "root") and "Permission denied" in touch, out


# ------------------------------------------------------------------------------------------------ migrate

def test_migration_task_migrates_an_empty_database_and_exits_0(images: dict[str, str], empty_db_url: str,
                                                               run: Callable[..., Container], prefix: str) -> None:
    import psycopg

    c = run("migrate", app_env("migrate", empty_db_url, prefix))
    assert c.wait_exit(300) == 0, c.logs()
    FIGURES["start_seconds"]["migrate (to exit)"] = round(time.monotonic() - c.started_at + c.run_seconds, 1)
    with psycopg.connect(empty_db_url) as conn:
        applied = {r[0] for r in conn.execute("SELECT name FROM schema_migrations")}
    assert len(applied) == len(list(MIGRATIONS_DIR.glob("*.sql"))), applied
    again = run("migrate", app_env("migrate", empty_db_url, prefix))
    assert again.wait_exit(300) == 0 and "already up to date" in again.logs(), again.logs()


# ------------------------------------------------------------------------------------------------ services

def test_token_server_container_is_healthy_and_serves_the_page(images: dict[str, str], db_url: str, prefix: str,
                                                              run: Callable[..., Container]) -> None:
    port = free_port()
    c = run("token-server", app_env("token-server", db_url, prefix, TOKEN_SERVER_PORT=str(port),
                                    HEALTHCHECK_URL=f"http://127.0.0.1:{port}/health"))
    FIGURES["start_seconds"]["token-server"] = round(c.wait_healthy(120), 1)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as resp:
        page = resp.read().decode()
    assert resp.status == 200 and '<div id="root">' in page and "/assets/" in page, page[:500]


def test_worker_and_beat_containers_are_healthy_and_beat_drives_the_worker(
        images: dict[str, str], db_url: str, prefix: str, run: Callable[..., Container]) -> None:
    env = app_env("dialer-worker", db_url, prefix, DIALER_TICK_SECONDS="5")
    assert app_env("beat", db_url, prefix, DIALER_TICK_SECONDS="5") == env
    worker = run("dialer-worker", env)
    beat = run("beat", env)
    FIGURES["start_seconds"]["dialer-worker"] = round(worker.wait_healthy(180), 1)
    FIGURES["start_seconds"]["beat"] = round(beat.wait_healthy(180), 1)
    # Beat's ticks reach the worker through Redis and the planner runs against Postgres.
    wait_until(lambda: "dialer.tasks.plan_tick" in worker.logs(400) and "succeeded" in worker.logs(400), 60,
               "a planner tick sent by beat to succeed in the worker")


def test_agent_container_is_healthy_and_registers_with_livekit(images: dict[str, str], db_url: str, prefix: str,
                                                               livekit_url: str,
                                                               run: Callable[..., Container]) -> None:
    assert not port_in_use(8081), "port 8081 (the agent's health endpoint, host network) is taken on this machine"
    c = run("agent", app_env("agent", db_url, prefix, livekit_url))
    FIGURES["start_seconds"]["agent"] = round(c.wait_healthy(240), 1)
    # Healthy only means "not yet failed to connect": registration is what lets it take calls.
    wait_until(lambda: "registered worker" in c.logs(400), 60, "the agent to register with LiveKit")


# ------------------------------------------------------------------------------------------------ crash

def _dispatched(conn: Any, ids: list[int]) -> int:
    conn.commit()
    return conn.execute("SELECT count(*) AS n FROM call_attempts WHERE id = ANY(%s) AND status = 'dispatched'",
                        (ids,)).fetchone()["n"]


async def _dispatches_per_room(url: str, rooms: list[str], agent_name: str) -> dict[str, int]:
    from livekit import api

    async with api.LiveKitAPI(url.replace("ws://", "http://"), LIVEKIT_KEY, LIVEKIT_SECRET) as lk:
        return {room: sum(d.agent_name == agent_name for d in await lk.agent_dispatch.list_dispatch(room))
                for room in rooms}


# Found by this test against the real LiveKit server (v1.13.5): a redelivered dispatch first asks
# ListDispatch(room) whether it already dispatched, and for a room that does not exist yet (the killed task
# never reached CreateDispatch) the server answers 503 "no response from servers". dialer/dispatch.py took
# that for a transient error, retried 5 times and failed the attempt: the call was never made. (The LiveKit
# stand-in answers an empty list.) dialer/dispatch.py now asks whether the room exists first; this test passes.
def test_worker_container_killed_mid_work_loses_no_dispatch_and_sends_none_twice(
        images: dict[str, str], db_url: str, conn: Any, make_clinic: Callable[..., dict[str, Any]], prefix: str,
        redis_url: str, livekit_url: str, run: Callable[..., Container]) -> None:
    n = 12
    # 0.5 calls/s on the trunk: the four worker processes sleep in the pacer or hold deferred tasks, so the
    # SIGKILL lands with tasks reserved (unacked) as well as still queued.
    clinic = make_clinic(calling_hours="00:00-23:59", timezone="UTC", state=None, closed_weekdays=[],
                         max_concurrent_calls=n, calls_per_second=0.5, sip_trunk_id=f"ST_{prefix}")
    now, tz = datetime.now(UTC), _midday_zone()
    for i in range(n):
        appointment(conn, clinic["id"], f"K{i}", now + timedelta(days=2), phone=f"+1415555{i:04d}", tz=tz)
    conn.commit()
    ids = [d["attempt_id"] for d in planner.plan_clinic(conn, clinic, now).dial]
    conn.commit()
    assert len(ids) == n
    env = app_env("dialer-worker", db_url, prefix, livekit_url)
    # No agent worker runs here, so LiveKit drops every job and the dialer's dispatch check would rightly end each
    # attempt `lost` 20 s on (tests/dialer/test_dispatch.py). What this test counts is dispatches: check off.
    env["DIALER_DISPATCH_CHECK_SECONDS"] = "0"
    producer = Celery(broker=redis_url)
    for attempt_id in ids:
        producer.send_task("dialer.tasks.dispatch", args=(attempt_id,), queue=env["DIALER_QUEUE"])

    first = run("dialer-worker", env)
    wait_until(lambda: _dispatched(conn, ids) >= 3, 180, "the first worker container to dispatch 3 attempts")
    podman("kill", "--signal", "KILL", first.name)
    assert first.wait_exit(60) != 0
    done_before = _dispatched(conn, ids)
    assert done_before < n, "the worker finished everything before the kill: nothing was tested"

    # Every undispatched attempt's task is still in Redis: queued, or reserved by the dead worker (unacked).
    client = redis.Redis.from_url(redis_url)
    ours = {tag: json.loads(raw) for tag, raw in client.hgetall("unacked").items()
            if json.loads(raw)[2] == env["DIALER_QUEUE"]}
    queued = client.llen(env["DIALER_QUEUE"])
    assert ours, "no task was mid-work when the worker died"
    assert queued + len(ours) >= n - done_before, (queued, len(ours), n, done_before)
    # Kombu hands an unacked task to another worker once the visibility timeout (an hour, dialer.celery_app)
    # has passed since its delivery. Age our deliveries by that hour instead of waiting it out.
    timeout = 3600
    for tag in ours:
        score = client.zscore("unacked_index", tag)
        assert score is not None
        client.zadd("unacked_index", {tag: score - timeout - 1})

    second = run("dialer-worker", env)
    try:
        wait_until(lambda: _dispatched(conn, ids) == n or not second.state()["Running"], 180,
                   "the second worker container to dispatch every attempt")
    except AssertionError as exc:
        left = [tag for tag, raw in client.hgetall("unacked").items() if json.loads(raw)[2] == env["DIALER_QUEUE"]]
        statuses = conn.execute("SELECT status, count(*) FROM call_attempts GROUP BY 1").fetchall()
        raise AssertionError(f"{exc}: {_dispatched(conn, ids)}/{n} dispatched, {done_before} before the kill;"
                             f" queued {client.llen(env['DIALER_QUEUE'])}, unacked {len(left)};"
                             f" statuses {statuses}"
                             f"\nsecond worker:\n{second.logs(200)}\nfirst worker:\n{first.logs(100)}") from None
    assert _dispatched(conn, ids) == n, second.logs()
    rooms = [r["room_name"] or f"call-{r['id']}" for r in conn.execute(
        "SELECT id, room_name FROM call_attempts WHERE id = ANY(%s)", (ids,)).fetchall()]
    per_room = asyncio.run(_dispatches_per_room(livekit_url, rooms, env["AGENT_NAME"]))
    assert set(per_room.values()) == {1}, f"dispatches per room: {per_room}"
    FIGURES["crash"] = {"attempts": n, "dispatched_before_kill": done_before, "unacked_at_kill": len(ours),
                        "queued_at_kill": queued}


# ------------------------------------------------------------------------------------------------ compose

COMPOSE_SH = ROOT / "deployment" / "local" / "compose.sh"
APP_SERVICES = ("migrate", "token-server", "dialer-worker", "beat", "agent")


class _ComposeLoader(yaml.SafeLoader):
    """Compose's merge tags (`!reset`, `!override`) read as their plain values."""


for _tag in ("!reset", "!override"):
    _ComposeLoader.add_constructor(_tag, lambda loader, node: (
        loader.construct_sequence(node) if isinstance(node, yaml.SequenceNode)
        else loader.construct_mapping(node) if isinstance(node, yaml.MappingNode) else loader.construct_scalar(node)))
COMPOSE_HOST = yaml.load((ROOT / "deployment" / "local" / "compose.host.yml").read_text(), _ComposeLoader)["services"]


def compose(project: str, env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(COMPOSE_SH), *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          env={**os.environ, **env, "COMPOSE_PROJECT_NAME": project})


def test_compose_file_comes_up_with_podman_compose_each_service_healthy_then_down(
        images: dict[str, str], empty_db_url: str, prefix: str, redis_url: str, livekit_url: str) -> None:
    """docker-compose.yml itself, brought up by podman-compose (deployment/local/compose.sh: with
    docker-compose.selfhosted.yml's host network and deployment/local/compose.host.yml's local images and
    stand-ins for the host's Postgres and Redis): the migration runs on an empty database and exits 0, every
    long-running service starts with its Dockerfile command and compose's environment and passes its health
    check, and `down` removes them all. This test's own database, queue, agent name, ports and LiveKit server."""
    import psycopg

    assert not set(COMPOSE) - set(COMPOSE_HOST) - {"flower", "livekit", "sip"}, "a service compose.host.yml misses"
    project = f"cdtest{prefix.rstrip('-')}"
    token_port, agent_port = free_port(), free_port()
    env = {"DATABASE_URL": empty_db_url, "REDIS_URL": redis_url, "LIVEKIT_URL": livekit_url,
           "AGENT_NAME": f"{prefix}agent", "DIALER_QUEUE": f"{prefix}dialer", "DIALER_PACING_PREFIX": f"{prefix}pace:",
           "TOKEN_SERVER_PORT": str(token_port), "AGENT_HTTP_PORT": str(agent_port)}
    started = time.monotonic()
    try:
        up = compose(project, env, "up", "-d", "--no-build", *APP_SERVICES)
        up_seconds = time.monotonic() - started
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        healthy: dict[str, float] = {}
        for service in ("postgres", "redis", "token-server", "dialer-worker", "beat", "agent"):
            c = Container(f"{project}_{service}_1", service, 0.0, started_at=started)
            healthy[service] = round(c.wait_healthy(240), 1)
            config = json.loads(podman("inspect", "--type", "container", c.name).stdout)[0]["Config"]
            if service in STAGES:   # an app service: the Dockerfile's command, compose's environment
                assert config["Cmd"] == STAGES[service].cmd, (service, config["Cmd"])
                declared = {k: str(v) for k, v in COMPOSE[service]["environment"].items()
                            if "$" not in str(v) and k not in ("DATABASE_URL", "REDIS_URL", "TOKEN_SERVER_HOST")}
                got = dict(e.split("=", 1) for e in config["Env"])
                assert {k: got.get(k) for k in declared} == declared, service
                assert got["DATABASE_URL"] == empty_db_url and got["DIALER_QUEUE"] == env["DIALER_QUEUE"], service
        migrate = Container(f"{project}_migrate_1", "migrate", 0.0)
        assert migrate.wait_exit(120) == 0, migrate.logs()
        with psycopg.connect(empty_db_url) as c:
            applied = c.execute("SELECT count(*) FROM schema_migrations").fetchone()
        assert applied is not None and applied[0] == len(list(MIGRATIONS_DIR.glob("*.sql")))
        agent = Container(f"{project}_agent_1", "agent", 0.0)
        wait_until(lambda: "registered worker" in agent.logs(400), 90, "the compose agent to register with LiveKit")
        all_healthy = time.monotonic() - started
        t0 = time.monotonic()
        down = compose(project, env, "down", "-t", "10")
        down_seconds = time.monotonic() - t0
        assert down.returncode == 0, down.stderr[-3000:]
        left = podman("ps", "-a", "-q", "--filter", f"label=io.podman.compose.project={project}").stdout.split()
        assert left == [], f"containers left after down: {left}"
    finally:
        compose(project, env, "down", "-t", "2")
    FIGURES["compose"] = {"up_command_seconds": round(up_seconds, 1), "up_to_all_healthy_seconds":
                          round(all_healthy, 1), "healthy_seconds": healthy, "down_seconds": round(down_seconds, 1)}


# ------------------------------------------------------------------------------------------------ selfhosted

# ------------------------------------------------------------------------------------------------ a real call

# What RealCallStack sets for its host processes that the containers need too: the stack's namespace (agent name,
# Celery queue, pacing keys, simulated clock), the shared LiveKit server, the local speech backend.
_STACK_KEYS = ("DATABASE_URL", "REDIS_URL", "LIVEKIT_", "AGENT_NAME", "AGENT_MAX_JOBS", "AGENT_IDLE_PROCESSES",
               "DIALER_", "SPEECH_BACKEND")


def _stack_env(stack: RealCallStack) -> dict[str, str]:
    return {k: v for k, v in stack.env().items() if k.startswith(_STACK_KEYS)}


@pytest.fixture
def phone_stack(db_url: str, tmp_path: Path) -> Iterator[RealCallStack]:
    """RealCallStack's pieces without its host processes: the shared LiveKit server and SIP service, the host's
    local speech server, the SIP phone network and the simulated clock. The agent and Celery worker are the
    containers the test starts. Attempt ids start somewhere of their own (rooms are `call-<id>` on the shared
    server), as tests/real_stack does."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as c:
        c.execute("SELECT setval('call_attempts_id_seq', %s)", (secrets.randbelow(10**9) + 10**6,))
    with RealCallStack(database_url=db_url, workdir=tmp_path / "stack", processes=(), phone_port=None,
                       personas={persona_number(p): p for p in CALL_PERSONAS},
                       phone_options=("--ring-timeout", "12", "--answer-after", "0.5", "--max-call", "60")) as stack:
        yield stack


CALL_PERSONAS = ("voicemail", "confirmer", "keypad_opt_out", "busy")


def test_a_call_dispatched_by_the_worker_container_is_made_by_the_agent_container_over_sip(
        images: dict[str, str], phone_stack: RealCallStack, prefix: str, run: Callable[..., Container]) -> None:
    """The production chain with both services in their images: the attempt's dispatch task runs in the
    dialer-worker container (CreateDispatch on the real LiveKit server), the agent container takes the job,
    dials through LiveKit SIP and the clinic's trunk to the SIP phone network, holds the conversation with local
    speech (the host's speech server) and writes the outcome to Postgres."""
    stack = phone_stack
    with stack.connect() as c:
        clinic = ready_clinic(c, "containers")
    clinic, _ = stack.ensure_trunk(clinic)
    url = stack.env()["LIVEKIT_URL"]
    shared = _stack_env(stack)
    health_port = free_port()
    t0 = time.monotonic()
    agent = run("agent", {**app_env("agent", stack.database_url, prefix, url), **shared,
                          "AGENT_HTTP_HOST": "127.0.0.1", "AGENT_HTTP_PORT": str(health_port),
                          "HEALTHCHECK_URL": f"http://127.0.0.1:{health_port}/"})
    worker = run("dialer-worker", {**app_env("dialer-worker", stack.database_url, prefix, url), **shared})
    agent.wait_healthy(240)
    worker.wait_healthy(180)
    wait_until(lambda: "registered worker" in agent.logs(400), 90, "the agent container to register with LiveKit")
    FIGURES["call_containers_ready_seconds"] = round(time.monotonic() - t0, 1)

    def call(persona: str) -> CallReport:
        try:
            report = stack.place_call(clinic, persona, timeout=240)
        except Exception:
            raise AssertionError(f"agent:\n{agent.logs(200)}\nworker:\n{worker.logs(100)}") from None
        assert report.phone_record is not None and report.phone_record["persona"] == persona, report.as_json()
        calls[persona] = round(report.seconds, 1)
        return report

    def detail(report: CallReport) -> str:
        return f"{report.as_json()}\nagent container:\n{agent.logs(150)}\nworker container:\n{worker.logs(60)}"

    calls: dict[str, float] = {}
    # The voicemail box: the agent container's AMD classifies the box's spoken greeting on audio, and its TTS
    # (the host's speech server) leaves a message the box records: the clinic's name, no appointment detail.
    report = call("voicemail")
    assert report.outcome == "voicemail_left", detail(report)
    message = report.phone_record.get("message_recording") if report.phone_record else None
    assert message and seconds_of(message) > 2.0, detail(report)
    heard = transcribe(stack, message).lower()
    # The clinic's name ("Sunrise Family Medicine"; Whisper tiny has heard "semirite's family medicine") and
    # nothing about the appointment.
    assert ("sunrise" in heard or "family medicine" in heard), heard
    assert not any(d in heard for d in ("patel", "main street", "9:30")), heard
    # A patient who says who they are and that they will come: the agent container's local STT hears both answers,
    # its TTS says the appointment only after the identity answer, and its tool confirms it in Postgres.
    report = call("confirmer")
    assert (report.outcome, report.appointment_status) == ("confirmed", "confirmed"), detail(report)
    # A person who presses 9: the agent container greets them, reads the RFC 2833 digit and its tool writes the
    # opt-out and the DNC entry in Postgres.
    report = call("keypad_opt_out")
    assert report.outcome == "opted_out" and report.sip_call_id, detail(report)
    assert any(t["role"] == "agent" for t in report.transcript), detail(report)
    with stack.connect() as c:
        assert c.execute("SELECT 1 FROM dnc WHERE phone = %s", (report.phone,)).fetchone() is not None
    # A busy line: the SIP code comes back through LiveKit SIP to the agent, the retry policy keeps it pending.
    report = call("busy")
    assert (report.outcome, report.sip_status_code, report.appointment_status) == ("busy", 486, "pending"), \
        detail(report)
    # Each task ran in the worker container, each call in the agent container: no host process has this
    # stack's queue or agent name (RealCallStack started none).
    assert worker.logs(2000).count("dialer.tasks.dispatch[") >= 2 * len(calls), worker.logs(100)
    assert agent.logs(5000).count("received job request") == len(calls), agent.logs(100)
    FIGURES["call_seconds"] = calls   # from the dispatch task sent to the outcome in Postgres


def test_selfhosted_livekit_images_build_from_the_pinned_binaries_and_run(
        images: dict[str, str], run: Callable[..., Container]) -> None:
    """compose's `selfhosted` profile: livekit/livekit-server:v1.13.5 and livekit/sip:v1.8.0 built from
    .livekit/bin (deployment/livekit/build_images.sh) start with compose's command form (`--config ...`)."""
    FIGURES["livekit_images_build_seconds"] = round(
        build_images(ARTIFACTS / "livekit-build.log", (), ROOT / "deployment" / "livekit" / "build_images.sh"), 1)
    port = free_port()
    config = f"port: {port}\nbind_addresses: [127.0.0.1]\nrtc: {{tcp_port: 0, port_range_start: 51900," \
             f" port_range_end: 51999, node_ip: 127.0.0.1}}\nkeys: {{{LIVEKIT_KEY}: {LIVEKIT_SECRET}}}\n"
    server = run("livekit", {}, ["--config-body", config], image_name="livekit/livekit-server:v1.13.5")

    def answers() -> bool:
        assert server.state()["Running"], server.logs()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                return resp.status == 200
        except OSError:
            return False
    wait_until(answers, 60, "the LiveKit server container to answer")
    sip = podman("run", "--rm", "livekit/sip:v1.8.0", "--help")
    assert "--config" in sip.stdout, sip.stdout + sip.stderr   # the binary starts: its libraries resolve
    FIGURES["size_mb"]["livekit-server"] = round(image_size_mb("livekit/livekit-server:v1.13.5"))
    FIGURES["size_mb"]["livekit-sip"] = round(image_size_mb("livekit/sip:v1.8.0"))
