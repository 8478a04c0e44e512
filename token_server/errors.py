"""Error bodies staff and scripts can act on: every 4xx has `detail`; validation errors also say, in one
line, which field was wrong (`message: "body.phone: value is not a valid phone number"`)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel


class ErrorBody(BaseModel):
    detail: str


def not_found(what: str, object_id: int | str) -> HTTPException:
    """Another clinic's object and a missing one look the same on purpose."""
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no {what} with id {object_id}")


def field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    message = "; ".join(f"{field_name(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in errors)
    # `input` can echo PHI (a phone number, a name) back into logs and proxies: leave it out.
    details = [{k: v for k, v in e.items() if k not in ("input", "ctx", "url")} for e in errors]
    return JSONResponse(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
                        content=jsonable_encoder({"detail": details, "message": message}))


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)


# Documented on every authenticated route so the OpenAPI schema lists what clients must handle.
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "missing, unknown or revoked API key"},
    404: {"model": ErrorBody, "description": "not found in the caller's clinic"},
}
