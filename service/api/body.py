"""The request class of the service: JSON bodies decoded strictly, in one pass, into the
handler's body type.

Litestar decodes a JSON body to Python objects, then converts them to the handler's
``data`` type with msgspec in lax mode, so ``"stream": 0`` was ``False`` and
``"max_tokens": "5"`` was 5: the OpenAPI document (``type: boolean``) said otherwise.
``BodyRequest.json()`` decodes the body straight into that type with msgspec's strict
decoder (one pass instead of two); Litestar's conversion then passes the Struct through.
Every refusal keeps the shape of Litestar's own, so ``to_problem`` maps them as before:

- a type, constraint or field error: ``ValidationException`` (400 naming the field); a
  float with no fraction is accepted where an integer is expected, as JSON Schema's
  ``integer`` (and the OpenAPI document) allows it;
- malformed or truncated JSON: ``ClientException`` 400 ``JSON is malformed: ...``;
- bytes that are not UTF-8: ``UnicodeDecodeError`` (400 ``not valid UTF-8``);
- nesting deeper than the decoder recurses (msgspec raises ``RecursionError`` near
  Python's limit, about 1000 levels: a 2 KB body of ``[``): ``ClientException`` 400
  ``JSON is malformed: nested too deeply``, where Litestar answered 500 and logged a
  traceback per request.

A route whose body is not a msgspec Struct keeps Litestar's decoding.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ClientException, ValidationException

__all__ = ["TOO_DEEP", "BodyRequest"]

TOO_DEEP = "JSON is malformed: nested too deeply"


def _integral(text: str) -> int | float:
    number = float(text)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


_INTEGRAL = msgspec.json.Decoder(float_hook=_integral)
"""Untyped decoding where a float with no fraction (``5.0``) is the integer it equals."""

_DECODERS: dict[object, msgspec.json.Decoder[Any] | None] = {}
"""The strict decoder of each route handler's body type (``None``: not a Struct)."""


class BodyRequest(Request[Any, Any, Any]):
    """Litestar's ``Request`` whose ``json()`` decodes strictly into the body type."""

    async def json(self) -> Any:
        decoder = _decoder(self.route_handler)
        if decoder is None:
            try:
                return await super().json()
            except RecursionError:
                raise ClientException(detail=TOO_DEEP, status_code=400) from None
        body = await self.body()
        try:
            return decoder.decode(body)
        except msgspec.ValidationError as exc:
            try:  # JSON Schema's integers include 5.0: a second, slower pass allows them
                return msgspec.convert(_INTEGRAL.decode(body), decoder.type, strict=True)
            except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
                pass  # the first pass's error says what is wrong
            raise ValidationException(
                detail=f"Validation failed for {self.method} {self.url.path}",
                extra=[{"message": str(exc), "key": "data", "source": "body"}],
            ) from None
        except msgspec.DecodeError as exc:
            body.decode("utf-8")  # raises UnicodeDecodeError for a body that is not UTF-8
            raise ClientException(detail=f"JSON is malformed: {exc}", status_code=400) from None
        except RecursionError:
            raise ClientException(detail=TOO_DEEP, status_code=400) from None


def _decoder(handler: Any) -> msgspec.json.Decoder[Any] | None:
    try:
        return _DECODERS[handler]
    except KeyError:
        pass
    field = handler.parsed_fn_signature.parameters.get("data")
    kind = getattr(field, "annotation", None)
    decoder = None
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        decoder = msgspec.json.Decoder(kind)
    _DECODERS[handler] = decoder
    return decoder
