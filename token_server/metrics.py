"""GET /metrics for Prometheus. Figures are read from Postgres (the source of truth) and Redis at scrape
time, so every token-server replica reports the same numbers and nothing is lost on restart.
Labels carry clinic slugs and outcome names only: no PHI. The ALB forwards every path here, so the endpoint is
on the internet: it needs METRICS_TOKEN or the operator key (clinic keys must not see other clinics)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import redis
from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from clinic import db
from clinic.logs import get_logger
from clinic.settings import get_settings
from token_server.auth import MetricsReader

router = APIRouter(tags=["operations"])
log = get_logger(__name__)

DIAL_FAILURES = ("no_answer", "busy", "rejected", "failed")


class ClinicCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from self._postgres()
        yield from self._queues()

    def _postgres(self) -> Iterator[Metric]:
        try:
            with db.get_pool().connection(timeout=3) as conn:
                calls = _rows(conn, "SELECT c.slug, ca.mode, ca.outcome, count(*) AS n FROM call_attempts ca"
                              " JOIN clinics c ON c.id = ca.clinic_id WHERE ca.outcome IS NOT NULL"
                              " GROUP BY 1, 2, 3")
                in_flight = _rows(conn, "SELECT c.slug, ca.status, count(*) AS n FROM call_attempts ca"
                                  " JOIN clinics c ON c.id = ca.clinic_id WHERE ca.outcome IS NULL GROUP BY 1, 2")
                dials = _rows(conn, "SELECT c.slug, CASE WHEN ca.answered_at IS NOT NULL THEN 'answered'"
                              " WHEN ca.outcome = ANY(%s) THEN ca.outcome ELSE 'other' END AS result, count(*) AS n"
                              " FROM call_attempts ca JOIN clinics c ON c.id = ca.clinic_id"
                              " WHERE ca.outcome IS NOT NULL AND ca.mode = 'sip' GROUP BY 1, 2", (list(DIAL_FAILURES),))
                imports = _rows(conn, "SELECT c.slug, sum(imported) AS imported, sum(updated) AS updated,"
                                " sum(unchanged) AS unchanged, sum(rejected) AS rejected FROM call_lists cl"
                                " JOIN clinics c ON c.id = cl.clinic_id GROUP BY 1")
                appts = _rows(conn, "SELECT c.slug, a.status, count(*) AS n FROM appointments a"
                              " JOIN clinics c ON c.id = a.clinic_id WHERE NOT a.is_test GROUP BY 1, 2")
                beat_failures = _rows(conn, "SELECT data->>'job' AS job, count(*) AS n FROM events"
                                      " WHERE kind = 'beat.row_failed' GROUP BY 1")
        except Exception as exc:
            log.warning("metrics.postgres_unreachable", error=type(exc).__name__)
            up = GaugeMetricFamily("clinic_dialer_postgres_up", "1 when the scrape could read Postgres")
            up.add_metric([], 0)
            yield up
            return
        up = GaugeMetricFamily("clinic_dialer_postgres_up", "1 when the scrape could read Postgres")
        up.add_metric([], 1)
        yield up
        m = CounterMetricFamily("clinic_dialer_calls", "Ended call attempts by outcome",
                                labels=["clinic", "mode", "outcome"])
        for r in calls:
            m.add_metric([r["slug"], r["mode"], r["outcome"]], r["n"])
        yield m
        g = GaugeMetricFamily("clinic_dialer_calls_in_flight", "Call attempts without an outcome yet",
                              labels=["clinic", "status"])
        for r in in_flight:
            g.add_metric([r["slug"], r["status"]], r["n"])
        yield g
        m = CounterMetricFamily("clinic_dialer_dial_results", "Results of SIP dials (answered or why not)",
                                labels=["clinic", "result"])
        for r in dials:
            m.add_metric([r["slug"], r["result"]], r["n"])
        yield m
        m = CounterMetricFamily("clinic_dialer_import_rows", "Call-list rows by import result",
                                labels=["clinic", "result"])
        for r in imports:
            for result in ("imported", "updated", "unchanged", "rejected"):
                m.add_metric([r["slug"], result], int(r[result] or 0))
        yield m
        g = GaugeMetricFamily("clinic_dialer_appointments", "Appointments by status", labels=["clinic", "status"])
        for r in appts:
            g.add_metric([r["slug"], r["status"]], r["n"])
        yield g
        m = CounterMetricFamily("clinic_dialer_beat_row_failures",
                                "Rows a beat job (reaper, planner, batches) could not process and skipped; alert on"
                                " any increase", labels=["job"])
        for r in beat_failures:
            m.add_metric([r["job"] or "unknown"], r["n"])
        yield m

    def _queues(self) -> Iterator[Metric]:
        settings = get_settings()
        g = GaugeMetricFamily("clinic_dialer_queue_depth", "Tasks waiting in a Celery queue (Redis list length)",
                              labels=["queue"])
        try:
            client = redis.Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
            for queue in settings.metrics_queues:
                g.add_metric([queue], cast(int, client.llen(queue)))  # a sync client: the length itself
            client.close()
        except redis.RedisError as exc:
            log.warning("metrics.redis_unreachable", error=type(exc).__name__)
        yield g


def _rows(conn: Any, query: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    return conn.execute(query, params).fetchall()


registry = CollectorRegistry(auto_describe=False)
registry.register(ClinicCollector())


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def metrics(_reader: MetricsReader) -> Response:
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
