"""One truth for how each service runs: the ECS task definitions and the compose files use exactly the
command, port and health check (command and timings) of the Dockerfile target they run, which
tests/deployment/test_containers.py proves by building and running the image (it also checks that the
built image carries the Dockerfile's CMD and HEALTHCHECK). A task that overrides any of them with something
else would run an untested configuration in production."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deployment.manifests import (
    COMPOSE_FILES,
    DOCKERFILE,
    ROOT,
    HealthCheck,
    compose_health,
    dockerfile_health,
    ecs_health,
    image_target,
    load_template,
    parse_command,
    parse_dockerfile,
    resources,
)

STAGES = parse_dockerfile(DOCKERFILE.read_text())
APP = load_template(ROOT / "deployment" / "cloudformation" / "app.yaml")
TASKS = {name: t["Properties"]["ContainerDefinitions"][0]
         for name, t in resources(APP, "AWS::ECS::TaskDefinition").items()}


def _ids(value: Any) -> str:
    return str(value)


@pytest.mark.parametrize("task", sorted(TASKS), ids=_ids)
def test_ecs_task_runs_the_image_command_port_and_health_check(task: str) -> None:
    container = TASKS[task]
    target = image_target(container["Image"])
    assert target in STAGES, f"{task}: image {container['Image']} names no Dockerfile target"
    stage = STAGES[target]
    assert container.get("Command", stage.cmd) == stage.cmd, (
        f"{task}: Command {container.get('Command')} differs from the image's CMD {stage.cmd}")
    ports = sorted(p["ContainerPort"] for p in container.get("PortMappings", []))
    assert ports == sorted(stage.expose), f"{task}: ports {ports}, the image exposes {stage.expose}"
    assert ecs_health(container.get("HealthCheck")) == dockerfile_health(stage.healthcheck), (
        f"{task}: HealthCheck {container.get('HealthCheck')} differs from the image's {stage.healthcheck}")


def test_every_service_target_has_a_task_definition() -> None:
    targets = {image_target(c["Image"]) for c in TASKS.values()}
    assert targets == {"migrate", "token-server", "dialer-worker", "beat", "agent"}


def test_load_balancer_sends_traffic_to_the_port_the_token_server_listens_on() -> None:
    (group,) = resources(APP, "AWS::ElasticLoadBalancingV2::TargetGroup").values()
    assert [group["Properties"]["Port"]] == STAGES["token-server"].expose
    (service,) = [s for s in resources(APP, "AWS::ECS::Service").values()
                  if s["Properties"].get("LoadBalancers")]
    assert [lb["ContainerPort"] for lb in service["Properties"]["LoadBalancers"]] == STAGES["token-server"].expose
    env = {e["Name"]: e["Value"] for e in TASKS["TokenServerTaskDefinition"]["Environment"]}
    assert [int(env["TOKEN_SERVER_PORT"])] == STAGES["token-server"].expose


def _built_services(path: Path) -> dict[str, dict[str, Any]]:
    services = yaml.safe_load(path.read_text())["services"]
    return {n: s for n, s in services.items() if isinstance(s.get("build"), dict)}


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_compose_services_run_the_image_command_port_and_health_check(path: Path) -> None:
    for name, service in _built_services(path).items():
        stage = STAGES[service["build"]["target"]]
        if "command" in service:
            assert parse_command(service["command"]) == stage.cmd, f"{path.name}:{name} overrides the command"
        if "healthcheck" in service:
            assert compose_health(service["healthcheck"]) == dockerfile_health(stage.healthcheck), (
                f"{path.name}:{name} overrides the health check")
        for port in service.get("ports", []):
            container_port = int(str(port).rsplit(":", 1)[-1].split("/")[0])
            assert container_port in stage.expose, f"{path.name}:{name} publishes {port}, image exposes {stage.expose}"


def test_comparison_catches_a_drifted_health_check() -> None:
    drifted = {"Command": ["CMD", "python", "deployment/healthcheck.py", "celery-worker"], "Interval": 60,
               "Timeout": 20, "Retries": 3, "StartPeriod": 600}
    assert ecs_health(drifted) != dockerfile_health(STAGES["dialer-worker"].healthcheck)
    assert compose_health({"test": "curl -f http://x", "interval": "1m"}) == HealthCheck(
        test=("CMD-SHELL", "curl -f http://x"), interval=60)
