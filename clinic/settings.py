"""Service settings, read once from the environment (and `.env`) so every process agrees on them."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # `production` refuses to start with published LiveKit secrets (check_production_secrets); `development`
    # (the default: laptops, tests, the demo) accepts the dev ones.
    app_env: str = "development"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/clinic_dialer"
    redis_url: str = "redis://127.0.0.1:6379/0"
    db_pool_min: int = 1
    db_pool_max: int = 10

    livekit_url: str = "http://127.0.0.1:7880"
    livekit_api_key: str = "devkey"
    livekit_api_secret: SecretStr = SecretStr("devsecret-devsecret-devsecret-0000")
    agent_name: str = "appointment-confirmer"
    # Agent worker process (LiveKit AgentServer). Unset = LiveKit's defaults: the worker's load is the machine's
    # CPU use (full at 0.7), one idle job process per core, health/HTTP port 8081 on every interface.
    # `agent_max_jobs` makes the load active calls / max jobs instead (LiveKit's documented job-count load
    # function): a machine shared with LiveKit, SIP and local speech (one laptop) needs it, because its CPU is
    # busy with the calls' own speech, and LiveKit sends no job to a worker reporting a load above 0.7.
    agent_max_jobs: int | None = None
    agent_idle_processes: int | None = None
    agent_http_host: str = ""
    agent_http_port: int | None = None

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_tts_voice: str = "coral"
    deepgram_api_key: SecretStr | None = None
    deepgram_model: str = "nova-3-phonecall"
    openai_tts_model: str = "gpt-4o-mini-tts"
    # Speech: `cloud` = Deepgram STT + OpenAI TTS; `local` = LiveKit's OpenAI plugins pointed at this
    # project's speech server (`python -m speech_server`), so no call audio leaves the clinic's machines.
    speech_backend: Literal["cloud", "local"] = "cloud"
    local_speech_url: str = "http://127.0.0.1:8090/v1"
    local_stt_model: str = "tiny.en"
    local_tts_voice: str = "joe"
    speech_server_host: str = "127.0.0.1"
    speech_server_port: int = 8090
    speech_server_stt_workers: int = 2      # Whisper calls at once (each one core)
    speech_server_tts_workers: int = 2
    # Agent call limits and prices (USD) used for each attempt's cost_usd.
    # The model's first token (and each later chunk: it is httpx's read timeout) must come within this, else
    # FallbackAdapter hands the turn to the scripted policy. The patient's silence on a slow model is this plus
    # ~0.1 s (bench/llm_path.py), so above ~1.4 s it breaks the 1.5 s rule; a turn that misses it is answered
    # by the script (still correct, less varied), and the model is retried once its recovery probe succeeds.
    agent_llm_timeout_seconds: float = 1.0
    agent_prices: dict[str, float] = Field(default_factory=lambda: {
        "llm_input_per_1k_tokens": 0.00015, "llm_output_per_1k_tokens": 0.0006,
        "stt_per_minute": 0.0077, "tts_per_1k_chars": 0.015, "sip_per_minute": 0.01})

    operator_api_key: SecretStr | None = None
    cors_origins: list[str] = Field(default_factory=lambda: ["http://localhost:5173"])
    # Token server: where it listens, what the browser is told to dial for LiveKit (defaults to
    # livekit_url), how long a browser test-call token lives, and how many test calls a clinic may
    # start per minute (each one costs a real call).
    token_server_host: str = "127.0.0.1"
    token_server_port: int = 8000
    livekit_public_url: str | None = None
    test_call_token_ttl_seconds: int = 900
    test_calls_per_minute: int = 5
    rate_limit_key_prefix: str = "clinic-dialer:ratelimit:"
    # Celery queues whose Redis list length /metrics reports as queue depth.
    metrics_queues: list[str] = Field(default_factory=lambda: ["celery", "dial"])
    # Bearer token a Prometheus scraper sends to /metrics (the operator key also works). Unset: operator only.
    metrics_token: SecretStr | None = None

    # Dialer (Celery). Tests give every run its own queue so concurrent runs never share tasks.
    dialer_queue: str = "dialer"
    dialer_tick_seconds: float = 60.0          # planner and reaper period (beat)
    dialer_batches_seconds: float = 300.0      # how often beat asks for due nightly batches (building is idempotent)
    dialer_call_mode: str = "sip"              # mode written on new attempts: sip | sim
    dialer_pacing_prefix: str = "clinic-dialer:pace:"
    dialer_dispatch_max_retries: int = 5
    # How long after CreateDispatch the dialer asks LiveKit whether a worker took the job. LiveKit drops a job
    # that no worker has capacity for (no retry, no error to the caller); without this check the attempt sat
    # `dispatched` until the reaper (2 min). 0 turns the check off.
    dialer_dispatch_check_seconds: float = Field(default=20.0, ge=0)
    # Clinic slugs every beat pass (planner, reaper, batches) is limited to; empty = every clinic. A simulated
    # run sets it to its own clinic, so `sim run --clinic B` never plans, reaps or batches clinic A.
    dialer_clinics: list[str] = Field(default_factory=list)
    # After a room_finished webhook, how long the agent has to write the real outcome before the reaper
    # marks the attempt lost (the webhook often arrives before the agent's end-of-call write).
    room_finished_grace_seconds: float = 120.0
    # Webhooks whose created_at is further than this from the wall clock are refused (replay window).
    webhook_max_age_seconds: float = 300.0
    # Outbound SIP trunk `python -m dialer clinic trunk create` makes on the LiveKit server (the carrier's
    # SIP address and the credentials it gave you). The trunk's number is the clinic's caller id.
    sip_trunk_address: str | None = None
    sip_trunk_username: str | None = None
    sip_trunk_password: SecretStr | None = None
    sip_trunk_transport: str = "auto"           # auto | udp | tcp | tls

    import_max_bytes: int = 20 * 1024 * 1024
    log_level: str = "INFO"
    log_json: bool = False


# Secrets published in this repository or in LiveKit's docs (`livekit-server --dev`): anyone can sign
# webhooks and tokens with them, so production refuses to start with them.
PUBLISHED_SECRETS = frozenset({"devsecret-devsecret-devsecret-0000", "secret", ""})
PUBLISHED_KEYS = frozenset({"devkey", "APIdev", ""})
MIN_SECRET_LENGTH = 32


class InsecureSettings(RuntimeError):
    """Production settings that would let anyone forge LiveKit webhooks or tokens; the message says which."""


def check_production_secrets(settings: Settings) -> None:
    """In production (APP_ENV=production) refuse the published dev LiveKit key/secret and short secrets.

    Called at the start of every service that verifies or signs LiveKit tokens (token server, Celery)."""
    if settings.app_env != "production":
        return
    secret = settings.livekit_api_secret.get_secret_value()
    problems = []
    if secret in PUBLISHED_SECRETS or len(secret) < MIN_SECRET_LENGTH:
        problems.append(f"LIVEKIT_API_SECRET is unset, published (a dev secret) or shorter than {MIN_SECRET_LENGTH}"
                        " characters")
    if settings.livekit_api_key in PUBLISHED_KEYS:
        problems.append("LIVEKIT_API_KEY is unset or the published dev key")
    if problems:
        raise InsecureSettings("refusing to start with APP_ENV=production: " + "; ".join(problems)
                               + ". Set the LiveKit project's real key and secret (anyone could forge webhooks"
                               " and end calls with the published ones).")


def refuse_to_start_if_insecure() -> None:
    """For a service's `main`: exit 2 with one line instead of starting with published secrets."""
    import sys

    try:
        check_production_secrets(get_settings())
    except InsecureSettings as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
