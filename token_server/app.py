"""The FastAPI application: API routers, CORS from settings, error bodies, and the built React page at `/`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from clinic.settings import check_production_secrets, get_settings
from token_server import errors, health, metrics
from token_server.appointments.views import router as appointments
from token_server.batches.views import router as batches
from token_server.call_lists.views import router as call_lists
from token_server.calls.views import router as calls
from token_server.clinics.views import router as clinics
from token_server.dashboard.views import router as dashboard
from token_server.test_calls.views import router as test_calls
from token_server.webhooks.views import router as webhooks

STATIC_DIR = Path(__file__).parent / "static"

DESCRIPTION = """Clinic API for the appointment-confirmation dialer.

Authenticate with `Authorization: Bearer <key>`. Clinic keys (`python -m dialer keys create`) see only their
clinic; another clinic's object is a 404. The operator key acts for any clinic named in `X-Clinic: <slug>`.
"""


def create_app() -> FastAPI:
    settings = get_settings()
    check_production_secrets(settings)  # APP_ENV=production with published LiveKit secrets: refuse to start
    app = FastAPI(title="Clinic dialer API", version="1.0", description=DESCRIPTION)
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                       allow_methods=["GET", "POST"], allow_headers=["Authorization", "Content-Type", "X-Clinic"])
    errors.install(app)
    for router in (clinics, call_lists, batches, appointments, calls, dashboard, test_calls, webhooks,
                   health.router, metrics.router):
        app.include_router(router)
    if (STATIC_DIR / "index.html").exists():
        app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="page")
    else:
        @app.get("/", include_in_schema=False, response_class=HTMLResponse)
        def page_not_built() -> str:
            return "<h1>Clinic dialer</h1><p>The page is not built: run <code>make frontend</code>.</p>"
    return app
