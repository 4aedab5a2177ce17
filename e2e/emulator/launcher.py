#!/usr/bin/env python3
"""AWS emulator for the end-to-end tests: moto's server plus corrections.

Start it with::

    python3 e2e/emulator/launcher.py [--host 127.0.0.1] [--port 0]
                                     [--throttle-rps R] [--page-size N] [--verbose]

When it listens it prints exactly one line ``EMULATOR_READY http://HOST:PORT``
to stdout.  Point the AWS SDK's endpoint (``AWS_ENDPOINT_URL``) at that URL.

moto (5.2.1) serves every AWS call.  A WSGI middleware in front of it
  * corrects moto where it differs from the AWS API reference (CodePipeline
    timestamps, secret masking, '****' on write, ListPipelines pagination, ...),
  * implements what moto lacks (CodeBuild source credentials, CodePipeline
    custom action types),
  * adds test-only endpoints under /_emulator/ and throttling / fault injection.
See README.md next to this file for the details.
"""

from __future__ import annotations

import argparse
import base64
import copy
import datetime
import gzip
import http
import io
import json
import os
import re
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import uuid
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

JSON_CT = "application/x-amz-json-1.1"
SECRET_MASK = "****"
MAX_PAGE_SIZE = 1000  # ListPipelines maxResults: "Valid Range: Minimum value of 1. Maximum value of 1000."
DEFAULT_PAGE_SIZE = 100  # ListPipelines page size when maxResults is omitted (--page-size)

# X-Amz-Target prefixes (AWS JSON protocol) -> service signing name.
TARGET_PREFIXES = {
    "CodePipeline_20150709": "codepipeline",
    "CodeBuild_20161006": "codebuild",
    "secretsmanager": "secretsmanager",
    "ResourceGroupsTaggingAPI_20170126": "tagging",
}

# Query-protocol actions that are sent unsigned (same table as moto's server).
UNSIGNED_QUERY_ACTIONS = {"AssumeRoleWithWebIdentity": "sts", "AssumeRoleWithSAML": "sts"}

# Actions counted as reads in the call log ("write": false).
READ_PREFIXES = ("Get", "List", "Describe", "BatchGet", "Search", "Lookup", "AssumeRole", "Decode")

CREDENTIAL_RE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")
USER_AGENT_REGION_RE = re.compile(r"region/(?P<region>[a-z]{2}-[a-z]+-\d{1})")
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")
PIPELINE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:codepipeline:[a-z0-9-]+:\d{12}:[A-Za-z0-9.@\-_]+$")


def default_account() -> str:
    from moto.core import DEFAULT_ACCOUNT_ID

    return os.environ.get("MOTO_ACCOUNT_ID", DEFAULT_ACCOUNT_ID)


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


# --------------------------------------------------------------------------------------
# Built-in CodePipeline action types.
#
# Abbreviated catalogue of what ListActionTypes returns for the AWS and ThirdParty
# owners.  What matters for the emulator is the `secret` flag: the only secret
# property among them is OAuthToken of Source/ThirdParty/GitHub/1 (GitHub version 1
# source action; CodePipeline user guide, "GitHub (via OAuth app) source action").
# --------------------------------------------------------------------------------------
def _prop(name: str, required: bool, key: bool, secret: bool = False, type_: str | None = None,
          queryable: bool = False) -> dict[str, Any]:
    p: dict[str, Any] = {"name": name, "required": required, "key": key, "secret": secret,
                         "queryable": queryable}
    if type_:
        p["type"] = type_
    return p


def _builtin(category: str, owner: str, provider: str, props: list[dict[str, Any]],
             inputs: tuple[int, int], outputs: tuple[int, int],
             settings: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "id": {"category": category, "owner": owner, "provider": provider, "version": "1"},
        "settings": settings or {},
        "actionConfigurationProperties": props,
        "inputArtifactDetails": {"minimumCount": inputs[0], "maximumCount": inputs[1]},
        "outputArtifactDetails": {"minimumCount": outputs[0], "maximumCount": outputs[1]},
    }


# CodeBuild's configuration properties, the same for the Build and Test categories.
CODEBUILD_PROPS = [
    _prop("ProjectName", True, True),
    _prop("PrimarySource", False, False),
    _prop("EnvironmentVariables", False, False),
    _prop("BatchEnabled", False, False, type_="Boolean"),
    _prop("CombineArtifacts", False, False, type_="Boolean"),
]

BUILTIN_ACTION_TYPES: list[dict[str, Any]] = [
    _builtin("Source", "ThirdParty", "GitHub", [
        _prop("Owner", True, True),
        _prop("Repo", True, True),
        _prop("Branch", True, True),
        _prop("OAuthToken", True, False, secret=True),
        _prop("PollForSourceChanges", False, False, type_="Boolean"),
    ], (0, 0), (1, 1), {
        "thirdPartyConfigurationUrl": "https://github.com/",
        "entityUrlTemplate": "https://github.com/{Config:Owner}/{Config:Repo}/tree/{Config:Branch}",
        "executionUrlTemplate": "https://github.com/{Config:Owner}/{Config:Repo}/commit/{External:Revision}",
    }),
    _builtin("Source", "AWS", "CodeStarSourceConnection", [
        _prop("ConnectionArn", True, True),
        _prop("FullRepositoryId", True, True),
        _prop("BranchName", True, True),
        _prop("OutputArtifactFormat", False, False),
        _prop("DetectChanges", False, False),
    ], (0, 0), (1, 1)),
    _builtin("Source", "AWS", "CodeCommit", [
        _prop("RepositoryName", True, True),
        _prop("BranchName", True, True),
        _prop("PollForSourceChanges", False, False, type_="Boolean"),
        _prop("OutputArtifactFormat", False, False),
    ], (0, 0), (1, 1)),
    _builtin("Source", "AWS", "S3", [
        _prop("S3Bucket", True, True),
        _prop("S3ObjectKey", True, True),
        _prop("PollForSourceChanges", False, False, type_="Boolean"),
    ], (0, 0), (1, 1)),
    _builtin("Build", "AWS", "CodeBuild", CODEBUILD_PROPS, (1, 5), (0, 5)),
    _builtin("Test", "AWS", "CodeBuild", CODEBUILD_PROPS, (1, 5), (0, 5)),
    _builtin("Approval", "AWS", "Manual", [
        _prop("NotificationArn", False, False),
        _prop("CustomData", False, False),
        _prop("ExternalEntityLink", False, False),
    ], (0, 0), (0, 0)),
]


def type_key(type_id: Any) -> tuple[str, str, str, str] | None:
    if not isinstance(type_id, dict):
        return None
    return (str(type_id.get("category")), str(type_id.get("owner")), str(type_id.get("provider")),
            str(type_id.get("version")))


BUILTIN_BY_KEY = {type_key(t["id"]): t for t in BUILTIN_ACTION_TYPES}


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------
class Resp:
    """A buffered HTTP response."""

    def __init__(self, status: int, headers: list[tuple[str, str]] | None = None, body: bytes = b""):
        self.status = status
        self.headers = list(headers or [])
        self.body = body

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else {}


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def json_resp(obj: Any, status: int = 200, content_type: str = JSON_CT,
              headers: list[tuple[str, str]] | None = None) -> Resp:
    hs = [(k, v) for k, v in (headers or []) if k.lower() not in ("content-type", "content-length")]
    hs.append(("Content-Type", content_type))
    if not any(k.lower() == "x-amzn-requestid" for k, _ in hs):
        hs.append(("x-amzn-RequestId", str(uuid.uuid4())))
    return Resp(status, hs, dumps(obj))


def aws_error(err_type: str, message: str, status: int = 400) -> Resp:
    """AWS JSON protocol error: HTTP status, x-amzn-ErrorType header, {"__type","message"} body."""
    resp = json_resp({"__type": err_type, "message": message}, status)
    resp.headers.append(("x-amzn-ErrorType", err_type))
    return resp


def query_error(err_type: str, message: str, status: int = 400) -> Resp:
    """AWS query protocol error (STS, IAM): an XML ErrorResponse, as those services send."""
    from xml.sax.saxutils import escape

    kind = "Receiver" if status >= 500 else "Sender"
    body = (f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>{kind}</Type>'
            f"<Code>{escape(err_type)}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>").encode("utf-8")
    return Resp(status, [("Content-Type", "text/xml")], body)


def error_for(req: "AwsRequest", err_type: str, message: str, status: int = 400) -> Resp:
    """An injected error in the protocol of the service called."""
    if req.protocol == "query":
        return query_error(err_type, message, status)
    return aws_error(err_type, message, status)


def plain_json(obj: Any, status: int = 200) -> Resp:
    return Resp(status, [("Content-Type", "application/json")], dumps(obj))


def to_epoch(value: Any) -> Any:
    """ISO-8601 string -> epoch seconds (float).  Anything else is returned unchanged."""
    if not isinstance(value, str) or not ISO_RE.match(value):
        return value
    dt = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt.timestamp()


class EmulatorError(Exception):
    def __init__(self, resp: Resp):
        super().__init__(resp.body.decode("utf-8", "replace"))
        self.resp = resp


class AwsRequest:
    def __init__(self) -> None:
        self.service = "unknown"
        self.action = ""
        self.region = "us-east-1"
        self.account = default_account()
        self.protocol = "other"  # json | query | other
        self.params: dict[str, Any] = {}
        self.body = b""


# --------------------------------------------------------------------------------------
# Throttling and faults
# --------------------------------------------------------------------------------------
FAULT_KINDS = ("status", "reset", "delay", "throttle")
DEFAULT_WHEN = {"status": "before", "reset": "before", "throttle": "before", "delay": "after"}


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
    out = {
        "action": rule.get("action", "*") or "*",
        "service": rule.get("service"),
        "kind": kind,
        "when": when,
        "status": int(rule.get("status", 500)),
        "errorType": rule.get("errorType"),
        "message": rule.get("message"),
        "delayMs": int(rule.get("delayMs", 3000)),
        "count": None if rule.get("count") is None else int(rule["count"]),
        "every": None if rule.get("every") is None else int(rule["every"]),
        "after": int(rule.get("after", 0) or 0),
        "seen": 0,
        "applied": 0,
    }
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


# --------------------------------------------------------------------------------------
# The middleware
# --------------------------------------------------------------------------------------
class Emulator:
    def __init__(self, moto_app: Callable, page_size: int = DEFAULT_PAGE_SIZE,
                 throttle_rps: float | None = None, verbose: bool = False):
        self.moto_app = moto_app
        self.page_size = page_size
        self.verbose = verbose
        self.initial_throttle = normalize_throttle({"rps": throttle_rps}) if throttle_rps else None
        # moto is not written for concurrent requests: every request that touches moto's
        # state (and the launcher's own AWS state) runs under this lock.  Throttling, faults
        # and delays happen outside it.
        self.moto_lock = threading.RLock()
        self.cfg_lock = threading.Lock()
        self.log_lock = threading.Lock()
        self._reset_state()

    def _reset_state(self) -> None:
        with self.moto_lock:
            self.custom_types: dict[tuple[str, str], dict[tuple[str, str, str], dict[str, Any]]] = {}
            self.credentials: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
            self.history: dict[tuple[str, str, str], dict[int, dict[str, Any]]] = {}
        with self.cfg_lock:
            self.throttle = copy.deepcopy(self.initial_throttle)
            self.faults: list[dict[str, Any]] = []
            self.buckets: dict[tuple[str, str], list[float]] = {}
        with self.log_lock:
            self.calls: list[dict[str, Any]] = []

    # ---------------------------------------------------------------- WSGI entry point
    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or ""
        if path == "/_emulator" or path.startswith("/_emulator/"):
            try:
                resp = self.test_endpoint(environ, path)
            except Exception as exc:  # pragma: no cover - defensive
                self._log_exception("test endpoint", exc)
                resp = plain_json({"message": f"{type(exc).__name__}: {exc}"}, 500)
            return self._send(resp, start_response)

        body = self._read_body(environ)
        if path.startswith("/moto-api"):
            if path.rstrip("/") == "/moto-api/reset":
                self._reset_state()
            return self._send(self.call_moto(environ, body), start_response)

        req = self.parse_request(environ, body)
        entry = {"service": req.service, "action": req.action, "region": req.region,
                 "account": req.account, "status": None, "write": self._is_write(req.action),
                 "fault": None, "processed": False, "errorType": None, "time": time.time()}

        # 1. throttling (token bucket per region+action)
        if self._throttled(req):
            entry["fault"] = "throttle"
            return self._finish(entry, error_for(req, "ThrottlingException", "Rate exceeded"), start_response)

        # 2. faults
        rule = self._pick_fault(req)
        if rule is not None:
            entry["fault"] = rule["kind"]
            processed = None
            if rule["when"] == "after":
                processed = self._process(environ, req, entry)
            if rule["kind"] == "reset":
                entry["status"] = 0
                self._record(entry)
                self._abort_connection(environ)
            if rule["kind"] == "delay":
                if rule["when"] == "before":
                    time.sleep(rule["delayMs"] / 1000.0)
                    resp = self._process(environ, req, entry)
                else:
                    resp = processed
                    time.sleep(rule["delayMs"] / 1000.0)
                return self._finish(entry, resp, start_response)
            if rule["kind"] == "throttle":
                return self._finish(entry, error_for(req, "ThrottlingException", "Rate exceeded"), start_response)
            status = rule["status"]
            err_type = rule["errorType"] or status_error_type(status)
            message = rule["message"] or f"Emulated fault: HTTP {status}"
            return self._finish(entry, error_for(req, err_type, message, status), start_response)

        resp = self._process(environ, req, entry)
        return self._finish(entry, resp, start_response)

    # ---------------------------------------------------------------- plumbing
    def _process(self, environ: dict[str, Any], req: AwsRequest, entry: dict[str, Any]) -> Resp:
        try:
            with self.moto_lock:
                resp = self.dispatch(environ, req)
        except EmulatorError as err:
            resp = err.resp
        except Exception as exc:
            self._log_exception(f"{req.service}.{req.action}", exc)
            resp = aws_error("InternalFailure", f"{type(exc).__name__}: {exc}", 500)
        entry["processed"] = True
        if req.protocol == "json":
            # AWS JSON protocol responses are application/x-amz-json-1.1 (moto sends
            # text/html or application/json for some); moto's stray "status" header goes.
            resp.headers = [(k, v) for k, v in resp.headers if k.lower() not in ("content-type", "status")]
            resp.headers.append(("Content-Type", JSON_CT))
        return resp

    def _finish(self, entry: dict[str, Any], resp: Resp, start_response: Callable) -> Iterable[bytes]:
        entry["status"] = resp.status
        if resp.status >= 400:
            err_type = resp.header("x-amzn-ErrorType")
            if not err_type:
                try:
                    err_type = resp.json().get("__type")
                except Exception:
                    err_type = None
            entry["errorType"] = err_type.split(":")[0] if isinstance(err_type, str) else None
        self._record(entry)
        return self._send(resp, start_response)

    def _record(self, entry: dict[str, Any]) -> None:
        with self.log_lock:
            self.calls.append(entry)

    @staticmethod
    def _is_write(action: str) -> bool:
        return bool(action) and not action.startswith(READ_PREFIXES)

    def _log_exception(self, where: str, exc: BaseException) -> None:
        if self.verbose:
            traceback.print_exc()
        else:
            print(f"emulator: error in {where}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)

    @staticmethod
    def _send(resp: Resp, start_response: Callable) -> Iterable[bytes]:
        headers = [(k, v) for k, v in resp.headers
                   if k.lower() not in ("content-length", "transfer-encoding", "connection")]
        headers.append(("Content-Length", str(len(resp.body))))
        try:
            reason = http.HTTPStatus(resp.status).phrase
        except ValueError:
            reason = "Unknown"
        start_response(f"{resp.status} {reason}", headers)
        return [resp.body]

    @staticmethod
    def _read_body(environ: dict[str, Any]) -> bytes:
        from werkzeug.wsgi import get_input_stream

        body = get_input_stream(environ).read()
        if environ.get("HTTP_CONTENT_ENCODING", "").lower() == "gzip" and body:
            body = gzip.decompress(body)
            environ.pop("HTTP_CONTENT_ENCODING", None)
        return body

    @staticmethod
    def _abort_connection(environ: dict[str, Any]) -> None:
        """Close the TCP connection with a RST and no response at all.

        SO_LINGER 0 makes the close abortive (RST).  The socket object is shared with
        werkzeug's request handler, which keeps using its file descriptor afterwards, so
        rather than close() we dup2() an already-EOF socketpair end over the descriptor:
        dup2 closes the TCP socket (sending the RST) and werkzeug then sees a clean EOF
        instead of operating on a closed (or reused) descriptor.
        """
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
        # werkzeug treats ConnectionError from the app as "client went away": no response.
        raise ConnectionResetError("emulated connection reset")

    def call_moto(self, environ: dict[str, Any], body: bytes) -> Resp:
        env = dict(environ)
        env["wsgi.input"] = io.BytesIO(body)
        env["CONTENT_LENGTH"] = str(len(body))
        env.pop("HTTP_TRANSFER_ENCODING", None)
        env.pop("wsgi.input_terminated", None)
        captured: dict[str, Any] = {}
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
            captured["status"] = status
            captured["headers"] = headers
            return chunks.append

        with self.moto_lock:
            result = self.moto_app(env, start_response)
            try:
                for chunk in result:
                    chunks.append(chunk)
            finally:
                if hasattr(result, "close"):
                    result.close()
        status = int(str(captured.get("status", "500")).split()[0])
        return Resp(status, list(captured.get("headers", [])), b"".join(chunks))

    def forward(self, environ: dict[str, Any], req: AwsRequest, params: dict[str, Any] | None = None) -> Resp:
        """Send the request to moto, optionally with a replaced JSON body."""
        body = req.body if params is None else dumps(params)
        return self.call_moto(environ, body)

    # ---------------------------------------------------------------- request parsing
    def parse_request(self, environ: dict[str, Any], body: bytes) -> AwsRequest:
        req = AwsRequest()
        req.body = body
        auth = environ.get("HTTP_AUTHORIZATION", "") or ""
        target = environ.get("HTTP_X_AMZ_TARGET", "") or ""
        m = CREDENTIAL_RE.search(auth)
        access_key = None
        if m:
            access_key, _, scope_region, scope_service = m.group(1), m.group(2), m.group(3), m.group(4)
            req.region = scope_region
            req.service = scope_service.lower()
        # Same precedence as moto (moto.core.responses.BaseResponse.get_region_from_url):
        # a "region/..." user agent wins over the credential scope.
        ua = USER_AGENT_REGION_RE.search(environ.get("HTTP_USER_AGENT", "") or "")
        if ua:
            req.region = ua.group("region")
        if target:
            req.protocol = "json"
            prefix, _, action = target.partition(".")
            req.action = action
            if not m:
                req.service = TARGET_PREFIXES.get(prefix, prefix.lower())
            if body.strip():
                try:
                    parsed = json.loads(body.decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    parsed = None
                req.params = parsed if isinstance(parsed, dict) else {"__invalid__": True}
        else:
            ctype = environ.get("CONTENT_TYPE", "") or ""
            form: dict[str, list[str]] = {}
            if ctype.startswith("application/x-www-form-urlencoded") and body:
                form = parse_qs(body.decode("utf-8", "replace"))
            query = parse_qs(environ.get("QUERY_STRING", "") or "")
            action = (form.get("Action") or query.get("Action") or [""])[0]
            if action:
                req.protocol = "query"
                req.action = action
                req.params = {k: v[0] for k, v in form.items()}
                if not m:
                    req.service = UNSIGNED_QUERY_ACTIONS.get(action, req.service)
            else:
                req.action = f"{environ.get('REQUEST_METHOD', 'GET')} {environ.get('PATH_INFO', '/')}"
        req.account = self.account_for(environ, access_key)
        return req

    @staticmethod
    def account_for(environ: dict[str, Any], access_key: str | None) -> str:
        # Same precedence as moto (BaseResponse.get_current_account).
        if "MOTO_ACCOUNT_ID" in os.environ:
            return os.environ["MOTO_ACCOUNT_ID"]
        if environ.get("HTTP_X_MOTO_ACCOUNT_ID"):
            return environ["HTTP_X_MOTO_ACCOUNT_ID"]
        if not access_key:
            return default_account()
        from moto.iam.models import get_account_id_from

        return get_account_id_from(access_key)

    # ---------------------------------------------------------------- throttle / faults
    def _throttled(self, req: AwsRequest) -> bool:
        with self.cfg_lock:
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

    def _pick_fault(self, req: AwsRequest) -> dict[str, Any] | None:
        with self.cfg_lock:
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

    def config_view(self) -> dict[str, Any]:
        with self.cfg_lock:
            return {"throttle": copy.deepcopy(self.throttle), "faults": copy.deepcopy(self.faults)}

    def set_config(self, cfg: dict[str, Any]) -> None:
        throttle = self.throttle
        faults = self.faults
        if "throttle" in cfg:
            throttle = normalize_throttle(cfg["throttle"])
        if "faults" in cfg:
            if cfg["faults"] is None:
                faults = []
            elif isinstance(cfg["faults"], list):
                faults = [normalize_fault(r) for r in cfg["faults"]]
            else:
                raise ValueError("faults must be a list")
        with self.cfg_lock:
            if "throttle" in cfg:
                self.throttle = throttle
                self.buckets = {}
            if "faults" in cfg:
                self.faults = faults

    # ---------------------------------------------------------------- AWS dispatch
    def dispatch(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        if req.protocol == "json" and req.params.get("__invalid__"):
            return aws_error("SerializationException", "Request body is not a JSON object")
        handler = {
            ("codepipeline", "GetPipeline"): self.cp_get_pipeline,
            ("codepipeline", "CreatePipeline"): self.cp_create_pipeline,
            ("codepipeline", "UpdatePipeline"): self.cp_update_pipeline,
            ("codepipeline", "DeletePipeline"): self.cp_delete_pipeline,
            ("codepipeline", "ListPipelines"): self.cp_list_pipelines,
            ("codepipeline", "ListTagsForResource"): self.cp_tags_call,
            ("codepipeline", "TagResource"): self.cp_tags_call,
            ("codepipeline", "UntagResource"): self.cp_tags_call,
            ("codepipeline", "CreateCustomActionType"): self.cp_create_custom_action_type,
            ("codepipeline", "DeleteCustomActionType"): self.cp_delete_custom_action_type,
            ("codepipeline", "ListActionTypes"): self.cp_list_action_types,
            ("tagging", "GetResources"): self.tag_get_resources,
            ("codebuild", "ImportSourceCredentials"): self.cb_import_source_credentials,
            ("codebuild", "ListSourceCredentials"): self.cb_list_source_credentials,
            ("codebuild", "DeleteSourceCredentials"): self.cb_delete_source_credentials,
        }.get((req.service, req.action))
        if handler is None:
            return self.forward(environ, req)
        return handler(environ, req)

    # ================================================================ CodePipeline
    @staticmethod
    def cp_backend(account: str, region: str) -> Any:
        from moto.codepipeline.models import codepipeline_backends

        return codepipeline_backends[account][region]

    def stored_pipeline(self, account: str, region: str, name: Any) -> Any:
        if not isinstance(name, str):
            return None
        return self.cp_backend(account, region).pipelines.get(name)

    def secret_properties(self, account: str, region: str, type_id: Any) -> set[str]:
        key = type_key(type_id)
        if key is None:
            return set()
        if key[1] == "Custom":
            entry = self.custom_types.get((account, region), {}).get((key[0], key[2], key[3]))
            at = entry["actionType"] if entry else None
        else:
            at = BUILTIN_BY_KEY.get(key)
        if not at:
            return set()
        return {p["name"] for p in at.get("actionConfigurationProperties", []) if p.get("secret")}

    @staticmethod
    def iter_actions(pipeline: Any) -> Iterable[tuple[dict[str, Any], dict[str, Any]]]:
        if not isinstance(pipeline, dict):
            return
        for stage in pipeline.get("stages") or []:
            if not isinstance(stage, dict):
                continue
            for action in stage.get("actions") or []:
                if isinstance(action, dict):
                    yield stage, action

    def mask_pipeline(self, account: str, region: str, pipeline: Any) -> Any:
        # CodePipeline API reference, ActionConfigurationProperty.secret: "Secrets are hidden
        # from all calls except for GetJobDetails, GetThirdPartyJobDetails, PollForJobs, and
        # PollForThirdPartyJobs." -> GetPipeline and the pipeline returned by Create/UpdatePipeline
        # show '****'.  Deep copy: never touch moto's stored dict.
        masked = copy.deepcopy(pipeline)
        for _, action in self.iter_actions(masked):
            cfg = action.get("configuration")
            if not isinstance(cfg, dict):
                continue
            for name in self.secret_properties(account, region, action.get("actionTypeId")):
                if name in cfg:
                    cfg[name] = SECRET_MASK
        return masked

    @staticmethod
    def masked_secret_error(action_name: Any, prop: str) -> EmulatorError:
        return EmulatorError(aws_error(
            "InvalidActionDeclarationException",
            f"Action configuration for action '{action_name}' contains secret property '{prop}' "
            f"with value '{SECRET_MASK}'. '{SECRET_MASK}' may be used in secret properties only "
            f"when updating an existing action."))

    def record_history(self, req: AwsRequest, name: str) -> None:
        stored = self.stored_pipeline(req.account, req.region, name)
        if stored is not None:
            versions = self.history.setdefault((req.account, req.region, name), {})
            versions[int(stored.pipeline.get("version", 1))] = copy.deepcopy(stored.pipeline)

    def _masked_pipeline_response(self, req: AwsRequest, resp: Resp) -> Resp:
        if resp.status != 200:
            return resp
        data = resp.json()
        if isinstance(data.get("pipeline"), dict):
            data["pipeline"] = self.mask_pipeline(req.account, req.region, data["pipeline"])
        return json_resp(data, headers=resp.headers)

    @staticmethod
    def _convert_metadata(metadata: Any) -> Any:
        # AWS JSON protocol serialises timestamps as epoch seconds (a JSON number);
        # PipelineMetadata.created / updated / pollingDisabledAt are "Type: Timestamp".
        # moto sends ISO-8601 strings, which the JS SDK rejects ("Expected real number").
        if isinstance(metadata, dict):
            for k in ("created", "updated", "pollingDisabledAt"):
                if k in metadata:
                    metadata[k] = to_epoch(metadata[k])
        return metadata

    def cp_get_pipeline(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        name = req.params.get("name")
        version = req.params.get("version")
        stored = self.stored_pipeline(req.account, req.region, name)
        resp = self.forward(environ, req)
        if resp.status != 200:
            return resp
        data = resp.json()
        if version is not None and stored is not None and version != stored.pipeline.get("version"):
            # GetPipeline.version: "The version number of the pipeline. If you do not specify
            # a version, defaults to the current version." moto ignores it and always returns
            # the current one; unknown versions -> PipelineVersionNotFoundException.
            old = self.history.get((req.account, req.region, name), {}).get(version)
            if old is None:
                return aws_error("PipelineVersionNotFoundException",
                                 f"Pipeline version '{version}' was not found for pipeline '{name}'")
            data["pipeline"] = copy.deepcopy(old)
        data["pipeline"] = self.mask_pipeline(req.account, req.region, data.get("pipeline"))
        self._convert_metadata(data.get("metadata"))
        return json_resp(data, headers=resp.headers)

    def cp_create_pipeline(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        pipeline = req.params.get("pipeline")
        if isinstance(pipeline, dict):
            # CreatePipeline errors: PipelineNameInUseException "The specified pipeline name is
            # already in use." (moto answers InvalidStructureException instead).
            if self.stored_pipeline(req.account, req.region, pipeline.get("name")) is not None:
                return aws_error("PipelineNameInUseException",
                                 f"A pipeline with the name '{pipeline.get('name')}' already exists "
                                 f"in account '{req.account}'")
            # '****' is only accepted when updating an existing action
            # (ActionConfigurationProperty.secret); a new pipeline has none.
            for _, action in self.iter_actions(pipeline):
                cfg = action.get("configuration")
                if not isinstance(cfg, dict):
                    continue
                for prop in sorted(self.secret_properties(req.account, req.region, action.get("actionTypeId"))):
                    if cfg.get(prop) == SECRET_MASK:
                        raise self.masked_secret_error(action.get("name"), prop)
        resp = self.forward(environ, req)
        if resp.status == 200 and isinstance(pipeline, dict):
            self.history.pop((req.account, req.region, pipeline.get("name")), None)
            self.record_history(req, pipeline.get("name"))
        return self._masked_pipeline_response(req, resp)

    def cp_update_pipeline(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        pipeline = req.params.get("pipeline")
        params = None
        if isinstance(pipeline, dict):
            stored = self.stored_pipeline(req.account, req.region, pipeline.get("name"))
            if stored is not None:
                params = copy.deepcopy(req.params)
                self.restore_masked_secrets(req, params["pipeline"], stored.pipeline)
        resp = self.forward(environ, req, params)
        if resp.status == 200 and isinstance(pipeline, dict):
            self.record_history(req, pipeline.get("name"))
        return self._masked_pipeline_response(req, resp)

    def restore_masked_secrets(self, req: AwsRequest, pipeline: dict[str, Any], stored: dict[str, Any]) -> None:
        # ActionConfigurationProperty.secret (CodePipeline API reference): "When updating a
        # pipeline, passing * * * * * without changing any other values of the action
        # preserves the previous value of the secret."  Same stage, same action name, same
        # actionTypeId -> substitute the stored value before moto stores the pipeline;
        # otherwise '****' would become the secret, so reject it like AWS does.
        old_actions: dict[tuple[Any, Any], dict[str, Any]] = {}
        for stage, action in self.iter_actions(stored):
            old_actions[(stage.get("name"), action.get("name"))] = action
        for stage, action in self.iter_actions(pipeline):
            cfg = action.get("configuration")
            if not isinstance(cfg, dict):
                continue
            for prop in sorted(self.secret_properties(req.account, req.region, action.get("actionTypeId"))):
                if cfg.get(prop) != SECRET_MASK:
                    continue
                old = old_actions.get((stage.get("name"), action.get("name")))
                old_cfg = old.get("configuration") if old else None
                if (old is None or old.get("actionTypeId") != action.get("actionTypeId")
                        or not isinstance(old_cfg, dict) or prop not in old_cfg):
                    raise self.masked_secret_error(action.get("name"), prop)
                cfg[prop] = old_cfg[prop]

    def cp_delete_pipeline(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        resp = self.forward(environ, req)
        if resp.status == 200:
            self.history.pop((req.account, req.region, req.params.get("name")), None)
        return resp

    def cp_list_pipelines(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        # ListPipelines (CodePipeline API reference): maxResults "The maximum number of pipelines
        # to return in a single call. To retrieve the remaining pipelines, make another call with
        # the returned nextToken value." (Valid Range 1..1000); response nextToken "If the amount
        # of returned information is significantly large, an identifier is also returned."
        # moto returns every pipeline at once and ignores both parameters.
        max_results = req.params.get("maxResults")
        if max_results is not None:
            if not isinstance(max_results, int) or isinstance(max_results, bool) or not 1 <= max_results <= MAX_PAGE_SIZE:
                return aws_error("ValidationException",
                                 f"1 validation error detected: Value '{max_results}' at 'maxResults' failed "
                                 f"to satisfy constraint: Member must have value between 1 and {MAX_PAGE_SIZE}")
        page_size = max_results or self.page_size
        after = None
        token = req.params.get("nextToken")
        if token is not None:
            after = decode_token(token)
            if after is None:
                return aws_error("InvalidNextTokenException",
                                 "The next token was specified in an invalid format. Make sure that the next "
                                 "token you provide is the token returned by a previous call.")
        resp = self.forward(environ, req, {})
        if resp.status != 200:
            return resp
        data = resp.json()
        summaries = sorted(data.get("pipelines") or [], key=lambda s: s.get("name", ""))
        if after is not None:
            summaries = [s for s in summaries if s.get("name", "") > after]
        page = summaries[:page_size]
        for s in page:
            # PipelineSummary.created / updated: "Type: Timestamp" -> epoch seconds.
            for k in ("created", "updated"):
                if k in s:
                    s[k] = to_epoch(s[k])
            # PipelineSummary also carries pipelineType / executionMode; copy them
            # when the stored declaration has them (moto drops them from summaries).
            stored = self.stored_pipeline(req.account, req.region, s.get("name"))
            if stored is not None:
                for k in ("pipelineType", "executionMode"):
                    if k in stored.pipeline and k not in s:
                        s[k] = stored.pipeline[k]
        out: dict[str, Any] = {"pipelines": page}
        if len(summaries) > page_size:
            out["nextToken"] = encode_token(page[-1].get("name", ""))
        return json_resp(out, headers=resp.headers)

    def cp_tags_call(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        # ListTagsForResource / TagResource / UntagResource: a malformed resourceArn is
        # InvalidArnException ("The specified resource ARN is invalid."); moto just takes the
        # text after the last ':' as a pipeline name.
        arn = req.params.get("resourceArn")
        if not isinstance(arn, str) or not PIPELINE_ARN_RE.match(arn):
            return aws_error("InvalidArnException", f"The specified resource ARN is invalid: {arn}")
        resp = self.forward(environ, req)
        if resp.status == 200 and not resp.body.strip():
            # TagResourceOutput / UntagResourceOutput are empty JSON objects.
            return json_resp({}, headers=resp.headers)
        return resp

    # ---- custom action types (moto 5.2.1 has none)
    def cp_create_custom_action_type(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        # CreateCustomActionType (CodePipeline API reference): category, provider, version,
        # inputArtifactDetails, outputArtifactDetails required; settings and
        # configurationProperties optional.  The output's ActionType names the properties
        # "actionConfigurationProperties" and its id has owner "Custom".
        p = req.params
        category, provider, version = p.get("category"), p.get("provider"), p.get("version")
        errors = []
        if category not in ("Source", "Build", "Deploy", "Test", "Invoke", "Approval", "Compute"):
            errors.append(f"Value '{category}' at 'category' failed to satisfy constraint: Member must "
                          f"satisfy enum value set: [Source, Build, Deploy, Test, Invoke, Approval, Compute]")
        if not isinstance(provider, str) or not re.fullmatch(r"[0-9A-Za-z_-]{1,35}", provider):
            errors.append(f"Value '{provider}' at 'provider' failed to satisfy constraint: Member must "
                          f"satisfy regular expression pattern: [0-9A-Za-z_-]+ (length 1-35)")
        if not isinstance(version, str) or not re.fullmatch(r"[0-9A-Za-z_-]{1,9}", version):
            errors.append(f"Value '{version}' at 'version' failed to satisfy constraint: Member must "
                          f"satisfy regular expression pattern: [0-9A-Za-z_-]+ (length 1-9)")
        details = {}
        for field in ("inputArtifactDetails", "outputArtifactDetails"):
            d = p.get(field)
            ok = (isinstance(d, dict) and all(isinstance(d.get(k), int) and 0 <= d[k] <= 5
                                               for k in ("minimumCount", "maximumCount")))
            if not ok:
                errors.append(f"Value at '{field}' failed to satisfy constraint: minimumCount and "
                              f"maximumCount are required integers between 0 and 5")
            else:
                details[field] = {"minimumCount": d["minimumCount"], "maximumCount": d["maximumCount"]}
        props = p.get("configurationProperties") or []
        if not isinstance(props, list) or len(props) > 10:
            errors.append("Value at 'configurationProperties' failed to satisfy constraint: "
                          "Member must have length less than or equal to 10")
            props = []
        clean_props = []
        for i, prop in enumerate(props):
            if not (isinstance(prop, dict) and isinstance(prop.get("name"), str) and prop["name"]
                    and all(isinstance(prop.get(k), bool) for k in ("required", "key", "secret"))):
                errors.append(f"Value at 'configurationProperties.{i + 1}' failed to satisfy constraint: "
                              f"name, required, key and secret are required")
                continue
            cp = {k: prop[k] for k in ("name", "required", "key", "secret", "queryable", "description", "type")
                  if k in prop}
            if cp.get("type") is not None and cp["type"] not in ("String", "Number", "Boolean"):
                errors.append(f"Value '{cp['type']}' at 'configurationProperties.{i + 1}.type' failed to "
                              f"satisfy constraint: Member must satisfy enum value set: [String, Number, Boolean]")
            clean_props.append(cp)
        if errors:
            return aws_error("ValidationException",
                             f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} detected: "
                             + "; ".join(errors))
        types = self.custom_types.setdefault((req.account, req.region), {})
        key = (category, provider, version)
        if key in types:
            return aws_error("ValidationException",
                             f"Action type with category '{category}', owner 'Custom', provider "
                             f"'{provider}' and version '{version}' already exists")
        action_type = {
            "id": {"category": category, "owner": "Custom", "provider": provider, "version": version},
            "settings": copy.deepcopy(p.get("settings") or {}),
            "actionConfigurationProperties": clean_props,
            **details,
        }
        tags = p.get("tags") or []
        types[key] = {"actionType": action_type, "tags": copy.deepcopy(tags)}
        out: dict[str, Any] = {"actionType": copy.deepcopy(action_type)}
        if tags:
            out["tags"] = copy.deepcopy(tags)
        return json_resp(out)

    def cp_delete_custom_action_type(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        p = req.params
        types = self.custom_types.get((req.account, req.region), {})
        key = (p.get("category"), p.get("provider"), p.get("version"))
        if key not in types:
            return aws_error("ActionTypeNotFoundException",
                             f"Action type with category '{key[0]}', owner 'Custom', provider '{key[1]}' "
                             f"and version '{key[2]}' was not found")
        del types[key]
        return json_resp({})

    def cp_list_action_types(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        # ListActionTypes: actionOwnerFilter "Filters the list of action types to those created
        # by a specified entity." Valid values: AWS | ThirdParty | Custom.
        owner = req.params.get("actionOwnerFilter")
        if owner is not None and owner not in ("AWS", "ThirdParty", "Custom"):
            return aws_error("ValidationException",
                             f"1 validation error detected: Value '{owner}' at 'actionOwnerFilter' failed to "
                             f"satisfy constraint: Member must satisfy enum value set: [AWS, ThirdParty, Custom]")
        if req.params.get("nextToken") is not None:
            # Everything fits on one page, so no token is ever handed out.
            return aws_error("InvalidNextTokenException",
                             "The next token was specified in an invalid format. Make sure that the next "
                             "token you provide is the token returned by a previous call.")
        # custom types are stored per account+region, so the `regionFilter` is the request's region.
        all_types = BUILTIN_ACTION_TYPES + [
            v["actionType"] for _, v in sorted(self.custom_types.get((req.account, req.region), {}).items())]
        out = [copy.deepcopy(t) for t in all_types if owner is None or t["id"]["owner"] == owner]
        return json_resp({"actionTypes": out})

    # ================================================================ CodeBuild source credentials
    SERVER_TYPES = ("GITHUB", "BITBUCKET", "GITHUB_ENTERPRISE", "GITLAB", "GITLAB_SELF_MANAGED")
    AUTH_TYPES = ("OAUTH", "BASIC_AUTH", "PERSONAL_ACCESS_TOKEN", "CODECONNECTIONS", "SECRETS_MANAGER")
    RESOURCE_AUTH_TYPES = ("CODECONNECTIONS", "SECRETS_MANAGER")

    @staticmethod
    def credential_arn(account: str, region: str, server_type: str) -> str:
        return f"arn:{partition_of(region)}:codebuild:{region}:{account}:token/{server_type.lower()}"

    def store_credential(self, account: str, region: str, server_type: str, auth_type: str,
                         token: Any, username: Any = None, resource: Any = None) -> dict[str, Any]:
        if resource is None and auth_type in self.RESOURCE_AUTH_TYPES:
            resource = token
        cred = {"arn": self.credential_arn(account, region, server_type), "serverType": server_type,
                "authType": auth_type, "token": token, "username": username, "resource": resource,
                "account": account, "region": region}
        self.credentials.setdefault((account, region), {})[server_type] = cred
        return cred

    def cb_import_source_credentials(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        # ImportSourceCredentials (CodeBuild API reference).  One credential per server type
        # per region ("shouldOverwrite: Set to false to prevent overwriting the repository
        # source credentials. Set to true to overwrite ... The default value is true.").
        p = req.params
        token, server_type, auth_type = p.get("token"), p.get("serverType"), p.get("authType")
        username, overwrite = p.get("username"), p.get("shouldOverwrite", True)
        if not isinstance(token, str) or not token:
            return aws_error("InvalidInputException", "token must not be empty")
        if server_type not in self.SERVER_TYPES:
            return aws_error("InvalidInputException",
                             f"Invalid server type: {server_type}. Valid values: {', '.join(self.SERVER_TYPES)}")
        if auth_type not in self.AUTH_TYPES:
            return aws_error("InvalidInputException",
                             f"Invalid auth type: {auth_type}. Valid values: {', '.join(self.AUTH_TYPES)}")
        if auth_type == "OAUTH":
            # authType: "OAUTH" ... "An OAUTH connection is not supported by the API and must
            # be created using the CodeBuild console."
            return aws_error("InvalidInputException",
                             "OAUTH is not supported by the API; OAuth connections must be created using "
                             "the CodeBuild console")
        if auth_type == "BASIC_AUTH" and (not isinstance(username, str) or not username):
            # username: "The Bitbucket username when the authType is BASIC_AUTH."
            return aws_error("InvalidInputException", "username is required when authType is BASIC_AUTH")
        if username is not None and not isinstance(username, str):
            return aws_error("InvalidInputException", "username must be a string")
        if not isinstance(overwrite, bool):
            return aws_error("InvalidInputException", "shouldOverwrite must be a boolean")
        if auth_type in self.RESOURCE_AUTH_TYPES and not token.startswith("arn:"):
            # token: "For the authType CODECONNECTIONS, this is the connectionArn. For the
            # authType SECRETS_MANAGER, this is the secretArn."
            return aws_error("InvalidInputException", f"token must be an ARN when authType is {auth_type}")
        existing = self.credentials.get((req.account, req.region), {}).get(server_type)
        if existing is not None and overwrite is False:
            return aws_error("ResourceAlreadyExistsException",
                             f"Source credentials for server type {server_type} already exist; set "
                             f"shouldOverwrite to true to replace them")
        cred = self.store_credential(req.account, req.region, server_type, auth_type, token, username)
        return json_resp({"arn": cred["arn"]})

    def cb_list_source_credentials(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        # ListSourceCredentials -> SourceCredentialsInfo {arn, serverType, authType, resource};
        # the token is never returned.
        infos = []
        for server_type in sorted(self.credentials.get((req.account, req.region), {})):
            cred = self.credentials[(req.account, req.region)][server_type]
            info = {"arn": cred["arn"], "serverType": cred["serverType"], "authType": cred["authType"]}
            if cred["authType"] in self.RESOURCE_AUTH_TYPES and cred.get("resource"):
                info["resource"] = cred["resource"]
            infos.append(info)
        return json_resp({"sourceCredentialsInfos": infos})

    def cb_delete_source_credentials(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        # DeleteSourceCredentials {arn} -> {arn}; unknown ARN -> ResourceNotFoundException.
        arn = req.params.get("arn")
        if not isinstance(arn, str) or not arn:
            return aws_error("InvalidInputException", "arn must not be empty")
        creds = self.credentials.get((req.account, req.region), {})
        for server_type, cred in list(creds.items()):
            if cred["arn"] == arn:
                del creds[server_type]
                return json_resp({"arn": arn})
        return aws_error("ResourceNotFoundException", f"Could not find source credentials with ARN {arn}")

    # ================================================================ Resource Groups Tagging API
    def tag_get_resources(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        """GetResources for CodePipeline pipelines, which moto's tagging backend does not cover.

        Follows the Resource Groups Tagging API reference: ResourceTypeFilters
        ("codepipeline" or "codepipeline:pipeline"), TagFilters (Key, optional
        Values, ANDed), ResourcesPerPage (default and max 100), PaginationToken
        ("" when done); system tags such as aws:cloudformation:stack-name are
        returned like any other tag. Other resource types go to moto.
        """
        p = req.params
        types = p.get("ResourceTypeFilters") or []
        if not any(str(t).split(":")[0] == "codepipeline" for t in types):
            return self.forward(environ, req)
        filters = p.get("TagFilters") or []
        per_page = int(p.get("ResourcesPerPage") or 100)
        if not 1 <= per_page <= 100:
            return aws_error("InvalidParameterException", "ResourcesPerPage must be between 1 and 100")
        with self.moto_lock:
            backend = self.cp_backend(req.account, req.region)
            mappings = []
            for name in sorted(backend.pipelines):
                tags = dict(backend.pipelines[name].tags)
                if all(f.get("Key") in tags and (not f.get("Values") or tags[f["Key"]] in f["Values"])
                       for f in filters):
                    mappings.append({"ResourceARN": backend.pipelines[name]._arn,
                                     "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]})
        start = 0
        if p.get("PaginationToken"):
            decoded = decode_token(p["PaginationToken"])
            if decoded is None or not decoded.isdigit():
                return aws_error("PaginationTokenExpiredException", "The pagination token is invalid")
            start = int(decoded)
        page = mappings[start:start + per_page]
        more = start + per_page < len(mappings)
        return json_resp({"ResourceTagMappingList": page,
                          "PaginationToken": encode_token(str(start + per_page)) if more else ""})

    # ================================================================ test-only endpoints
    def test_endpoint(self, environ: dict[str, Any], path: str) -> Resp:
        method = environ.get("REQUEST_METHOD", "GET")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "") or "").items()}
        route = path.rstrip("/")

        def body_json() -> Any:
            raw = self._read_body(environ)
            return json.loads(raw.decode("utf-8")) if raw.strip() else {}

        if route == "/_emulator/health" and method == "GET":
            return plain_json({"status": "ok"})

        if route == "/_emulator/codepipeline/pipeline" and method == "GET":
            name, region = query.get("name"), query.get("region", "us-east-1")
            account = query.get("account", default_account())
            with self.moto_lock:
                stored = self.stored_pipeline(account, region, name)
                if stored is None:
                    return plain_json({"message": f"pipeline {name!r} not found in {account}/{region}"}, 404)
                meta = self._convert_metadata(dict(stored.metadata))
                return plain_json({
                    "pipeline": copy.deepcopy(stored.pipeline),  # UNMASKED
                    "tags": [{"key": k, "value": v} for k, v in sorted(stored.tags.items())],
                    "metadata": meta,
                })

        if route == "/_emulator/codepipeline/system-tags" and method == "POST":
            # CloudFormation tags the resources of a stack with aws:cloudformation:stack-name;
            # TagResource refuses aws: keys from users (moto does too), so tests seed them here.
            try:
                b = body_json()
            except ValueError as exc:
                return plain_json({"message": f"invalid JSON: {exc}"}, 400)
            region = b.get("region", "us-east-1")
            account = b.get("account") or default_account()
            with self.moto_lock:
                stored = self.stored_pipeline(account, region, b.get("name"))
                if stored is None:
                    return plain_json({"message": f"pipeline {b.get('name')!r} not found"}, 404)
                stored.tags.update({t["key"]: t["value"] for t in b.get("tags", [])})
            return plain_json({"status": "ok"})

        if route == "/_emulator/codebuild/credentials":
            if method == "GET":
                region = query.get("region", "us-east-1")
                account = query.get("account", default_account())
                with self.moto_lock:
                    creds = self.credentials.get((account, region), {})
                    return plain_json({"credentials": [copy.deepcopy(creds[k]) for k in sorted(creds)]})
            if method == "POST":
                try:
                    b = body_json()
                except ValueError as exc:
                    return plain_json({"message": f"invalid JSON: {exc}"}, 400)
                if not isinstance(b, dict) or not b.get("serverType") or not b.get("authType"):
                    return plain_json({"message": "serverType and authType are required"}, 400)
                with self.moto_lock:
                    cred = self.store_credential(b.get("account") or default_account(),
                                                 b.get("region") or "us-east-1", b["serverType"],
                                                 b["authType"], b.get("token"), b.get("username"),
                                                 b.get("resource"))
                return plain_json({"arn": cred["arn"]})

        if route == "/_emulator/calls" and method == "GET":
            with self.log_lock:
                calls = [dict(c) for c in self.calls]
            for key in ("service", "action", "region", "account"):
                if key in query:
                    calls = [c for c in calls if c[key] == query[key]]
            if "write" in query:
                want = query["write"].lower() in ("1", "true", "yes")
                calls = [c for c in calls if c["write"] == want]
            return plain_json(calls)

        if route == "/_emulator/calls/reset" and method == "POST":
            with self.log_lock:
                self.calls = []
            return plain_json({"status": "ok"})

        if route == "/_emulator/reset" and method == "POST":
            from moto.moto_api._internal.models import moto_api_backend

            with self.moto_lock:
                moto_api_backend.reset()
                self._reset_state()
            return plain_json({"status": "ok"})

        if route == "/_emulator/config":
            if method == "GET":
                return plain_json(self.config_view())
            if method == "POST":
                try:
                    b = body_json()
                    if not isinstance(b, dict):
                        raise ValueError("config must be a JSON object")
                    self.set_config(b)
                except (ValueError, TypeError) as exc:
                    return plain_json({"message": str(exc)}, 400)
                return plain_json(self.config_view())

        return plain_json({"message": f"no test endpoint {method} {path}"}, 404)


def encode_token(after_name: str) -> str:
    raw = dumps({"v": 1, "after": after_name})
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_token(token: Any) -> str | None:
    if not isinstance(token, str) or not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("v") != 1 or not isinstance(data.get("after"), str):
        return None
    return data["after"]


# --------------------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------------------
def build_app(page_size: int = DEFAULT_PAGE_SIZE, throttle_rps: float | None = None,
              verbose: bool = False) -> Emulator:
    import warnings

    warnings.filterwarnings("ignore")
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    moto_app = DomainDispatcherApplication(create_backend_app)
    return Emulator(moto_app, page_size=page_size, throttle_rps=throttle_rps, verbose=verbose)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="moto-based AWS emulator for the e2e tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--throttle-rps", type=float, default=None,
                        help="throttle every action to R requests/s per region (burst R)")
    parser.add_argument("--page-size", type=int, default=DEFAULT_PAGE_SIZE,
                        help="default ListPipelines page size (AWS: 100)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    if not 1 <= args.page_size <= MAX_PAGE_SIZE:
        parser.error(f"--page-size must be between 1 and {MAX_PAGE_SIZE}")

    from werkzeug.serving import WSGIRequestHandler, make_server

    verbose = args.verbose

    class Handler(WSGIRequestHandler):
        def log_request(self, code: Any = "-", size: Any = "-") -> None:
            if verbose:
                super().log_request(code, size)

    app = build_app(args.page_size, args.throttle_rps, verbose)
    server = make_server(args.host, args.port, app, threaded=True, request_handler=Handler)
    port = server.socket.getsockname()[1]
    shown_host = "127.0.0.1" if args.host in ("", "0.0.0.0", "::") else args.host
    if ":" in shown_host:
        shown_host = f"[{shown_host}]"

    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    sys.stdout.write(f"EMULATOR_READY http://{shown_host}:{port}\n")
    sys.stdout.flush()
    # A test runner or bench killed without its cleanup must not leave an
    # emulator behind: once the parent is gone, the process is re-parented.
    parent = os.getppid()
    while not stop.wait(0.5):
        if not thread.is_alive():
            return 1
        if os.getppid() != parent:
            break
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
