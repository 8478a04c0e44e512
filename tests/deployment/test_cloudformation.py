"""CloudFormation: cfn-lint passes, keys reach tasks only as Secrets Manager secrets, exactly one beat
that never overlaps itself, agents scale on CPU, data stores are encrypted, logs expire, and every task
runs an image target and entry point that exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint_file

from tests.deployment.manifests import (
    DOCKERFILE,
    ROOT,
    TEMPLATES,
    entry_module,
    image_target,
    load_template,
    parse_dockerfile,
    plaintext_key_violations,
    require_entry_module,
    resources,
)

APP = load_template(ROOT / "deployment" / "cloudformation" / "app.yaml")


def test_templates_exist() -> None:
    assert {p.name for p in TEMPLATES} >= {"app.yaml", "bootstrap.yaml", "network.yaml"}


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_cfn_lint_passes(path: Path) -> None:
    matches = lint_file(path)
    assert not matches, "\n".join(str(m) for m in matches)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_task_definitions_take_keys_only_from_secrets(path: Path) -> None:
    for name, task in resources(load_template(path), "AWS::ECS::TaskDefinition").items():
        assert not plaintext_key_violations(task), f"{path.name}:{name}: {plaintext_key_violations(task)}"


def test_key_rule_catches_a_plaintext_key() -> None:
    task = {"Properties": {"ContainerDefinitions": [{"Name": "agent", "Environment": [
        {"Name": "LIVEKIT_URL", "Value": "wss://x"}, {"Name": "OPENAI_API_KEY", "Value": "sk-123"},
        {"Name": "DATABASE_URL", "Value": "postgresql://u:p@h/db"}]}]}}
    assert plaintext_key_violations(task) == [
        "agent: OPENAI_API_KEY is in Environment, not Secrets", "agent: DATABASE_URL is in Environment, not Secrets"]


def container(task_name: str) -> dict[str, Any]:
    task = resources(APP, "AWS::ECS::TaskDefinition")[task_name]
    (only,) = task["Properties"]["ContainerDefinitions"]
    return only


def test_every_service_gets_its_connection_strings_from_secrets_manager() -> None:
    secrets = {"AWS::SecretsManager::Secret"}
    secret_resources = {n for n, r in APP["Resources"].items() if r["Type"] in secrets}
    for name in resources(APP, "AWS::ECS::TaskDefinition"):
        values = {s["Name"]: s["ValueFrom"] for s in container(name).get("Secrets", [])}
        assert values.get("DATABASE_URL") == {"Ref": "DatabaseUrl"}, name
        assert "DatabaseUrl" in secret_resources and "RedisUrl" in secret_resources
        if name != "MigrateTaskDefinition":
            assert values.get("REDIS_URL") == {"Ref": "RedisUrl"}, name
    agent = {s["Name"] for s in container("AgentTaskDefinition")["Secrets"]}
    assert {"OPENAI_API_KEY", "DEEPGRAM_API_KEY", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"} <= agent


def test_every_task_runs_an_existing_stage_and_entry_point() -> None:
    stages = parse_dockerfile(DOCKERFILE.read_text())
    for name in resources(APP, "AWS::ECS::TaskDefinition"):
        c = container(name)
        target = image_target(c["Image"])
        assert target in stages, f"{name} image {c['Image']} is not a Dockerfile target"
        command = c.get("Command") or stages[target].cmd
        module = entry_module(command)
        assert module == entry_module(stages[target].cmd), f"{name} runs {command}, the image runs {stages[target].cmd}"
        require_entry_module(module, command, name)
        if name != "MigrateTaskDefinition":
            assert c.get("HealthCheck", {}).get("Command"), f"{name} has no health check"
        assert c["LogConfiguration"]["LogDriver"] == "awslogs"


def services_running(command_word: str) -> list[str]:
    # The word may sit inside a shell command (beat: sh -c "exec celery ... beat ...").
    tasks = {n for n in resources(APP, "AWS::ECS::TaskDefinition")
             if command_word in " ".join(container(n).get("Command", [])).split()}
    return [n for n, s in resources(APP, "AWS::ECS::Service").items()
            if s["Properties"]["TaskDefinition"].get("Ref") in tasks]


def non_bootstrap(value: Any) -> Any:
    if isinstance(value, dict) and "Fn::If" in value:
        condition, _when_true, when_false = value["Fn::If"]
        assert condition == "IsBootstrapping"
        return when_false
    return value


def test_exactly_one_beat_that_never_overlaps_itself() -> None:
    (beat,) = services_running("beat")
    props = resources(APP, "AWS::ECS::Service")[beat]["Properties"]
    assert non_bootstrap(props["DesiredCount"]) == 1
    assert props["DeploymentConfiguration"]["MaximumPercent"] == 100
    targets = resources(APP, "AWS::ApplicationAutoScaling::ScalableTarget").values()
    scaled = [t["Properties"]["ResourceId"] for t in targets]
    assert not any(beat in str(r) for r in scaled), "beat must never autoscale"
    alarms = [a for a in resources(APP, "AWS::CloudWatch::Alarm").values() if beat in str(a["Properties"])]
    assert alarms, "an alarm must page when beat is not running exactly once"


def test_agents_scale_on_cpu() -> None:
    (agent,) = services_running("agent")
    targets = {n: t for n, t in resources(APP, "AWS::ApplicationAutoScaling::ScalableTarget").items()
               if agent in str(t["Properties"]["ResourceId"])}
    assert len(targets) == 1
    policies = [p for p in resources(APP, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
                if p["Properties"]["ScalingTargetId"] == {"Ref": next(iter(targets))}]
    config = policies[0]["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    assert config["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ECSServiceAverageCPUUtilization"
    assert container("AgentTaskDefinition")["StopTimeout"] == 120, "scale-in must let calls finish"


def test_token_server_is_behind_https() -> None:
    listeners = resources(APP, "AWS::ElasticLoadBalancingV2::Listener").values()
    https = [listener for listener in listeners if listener["Properties"]["Protocol"] == "HTTPS"]
    assert https and https[0]["Properties"]["Certificates"] == [{"CertificateArn": {"Ref": "CertificateArn"}}]
    http = [listener for listener in listeners if listener["Properties"]["Protocol"] == "HTTP"]
    assert all(h["Properties"]["DefaultActions"][0]["Type"] == "redirect" for h in http)
    (target_group,) = resources(APP, "AWS::ElasticLoadBalancingV2::TargetGroup").values()
    assert target_group["Properties"]["HealthCheckPath"] == "/health"


def test_data_stores_are_encrypted_and_logs_expire() -> None:
    (db,) = resources(APP, "AWS::RDS::DBInstance").values()
    assert db["Properties"]["StorageEncrypted"] is True and db["Properties"]["PubliclyAccessible"] is False
    assert "{{resolve:secretsmanager:" in str(db["Properties"]["MasterUserPassword"])
    (cache,) = resources(APP, "AWS::ElastiCache::ReplicationGroup").values()
    assert cache["Properties"]["TransitEncryptionEnabled"] is True
    assert cache["Properties"]["AtRestEncryptionEnabled"] is True
    for path in TEMPLATES:
        for name, group in resources(load_template(path), "AWS::Logs::LogGroup").items():
            assert group["Properties"].get("RetentionInDays"), f"{path.name}:{name} keeps logs forever"
