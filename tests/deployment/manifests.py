"""Readers for the deployment files, shared by the deployment checks: Dockerfile stages, the module a
command runs, CloudFormation task definitions, and the rule that keys come only from secrets."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
DEPLOYMENT = ROOT / "deployment"
DOCKERFILE = DEPLOYMENT / "Dockerfile"
TEMPLATES = sorted((DEPLOYMENT / "cloudformation").glob("*.yaml"))
COMPOSE_FILES = [ROOT / "docker-compose.yml", DEPLOYMENT / "docker-compose.prod.yml"]

# Anything that grants access: these names may only reach a container through a secrets mechanism.
SECRET_NAME = re.compile(r"KEY|SECRET|PASSWORD|AUTH_TOKEN|^DATABASE_URL$|^REDIS_URL$", re.IGNORECASE)


@dataclass
class Stage:
    name: str
    base: str
    healthcheck: str | None = None
    cmd: list[str] = field(default_factory=list)
    expose: list[int] = field(default_factory=list)


def parse_dockerfile(text: str) -> dict[str, Stage]:
    """Stages by name (unnamed stages by index), with each stage's HEALTHCHECK and CMD."""
    joined = re.sub(r"\\\n", " ", text)
    stages: dict[str, Stage] = {}
    current: Stage | None = None
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            m = re.match(r"(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?", rest.strip(), re.IGNORECASE)
            assert m, f"unreadable FROM line: {line}"
            current = Stage(name=m.group(2) or str(len(stages)), base=m.group(1))
            stages[current.name] = current
        elif current is not None and word == "HEALTHCHECK":
            current.healthcheck = rest.strip()
        elif current is not None and word == "CMD":
            current.cmd = parse_command(rest.strip())
        elif current is not None and word == "EXPOSE":
            current.expose += [int(p.split("/")[0]) for p in rest.split()]
    for stage in stages.values():  # a stage built FROM another inherits what it does not set
        parent = stages.get(stage.base)
        if parent is not None:
            stage.cmd = stage.cmd or parent.cmd
            stage.healthcheck = stage.healthcheck or parent.healthcheck
            stage.expose = stage.expose or parent.expose
    return stages


@dataclass(frozen=True)
class HealthCheck:
    """A health check as Docker, compose and ECS all spell it: the command and its timings in seconds."""
    test: tuple[str, ...]
    interval: int = 30
    timeout: int = 30
    start_period: int = 0
    retries: int = 3


def seconds(value: str | int) -> int:
    """`30s`, `1m30s`, `2m` or a number of seconds."""
    if isinstance(value, int):
        return value
    total, number = 0, ""
    for ch in value.strip():
        if ch.isdigit():
            number += ch
        else:
            total += int(number) * {"s": 1, "m": 60, "h": 3600}[ch]
            number = ""
    return total + (int(number) if number else 0)


def dockerfile_health(instruction: str | None) -> HealthCheck | None:
    """`--interval=30s ... CMD ["python", ...]` (a Dockerfile HEALTHCHECK) -> HealthCheck; NONE/absent -> None."""
    if not instruction or instruction.strip().upper() == "NONE":
        return None
    options, _, command = instruction.partition(" CMD ")
    opts = dict(o.lstrip("-").split("=", 1) for o in options.split())
    return HealthCheck(test=("CMD", *parse_command(command)), interval=seconds(opts.get("interval", "30s")),
                       timeout=seconds(opts.get("timeout", "30s")),
                       start_period=seconds(opts.get("start-period", "0s")), retries=int(opts.get("retries", 3)))


def ecs_health(spec: dict[str, Any] | None) -> HealthCheck | None:
    if not spec:
        return None
    return HealthCheck(test=tuple(spec["Command"]), interval=spec.get("Interval", 30), timeout=spec.get("Timeout", 5),
                       start_period=spec.get("StartPeriod", 0), retries=spec.get("Retries", 3))


def compose_health(spec: dict[str, Any] | None) -> HealthCheck | None:
    if not spec or spec.get("disable"):
        return None
    test = spec["test"]
    test = ["CMD-SHELL", test] if isinstance(test, str) else test
    return HealthCheck(test=tuple(test), interval=seconds(spec.get("interval", "30s")),
                       timeout=seconds(spec.get("timeout", "30s")),
                       start_period=seconds(spec.get("start_period", "0s")), retries=int(spec.get("retries", 3)))


def parse_command(text: str | list[str]) -> list[str]:
    if isinstance(text, list):
        return [str(t) for t in text]
    text = text.strip()
    if text.startswith("["):
        return [str(t) for t in json.loads(text)]
    return shlex.split(text)


def entry_module(command: list[str]) -> str | None:
    """The Python module a service command runs: `python -m X ...` or `celery -A X ...`
    (also inside `sh -c "exec ..."`)."""
    if len(command) >= 3 and command[0] in ("sh", "bash") and command[1] == "-c":
        return entry_module(shlex.split(command[2].replace("exec ", "", 1)))
    for flag, programs in (("-m", ("python", "python3")), ("-A", ("celery",))):
        if command and Path(command[0]).name in programs and flag in command:
            i = command.index(flag)
            if i + 1 < len(command):
                return command[i + 1].split(":")[0]
    return None


def module_path(module: str, *, runnable: bool = False, root: Path = ROOT) -> Path | None:
    """Where `module` lives in the repo, or None. `runnable`: `python -m` needs a package's __main__.py."""
    base = root.joinpath(*module.split("."))
    candidates = [base / "__main__.py", base.with_suffix(".py")] + ([] if runnable else [base / "__init__.py"])
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def require_entry_module(module: str, command: list[str], where: str, *, root: Path = ROOT) -> None:
    """Fail (never skip) when a service's entry point is missing: every service ships from this repo, so a
    missing module or package is a broken image, not work still on another branch."""
    runnable = "-m" in command
    assert module_path(module, runnable=runnable, root=root) is not None, (
        f"{where}: entry-point module {module} does not exist in {module.split('.')[0]}/"
        + (" (python -m needs __main__.py)" if runnable else ""))


def load_template(path: Path) -> dict[str, Any]:
    template, matches = decode(str(path))
    assert not matches, f"{path.name} does not parse: {matches}"
    assert template is not None
    return template


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template.get("Resources", {}).items() if r.get("Type") == kind}


def plaintext_key_violations(task_definition: dict[str, Any]) -> list[str]:
    """Container settings that look like keys but are passed as plain `Environment` values."""
    problems = []
    for container in task_definition.get("Properties", {}).get("ContainerDefinitions", []):
        for item in container.get("Environment", []) or []:
            if SECRET_NAME.search(str(item.get("Name", ""))):
                problems.append(f"{container.get('Name')}: {item.get('Name')} is in Environment, not Secrets")
    return problems


def image_target(image: Any) -> str | None:
    """The Dockerfile target an ECS image reference names (<repo>:<target>-${ImageTag})."""
    text = image.get("Fn::Sub") if isinstance(image, dict) else image
    if not isinstance(text, str):
        return None
    m = re.search(r":([a-z][a-z-]*?)-\$\{ImageTag\}$", text)
    return m.group(1) if m else None
