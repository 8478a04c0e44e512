"""Compose files: they parse, every built service names an existing Dockerfile stage whose entry point
exists, exactly one beat, and production keys never sit in a compose file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deployment.manifests import (
    COMPOSE_FILES,
    DEPLOYMENT,
    DOCKERFILE,
    ROOT,
    SECRET_NAME,
    entry_module,
    parse_command,
    parse_dockerfile,
    require_entry_module,
)

STAGES = parse_dockerfile(DOCKERFILE.read_text())


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict) and isinstance(data.get("services"), dict), f"{path.name}: no services"
    return data


def built_services(path: Path) -> list[tuple[str, dict[str, Any]]]:
    return [(n, s) for n, s in load(path)["services"].items() if isinstance(s.get("build"), dict)]


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_every_built_service_points_at_a_stage_and_an_existing_entry_point(path: Path) -> None:
    services = built_services(path)
    assert {n for n, _ in services} >= {"migrate", "token-server", "dialer-worker", "beat", "agent"}
    for name, service in services:
        build = service["build"]
        dockerfile = (path.parent / build.get("context", ".") / build.get("dockerfile", "Dockerfile")).resolve()
        assert dockerfile == DOCKERFILE, f"{path.name}:{name} builds {dockerfile}, not deployment/Dockerfile"
        target = build.get("target")
        assert target in STAGES, f"{path.name}:{name} target {target!r} is not a Dockerfile stage"
        command = parse_command(service["command"]) if "command" in service else STAGES[target].cmd
        module = entry_module(command)
        assert module, f"{path.name}:{name} runs no python module: {command}"
        require_entry_module(module, command, f"{path.name}:{name}")


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_exactly_one_beat(path: Path) -> None:
    beats = [(n, s) for n, s in load(path)["services"].items()
             if "beat" in (s.get("build", {}) or {}).get("target", "") or "beat" in str(s.get("command", ""))]
    assert len(beats) == 1, f"{path.name}: {len(beats)} beat services"
    name, service = beats[0]
    assert service.get("deploy", {}).get("replicas", 1) == 1, f"{path.name}:{name} runs more than one beat"


def test_local_stack_has_the_services_and_a_selfhosted_livekit_profile() -> None:
    services = load(ROOT / "docker-compose.yml")["services"]
    assert {"postgres", "redis", "migrate", "token-server", "dialer-worker", "beat", "agent", "flower"} <= set(services)
    selfhosted = {n for n, s in services.items() if "selfhosted" in s.get("profiles", [])}
    assert selfhosted == {"livekit", "sip"}
    assert services["livekit"]["image"].startswith("livekit/livekit-server")
    assert services["sip"]["image"].startswith("livekit/sip")
    for name in ("livekit", "sip"):
        for volume in services[name]["volumes"]:
            assert (ROOT / volume.split(":")[0]).is_file(), f"{name} mounts a missing config {volume}"
    for name in ("token-server", "dialer-worker", "beat", "agent"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_livekit_server_and_sip_share_keys_and_redis() -> None:
    server = yaml.safe_load((DEPLOYMENT / "livekit" / "livekit.yaml").read_text())
    sip = yaml.safe_load((DEPLOYMENT / "livekit" / "sip.yaml").read_text())
    assert server["keys"].get(sip["api_key"]) == sip["api_secret"], "sip.yaml key pair is not in livekit.yaml"
    assert server["redis"]["address"] == sip["redis"]["address"], "SIP and server must share one Redis"
    assert sip["ws_url"].endswith(f":{server['port']}")
    compose = load(ROOT / "docker-compose.yml")["services"]
    env = compose["token-server"]["environment"]
    assert sip["api_key"] in env["LIVEKIT_API_KEY"] and sip["api_secret"] in env["LIVEKIT_API_SECRET"]


def test_production_compose_takes_keys_only_from_the_env_file() -> None:
    for name, service in load(DEPLOYMENT / "docker-compose.prod.yml")["services"].items():
        environment = service.get("environment") or {}
        names = environment if isinstance(environment, dict) else [e.split("=")[0] for e in environment]
        leaked = [n for n in names if SECRET_NAME.search(n)]
        assert not leaked, f"docker-compose.prod.yml:{name} sets {leaked} inline; put them in .env.prod"


def _pin(script: Path, name: str) -> str | None:
    import re

    m = re.search(rf"^{name}=(v[0-9.]+)", script.read_text(), re.MULTILINE) if script.exists() else None
    return m.group(1) if m else None


def test_selfhosted_livekit_images_are_pinned_to_the_versions_built_here() -> None:
    services = load(ROOT / "docker-compose.yml")["services"]
    server_tag = services["livekit"]["image"].split(":", 1)[1]
    sip_tag = services["sip"]["image"].split(":", 1)[1]
    local_build = DEPLOYMENT / "livekit" / "build_images.sh"
    # The compose default, the local image build (from .livekit/bin) and the binaries' build agree.
    assert server_tag == "${LIVEKIT_SERVER_TAG:-v1.13.5}" and _pin(local_build, "SERVER_TAG") == "v1.13.5"
    assert sip_tag == "${LIVEKIT_SIP_TAG:-v1.8.0}" and _pin(local_build, "SIP_TAG") == "v1.8.0"
    binaries = ROOT / "scripts" / "build_livekit.sh"
    if binaries.exists():
        assert _pin(binaries, "SERVER_VERSION") == "v1.13.5" and _pin(binaries, "SIP_VERSION") == "v1.8.0"
    for name in ("server", "sip"):
        dockerfile = DEPLOYMENT / "livekit" / f"{name}.Dockerfile"
        assert "ENTRYPOINT" in dockerfile.read_text(), f"{dockerfile.name} must keep the official entry point"
