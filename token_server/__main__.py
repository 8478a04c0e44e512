"""`python -m token_server`: serve the API and the page with uvicorn (host/port from settings)."""

from __future__ import annotations

import uvicorn

from clinic.logs import configure
from clinic.settings import get_settings, refuse_to_start_if_insecure


def main() -> None:
    refuse_to_start_if_insecure()
    settings = get_settings()
    configure(settings.log_level, settings.log_json)
    uvicorn.run("token_server.app:create_app", factory=True, host=settings.token_server_host,
                port=settings.token_server_port, log_level=settings.log_level.lower(), proxy_headers=True)


if __name__ == "__main__":
    main()
