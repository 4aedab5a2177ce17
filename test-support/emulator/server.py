"""A small threaded HTTP/1.1 server with keep-alive for the WSGI app.

werkzeug's development server closes every connection after one answer, so
each request pays a TCP connect. AWS endpoints keep connections open ("HTTP/1.1
... persistent connections", RFC 9112 section 9.3: "A server that does not
support persistent connections MUST send the 'close' connection option in
every response message that does not have a 1xx status code" - AWS sends no
such option), and the SDKs reuse them. This server keeps a connection open
after each response unless the client asked otherwise:

* the request line and headers are read with the standard library's
  BaseHTTPRequestHandler machinery (ThreadingHTTPServer: one thread per
  connection), with a plain header parser;
* the body is read fully: by Content-Length, or by chunked Transfer-Encoding
  (RFC 9112 section 7.1); ``Expect: 100-continue`` gets its interim response;
* the WSGI app is called with a PEP 3333 environ, plus the connection's socket
  in ``environ["emulator.socket"]`` (the ``reset`` fault uses it);
* the app's answer is buffered and written at once with Content-Length;
* ``Connection: close`` from the client (or an HTTP/1.0 request without
  ``Connection: keep-alive``) is honoured: the answer says ``Connection: close``
  and the connection is closed after it (RFC 9112 section 9.6).

An app that raises ConnectionResetError (the ``reset`` fault, after setting
SO_LINGER 0) gets the connection closed at once, with nothing written: the
client sees a TCP RST.
"""

from __future__ import annotations

import io
import socket
import sys
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import unquote_to_bytes

MAX_LINE = 65536
MAX_HEADERS = 200
IDLE_TIMEOUT = 600.0  # seconds an idle keep-alive connection is kept open


class _BadRequest(Exception):
    pass


_date_cache = [0, ""]


def http_date() -> str:
    """The Date header (RFC 9110 section 6.6.1), formatted once a second."""
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[:] = [now, formatdate(now, usegmt=True)]
    return _date_cache[1]


def _read_exact(rfile: Any, n: int) -> bytes:
    data = rfile.read(n)
    if len(data) != n:
        raise _BadRequest("request body shorter than Content-Length")
    return data


def _read_chunked(rfile: Any) -> bytes:
    chunks = []
    while True:
        line = rfile.readline(MAX_LINE + 1)
        if not line:
            raise _BadRequest("chunked body ended early")
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise _BadRequest("invalid chunk size") from None
        if size == 0:
            # trailer section, ended by an empty line
            while True:
                trailer = rfile.readline(MAX_LINE + 1)
                if trailer in (b"\r\n", b"\n", b""):
                    return b"".join(chunks)
        chunks.append(_read_exact(rfile, size))
        rfile.readline(MAX_LINE + 1)  # CRLF after the chunk


class WSGIRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "emulator"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    # set by make_server
    app: Callable[..., Any]
    verbose = False

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def handle_one_request(self) -> None:  # noqa: C901 - one linear request cycle
        try:
            line = self.rfile.readline(MAX_LINE + 1)
        except (TimeoutError, OSError):
            self.close_connection = True
            return
        if not line:
            self.close_connection = True
            return
        if line in (b"\r\n", b"\n"):
            self.close_connection = False
            return  # stray empty line between requests (RFC 9112 section 2.2)
        if len(line) > MAX_LINE:
            self._simple(414, "request line too long")
            return
        parts = line.decode("latin-1").rstrip("\r\n").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            self._simple(400, "bad request line")
            return
        method, target, version = parts
        self.command, self.path, self.request_version = method, target, version
        self.requestline = line.decode("latin-1").rstrip("\r\n")
        headers: list[tuple[str, str]] = []
        while True:
            h = self.rfile.readline(MAX_LINE + 1)
            if h in (b"\r\n", b"\n", b""):
                break
            if len(h) > MAX_LINE or len(headers) >= MAX_HEADERS:
                self._simple(431, "request headers too large")
                return
            name, sep, value = h.decode("latin-1").partition(":")
            if not sep:
                self._simple(400, "bad header line")
                return
            headers.append((name.strip(), value.strip()))

        environ: dict[str, Any] = {}
        connection_tokens = ""
        content_length = None
        chunked = False
        expect_continue = False
        for name, value in headers:
            lname = name.lower()
            if lname == "content-length":
                content_length = value
                key = "CONTENT_LENGTH"
            elif lname == "content-type":
                key = "CONTENT_TYPE"
            else:
                key = "HTTP_" + name.upper().replace("-", "_")
                if lname == "connection":
                    connection_tokens = value.lower()
                elif lname == "transfer-encoding":
                    chunked = "chunked" in value.lower()
                elif lname == "expect":
                    expect_continue = value.lower() == "100-continue"
            if key in environ:
                environ[key] = environ[key] + ", " + value
            else:
                environ[key] = value

        if version == "HTTP/1.0":
            keep_alive = "keep-alive" in connection_tokens
        else:
            keep_alive = "close" not in connection_tokens
        self.close_connection = not keep_alive

        try:
            if expect_continue and version != "HTTP/1.0":
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                self.wfile.flush()
            if chunked:
                body = _read_chunked(self.rfile)
            elif content_length:
                try:
                    n = int(content_length)
                except ValueError:
                    raise _BadRequest("invalid Content-Length") from None
                if n < 0:
                    raise _BadRequest("invalid Content-Length")
                body = _read_exact(self.rfile, n)
            else:
                body = b""
        except _BadRequest as err:
            self._simple(400, str(err))
            return
        except (TimeoutError, OSError):
            self.close_connection = True
            return
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)

        path, _, query = target.partition("?")
        if "://" in path:  # absolute-form request target
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        server_name, server_port = self.server.server_address[:2]
        environ.update({
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
            "RAW_URI": target,
            "REQUEST_URI": target,
            "SERVER_NAME": str(server_name),
            "SERVER_PORT": str(server_port),
            "SERVER_PROTOCOL": version,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_PORT": str(self.client_address[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "emulator.socket": self.connection,
        })
        environ.setdefault("HTTP_HOST", f"{server_name}:{server_port}")

        status_line: list[str] = []
        response_headers: list[tuple[str, str]] = []
        written: list[bytes] = []

        def start_response(status: str, hs: list[tuple[str, str]], exc_info: Any = None) -> Callable:
            if exc_info and status_line:
                raise exc_info[1].with_traceback(exc_info[2])
            status_line[:] = [status]
            response_headers[:] = hs
            return written.append

        try:
            result = self.app(environ, start_response)
            try:
                for chunk in result:
                    if chunk:
                        written.append(chunk)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except ConnectionResetError:
            self._abort()
            return
        except Exception as exc:  # pragma: no cover - the app answers its own errors
            print(f"emulator: server error: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            self._simple(500, "internal server error")
            return

        body_out = b"".join(written)
        status = status_line[0] if status_line else "500 Internal Server Error"
        out = [f"{version if version == 'HTTP/1.0' else 'HTTP/1.1'} {status}\r\n"]
        for name, value in response_headers:
            lname = name.lower()
            if lname in ("content-length", "connection", "transfer-encoding", "keep-alive", "date"):
                continue
            # a header value never carries a line break onto the wire
            if "\r" in value or "\n" in value:
                value = value.replace("\r", " ").replace("\n", " ")
            out.append(f"{name}: {value}\r\n")
        out.append(f"Date: {http_date()}\r\n")
        if not any(name.lower() == "server" for name, _ in response_headers):
            out.append("Server: emulator\r\n")
        code = status.split(" ", 1)[0]
        no_body = method == "HEAD" or code in ("204", "304") or code.startswith("1")
        if not (code in ("204", "304") or code.startswith("1")):
            out.append(f"Content-Length: {len(body_out)}\r\n")
        if keep_alive:
            if version == "HTTP/1.0":
                out.append("Connection: keep-alive\r\n")
        else:
            out.append("Connection: close\r\n")
        out.append("\r\n")
        try:
            self.wfile.write("".join(out).encode("latin-1", "replace") + (b"" if no_body else body_out))
            self.wfile.flush()
        except OSError:
            self.close_connection = True
            return
        if self.verbose:
            self.log_request(code, len(body_out))

    def _simple(self, status: int, message: str) -> None:
        body = message.encode("utf-8")
        head = (f"HTTP/1.1 {status} {message}\r\nContent-Type: text/plain\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
        self.close_connection = True
        try:
            self.wfile.write(head.encode("latin-1") + body)
            self.wfile.flush()
        except OSError:
            pass

    def _abort(self) -> None:
        """Closes the connection now, writing nothing (SO_LINGER 0 was set: a RST)."""
        self.close_connection = True
        for f in (self.rfile, self.wfile):
            try:
                f.close()
            except OSError:
                pass
        try:
            self.connection.close()
        except OSError:
            pass

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        if self.verbose:
            super().log_message(format, *args)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that went away mid-request is not an error worth printing
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        if getattr(self.RequestHandlerClass, "verbose", False):
            super().handle_error(request, client_address)


def make_server(host: str, port: int, app: Callable[..., Any], verbose: bool = False) -> Server:
    handler = type("Handler", (WSGIRequestHandler,), {"app": staticmethod(app), "verbose": verbose})
    if ":" in host:
        server_cls = type("Server6", (Server,), {"address_family": socket.AF_INET6})
    else:
        server_cls = Server
    return server_cls((host, port), handler)
