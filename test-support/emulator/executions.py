"""CodePipeline pipeline executions (moto has none).

State is kept per (account, region, pipeline name); /_emulator/reset and
/moto-api/reset clear it, DeletePipeline drops it. Status is computed lazily
from the clock. The rules of how runs behave - which statuses are in flight,
what StartPipelineExecution, a stop and UpdatePipeline do to them, what
GetPipelineState lists in each execution mode - and their statuses are read
from ../pipeline-runs.json, the one spec the unit fake (__fixtures__/pipelines.ts,
FakeRegion) reads too; test_pipeline_runs.py holds this module to it. What is
modelled, with the CodePipeline API reference text it follows:

* StartPipelineExecution "Starts the specified pipeline. Specifically, it begins
  processing the latest commit to the source location specified as part of the
  pipeline." -> {pipelineExecutionId}. Errors listed for it: ValidationException,
  ConflictException, PipelineNotFoundException,
  ConcurrentPipelineExecutionsLimitExceededException; so every invalid input is
  a ValidationException:
  - clientRequestToken "The system-generated unique ID used to identify a unique
    execution request." (Length 1-128, Pattern ^[a-zA-Z0-9-]+$; an idempotency
    token the SDKs fill in): the same token for the same pipeline within
    IDEMPOTENCY_SECONDS returns the same execution;
  - variables "A list that overrides pipeline variables for a pipeline execution
    that's being started. Variable names must match [A-Za-z0-9@\\-_]+, and the
    values can be anything except an empty string." (1-50 items, value length
    1-1000). A variable the pipeline does not declare (PipelineDeclaration.
    variables, a V2 parameter: "V2 type pipelines have the same structure as a
    V1 type, along with additional parameters for release safety and trigger
    configuration") is rejected - so a V1 pipeline takes none;
  - sourceRevisions (0-50 items of SourceRevisionOverride): actionName "The
    name of the action where the override will be applied." must be a source
    action of the pipeline; revisionType (COMMIT_ID | IMAGE_DIGEST |
    S3_OBJECT_VERSION_ID | S3_OBJECT_KEY) "The type of source revision, based on
    the source provider. For example, the revision type for the CodeCommit
    action provider is the commit ID." must fit the provider; revisionValue
    length 1-1500; and (user guide, "Start a pipeline with a source revision
    override") "For S3_OBJECT_KEY, the configuration parameter
    AllowOverrideForS3ObjectKey needs to be set to true."
* ListPipelineExecutions (maxResults 1-100, "Default value is 100", nextToken)
  newest first; GetPipelineExecution (PipelineExecutionNotFoundException: "The
  pipeline execution was specified in an invalid format or cannot be found, or
  an execution ID does not belong to the specified pipeline."); GetPipelineState
  (a simplified view: the run time is split evenly over the stages, each stage
  shows the latest execution that entered it; a PARALLEL pipeline's runs are not
  listed, user guide, execution modes: "For SUPERSEDED and QUEUED modes, use the
  pipeline view to see in-progress executions [...] For PARALLEL mode, click the
  execution ID to view the in-progress execution on the Visualization tab.").
* StopPipelineExecution: "While completing or abandoning in-progress actions,
  the pipeline execution is in a Stopping state. After all in-progress actions
  are completed or abandoned, the pipeline execution is in a Stopped state."
  Here: Stopping for min(remaining run time, stoppingSeconds (config, default
  STOPPING_SECONDS)), then Stopped;
  abandon: Stopped at once. Not in progress -> PipelineExecutionNotStoppableException
  ("Unable to stop the pipeline execution. The execution might already be in a
  Stopped state, or it might no longer be in progress."); a second stop without
  abandon while Stopping -> DuplicatedStopRequestException ("If you already
  chose to stop and wait, you cannot make that request again.").
* UpdatePipeline stops the runs in progress. User guide (edit a pipeline, AWS
  CLI): "The update-pipeline command stops the pipeline. If a revision is being
  run through the pipeline when you run the update-pipeline command, that run is
  stopped. You must manually start the pipeline to run that revision through the
  updated pipeline." API reference, PipelineExecution.status: "Cancelled: The
  pipeline's definition was updated before the pipeline execution could be
  completed." -> every InProgress or Stopping execution becomes Cancelled (with
  that sentence as statusSummary) before UpdatePipeline answers.
* Execution modes, PipelineDeclaration.executionMode "The method that the
  pipeline will use to handle multiple executions. The default mode is
  SUPERSEDED." (QUEUED and PARALLEL are V2 features; a V1 pipeline or a missing
  mode is SUPERSEDED):
  - SUPERSEDED: "Superseded: While this pipeline execution was waiting for the
    next stage to be completed, a newer pipeline execution advanced and
    continued through the pipeline instead." Simplified here: starting an
    execution supersedes every older InProgress one at once (AWS supersedes an
    older run when the newer one overtakes it between stages);
  - QUEUED: executions run one after the other in start order; a queued one is
    InProgress while it waits, and its run time starts when the previous ends;
  - PARALLEL: executions are independent.
  An execution is InProgress until it has run its duration, then Succeeded.

Not emulated: the execution AWS starts when a pipeline is created, Failed runs,
rollbacks, stage transitions and approvals, ListActionExecutions.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
import uuid
from typing import Any

from common import (AwsRequest, EmulatorError, Resp, aws_error, decode_token, encode_token, json_resp,
                 partition_of)
from codepipeline import iter_actions

# The rules of how runs behave: the spec the unit fake (__fixtures__/pipelines.ts) reads too,
# one folder up from this module (found from this file, never the working directory).
SPEC_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pipeline-runs.json")
with open(SPEC_PATH, encoding="utf-8") as _spec_file:
    SPEC: dict[str, Any] = json.load(_spec_file)

DEFAULT_EXECUTION_SECONDS = 30.0
STOPPING_SECONDS = 2.0
IDEMPOTENCY_SECONDS = 600.0
IN_PROGRESS = tuple(SPEC["inFlight"])
RUNNING = SPEC["startPipelineExecution"]["status"]
SUPERSEDES = {mode: tuple(statuses) for mode, statuses in SPEC["startPipelineExecution"]["supersedes"].items()}
SUPERSEDED = SPEC["startPipelineExecution"]["supersededAs"]
STOPPABLE = tuple(SPEC["stop"]["stoppable"])
STOPPING = SPEC["stop"]["whileStopping"]
STOPPED = SPEC["stop"]["endsAs"]
UPDATE_STOPS = tuple(SPEC["updatePipeline"]["stops"])
CANCELLED = SPEC["updatePipeline"]["endsAs"]
CANCELLED_SUMMARY = SPEC["updatePipeline"]["statusSummary"]
STATE_LISTS_RUNS = SPEC["getPipelineState"]["listsRuns"]
NOT_STOPPABLE = ("Unable to stop the pipeline execution. The execution might already be in a Stopped "
                 "state, or it might no longer be in progress.")
INVALID_TOKEN = ("The next token was specified in an invalid format. Make sure that the next "
                 "token you provide is the token returned by a previous call.")
TRIGGER_TYPES = ("CreatePipeline", "StartPipelineExecution", "PollForSourceChanges", "Webhook",
                 "CloudWatchEvent", "PutActionRevision", "WebhookV2", "ManualRollback", "AutomatedRollback")
REVISION_TYPES = ("COMMIT_ID", "IMAGE_DIGEST", "S3_OBJECT_VERSION_ID", "S3_OBJECT_KEY")
# revisionType by source provider ("based on the source provider")
PROVIDER_REVISION_TYPES = {
    "CodeCommit": ("COMMIT_ID",),
    "CodeStarSourceConnection": ("COMMIT_ID",),
    "GitHub": ("COMMIT_ID",),
    "ECR": ("IMAGE_DIGEST",),
    "S3": ("S3_OBJECT_VERSION_ID", "S3_OBJECT_KEY"),
}
NAME_RE = re.compile(r"[A-Za-z0-9@\-_]+")
ACTION_NAME_RE = re.compile(r"[A-Za-z0-9.@\-_]+")
TOKEN_RE = re.compile(r"[a-zA-Z0-9-]{1,128}")


def validation_error(message: str) -> Resp:
    return aws_error("ValidationException", message)


def constraint(value: Any, member: str, rule: str) -> Resp:
    return validation_error(f"1 validation error detected: Value '{value}' at '{member}' failed to "
                            f"satisfy constraint: {rule}")


class Execution:
    __slots__ = ("id", "seq", "account", "region", "pipeline_name", "pipeline_version", "created",
                 "duration", "mode", "stages", "trigger", "source_revisions", "artifact_revisions",
                 "variables", "requested_variables", "requested_source_revisions", "client_request_token",
                 "started_by", "final", "ended_at", "stop_requested_at", "status_summary", "stop_reason")

    def __init__(self) -> None:
        self.final: str | None = None  # Stopped | Cancelled | Superseded once decided
        self.ended_at: float | None = None  # when `final` takes effect
        self.stop_requested_at: float | None = None
        self.status_summary: str | None = None
        self.stop_reason: str | None = None


class Timing:
    """An execution's computed state at a moment."""

    __slots__ = ("start", "end", "status", "last_update")

    def __init__(self, start: float, end: float, status: str, last_update: float):
        self.start, self.end, self.status, self.last_update = start, end, status, last_update


class ExecutionService:
    def __init__(self, emu: Any, cp: Any):
        self.emu = emu
        self.cp = cp
        self.reset()
        emu.handlers.update({
            ("codepipeline", "StartPipelineExecution"): self.start_pipeline_execution,
            ("codepipeline", "ListPipelineExecutions"): self.list_pipeline_executions,
            ("codepipeline", "GetPipelineExecution"): self.get_pipeline_execution,
            ("codepipeline", "GetPipelineState"): self.get_pipeline_state,
            ("codepipeline", "StopPipelineExecution"): self.stop_pipeline_execution,
        })
        cp.before_update.append(self._before_update)
        cp.after_update.append(self._after_update)
        cp.after_delete.append(self._after_delete)
        emu.config_keys["executionSeconds"] = (lambda: self.execution_seconds, self._set_execution_seconds)
        emu.config_keys["stoppingSeconds"] = (lambda: self.stopping_seconds, self._set_stopping_seconds)

    def reset(self) -> None:
        self.runs: dict[tuple[str, str, str], list[Execution]] = {}  # in start order
        self.tokens: dict[tuple[str, str, str, str], tuple[str, float]] = {}
        self.hooks: list[dict[str, Any]] = []
        self.execution_seconds = DEFAULT_EXECUTION_SECONDS
        self.stopping_seconds = STOPPING_SECONDS
        self.seq = 0

    def _set_execution_seconds(self, value: Any, apply: bool = True) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError("executionSeconds must be a number >= 0")
        if apply:
            self.execution_seconds = float(value)

    def _set_stopping_seconds(self, value: Any, apply: bool = True) -> None:
        """How long a stopped run (not abandoned) shows Stopping at most: AWS gives
        no figure ("After all in-progress actions are completed or abandoned, the
        pipeline execution is in a Stopped state"), so tests may choose one."""
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError("stoppingSeconds must be a number >= 0")
        if apply:
            self.stopping_seconds = float(value)

    # ---------------------------------------------------------------- the model
    @staticmethod
    def mode_of(decl: dict[str, Any]) -> str:
        mode = decl.get("executionMode")
        if decl.get("pipelineType") == "V2" and mode in ("QUEUED", "PARALLEL", "SUPERSEDED"):
            return mode
        return "SUPERSEDED"

    def timeline(self, key: tuple[str, str, str], now: float) -> dict[str, Timing]:
        """Each execution's run start, run end, status and last update at `now`."""
        out: dict[str, Timing] = {}
        lane_free = None  # QUEUED: when the running execution leaves the lane
        for e in self.runs.get(key, ()):
            start = e.created
            if e.mode == "QUEUED" and lane_free is not None and lane_free > start:
                start = lane_free
            natural_end = start + e.duration
            end = natural_end if e.ended_at is None else min(natural_end, e.ended_at)
            if e.mode == "QUEUED" and end > start:
                lane_free = end if lane_free is None else max(lane_free, end)
            if e.final is not None:
                # Stopped / Cancelled / Superseded: decided while in progress, so ended_at is
                # never after the natural end
                if now >= e.ended_at:
                    status, last = e.final, e.ended_at
                elif e.stop_requested_at is not None and now >= e.stop_requested_at:
                    status, last = STOPPING, e.stop_requested_at
                else:
                    status, last = RUNNING, (start if now >= start else e.created)
            elif now >= natural_end:
                status, last = "Succeeded", natural_end
            else:
                status, last = RUNNING, (start if now >= start else e.created)
            out[e.id] = Timing(start, end, status, last)
        return out

    def start(self, account: str, region: str, name: str, decl: dict[str, Any], *, duration: float,
              trigger: dict[str, str], started_by: str, revisions: dict[str, dict[str, Any]] | None = None,
              variables: list[dict[str, Any]] | None = None,
              requested_source_revisions: Any = None, client_request_token: str | None = None) -> Execution:
        """Starts an execution under the pipeline's execution mode."""
        now = time.time()
        key = (account, region, name)
        e = Execution()
        self.seq += 1
        e.id, e.seq = str(uuid.uuid4()), self.seq
        e.account, e.region, e.pipeline_name = account, region, name
        e.pipeline_version = decl.get("version", 1)
        e.created, e.duration, e.mode = now, float(duration), self.mode_of(decl)
        e.stages = [s.get("name") for s in decl.get("stages") or [] if isinstance(s, dict)]
        e.trigger = trigger
        e.started_by = started_by
        e.requested_variables = variables
        e.requested_source_revisions = requested_source_revisions
        e.client_request_token = client_request_token
        e.source_revisions, e.artifact_revisions = self._revisions(decl, region, revisions or {}, now)
        declared = {v.get("name"): v.get("defaultValue") for v in decl.get("variables") or [] if isinstance(v, dict)}
        overrides = {v["name"]: v["value"] for v in variables or []}
        e.variables = [{"name": n, "resolvedValue": overrides.get(n, d)} for n, d in declared.items()
                       if overrides.get(n, d) is not None]
        superseded = SUPERSEDES.get(e.mode, ())
        if superseded:
            timing = self.timeline(key, now)
            for other in self.runs.get(key, ()):
                if timing[other.id].status in superseded:
                    other.final, other.ended_at = SUPERSEDED, now
        self.runs.setdefault(key, []).append(e)
        return e

    def _revisions(self, decl: dict[str, Any], region: str, chosen: dict[str, dict[str, Any]],
                   now: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """SourceRevision and ArtifactRevision lists: one per source action, from `chosen`
        (actionName -> {revisionId, revisionSummary?, revisionUrl?}) or made up."""
        sources, artifacts = [], []
        for stage in decl.get("stages") or []:
            for action in (stage.get("actions") or []) if isinstance(stage, dict) else []:
                if not isinstance(action, dict):
                    continue
                type_id = action.get("actionTypeId") or {}
                if not isinstance(type_id, dict) or type_id.get("category") != "Source":
                    continue
                provider = type_id.get("provider")
                cfg = action.get("configuration") if isinstance(action.get("configuration"), dict) else {}
                given = chosen.get(action.get("name"), {})
                rev = given.get("revisionId") or self._made_up_revision(provider)
                summary = given.get("revisionSummary") or f"Emulated revision {rev[:12]}"
                url = given.get("revisionUrl") or self._revision_url(provider, cfg, region, rev)
                src = {"actionName": action.get("name"), "revisionId": rev, "revisionSummary": summary}
                if url:
                    src["revisionUrl"] = url
                sources.append(src)
                for art in action.get("outputArtifacts") or []:
                    if isinstance(art, dict) and art.get("name"):
                        ar = {"name": art["name"], "revisionId": rev, "revisionSummary": summary, "created": now}
                        if url:
                            ar["revisionUrl"] = url
                        artifacts.append(ar)
        return sources, artifacts

    @staticmethod
    def _made_up_revision(provider: Any) -> str:
        if provider == "ECR":
            return "sha256:" + secrets.token_hex(32)
        if provider == "S3":
            return secrets.token_urlsafe(24)
        return secrets.token_hex(20)  # a 40-hex commit id

    @staticmethod
    def _revision_url(provider: Any, cfg: dict[str, Any], region: str, rev: str) -> str | None:
        if provider == "GitHub" and cfg.get("Owner") and cfg.get("Repo"):
            return f"https://github.com/{cfg['Owner']}/{cfg['Repo']}/commit/{rev}"
        if provider == "CodeStarSourceConnection" and cfg.get("FullRepositoryId"):
            return f"https://github.com/{cfg['FullRepositoryId']}/commit/{rev}"
        if provider == "CodeCommit" and cfg.get("RepositoryName"):
            return (f"https://{region}.console.aws.amazon.com/codesuite/codecommit/repositories/"
                    f"{cfg['RepositoryName']}/commit/{rev}")
        return None

    def cancel_in_progress(self, key: tuple[str, str, str]) -> None:
        now = time.time()
        timing = self.timeline(key, now)
        for e in self.runs.get(key, ()):
            if timing[e.id].status in UPDATE_STOPS:
                e.final, e.ended_at, e.stop_requested_at = CANCELLED, now, None
                e.status_summary = CANCELLED_SUMMARY

    def find(self, key: tuple[str, str, str], execution_id: Any) -> Execution | None:
        for e in self.runs.get(key, ()):
            if e.id == execution_id:
                return e
        return None

    def newest_first(self, key: tuple[str, str, str]) -> list[Execution]:
        return sorted(self.runs.get(key, ()), key=lambda e: e.seq, reverse=True)

    # ---------------------------------------------------------------- views
    @staticmethod
    def summary(e: Execution, t: Timing) -> dict[str, Any]:
        # PipelineExecutionSummary
        out: dict[str, Any] = {"pipelineExecutionId": e.id, "status": t.status}
        if e.status_summary and t.status == e.final:
            out["statusSummary"] = e.status_summary
        out.update({"startTime": e.created, "lastUpdateTime": t.last_update,
                    "sourceRevisions": e.source_revisions, "trigger": e.trigger})
        if e.stop_requested_at is not None and t.status in (STOPPING, STOPPED):
            out["stopTrigger"] = {"reason": e.stop_reason} if e.stop_reason is not None else {}
        out["executionMode"] = e.mode
        out["executionType"] = "STANDARD"
        return out

    @staticmethod
    def detail(e: Execution, t: Timing) -> dict[str, Any]:
        # PipelineExecution
        out: dict[str, Any] = {"pipelineName": e.pipeline_name, "pipelineVersion": e.pipeline_version,
                               "pipelineExecutionId": e.id, "status": t.status}
        if e.status_summary and t.status == e.final:
            out["statusSummary"] = e.status_summary
        out.update({"artifactRevisions": e.artifact_revisions, "variables": e.variables,
                    "trigger": e.trigger, "executionMode": e.mode, "executionType": "STANDARD"})
        return out

    def full(self, e: Execution, t: Timing) -> dict[str, Any]:
        """Everything the launcher keeps (GET /_emulator/codepipeline/executions)."""
        out = self.summary(e, t)
        out.update(self.detail(e, t))
        out.update({"account": e.account, "region": e.region, "durationSeconds": e.duration,
                    "runStartTime": t.start, "startedBy": e.started_by,
                    "requestedVariables": e.requested_variables,
                    "requestedSourceRevisions": e.requested_source_revisions,
                    "clientRequestToken": e.client_request_token})
        return out

    @staticmethod
    def progress(e: Execution, t: Timing, now: float) -> tuple[int, str] | None:
        """The index of the last stage the execution entered and its status there, or None
        if it has not run (queued, or stopped while queued). The run time is split evenly
        over the pipeline's stages."""
        upto = now if t.status in IN_PROGRESS else min(now, t.end)
        if upto < t.start or (t.status not in IN_PROGRESS and t.end < t.start):
            return None
        n = len(e.stages) or 1
        step = e.duration / n
        reached = n - 1 if step <= 0 else min(n - 1, int((upto - t.start) / step))
        if t.status == "Succeeded":
            return reached, "Succeeded"
        # a superseded run waits between stages after finishing one (PipelineExecution.status)
        return reached, "Succeeded" if t.status == SUPERSEDED else t.status

    def stage_states(self, key: tuple[str, str, str], decl: dict[str, Any], now: float) -> list[dict[str, Any]]:
        timing = self.timeline(key, now)
        stages = [s for s in decl.get("stages") or [] if isinstance(s, dict)]
        latest: list[tuple[float, int, dict[str, str]] | None] = [None] * len(stages)
        # the pipeline view lists no run of a PARALLEL pipeline (the spec's getPipelineState)
        listed = self.runs.get(key, ()) if STATE_LISTS_RUNS[self.mode_of(decl)] else ()
        for e in listed:
            t = timing[e.id]
            where = self.progress(e, t, now)
            if where is None:
                continue
            reached, status_there = where
            step = e.duration / (len(e.stages) or 1)
            for i, stage in enumerate(stages):
                if i > reached or i >= len(e.stages) or e.stages[i] != stage.get("name"):
                    continue
                status = "Succeeded" if i < reached else status_there
                cand = (t.start + i * step, e.seq, {"pipelineExecutionId": e.id, "status": status})
                if latest[i] is None or cand[:2] > latest[i][:2]:
                    latest[i] = cand
        out = []
        for i, stage in enumerate(stages):
            state: dict[str, Any] = {"stageName": stage.get("name")}
            if i > 0:
                state["inboundTransitionState"] = {"enabled": True}
            state["actionStates"] = [{"actionName": a.get("name")} for a in stage.get("actions") or []
                                     if isinstance(a, dict)]
            if latest[i] is not None:
                state["latestExecution"] = latest[i][2]
            out.append(state)
        return out

    def succeeded_in_stage(self, e: Execution, t: Timing, stage: str, now: float) -> bool:
        if stage not in e.stages:
            return False
        where = self.progress(e, t, now)
        if where is None:
            return False
        i = e.stages.index(stage)
        return i < where[0] or (i == where[0] and where[1] == "Succeeded")

    # ---------------------------------------------------------------- hooks
    def add_hook(self, account: str, region: str, name: str, on: str, after_count: int, duration: float) -> None:
        self.hooks.append({"key": (account, region, name), "on": on, "afterCount": after_count,
                           "seen": 0, "durationSeconds": duration})

    def _fire(self, key: tuple[str, str, str], on: str) -> None:
        """Counts a check/update for the pipeline; starts an execution for each hook due."""
        due = []
        for hook in self.hooks:
            if hook["key"] == key and hook["on"] == on:
                hook["seen"] += 1
                if hook["seen"] >= hook["afterCount"]:
                    due.append(hook)
        for hook in due:
            self.hooks.remove(hook)
            stored = self.cp.stored(*key)
            if stored is not None:
                self.start_like_push(key, stored.pipeline, hook["durationSeconds"], "Webhook", None,
                                     started_by=f"hook-{on}")

    def _before_update(self, req: AwsRequest, name: str) -> None:
        if self.hooks:
            self._fire((req.account, req.region, name), "update")

    def _after_update(self, req: AwsRequest, name: str) -> None:
        self.cancel_in_progress((req.account, req.region, name))

    def _after_delete(self, account: str, region: str, name: str) -> None:
        key = (account, region, name)
        self.runs.pop(key, None)
        self.hooks = [h for h in self.hooks if h["key"] != key]
        self.tokens = {k: v for k, v in self.tokens.items() if k[:3] != key}

    def start_like_push(self, key: tuple[str, str, str], decl: dict[str, Any], duration: float,
                        trigger_type: str, source_revisions: list[dict[str, Any]] | None,
                        started_by: str = "control", trigger_detail: str | None = None) -> Execution:
        """An execution as a push (webhook) would start it."""
        account, region, name = key
        if trigger_detail is None:
            trigger_detail = f"arn:{partition_of(region)}:codepipeline:{region}:{account}:webhook:{name}"
        chosen = {r["actionName"]: r for r in source_revisions or []}
        return self.start(account, region, name, decl, duration=duration,
                          trigger={"triggerType": trigger_type, "triggerDetail": trigger_detail},
                          started_by=started_by, revisions=chosen)

    # ---------------------------------------------------------------- API
    def _pipeline(self, req: AwsRequest, member: str) -> tuple[tuple[str, str, str], Any]:
        name = req.params.get(member)
        stored = self.cp.stored(req.account, req.region, name)
        if stored is None:
            raise EmulatorError(self.cp.not_found(req.account, name))
        return (req.account, req.region, name), stored

    def start_pipeline_execution(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        p = req.params
        key, stored = self._pipeline(req, "name")
        decl = stored.pipeline
        token = p.get("clientRequestToken")
        if token is not None and (not isinstance(token, str) or not TOKEN_RE.fullmatch(token)):
            return constraint(token, "clientRequestToken",
                              "Member must satisfy regular expression pattern: ^[a-zA-Z0-9-]+$ (length 1-128)")
        error = self._check_variables(p.get("variables"), decl)
        if error is None:
            error = self._check_source_revisions(p.get("sourceRevisions"), decl)
        if error is not None:
            return error
        now = time.time()
        if token is not None:
            seen = self.tokens.get((*key, token))
            if seen is not None and now - seen[1] < IDEMPOTENCY_SECONDS and self.find(key, seen[0]):
                return json_resp({"pipelineExecutionId": seen[0]})
        chosen = {o["actionName"]: {"revisionId": o["revisionValue"]} for o in p.get("sourceRevisions") or []}
        caller = f"arn:{partition_of(req.region)}:iam::{req.account}:root"
        e = self.start(req.account, req.region, key[2], decl, duration=self.execution_seconds,
                       trigger={"triggerType": "StartPipelineExecution", "triggerDetail": caller},
                       started_by="StartPipelineExecution", revisions=chosen, variables=p.get("variables"),
                       requested_source_revisions=p.get("sourceRevisions"), client_request_token=token)
        if token is not None:
            self.tokens[(*key, token)] = (e.id, now)
        return json_resp({"pipelineExecutionId": e.id})

    @staticmethod
    def _check_variables(variables: Any, decl: dict[str, Any]) -> Resp | None:
        if variables is None:
            return None
        if not isinstance(variables, list) or not 1 <= len(variables) <= 50:
            return constraint(variables, "variables", "Member must have length between 1 and 50")
        declared = {v.get("name") for v in decl.get("variables") or [] if isinstance(v, dict)}
        for i, var in enumerate(variables, 1):
            if not isinstance(var, dict):
                return constraint(var, f"variables.{i}.member", "Member must not be null")
            name, value = var.get("name"), var.get("value")
            if not isinstance(name, str) or not 1 <= len(name) <= 128 or not NAME_RE.fullmatch(name):
                return constraint(name, f"variables.{i}.member.name",
                                  "Member must satisfy regular expression pattern: [A-Za-z0-9@\\-_]+")
            if not isinstance(value, str) or not 1 <= len(value) <= 1000:
                return constraint(value, f"variables.{i}.member.value",
                                  "Member must have length between 1 and 1000")
            if name not in declared:
                return validation_error(f"Variable '{name}' is not declared in pipeline '{decl.get('name')}'")
        return None

    @staticmethod
    def _check_source_revisions(overrides: Any, decl: dict[str, Any]) -> Resp | None:
        if overrides is None:
            return None
        if not isinstance(overrides, list) or len(overrides) > 50:
            return constraint(overrides, "sourceRevisions", "Member must have length less than or equal to 50")
        sources = {}
        for _, action in iter_actions(decl):
            type_id = action.get("actionTypeId")
            if isinstance(type_id, dict) and type_id.get("category") == "Source":
                sources[action.get("name")] = action
        seen = set()
        for i, o in enumerate(overrides, 1):
            if not isinstance(o, dict):
                return constraint(o, f"sourceRevisions.{i}.member", "Member must not be null")
            name, rtype, value = o.get("actionName"), o.get("revisionType"), o.get("revisionValue")
            if not isinstance(name, str) or not 1 <= len(name) <= 100 or not ACTION_NAME_RE.fullmatch(name):
                return constraint(name, f"sourceRevisions.{i}.member.actionName",
                                  "Member must satisfy regular expression pattern: [A-Za-z0-9.@\\-_]+")
            if rtype not in REVISION_TYPES:
                return constraint(rtype, f"sourceRevisions.{i}.member.revisionType",
                                  "Member must satisfy enum value set: [" + ", ".join(REVISION_TYPES) + "]")
            if not isinstance(value, str) or not 1 <= len(value) <= 1500:
                return constraint(value, f"sourceRevisions.{i}.member.revisionValue",
                                  "Member must have length between 1 and 1500")
            action = sources.get(name)
            if action is None:
                return validation_error(f"Action '{name}' is not a source action of pipeline '{decl.get('name')}'")
            provider = (action.get("actionTypeId") or {}).get("provider")
            if rtype not in PROVIDER_REVISION_TYPES.get(provider, ()):
                return validation_error(f"Revision type {rtype} is not supported for source action '{name}' "
                                        f"with provider {provider}")
            cfg = action.get("configuration") if isinstance(action.get("configuration"), dict) else {}
            if rtype == "S3_OBJECT_KEY" and str(cfg.get("AllowOverrideForS3ObjectKey", "")).lower() != "true":
                return validation_error(f"Source action '{name}' must set AllowOverrideForS3ObjectKey to true "
                                        f"to override the S3 object key")
            if (name, rtype) in seen:
                return validation_error(f"Duplicate source revision override for action '{name}' and "
                                        f"revision type {rtype}")
            seen.add((name, rtype))
        return None

    def list_pipeline_executions(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        key, stored = self._pipeline(req, "pipelineName")
        p = req.params
        max_results = p.get("maxResults")
        if max_results is not None and (isinstance(max_results, bool) or not isinstance(max_results, int)
                                        or not 1 <= max_results <= 100):
            return constraint(max_results, "maxResults", "Member must have value between 1 and 100")
        ordered = self.newest_first(key)
        token = p.get("nextToken")
        if token is not None:
            after = decode_token(token)
            ids = [e.id for e in ordered]
            if after is None or after not in ids:
                return aws_error("InvalidNextTokenException", INVALID_TOKEN)
            ordered = ordered[ids.index(after) + 1:]
        now = time.time()
        timing = self.timeline(key, now)
        flt = p.get("filter")
        stage = None
        if isinstance(flt, dict) and isinstance(flt.get("succeededInStage"), dict):
            stage = flt["succeededInStage"].get("stageName")
        if stage is not None:
            ordered = [e for e in ordered if self.succeeded_in_stage(e, timing[e.id], stage, now)]
        size = max_results or 100
        page = ordered[:size]
        out: dict[str, Any] = {"pipelineExecutionSummaries": [self.summary(e, timing[e.id]) for e in page]}
        if len(ordered) > size:
            out["nextToken"] = encode_token(page[-1].id)
        resp = json_resp(out)
        if self.hooks:
            self._fire(key, "check")
        return resp

    def get_pipeline_execution(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        key, _ = self._pipeline(req, "pipelineName")
        e = self.find(key, req.params.get("pipelineExecutionId"))
        if e is None:
            return aws_error("PipelineExecutionNotFoundException",
                             f"Pipeline execution '{req.params.get('pipelineExecutionId')}' was not found "
                             f"for pipeline '{key[2]}'")
        t = self.timeline(key, time.time())[e.id]
        return json_resp({"pipelineExecution": self.detail(e, t)})

    def get_pipeline_state(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        key, stored = self._pipeline(req, "name")
        decl = stored.pipeline
        meta = self.cp.metadata(stored)
        resp = json_resp({"pipelineName": key[2], "pipelineVersion": decl.get("version"),
                          "stageStates": self.stage_states(key, decl, time.time()),
                          "created": meta["created"], "updated": meta["updated"]})
        if self.hooks:
            self._fire(key, "check")
        return resp

    def stop_pipeline_execution(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        key, _ = self._pipeline(req, "pipelineName")
        p = req.params
        reason = p.get("reason")
        if reason is not None and (not isinstance(reason, str) or len(reason) > 200):
            return constraint(reason, "reason", "Member must have length less than or equal to 200")
        abandon = p.get("abandon", False)
        if not isinstance(abandon, bool):
            return constraint(abandon, "abandon", "Member must be a boolean")
        e = self.find(key, p.get("pipelineExecutionId"))
        if e is None:
            return aws_error("PipelineExecutionNotFoundException",
                             f"Pipeline execution '{p.get('pipelineExecutionId')}' was not found "
                             f"for pipeline '{key[2]}'")
        now = time.time()
        t = self.timeline(key, now)[e.id]
        if t.status == STOPPING:
            if not abandon:
                return aws_error("DuplicatedStopRequestException",
                                 "The pipeline execution is already in a Stopping state. If you already chose "
                                 "to stop and wait, you cannot make that request again. You can choose to stop "
                                 "and abandon now, but be aware that this option can lead to failed tasks or "
                                 "out of sequence tasks.")
            e.ended_at = now
        elif t.status not in STOPPABLE:
            return aws_error("PipelineExecutionNotStoppableException", NOT_STOPPABLE)
        else:
            e.final, e.stop_requested_at = STOPPED, now
            running = now >= t.start
            e.ended_at = now + min(t.end - now, self.stopping_seconds) if (running and not abandon) else now
            if reason is not None:
                e.stop_reason = reason
        return json_resp({"pipelineExecutionId": e.id})
