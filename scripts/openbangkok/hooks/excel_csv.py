"""CSV for Excel: any CSV URL with `_bom=on` starts with a UTF-8 byte order mark.

Excel on Thai Windows reads a CSV without a BOM as Windows-874 and garbles the Thai; with the BOM
it reads UTF-8. The link "CSV สำหรับ Excel / CSV for Excel" on every table and query page adds
`_bom=on` (and `_dl=on`, so the file downloads). Text Excel would run as a formula (a cell that
starts with =, +, -, @) starts with ' there (openbangkok.site.exports.excel_text). Everything else is Datasette's
own CSV, streamed as it is: filters, `_stream=on` for every row, `_labels`. The plain `.csv` API is
unchanged.
"""

from urllib.parse import parse_qs

from openbangkok.site.exports.excel_text import FormulaGuard

BOM = "\ufeff".encode("utf-8")
TRUE = {"1", "on", "true", "yes"}


def wants_bom(scope) -> bool:
    if scope.get("type") != "http" or not scope.get("path", "").endswith(".csv"):
        return False
    args = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return any(v.lower() in TRUE for v in args.get("_bom", []))


def wrapper(datasette):
    def wrap(app):
        async def excel_csv(scope, receive, send):
            if not wants_bom(scope):
                return await app(scope, receive, send)
            state = {"ok": False, "sent_bom": False}
            guard = FormulaGuard()

            async def send_with_bom(message):
                if message["type"] == "http.response.start":
                    state["ok"] = message["status"] == 200
                    if state["ok"]:  # cells may grow: no content-length (chunked); the type: media_types.py
                        headers = [
                            [key, value]
                            for key, value in message.get("headers", [])
                            if key.lower() != b"content-length"
                        ]
                        message = {**message, "headers": headers}
                elif message["type"] == "http.response.body" and state["ok"]:
                    more = message.get("more_body", False)
                    body = guard.feed(message.get("body", b"")) + (b"" if more else guard.finish())
                    if not state["sent_bom"]:
                        state["sent_bom"] = True
                        body = BOM + body
                    message = {**message, "body": body}
                await send(message)

            await app(scope, receive, send_with_bom)

        return excel_csv

    return wrap
