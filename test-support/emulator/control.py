"""The test-only endpoints under /_emulator/, as a route table {(method, path): handler}.

They are not AWS calls: never throttled, faulted or logged, and answered with
``application/json``. Bodies are JSON objects; ``account`` defaults to the
default account (123456789012) and ``region`` to us-east-1. A path that is not
in the table (or a known path with another method) is 404 ``{"message"}``; an
invalid body is 400 ``{"message"}``. See README.md for each endpoint.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable
from urllib.parse import parse_qs

from common import Resp, default_account, plain_json, read_body
from executions import TRIGGER_TYPES


class BadRequest(Exception):
    pass


class NotFound(Exception):
    pass


class Ctx:
    """One test-endpoint request: its query parameters and its JSON body."""

    def __init__(self, environ: dict[str, Any]):
        self.environ = environ
        self.query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "") or "").items()}
        self._body: Any = None

    def body(self) -> dict[str, Any]:
        if self._body is None:
            raw = read_body(self.environ)
            try:
                self._body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
            except (ValueError, UnicodeDecodeError) as exc:
                raise BadRequest(f"invalid JSON: {exc}") from None
            if not isinstance(self._body, dict):
                raise BadRequest("the body must be a JSON object")
        return self._body

    # where: account and region of a GET (query) or POST (body)
    def q_where(self) -> tuple[str, str]:
        return self.query.get("account", default_account()), self.query.get("region", "us-east-1")

    def b_where(self) -> tuple[str, str]:
        b = self.body()
        return b.get("account") or default_account(), b.get("region") or "us-east-1"


def _number(value: Any, field: str, default: float | None = None) -> float:
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise BadRequest(f"{field} must be a number >= 0")
    return float(value)


class Control:
    def __init__(self, emu: Any):
        self.emu = emu
        self.routes: dict[tuple[str, str], Callable[[Ctx], Resp]] = {
            ("GET", "/_emulator/health"): self.health,
            ("GET", "/_emulator/calls"): self.calls,
            ("POST", "/_emulator/calls/reset"): self.calls_reset,
            ("POST", "/_emulator/reset"): self.reset,
            ("GET", "/_emulator/config"): self.config_get,
            ("POST", "/_emulator/config"): self.config_set,
            ("GET", "/_emulator/codepipeline/pipeline"): self.pipeline_get,
            ("POST", "/_emulator/codepipeline/system-tags"): self.system_tags,
            ("POST", "/_emulator/codepipeline/list-extra"): self.list_extra,
            ("GET", "/_emulator/codepipeline/executions"): self.executions_get,
            ("POST", "/_emulator/codepipeline/executions"): self.executions_add,
            ("POST", "/_emulator/codepipeline/hooks"): self.hooks_add,
            ("GET", "/_emulator/codebuild/credentials"): self.credentials_get,
            ("POST", "/_emulator/codebuild/credentials"): self.credentials_add,
            ("GET", "/_emulator/ssm/parameter"): self.ssm_parameter,
            ("POST", "/_emulator/cloudformation/processed-template"): self.processed_template,
        }

    def handle(self, environ: dict[str, Any], path: str) -> Resp:
        method = environ.get("REQUEST_METHOD", "GET")
        handler = self.routes.get((method, path.rstrip("/")))
        if handler is None:
            return plain_json({"message": f"no test endpoint {method} {path}"}, 404)
        try:
            return handler(Ctx(environ))
        except BadRequest as exc:
            return plain_json({"message": str(exc)}, 400)
        except NotFound as exc:
            return plain_json({"message": str(exc)}, 404)
        except Exception as exc:  # pragma: no cover - defensive
            self.emu.log_exception("test endpoint", exc)
            return plain_json({"message": f"{type(exc).__name__}: {exc}"}, 500)

    # ---------------------------------------------------------------- general
    def health(self, ctx: Ctx) -> Resp:
        return plain_json({"status": "ok"})

    def calls(self, ctx: Ctx) -> Resp:
        with self.emu.log_lock:
            calls = [dict(c) for c in self.emu.calls]
        for key in ("service", "action", "region", "account"):
            if key in ctx.query:
                calls = [c for c in calls if c[key] == ctx.query[key]]
        if "write" in ctx.query:
            want = ctx.query["write"].lower() in ("1", "true", "yes")
            calls = [c for c in calls if c["write"] == want]
        return plain_json(calls)

    def calls_reset(self, ctx: Ctx) -> Resp:
        with self.emu.log_lock:
            self.emu.calls = []
        return plain_json({"status": "ok"})

    def reset(self, ctx: Ctx) -> Resp:
        self.emu.reset_all()
        return plain_json({"status": "ok"})

    def config_get(self, ctx: Ctx) -> Resp:
        return plain_json(self.emu.config_view())

    def config_set(self, ctx: Ctx) -> Resp:
        try:
            self.emu.set_config(ctx.body())
        except (ValueError, TypeError) as exc:
            raise BadRequest(str(exc)) from None
        return plain_json(self.emu.config_view())

    # ---------------------------------------------------------------- CodePipeline
    def _stored(self, account: str, region: str, name: Any) -> Any:
        stored = self.emu.codepipeline.stored(account, region, name)
        if stored is None:
            raise NotFound(f"pipeline {name!r} not found in {account}/{region}")
        return stored

    def pipeline_get(self, ctx: Ctx) -> Resp:
        account, region = ctx.q_where()
        with self.emu.lock:
            stored = self._stored(account, region, ctx.query.get("name"))
            return plain_json({
                "pipeline": stored.pipeline,  # UNMASKED
                "tags": [{"key": k, "value": v} for k, v in sorted(stored.tags.items())],
                "metadata": self.emu.codepipeline.metadata(stored),
            })

    def system_tags(self, ctx: Ctx) -> Resp:
        # CloudFormation tags the resources of a stack with aws:cloudformation:stack-name,
        # -stack-id and -logical-id; TagResource refuses aws: keys from callers (moto too).
        b = ctx.body()
        account, region = ctx.b_where()
        tags = b.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, dict) and "key" in t and "value" in t for t in tags):
            raise BadRequest("tags must be a list of {key, value}")
        with self.emu.lock:
            stored = self._stored(account, region, b.get("name"))
            stored.tags.update({t["key"]: t["value"] for t in tags})
        return plain_json({"status": "ok"})

    def list_extra(self, ctx: Ctx) -> Resp:
        b = ctx.body()
        account, region = ctx.b_where()
        names = b.get("names")
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise BadRequest("names must be a list of non-empty strings")
        with self.emu.lock:
            self.emu.codepipeline.set_extra_names(account, region, names)
        return plain_json({"names": names})

    def executions_get(self, ctx: Ctx) -> Resp:
        account, region = ctx.q_where()
        name = ctx.query.get("name")
        svc = self.emu.executions
        with self.emu.lock:
            key = (account, region, name)
            timing = svc.timeline(key, time.time())
            return plain_json({"executions": [svc.full(e, timing[e.id]) for e in svc.newest_first(key)]})

    def executions_add(self, ctx: Ctx) -> Resp:
        b = ctx.body()
        account, region = ctx.b_where()
        svc = self.emu.executions
        duration = _number(b.get("durationSeconds"), "durationSeconds", svc.execution_seconds)
        trigger_type = b.get("triggerType", "Webhook")
        if trigger_type not in TRIGGER_TYPES:
            raise BadRequest(f"triggerType must be one of {', '.join(TRIGGER_TYPES)}")
        revisions = b.get("sourceRevisions")
        with self.emu.lock:
            stored = self._stored(account, region, b.get("name"))
            if revisions is not None:
                self._check_revisions(revisions, stored.pipeline)
            e = svc.start_like_push((account, region, b["name"]), stored.pipeline, duration, trigger_type,
                                    revisions, trigger_detail=b.get("triggerDetail"))
        return plain_json({"pipelineExecutionId": e.id})

    @staticmethod
    def _check_revisions(revisions: Any, decl: dict[str, Any]) -> None:
        from codepipeline import iter_actions

        names = {a.get("name") for _, a in iter_actions(decl)}
        if not isinstance(revisions, list):
            raise BadRequest("sourceRevisions must be a list of {actionName, revisionId}")
        for r in revisions:
            if not isinstance(r, dict) or not isinstance(r.get("actionName"), str) \
                    or not isinstance(r.get("revisionId"), str) or not r["revisionId"]:
                raise BadRequest("sourceRevisions must be a list of {actionName, revisionId}")
            if r["actionName"] not in names:
                raise BadRequest(f"the pipeline has no action {r['actionName']!r}")

    def hooks_add(self, ctx: Ctx) -> Resp:
        b = ctx.body()
        account, region = ctx.b_where()
        svc = self.emu.executions
        on = b.get("on")
        if on not in ("check", "update"):
            raise BadRequest("on must be 'check' or 'update'")
        after = b.get("afterCount", 1)
        if isinstance(after, bool) or not isinstance(after, int) or after < 1:
            raise BadRequest("afterCount must be an integer >= 1")
        duration = _number(b.get("durationSeconds"), "durationSeconds", svc.execution_seconds)
        with self.emu.lock:
            self._stored(account, region, b.get("name"))
            svc.add_hook(account, region, b["name"], on, after, duration)
        return plain_json({"status": "ok"})

    # ---------------------------------------------------------------- CodeBuild
    def credentials_get(self, ctx: Ctx) -> Resp:
        account, region = ctx.q_where()
        with self.emu.lock:
            return plain_json({"credentials": self.emu.codebuild.listing(account, region)})

    def credentials_add(self, ctx: Ctx) -> Resp:
        b = ctx.body()
        if not b.get("serverType") or not b.get("authType"):
            raise BadRequest("serverType and authType are required")
        account, region = ctx.b_where()
        with self.emu.lock:
            cred = self.emu.codebuild.store(account, region, b["serverType"], b["authType"], b.get("token"),
                                            b.get("username"), b.get("resource"))
        return plain_json({"arn": cred["arn"]})

    # ---------------------------------------------------------------- SSM, CloudFormation
    def ssm_parameter(self, ctx: Ctx) -> Resp:
        account, region = ctx.q_where()
        name = ctx.query.get("name")
        with self.emu.lock:
            record = self.emu.ssm.record(account, region, name) if name else None
        if record is None:
            raise NotFound(f"parameter {name!r} not found in {account}/{region}")
        return plain_json(record)

    def processed_template(self, ctx: Ctx) -> Resp:
        b = ctx.body()
        account, region = ctx.b_where()
        if not isinstance(b.get("stackName"), str) or not isinstance(b.get("body"), str):
            raise BadRequest("stackName and body (strings) are required")
        with self.emu.lock:
            if not self.emu.cloudformation.set_processed(account, region, b["stackName"], b["body"]):
                raise NotFound(f"stack {b['stackName']!r} not found in {account}/{region}")
        return plain_json({"status": "ok"})

