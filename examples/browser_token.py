"""Mint a browser token for a test call: what the React page does when staff press "Test call".

    python examples/browser_token.py

Calls the token server's `POST /api/test-calls/web` (in-process, with a clinic API key) and decodes the
token it returns. The token lets one browser join one room, and its room configuration dispatches the
agent with only ids in the metadata (no patient name, number or appointment time ever reaches LiveKit).
The agent works on a test copy of the appointment, so the real one is never changed by a test call.
Reads DATABASE_URL (and LIVEKIT_API_KEY/SECRET) from the settings (.env or the environment)."""

from __future__ import annotations

import json
from datetime import date

from fastapi.testclient import TestClient
from livekit import api

from clinic import clinics
from clinic.db import connect
from clinic.settings import get_settings
from sim.seed import ensure_sample_clinic
from token_server.app import create_app


def main() -> int:
    settings = get_settings()
    with connect() as conn:
        clinic = ensure_sample_clinic(conn, date(2027, 1, 11))
        key = clinics.create_api_key(conn, clinic["id"], label="examples/browser_token.py")
        conn.commit()
    with TestClient(create_app()) as client:
        response = client.post("/api/test-calls/web", headers={"Authorization": f"Bearer {key.key}"},
                               json={})  # {} = a made-up appointment
    if response.status_code != 201:
        print(f"token server said {response.status_code}: {response.text}")
        return 1
    out = response.json()
    claims = api.TokenVerifier(settings.livekit_api_key,
                               settings.livekit_api_secret.get_secret_value()).verify(out["token"])
    dispatch = claims.room_config.agents[0]
    print(f"join {out['livekit_url']} room {out['room_name']} as {out['identity']} until {out['expires_at']}")
    print(f"grants: room_join={claims.video.room_join} room={claims.video.room} "
          f"can_publish={claims.video.can_publish} can_subscribe={claims.video.can_subscribe}")
    print(f"on join LiveKit dispatches agent {dispatch.agent_name!r} with metadata {json.loads(dispatch.metadata)}")
    print(f"token ({len(out['token'])} characters): {out['token'][:24]}...")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
