"""A clinic's outbound SIP trunk on the LiveKit server, and whether the clinic can be dialed.

`python -m dialer clinic trunk create --slug S` makes the trunk with CreateSIPOutboundTrunk (the carrier's
address and credentials from SIP_TRUNK_ADDRESS / SIP_TRUNK_USERNAME / SIP_TRUNK_PASSWORD, the clinic's
caller id as the trunk's number) and stores its id on the clinic. `python -m dialer clinic check --slug S`
runs the planner's database checks (clinic.readiness) plus the one only LiveKit can answer: is the stored
trunk id really there (ListSIPOutboundTrunk)?"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from livekit import api

from clinic.settings import Settings, get_settings

T = TypeVar("T")

_TRANSPORTS = {"auto": api.SIPTransport.SIP_TRANSPORT_AUTO, "udp": api.SIPTransport.SIP_TRANSPORT_UDP,
               "tcp": api.SIPTransport.SIP_TRANSPORT_TCP, "tls": api.SIPTransport.SIP_TRANSPORT_TLS}


class TrunkError(ValueError):
    """Cannot create the trunk; the message names the missing setting or LiveKit's refusal."""


@dataclass(frozen=True)
class ServerCheck:
    present: bool | None   # None: LiveKit could not be asked
    error: str | None = None


def trunk_request(clinic: dict[str, Any], settings: Settings) -> api.CreateSIPOutboundTrunkRequest:
    """Pure: the CreateSIPOutboundTrunk request for the clinic, or TrunkError naming what is missing."""
    if not settings.sip_trunk_address:
        raise TrunkError("SIP_TRUNK_ADDRESS is not set: the carrier's SIP address, e.g. sip.carrier.example.com")
    if not clinic.get("caller_id"):
        raise TrunkError(f"clinic {clinic['slug']} has no caller_id: the trunk's number is the caller id; set it with"
                         f" `python -m dialer clinic update --slug {clinic['slug']} --caller-id NUMBER`")
    transport = _TRANSPORTS.get(settings.sip_trunk_transport.lower())
    if transport is None:
        raise TrunkError(f"SIP_TRUNK_TRANSPORT {settings.sip_trunk_transport!r} must be one of"
                         f" {', '.join(_TRANSPORTS)}")
    return api.CreateSIPOutboundTrunkRequest(trunk=api.SIPOutboundTrunkInfo(
        name=f"clinic {clinic['slug']}", address=settings.sip_trunk_address, transport=transport,
        numbers=[clinic["caller_id"]], auth_username=settings.sip_trunk_username or "",
        auth_password=settings.sip_trunk_password.get_secret_value() if settings.sip_trunk_password else "",
        metadata=f'{{"clinic": "{clinic["slug"]}"}}'))  # the slug only: no PHI in LiveKit


def _lk(settings: Settings) -> api.LiveKitAPI:
    return api.LiveKitAPI(settings.livekit_url, settings.livekit_api_key,
                          settings.livekit_api_secret.get_secret_value(), timeout=aiohttp.ClientTimeout(total=10))


async def create_trunk(clinic: dict[str, Any], settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    request = trunk_request(clinic, settings)
    try:
        async with _lk(settings) as lk:
            info = await lk.sip.create_outbound_trunk(request)
    except api.TwirpError as exc:
        raise TrunkError(f"LiveKit refused the trunk ({exc.code}): {exc.message}") from None
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise TrunkError(f"LiveKit at {settings.livekit_url} is unreachable ({type(exc).__name__})") from None
    return str(info.sip_trunk_id)


async def trunk_on_server(trunk_id: str, settings: Settings | None = None) -> ServerCheck:
    settings = settings or get_settings()
    try:
        async with _lk(settings) as lk:
            found = await lk.sip.list_outbound_trunk(api.ListSIPOutboundTrunkRequest(trunk_ids=[trunk_id]))
    except api.TwirpError as exc:
        return ServerCheck(None, f"LiveKit refused ListSIPOutboundTrunk ({exc.code}): {exc.message}")
    except (aiohttp.ClientError, TimeoutError) as exc:
        return ServerCheck(None, f"LiveKit at {settings.livekit_url} is unreachable ({type(exc).__name__})")
    return ServerCheck(any(t.sip_trunk_id == trunk_id for t in found.items))


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)
