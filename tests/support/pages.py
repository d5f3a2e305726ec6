"""A web server for pages a test opens in a browser (`tests.support.browser`): on the loopback like the stack, so
the browser lets the page call the stack (Chromium refuses calls into the loopback from a page it cannot place
there), on a free port whose origin the session's stack allows (`BLOOM_CORS_ORIGINS`, tests/conftest.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@dataclass
class PageServer:
    """Serves `files` (URL path -> file), which tests fill, at `origin`; any other path is 404."""

    port: int
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        """The origin the stack allows: `localhost`, as a frontend's dev server is reached."""
        return f"http://localhost:{self.port}"

    @property
    def other_origin(self) -> str:
        """The same server on an origin the stack does not allow (another host name is another origin)."""
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def page_server() -> Iterator[PageServer]:
    pages = PageServer(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            file = pages.files.get(self.path.split("?")[0])
            if file is None:
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            body = file.read_bytes()
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", CONTENT_TYPES[file.suffix])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    pages.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield pages
    finally:
        server.shutdown()
        server.server_close()
