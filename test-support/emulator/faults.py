"""Throttling and fault injection, set with POST /_emulator/config.

Throttling is a token bucket per (region, action). Over the rate the answer is
what AWS sends when a caller exceeds an API's request rate: HTTP 400 with
``ThrottlingException`` and the message ``Rate exceeded``, an error code the
SDKs retry (their standard retry mode lists ThrottlingException among the
throttling errors).

Fault rules (see README.md, "Faults") answer a matching request with an HTTP
status (``status``), a TCP reset with no response (``reset``), a delay
(``delay``), a throttling error (``throttle``) or the answer sent one byte at
a time (``trickle``), before or after the request reaches moto; or the real
answer of a list call with its page token replaced by one that never changes
(``repeat-token``: a server that repeats its page token, which a client that
follows tokens without a bound follows for ever). A ``status`` rule may ``echo`` the secret-bearing values of the
request back in its error message (raw, JSON-escaped, percent-encoded, base64,
or as an HTTP Basic credential), so that tests can check the client never
prints what an error message carries.

Errors are in the protocol of the service called (JSON ``__type`` or query XML);
an ``AccessDenied``/``AccessDeniedException`` without a message gets a message
of the form of IAM's implicit-deny messages (IAM user guide, "Troubleshoot
access denied error messages"): "User: <arn> is not authorized to perform:
<service>:<Action> because no identity-based policy allows the
<service>:<Action> action".
"""

from __future__ import annotations

import base64
import copy
import json
import os
import socket
import struct
import threading
import time
from typing import Any
from urllib.parse import quote

from common import AwsRequest, Resp, error_for, partition_of

FAULT_KINDS = ("status", "reset", "delay", "throttle", "trickle", "repeat-token")
DEFAULT_WHEN = {"status": "before", "reset": "before", "throttle": "before", "delay": "after",
                "trickle": "after", "repeat-token": "after"}
# The page-token member of each JSON service's list answers.
PAGE_TOKEN_KEY = {"codepipeline": "nextToken", "codebuild": "nextToken", "secretsmanager": "NextToken",
                  "ssm": "NextToken", "tagging": "PaginationToken"}
REPEATED_TOKEN = "emulator-repeated-page-token"
# A trickle stops after this long even if the client is still reading.
TRICKLE_MAX_SECONDS = 300.0
ECHO_FORMS = ("raw", "json", "url", "base64", "basic")
# Request members whose string values the echo option sends back.
SECRET_KEYS = frozenset({"OAuthToken", "token", "SecretString", "Value"})


def normalize_throttle(cfg: Any) -> dict[str, Any] | None:
    if cfg is None:
        return None
    if not isinstance(cfg, dict):
        raise ValueError("throttle must be an object or null")
    rps = cfg.get("rps")
    if rps is None or float(rps) <= 0:
        return None
    burst = cfg.get("burst")
    burst = float(rps) if burst is None else float(burst)
    actions = cfg.get("actions")
    if actions is not None and (not isinstance(actions, list) or not all(isinstance(a, str) for a in actions)):
        raise ValueError("throttle.actions must be a list of action names or null")
    return {"rps": float(rps), "burst": max(1.0, burst), "actions": actions}


def normalize_fault(rule: Any) -> dict[str, Any]:
    if not isinstance(rule, dict):
        raise ValueError("each fault must be an object")
    kind = rule.get("kind")
    if kind not in FAULT_KINDS:
        raise ValueError(f"fault kind must be one of {FAULT_KINDS}, got {kind!r}")
    when = rule.get("when", DEFAULT_WHEN[kind])
    if when not in ("before", "after"):
        raise ValueError("fault 'when' must be 'before' or 'after'")
    if kind == "repeat-token" and when != "after":
        raise ValueError("fault kind 'repeat-token' rewrites the real answer: 'when' must be 'after'")
    echo = rule.get("echo")
    if echo is not None:
        if kind != "status":
            raise ValueError("fault 'echo' is only for kind 'status'")
        if not isinstance(echo, list) or not all(form in ECHO_FORMS for form in echo):
            raise ValueError(f"fault 'echo' must be a list of {ECHO_FORMS}")
    message = rule.get("message")
    if message is not None and not isinstance(message, str):
        raise ValueError("fault 'message' must be a string")
    out = {
        "action": rule.get("action", "*") or "*",
        "service": rule.get("service"),
        "kind": kind,
        "when": when,
        "status": int(rule.get("status", 500)),
        "errorType": rule.get("errorType"),
        "message": message,
        "delayMs": int(rule.get("delayMs", 3000)),
        "intervalMs": int(rule.get("intervalMs", 1000)),
        "count": None if rule.get("count") is None else int(rule["count"]),
        "every": None if rule.get("every") is None else int(rule["every"]),
        "after": int(rule.get("after", 0) or 0),
        "echo": list(echo) if echo is not None else None,
        "seen": 0,
        "applied": 0,
    }
    if out["intervalMs"] < 1:
        raise ValueError("fault 'intervalMs' must be >= 1")
    if out["every"] is not None and out["every"] < 1:
        raise ValueError("fault 'every' must be >= 1")
    return out


def status_error_type(status: int) -> str:
    if status == 503:
        return "ServiceUnavailableException"
    if status == 429:
        return "ThrottlingException"
    if status >= 500:
        return "InternalFailure"
    return "EmulatedFault"


class FaultConfig:
    """The throttle and fault configuration and their counters."""

    def __init__(self, throttle_rps: float | None = None):
        self.initial_throttle = normalize_throttle({"rps": throttle_rps}) if throttle_rps else None
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.throttle = copy.deepcopy(self.initial_throttle)
            self.faults: list[dict[str, Any]] = []
            self.buckets: dict[tuple[str, str], list[float]] = {}

    @property
    def active(self) -> bool:
        return bool(self.throttle or self.faults)

    def throttled(self, req: AwsRequest) -> bool:
        with self.lock:
            cfg = self.throttle
            if not cfg:
                return False
            if cfg["actions"] is not None and req.action not in cfg["actions"]:
                return False
            key = (req.region, req.action)
            now = time.monotonic()
            bucket = self.buckets.get(key)
            if bucket is None:
                bucket = self.buckets[key] = [cfg["burst"], now]
            tokens = min(cfg["burst"], bucket[0] + (now - bucket[1]) * cfg["rps"])
            bucket[1] = now
            if tokens >= 1.0:
                bucket[0] = tokens - 1.0
                return False
            bucket[0] = tokens
            return True

    def pick(self, req: AwsRequest) -> dict[str, Any] | None:
        """Counts the request for every matching rule; returns (a copy of) the first that fires."""
        with self.lock:
            chosen = None
            for rule in self.faults:
                if rule["action"] not in ("*", req.action):
                    continue
                if rule["service"] and rule["service"] != req.service:
                    continue
                rule["seen"] += 1
                if chosen is not None:
                    continue
                n = rule["seen"] - rule["after"]
                if n <= 0:
                    continue
                if rule["count"] is not None and rule["applied"] >= rule["count"]:
                    continue
                if rule["every"] is not None and n % rule["every"] != 0:
                    continue
                rule["applied"] += 1
                chosen = dict(rule)
            return chosen

    def view(self) -> dict[str, Any]:
        with self.lock:
            return {"throttle": copy.deepcopy(self.throttle), "faults": copy.deepcopy(self.faults)}

    def set(self, cfg: dict[str, Any], apply: bool = True) -> None:
        """Replaces the parts of the config present in `cfg` (validates all of it first)."""
        throttle = normalize_throttle(cfg["throttle"]) if "throttle" in cfg else None
        faults: list[dict[str, Any]] = []
        if "faults" in cfg:
            if cfg["faults"] is None:
                faults = []
            elif isinstance(cfg["faults"], list):
                faults = [normalize_fault(r) for r in cfg["faults"]]
            else:
                raise ValueError("faults must be a list")
        if not apply:
            return
        with self.lock:
            if "throttle" in cfg:
                self.throttle = throttle
                self.buckets = {}
            if "faults" in cfg:
                self.faults = faults


# --------------------------------------------------------------------------------------
# What a fault sends
# --------------------------------------------------------------------------------------
def secret_values(req: AwsRequest) -> list[str]:
    """Every string under a key named OAuthToken, token, SecretString or Value, anywhere
    in the JSON request (for query requests: form fields whose last dotted part is one
    of those names), in document order, without repeats."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in SECRET_KEYS and isinstance(value, str):
                    if value not in found:
                        found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    if req.protocol == "query":
        for key, value in req.params.items():
            if key.rsplit(".", 1)[-1] in SECRET_KEYS and value not in found:
                found.append(value)
    else:
        walk(req.params)
    return found


def echo_form(form: str, value: str) -> str:
    if form == "raw":
        return value
    if form == "json":
        return json.dumps(value)[1:-1]
    if form == "url":
        return quote(value, safe="")
    if form == "base64":
        return base64.b64encode(value.encode("utf-8")).decode("ascii")
    if form == "basic":
        return base64.b64encode(("x-access-token:" + value).encode("utf-8")).decode("ascii")
    raise ValueError(form)


def status_fault_response(req: AwsRequest, rule: dict[str, Any]) -> Resp:
    status = rule["status"]
    err_type = rule["errorType"] or status_error_type(status)
    message = rule["message"]
    if message is None:
        if err_type in ("AccessDenied", "AccessDeniedException"):
            arn = f"arn:{partition_of(req.region)}:iam::{req.account}:user/emulator"
            op = f"{req.service}:{req.action}"
            message = (f"User: {arn} is not authorized to perform: {op} because no identity-based "
                       f"policy allows the {op} action")
        else:
            message = f"Emulated fault: HTTP {status}"
    if rule.get("echo"):
        parts = [echo_form(form, value) for value in secret_values(req) for form in rule["echo"]]
        if parts:
            message = f"{message} {' '.join(parts)}"
    return error_for(req, err_type, message, status)


def strip_repeated_token(req: AwsRequest) -> None:
    """A request that sends the repeated token back is served as the first page
    again (the token is taken out before the request reaches moto)."""
    key = PAGE_TOKEN_KEY.get(req.service)
    if key is not None and req.params.get(key) == REPEATED_TOKEN:
        del req.params[key]
        req.body = json.dumps(req.params).encode()


def repeat_token_response(req: AwsRequest, resp: Resp) -> Resp:
    """A list's answer with its page token set to the same value every time
    (added when the answer was the last page): the next request, which sends
    that token back, is answered the same way again. An error, a body that is
    not a JSON object, or a service with no JSON lists is kept as it is."""
    key = PAGE_TOKEN_KEY.get(req.service)
    try:
        body = json.loads(resp.body or b"{}")
    except ValueError:
        return resp
    if key is None or not isinstance(body, dict) or resp.status != 200:
        return resp
    body[key] = REPEATED_TOKEN
    data = json.dumps(body).encode()
    headers = [(k, str(len(data)) if k.lower() == "content-length" else v) for k, v in resp.headers]
    return Resp(resp.status, headers, data)


def trickle_response(environ: dict[str, Any], resp: Resp, interval_ms: int) -> None:
    """Writes the answer on the connection's socket itself: the status line and
    headers at once, then the body one byte every `interval_ms` — a connection
    that is never idle long enough for an idle timeout, yet never ends. Stops
    when the client goes away (or after TRICKLE_MAX_SECONDS), then raises
    ConnectionResetError so that the server closes the connection and writes
    nothing more (as for ``reset``, but without SO_LINGER 0: a normal close).
    """
    sock = environ.get("emulator.socket") or environ.get("werkzeug.socket")
    if sock is None:
        raise RuntimeError("the trickle fault needs the connection's socket")
    headers = [(k, v) for k, v in resp.headers
               if k.lower() not in ("content-length", "transfer-encoding", "connection")]
    head = [f"HTTP/1.1 {resp.status} {'OK' if resp.status == 200 else 'Error'}\r\n"]
    head += [f"{k}: {v}\r\n" for k, v in headers]
    head += [f"Content-Length: {len(resp.body)}\r\n", "Connection: close\r\n", "\r\n"]
    deadline = time.monotonic() + TRICKLE_MAX_SECONDS
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall("".join(head).encode("latin-1", "replace"))
        for i in range(len(resp.body)):
            time.sleep(interval_ms / 1000.0)
            if time.monotonic() > deadline:
                break
            sock.sendall(resp.body[i:i + 1])
    except OSError:
        pass  # the client gave up
    raise ConnectionResetError("trickle: answered on the socket")


def abort_connection(environ: dict[str, Any]) -> None:
    """Closes the TCP connection with a RST and no response at all.

    SO_LINGER 0 makes the close abortive. server.py owns the socket
    (environ["emulator.socket"]): on the ConnectionResetError raised here it
    closes the connection at once without writing anything, so the client gets
    ECONNRESET. Under another server (werkzeug's, which offers
    environ["werkzeug.socket"]) the descriptor is replaced by an already-EOF
    socketpair end with dup2, which closes the TCP socket (RST) while leaving
    that server a valid descriptor.
    """
    sock = environ.get("emulator.socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    else:
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                a, b = socket.socketpair()
                b.close()
                os.dup2(a.fileno(), sock.fileno())
                a.close()
            except OSError:
                pass
    raise ConnectionResetError("emulated connection reset")
