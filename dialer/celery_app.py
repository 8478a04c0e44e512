"""The Celery application: Redis broker, late acks, one configurable queue, and the beat schedule.

Tasks are thin: they open a connection, call a pure-ish module function, commit. Every task is safe to
run twice (acks_late redelivers after a worker crash): the planner is guarded by locks, dispatch checks
the attempt's status and LiveKit's existing dispatches, the reaper and batch builder are idempotent.

Run:  celery -A dialer.celery_app worker -Q dialer --pool=prefork -c 4
      celery -A dialer.celery_app beat
(or `python -m dialer worker` / `python -m dialer beat`).
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import after_setup_logger, beat_init, worker_init

from clinic import logs
from clinic.settings import check_production_secrets, get_settings


def make_app() -> Celery:
    s = get_settings()
    app = Celery("dialer", include=["dialer.tasks"])
    app.conf.update(
        broker_url=s.redis_url,
        task_default_queue=s.dialer_queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        timezone="UTC",
        enable_utc=True,
        # Redis visibility timeout: an unacked task is redelivered after this (must exceed the longest task).
        broker_transport_options={"visibility_timeout": 3600},
        beat_schedule={
            "planner-tick": {"task": "dialer.tasks.plan_tick", "schedule": s.dialer_tick_seconds},
            "reaper": {"task": "dialer.tasks.reap", "schedule": s.dialer_tick_seconds},
            "nightly-batches": {"task": "dialer.tasks.build_batches", "schedule": s.dialer_batches_seconds},
        },
    )
    return app


@after_setup_logger.connect
def _configure_logging(**_: Any) -> None:
    """Workers and beat log through the masking structlog pipeline at LOG_LEVEL, like every other service.
    (On the signal, not at import: importing the tasks elsewhere must not reconfigure that process.)"""
    s = get_settings()
    logs.configure(s.log_level, s.log_json)


@worker_init.connect
@beat_init.connect
def _refuse_published_secrets(**_: Any) -> None:
    """APP_ENV=production: a worker or beat with the published LiveKit secret does not start."""
    check_production_secrets(get_settings())


app = make_app()
