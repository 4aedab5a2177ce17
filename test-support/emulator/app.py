"""The WSGI middleware in front of moto: request parsing, call log, dispatch.

Every request that is not a test endpoint (/_emulator/...) or moto's own
/moto-api/... is parsed into an AwsRequest (service, action, region, account,
protocol, params), goes through throttling and fault injection (faults.py),
then to the handler that a service module registered for (service, action),
or else to moto unchanged. Each such request is recorded in the call log.

What it follows of AWS:

* The action comes from ``X-Amz-Target`` for the AWS JSON protocol ("This header
  specifies the version of the API and the operation that you are requesting.
  The target header values are formed by concatenating the API version with the
  API name", AWS Transfer Family user guide, "Making API requests"; for example
  ``CodePipeline_20150709.GetPipeline``) or from the ``Action`` parameter of the
  query protocol (STS, IAM, CloudFormation).
* Region, service and access key come from the SigV4 credential scope,
  ``Credential=AKID/date/region/service/aws4_request``, with moto's precedence
  (a ``region/...`` user agent wins); the account is moto's
  ``get_account_id_from(access_key)``, so credentials STS handed out map to the
  role's account, as moto itself does.
* JSON-protocol answers carry ``Content-Type: application/x-amz-json-1.1``;
  errors are HTTP 4xx/5xx with the ``x-amzn-ErrorType`` header and a
  ``{"__type", "message"}`` body, as the AWS SDKs parse them. Query-protocol
  errors are an XML ``<ErrorResponse><Error><Type/><Code/><Message/></Error>
  <RequestId/></ErrorResponse>`` in the service's namespace. Members of "Type:
  Timestamp" (API references) travel as epoch-seconds numbers in the JSON
  protocol.

moto is not written for concurrent requests, so every handler and every call
into moto runs under one lock (Emulator.lock); throttling, faults and delays
happen outside it.
"""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import time
import traceback
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

# Shared with the service modules (common.py); also importable from here.
from common import (
    JSON_CT, JSON_10_CT, TARGET_PREFIXES, JSON_10_SERVICES, UNSIGNED_QUERY_ACTIONS,
    QUERY_NAMESPACES, READ_PREFIXES, CREDENTIAL_RE, USER_AGENT_REGION_RE, ISO_RE, XML_CODE_RE,
    _REASONS, default_account, partition_of, Resp, dumps, json_resp, aws_error, xml_escape,
    query_error, error_for, plain_json, to_epoch, epoch_ms, encode_token, decode_token,
    EmulatorError, AwsRequest, read_body, Handler)

# --------------------------------------------------------------------------------------
# The middleware
# --------------------------------------------------------------------------------------
class Emulator:
    def __init__(self, moto_app: Callable, page_size: int = 100, throttle_rps: float | None = None,
                 verbose: bool = False, latency_ms: float = 0.0):
        from faults import FaultConfig

        self.moto_app = moto_app
        self.page_size = page_size
        self.verbose = verbose
        # moto is not written for concurrent requests: every request that touches
        # moto's state (and the launcher's own AWS state) runs under this lock.
        self.lock = threading.RLock()
        self.log_lock = threading.Lock()
        self.calls: list[dict[str, Any]] = []
        self.faults = FaultConfig(throttle_rps)
        # (service, action) -> handler(environ, req) -> Resp; the service modules fill it.
        self.handlers: dict[tuple[str, str], Handler] = {}
        # objects with reset(): cleared by /_emulator/reset and /moto-api/reset
        self.services: list[Any] = []
        # extra keys of /_emulator/config: name -> (get() -> value, set(value))
        self.config_keys: dict[str, tuple[Callable[[], Any], Callable[[Any], None]]] = {}
        self._accounts: dict[str, str] = {}
        # Every AWS answer waits this long before it is sent, outside the lock:
        # AWS answers in tens of milliseconds, not the microseconds of a local
        # emulator, so a benchmark measures round trips, not only CPU.
        self.initial_latency_ms = float(latency_ms)
        self.latency_ms = self.initial_latency_ms
        self.config_keys["latencyMs"] = (lambda: self.latency_ms, self._set_latency)
        # set by build_app: the service modules' objects and the test endpoints
        self.codepipeline: Any = None
        self.executions: Any = None
        self.codebuild: Any = None
        self.tagging: Any = None
        self.ssm: Any = None
        self.cloudformation: Any = None
        self.control: Any = None
        self.webhooks: Any = None
        self.connections: Any = None
        self.iamsim: Any = None

    # ---------------------------------------------------------------- state
    def add_service(self, service: Any) -> Any:
        self.services.append(service)
        return service

    def _set_latency(self, value: Any, apply: bool = True) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 10_000:
            raise ValueError("latencyMs must be a number of milliseconds from 0 to 10000")
        if apply:
            self.latency_ms = float(value)

    def reset_state(self) -> None:
        """Clears all launcher state (not moto's)."""
        with self.lock:
            for service in self.services:
                service.reset()
            self._accounts = {}
        self.latency_ms = self.initial_latency_ms
        self.faults.reset()
        with self.log_lock:
            self.calls = []

    def reset_all(self) -> None:
        """moto's reset (the same as /moto-api/reset) plus all launcher state."""
        from moto.moto_api._internal.models import moto_api_backend

        with self.lock:
            moto_api_backend.reset()
            self.reset_state()

    def config_view(self) -> dict[str, Any]:
        view = self.faults.view()
        for key, (get, _) in self.config_keys.items():
            view[key] = get()
        return view

    def set_config(self, cfg: dict[str, Any]) -> None:
        # validate everything first, then apply
        setters = []
        for key, (_, set_) in self.config_keys.items():
            if key in cfg:
                setters.append((set_, cfg[key]))
        self.faults.set(cfg, apply=False)
        for set_, value in setters:
            set_(value, apply=False)
        self.faults.set(cfg)
        for set_, value in setters:
            set_(value)

    # ---------------------------------------------------------------- WSGI entry point
    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or ""
        if path == "/_emulator" or path.startswith("/_emulator/"):
            return self._send(self.control.handle(environ, path), start_response)

        body = read_body(environ)
        if path.startswith("/moto-api"):
            if path.rstrip("/") == "/moto-api/reset":
                with self.lock:
                    resp = self.call_moto(environ, body)
                    self.reset_state()
                return self._send(resp, start_response)
            return self._send(self.call_moto(environ, body), start_response)

        req = self.parse_request(environ, body)
        entry = {"service": req.service, "action": req.action, "region": req.region,
                 "account": req.account, "status": None,
                 "write": bool(req.action) and not req.action.startswith(READ_PREFIXES),
                 "fault": None, "processed": False, "errorType": None, "time": time.time()}

        if self.latency_ms > 0:
            time.sleep(self.latency_ms / 1000.0)
        faults = self.faults
        if faults.active:
            # 1. throttling (token bucket per region+action)
            if faults.throttled(req):
                entry["fault"] = "throttle"
                return self._finish(entry, error_for(req, "ThrottlingException", "Rate exceeded"), start_response)
            # 2. faults
            rule = faults.pick(req)
            if rule is not None:
                return self._apply_fault(environ, req, entry, rule, start_response)

        return self._finish(entry, self._process(environ, req, entry), start_response)

    def _apply_fault(self, environ: dict[str, Any], req: AwsRequest, entry: dict[str, Any],
                     rule: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        from faults import (abort_connection, repeat_token_response, status_fault_response,
                            strip_repeated_token, trickle_response)

        entry["fault"] = rule["kind"]
        processed = None
        if rule["kind"] == "repeat-token":
            strip_repeated_token(req)
        if rule["when"] == "after":
            processed = self._process(environ, req, entry)
        if rule["kind"] == "reset":
            entry["status"] = 0
            self._record(entry)
            abort_connection(environ)  # raises ConnectionResetError
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
        if rule["kind"] == "repeat-token":
            return self._finish(entry, repeat_token_response(req, processed), start_response)
        if rule["kind"] == "trickle":
            resp = processed if processed is not None else self._process(environ, req, entry)
            entry["status"] = resp.status
            self._record(entry)
            trickle_response(environ, resp, rule["intervalMs"])  # raises ConnectionResetError
        return self._finish(entry, status_fault_response(req, rule), start_response)

    # ---------------------------------------------------------------- plumbing
    def _process(self, environ: dict[str, Any], req: AwsRequest, entry: dict[str, Any]) -> Resp:
        try:
            if req.protocol == "json" and "__invalid__" in req.params:
                resp = aws_error("SerializationException", "Request body is not a JSON object")
            else:
                handler = self.handlers.get((req.service, req.action))
                with self.lock:
                    resp = handler(environ, req) if handler is not None else self.forward(environ, req)
        except EmulatorError as err:
            resp = err.resp
        except Exception as exc:
            self.log_exception(f"{req.service}.{req.action}", exc)
            resp = error_for(req, "InternalFailure", f"{type(exc).__name__}: {exc}", 500)
        entry["processed"] = True
        if req.protocol == "json":
            # AWS JSON protocol responses are application/x-amz-json-1.1 (moto sends
            # text/html or application/json for some); moto's stray "status" header goes.
            resp.headers = [(k, v) for k, v in resp.headers if k.lower() not in ("content-type", "status")]
            resp.headers.append(("Content-Type", JSON_10_CT if req.service in JSON_10_SERVICES else JSON_CT))
        return resp

    def _finish(self, entry: dict[str, Any], resp: Resp, start_response: Callable) -> Iterable[bytes]:
        entry["status"] = resp.status
        if resp.status >= 400:
            entry["errorType"] = self.error_type_of(resp)
        self._record(entry)
        return self._send(resp, start_response)

    @staticmethod
    def error_type_of(resp: Resp) -> str | None:
        err_type = resp.header("x-amzn-ErrorType")
        if not err_type:
            body = resp.body.lstrip()
            if body.startswith(b"<"):
                m = XML_CODE_RE.search(body)
                return m.group(1).decode("utf-8", "replace") if m else None
            try:
                err_type = json.loads(body.decode("utf-8")).get("__type")
            except Exception:
                err_type = None
        return err_type.split(":")[0] if isinstance(err_type, str) else None

    def _record(self, entry: dict[str, Any]) -> None:
        with self.log_lock:
            self.calls.append(entry)

    def log_exception(self, where: str, exc: BaseException) -> None:
        if self.verbose:
            traceback.print_exc()
        else:
            print(f"emulator: error in {where}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)

    @staticmethod
    def _send(resp: Resp, start_response: Callable) -> Iterable[bytes]:
        headers = [(k, v) for k, v in resp.headers
                   if k.lower() not in ("content-length", "transfer-encoding", "connection")]
        headers.append(("Content-Length", str(len(resp.body))))
        start_response(f"{resp.status} {_REASONS.get(resp.status, 'Unknown')}", headers)
        return [resp.body]

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

        with self.lock:
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
        """Sends the request to moto, optionally with a replaced JSON body."""
        return self.call_moto(environ, req.body if params is None else dumps(params))

    # ---------------------------------------------------------------- request parsing
    def parse_request(self, environ: dict[str, Any], body: bytes) -> AwsRequest:
        req = AwsRequest()
        req.body = body
        auth = environ.get("HTTP_AUTHORIZATION", "") or ""
        target = environ.get("HTTP_X_AMZ_TARGET", "") or ""
        m = CREDENTIAL_RE.search(auth) if auth else None
        access_key = None
        if m:
            access_key = m.group(1)
            req.region = m.group(3)
            req.service = m.group(4).lower()
        # Same precedence as moto (moto.core.responses.BaseResponse.get_region_from_url):
        # a "region/..." user agent wins over the credential scope.
        agent = environ.get("HTTP_USER_AGENT", "")
        if agent and "region/" in agent:
            ua = USER_AGENT_REGION_RE.search(agent)
            if ua:
                req.region = ua.group("region")
        if target:
            req.protocol = "json"
            # The last dot: com.amazonaws.codeconnections.CodeConnections_20231201.GetConnection
            prefix, _, action = target.rpartition(".")
            req.action = action
            if not m:
                req.service = TARGET_PREFIXES.get(prefix, prefix.lower())
            if body.strip():
                try:
                    parsed = json.loads(body)
                except (ValueError, UnicodeDecodeError):
                    parsed = None
                req.params = parsed if isinstance(parsed, dict) else {"__invalid__": True}
        else:
            ctype = environ.get("CONTENT_TYPE", "") or ""
            form: dict[str, list[str]] = {}
            if ctype.startswith("application/x-www-form-urlencoded") and body:
                form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
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

    def account_for(self, environ: dict[str, Any], access_key: str | None) -> str:
        # Same precedence as moto (BaseResponse.get_current_account).
        if "MOTO_ACCOUNT_ID" in os.environ:
            return os.environ["MOTO_ACCOUNT_ID"]
        if environ.get("HTTP_X_MOTO_ACCOUNT_ID"):
            return environ["HTTP_X_MOTO_ACCOUNT_ID"]
        if not access_key:
            return default_account()
        # Access key ids are random and never move between accounts, so the answer
        # can be kept until the next reset (moto's lookup walks every account).
        account = self._accounts.get(access_key)
        if account is None:
            from moto.iam.models import get_account_id_from

            account = get_account_id_from(access_key)
            self._accounts[access_key] = account
        return account


# --------------------------------------------------------------------------------------
# Assembly
# --------------------------------------------------------------------------------------
def build_app(page_size: int = 100, throttle_rps: float | None = None, verbose: bool = False,
              latency_ms: float = 0.0) -> Emulator:
    """moto's WSGI app behind the middleware, with every service module registered."""
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    # moto logs a warning for every template resource it does not model (for example
    # "No Moto CloudFormation support for AWS::CodePipeline::Pipeline"); stderr stays
    # quiet unless --verbose.
    logging.getLogger("moto").setLevel(logging.WARNING if verbose else logging.ERROR)
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    import cloudformation
    import codebuild
    import codepipeline
    import connections
    import control
    import executions
    import iamsim
    import ssm
    import tagging
    import webhooks

    emu = Emulator(DomainDispatcherApplication(create_backend_app), page_size=page_size,
                   throttle_rps=throttle_rps, verbose=verbose, latency_ms=latency_ms)
    emu.codepipeline = emu.add_service(codepipeline.CodePipelineService(emu))
    emu.executions = emu.add_service(executions.ExecutionService(emu, emu.codepipeline))
    emu.codebuild = emu.add_service(codebuild.CodeBuildService(emu))
    emu.tagging = emu.add_service(tagging.TaggingService(emu, emu.codepipeline))
    emu.ssm = emu.add_service(ssm.SsmService(emu))
    emu.cloudformation = emu.add_service(cloudformation.CloudFormationService(emu))
    emu.control = control.Control(emu)
    emu.webhooks = emu.add_service(webhooks.WebhookService(emu, emu.codepipeline))
    emu.connections = emu.add_service(connections.ConnectionService(emu))
    emu.iamsim = emu.add_service(iamsim.PolicySimulator(emu))
    emu.control.routes.update({**emu.webhooks.routes(), **emu.connections.routes()})
    return emu
