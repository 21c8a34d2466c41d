"""CKAN's Action API envelope: how a call's parameters arrive and how its answer and errors look.

As CKAN 2.10 answers (ckan/views/api.py, https://docs.ckan.org/en/2.10/api/index.html):
`{"help": <help_show URL>, "success": true, "result": ...}`, or `"success": false` with an
`error` whose `__type` ckanapi turns back into its exception: 403 Authorization Error, 404 Not
Found Error, 409 Validation Error (its error holds `{parameter: [messages]}`, not a message),
400 Search Query Error, 409 Search Error. Parameters come as the query string (GET) or as a JSON
or form body (POST, what ckanapi sends).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, quote

from datasette.utils.asgi import Response

MAX_INT = 2**63 - 1  # SQLite's largest integer: a limit or offset must fit in one
MAX_BODY_BYTES = 64 * 1024  # a call's parameters; ckanapi's largest read call is a few hundred bytes
TRUE = {"true", "yes", "on", "1", "t", "y"}
FALSE = {"false", "no", "off", "0", "f", "n", ""}


class ActionError(Exception):
    """An error answered in CKAN's envelope."""

    status = 500
    kind = "Internal Server Error"
    prefix = ""

    def __init__(self, message: str = "Internal Server Error"):
        super().__init__(message)

    def error(self) -> dict:
        message = str(self)
        return {
            "__type": self.kind,
            "message": f"{self.prefix}: {message}" if self.prefix and message else (self.prefix or message),
        }


class BadRequest(ActionError):
    status, kind = 400, "Bad Request"

    def error(self) -> dict:
        return {"__type": self.kind, "message": f"Bad request - {self}"}


class NotAuthorized(ActionError):
    status, kind, prefix = 403, "Authorization Error", "Access denied"


class NotFound(ActionError):
    status, kind, prefix = 404, "Not Found Error", "Not found"


class SearchQueryError(ActionError):
    status, kind, prefix = 400, "Search Query Error", "Search Query is invalid"


class SearchError(ActionError):
    status, kind, prefix = 409, "Search Error", "Search error"


class TooLarge(BadRequest):
    status = 413


class ValidationError(ActionError):
    """{parameter: [messages]}, as CKAN's ValidationError carries them."""

    status, kind = 409, "Validation Error"

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(json.dumps(errors, ensure_ascii=False))
        self.errors = errors

    def error(self) -> dict:
        return {"__type": self.kind, **self.errors}


def help_url(base_url: str, action: str) -> str:
    return f"{base_url}/api/3/action/help_show?name={quote(action)}"


def answer(
    base_url: str, action: str, result=None, error: ActionError | None = None, cache_seconds: int = 0
) -> Response:
    body = {"help": help_url(base_url, action), "success": error is None}
    if error is None:
        body["result"] = result
    else:
        body["error"] = error.error()
    headers = {
        "Access-Control-Allow-Origin": "*",
        "Cache-Control": f"max-age={cache_seconds}" if cache_seconds and error is None else "no-store",
    }
    return Response(
        json.dumps(body, ensure_ascii=False, default=str),
        status=error.status if error else 200,
        headers=headers,
        content_type="application/json; charset=utf-8",
    )


def preflight() -> Response:
    """The answer to a browser's CORS preflight: a page on any site may POST JSON to the actions."""
    return Response(
        "",
        status=200,
        headers={
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": "Authorization, Content-Type, X-CKAN-API-Key",
            "Access-Control-Max-Age": "3600",
        },
    )


def _mixed(pairs: list[tuple[str, str]]) -> dict:
    """Query or form pairs as CKAN reads them: one value as a string, a repeated key as a list."""
    values: dict[str, list[str]] = {}
    for key, value in pairs:
        values.setdefault(key, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in values.items()}


async def parameters(request) -> dict:
    """The call's parameters: the JSON or form body of a POST, else the query string."""
    if request.method != "POST":
        return _mixed(parse_qsl(request.query_string, keep_blank_values=True))
    length = request.headers.get("content-length")
    if length is None:
        if request.headers.get("transfer-encoding"):
            raise BadRequest("send the parameters with a Content-Length / ส่งพารามิเตอร์พร้อม Content-Length")
        length = "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        raise TooLarge(f"parameters over {MAX_BODY_BYTES:,} bytes / พารามิเตอร์ยาวเกิน {MAX_BODY_BYTES:,} ไบต์")
    # The server delivers exactly Content-Length bytes (HTTP/1.1 framing), so this read is bounded.
    body = await request.post_body() if int(length) else b""
    if not body.strip():
        return _mixed(parse_qsl(request.query_string, keep_blank_values=True))
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        raise BadRequest("this site takes no uploads / เว็บไซต์นี้ไม่รับการอัปโหลดไฟล์")
    text = body.decode("utf-8", errors="replace")
    if content_type == "application/x-www-form-urlencoded":
        form = _mixed(parse_qsl(text, keep_blank_values=True))
        # CKAN's old clients post JSON as the name of a form field with an empty value
        if len(form) == 1 and next(iter(form.values())) in ("", "1"):
            text = next(iter(form))
        else:
            return form
    try:
        data = json.loads(text)
    except ValueError as e:
        raise BadRequest(f"JSON Error: {e} / อ่าน JSON ไม่ได้") from e
    if not isinstance(data, dict):
        raise BadRequest("JSON Error: the parameters must be a JSON object / พารามิเตอร์ต้องเป็นออบเจกต์ JSON")
    return data


def as_int(params: dict, name: str, default: int | None = None, minimum: int = 0) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({name: [f"Invalid integer / ต้องเป็นจำนวนเต็ม: {value!r}"]}) from None
    if not minimum <= number <= MAX_INT:
        raise ValidationError(
            {
                name: [
                    f"Must be a whole number from {minimum} to {MAX_INT:,} / "
                    f"ต้องเป็นจำนวนเต็มตั้งแต่ {minimum} ถึง {MAX_INT:,}"
                ]
            }
        )
    return number


def as_bool(params: dict, name: str, default: bool) -> bool:
    value = params.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValidationError({name: [f"Not a boolean / ต้องเป็น true หรือ false: {value!r}"]})


def as_json(params: dict, name: str):
    """A parameter that may arrive as JSON text (a query string) or as JSON already (a JSON body)."""
    value = params.get(name)
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            raise ValidationError({name: [f"Could not parse as valid JSON / อ่าน JSON ไม่ได้: {value!r}"]}) from None
    return value


def as_list(params: dict, name: str) -> list[str] | None:
    """A list parameter: a JSON list, a repeated key or a comma-separated string."""
    value = as_json(params, name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError({name: ["Must be a list of names / ต้องเป็นรายการชื่อ"]})
    return [v.strip() for v in value if v.strip()]
