"""Stand-ins for the mail providers of the generated auth server, for tests/email_flows.rs.

    python mail_sinks.py smtp PORT DIR     an SMTP server (aiosmtpd) on 127.0.0.1:PORT
    python mail_sinks.py resend PORT DIR   Resend's `POST /emails` on http://127.0.0.1:PORT

Each message (or request) is written to DIR as NNNN.json, renamed into place once complete, so
a reader never sees half a file. Runs until killed.
"""

import itertools
import json
import os
import sys
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_counter = itertools.count()
_lock = threading.Lock()


def record(directory: str, entry: dict) -> None:
    with _lock:
        n = next(_counter)
    partial = os.path.join(directory, f".{n:04}.partial")
    with open(partial, "w", encoding="utf-8") as f:
        json.dump(entry, f)
    os.rename(partial, os.path.join(directory, f"{n:04}.json"))


def smtp(port: int, directory: str) -> None:
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            message = message_from_bytes(envelope.content, policy=policy.default)
            text = message.get_body(preferencelist=("plain",))
            html = message.get_body(preferencelist=("html",))
            record(
                directory,
                {
                    "envelope_from": envelope.mail_from,
                    "envelope_to": envelope.rcpt_tos,
                    "from": str(message["From"]),
                    "to": str(message["To"]),
                    "subject": str(message["Subject"]),
                    "text": text.get_content() if text is not None else None,
                    "html": html.get_content() if html is not None else None,
                },
            )
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    threading.Event().wait()


def resend(port: int, directory: str) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            record(
                directory,
                {
                    "path": self.path,
                    "authorization": self.headers.get("Authorization"),
                    "content_type": self.headers.get("Content-Type"),
                    "body": json.loads(body),
                },
            )
            reply = json.dumps({"id": "49a3999c-0ce1-4ea6-ab68-afcd6dc2e794"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    kind, port, directory = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    {"smtp": smtp, "resend": resend}[kind](port, directory)
