"""CodePipeline: corrections to moto's pipelines, and custom action types moto lacks.

Each behaviour follows the CodePipeline API reference:

* Timestamps are epoch seconds: PipelineMetadata.created / updated and
  PipelineSummary.created / updated are "Type: Timestamp", which the JSON
  protocol sends as numbers (moto sends ISO-8601 strings, which the JS SDK
  rejects with "Expected real number").
* Secret masking, ActionConfigurationProperty.secret: "Secrets are hidden from
  all calls except for GetJobDetails, GetThirdPartyJobDetails, PollForJobs, and
  PollForThirdPartyJobs." GetPipeline and the pipeline CreatePipeline and
  UpdatePipeline return show ``****`` for each secret property (OAuthToken of
  Source/ThirdParty/GitHub/1, and the ``secret: true`` properties of custom
  action types). moto's stored pipeline keeps the real value.
* ``****`` on write, same entry: "When updating a pipeline, passing * * * * *
  without changing any other values of the action preserves the previous value
  of the secret." Same stage, action name and actionTypeId: the stored value is
  kept; anything else is InvalidActionDeclarationException.
* ListPipelines: maxResults "Valid Range: Minimum value of 1. Maximum value of
  1000." and nextToken "If the amount of returned information is significantly
  large, an identifier is also returned. It can be used in a subsequent list
  pipelines call to return the next set of pipelines in the list." (moto returns
  everything at once); PipelineSummary carries pipelineType and executionMode.
* CreatePipeline: PipelineNameInUseException "The specified pipeline name is
  already in use." (moto: InvalidStructureException).
* GetPipeline version: "The version number of the pipeline. If you do not
  specify a version, defaults to the current version."; an unknown version is
  PipelineVersionNotFoundException ("The pipeline version was specified in an
  invalid format or cannot be found.").
* ListTagsForResource / TagResource / UntagResource: InvalidArnException "The
  specified resource ARN is invalid." (moto takes the text after the last ':').
* CreateCustomActionType / DeleteCustomActionType / ListActionTypes (moto has
  none): ActionType {id {category, owner "Custom", provider, version},
  settings, actionConfigurationProperties, inputArtifactDetails,
  outputArtifactDetails}; ListActionTypes actionOwnerFilter "Filters the list of
  action types to those created by a specified entity." (AWS | ThirdParty |
  Custom); DeleteCustomActionType of an unknown type is
  ActionTypeNotFoundException ("The specified action type cannot be found.").

GetPipeline, ListPipelines and UpdatePipeline are answered from moto's models
directly (no second HTTP round trip into moto, no deep copies: masking copies
only the dicts on the way to a secret). Stored pipeline dicts are never mutated
in place, so the version history keeps references.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any, Callable, Iterable

from common import (JSON_CT, AwsRequest, EmulatorError, Resp, aws_error, decode_token, dumps, encode_token,
                 epoch_ms, json_resp)

SECRET_MASK = "****"
MAX_PAGE_SIZE = 1000  # ListPipelines maxResults: "Valid Range: Minimum value of 1. Maximum value of 1000."
PIPELINE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:codepipeline:[a-z0-9-]+:\d{12}:[A-Za-z0-9.@\-_]+$")
INVALID_TOKEN = ("The next token was specified in an invalid format. Make sure that the next "
                 "token you provide is the token returned by a previous call.")


# --------------------------------------------------------------------------------------
# Built-in action types: an abbreviated catalogue of what ListActionTypes returns for the
# AWS and ThirdParty owners. What matters is the `secret` flag: the only secret property
# among them is OAuthToken of Source/ThirdParty/GitHub/1 (user guide, "GitHub (via OAuth
# app) source action").
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


def _secret_names(action_type: dict[str, Any]) -> frozenset[str]:
    return frozenset(p["name"] for p in action_type.get("actionConfigurationProperties", []) if p.get("secret"))


BUILTIN_SECRETS = {type_key(t["id"]): _secret_names(t) for t in BUILTIN_ACTION_TYPES}
BUILTIN_LISTINGS: dict[Any, bytes] = {}  # actionOwnerFilter -> ListActionTypes body without custom types
NO_SECRETS: frozenset[str] = frozenset()


def iter_actions(pipeline: Any) -> Iterable[tuple[dict[str, Any], dict[str, Any]]]:
    if not isinstance(pipeline, dict):
        return
    for stage in pipeline.get("stages") or []:
        if not isinstance(stage, dict):
            continue
        for action in stage.get("actions") or []:
            if isinstance(action, dict):
                yield stage, action


def well_formed(pipeline: dict[str, Any]) -> bool:
    """Whether moto's update_pipeline can take the declaration (stages and actions are
    lists of objects); anything else goes to moto unchanged so that moto answers it."""
    stages = pipeline.get("stages")
    if not isinstance(stages, list) or not isinstance(pipeline.get("name"), str):
        return False
    for stage in stages:
        if not isinstance(stage, dict) or not isinstance(stage.get("actions"), list):
            return False
        if not all(isinstance(a, dict) for a in stage["actions"]):
            return False
    return True


class CodePipelineService:
    def __init__(self, emu: Any):
        self.emu = emu
        # Hooks the execution model uses: before_update(req, name) and
        # after_update(req, name) around a successful UpdatePipeline of an existing
        # pipeline, after_delete(account, region, name).
        self.before_update: list[Callable[[AwsRequest, str], None]] = []
        self.after_update: list[Callable[[AwsRequest, str], None]] = []
        self.after_delete: list[Callable[[str, str, str], None]] = []
        self.reset()
        emu.handlers.update({
            ("codepipeline", "GetPipeline"): self.get_pipeline,
            ("codepipeline", "CreatePipeline"): self.create_pipeline,
            ("codepipeline", "UpdatePipeline"): self.update_pipeline,
            ("codepipeline", "DeletePipeline"): self.delete_pipeline,
            ("codepipeline", "ListPipelines"): self.list_pipelines,
            ("codepipeline", "ListTagsForResource"): self.tags_call,
            ("codepipeline", "TagResource"): self.tags_call,
            ("codepipeline", "UntagResource"): self.tags_call,
            ("codepipeline", "CreateCustomActionType"): self.create_custom_action_type,
            ("codepipeline", "DeleteCustomActionType"): self.delete_custom_action_type,
            ("codepipeline", "ListActionTypes"): self.list_action_types,
        })

    def reset(self) -> None:
        # (account, region) -> {(category, provider, version): {"actionType", "tags"}}
        self.custom_types: dict[tuple[str, str], dict[tuple[str, str, str], dict[str, Any]]] = {}
        # (account, region, name) -> {version: declaration}
        self.history: dict[tuple[str, str, str], dict[int, dict[str, Any]]] = {}
        # (account, region) -> {name: time added}: names ListPipelines lists, not real pipelines
        self.extra_names: dict[tuple[str, str], dict[str, float]] = {}

    # ---------------------------------------------------------------- moto's models
    @staticmethod
    def backend(account: str, region: str) -> Any:
        from moto.codepipeline.models import codepipeline_backends

        return codepipeline_backends[account][region]

    def stored(self, account: str, region: str, name: Any) -> Any:
        if not isinstance(name, str):
            return None
        return self.backend(account, region).pipelines.get(name)

    @staticmethod
    def metadata(stored: Any) -> dict[str, Any]:
        # PipelineMetadata.created / updated: "Type: Timestamp" -> epoch seconds.
        return {"pipelineArn": stored._arn, "created": epoch_ms(stored._created),
                "updated": epoch_ms(stored._updated)}

    @staticmethod
    def not_found(account: str, name: Any) -> Resp:
        # moto's (and AWS's) PipelineNotFoundException text
        return aws_error("PipelineNotFoundException",
                         f"Account '{account}' does not have a pipeline with name '{name}'")

    # ---------------------------------------------------------------- secrets
    def secret_properties(self, account: str, region: str, type_id: Any) -> frozenset[str]:
        key = type_key(type_id)
        if key is None:
            return NO_SECRETS
        if key[1] == "Custom":
            entry = self.custom_types.get((account, region), {}).get((key[0], key[2], key[3]))
            return _secret_names(entry["actionType"]) if entry else NO_SECRETS
        return BUILTIN_SECRETS.get(key, NO_SECRETS)

    def mask(self, account: str, region: str, pipeline: Any) -> Any:
        """The declaration with '****' for each secret property: copies only the dicts
        and lists on the way to a secret; the stored declaration is never touched."""
        if not isinstance(pipeline, dict):
            return pipeline
        stages = pipeline.get("stages")
        if not isinstance(stages, list):
            return pipeline
        new_stages = None
        for si, stage in enumerate(stages):
            if not isinstance(stage, dict) or not isinstance(stage.get("actions"), list):
                continue
            actions = stage["actions"]
            new_actions = None
            for ai, action in enumerate(actions):
                if not isinstance(action, dict):
                    continue
                cfg = action.get("configuration")
                if not isinstance(cfg, dict) or not cfg:
                    continue
                hits = [k for k in self.secret_properties(account, region, action.get("actionTypeId")) if k in cfg]
                if not hits:
                    continue
                new_cfg = dict(cfg)
                for k in hits:
                    new_cfg[k] = SECRET_MASK
                new_action = dict(action)
                new_action["configuration"] = new_cfg
                if new_actions is None:
                    new_actions = list(actions)
                new_actions[ai] = new_action
            if new_actions is not None:
                new_stage = dict(stage)
                new_stage["actions"] = new_actions
                if new_stages is None:
                    new_stages = list(stages)
                new_stages[si] = new_stage
        if new_stages is None:
            return pipeline
        out = dict(pipeline)
        out["stages"] = new_stages
        return out

    @staticmethod
    def masked_secret_error(action_name: Any, prop: str) -> EmulatorError:
        return EmulatorError(aws_error(
            "InvalidActionDeclarationException",
            f"Action configuration for action '{action_name}' contains secret property '{prop}' "
            f"with value '{SECRET_MASK}'. '{SECRET_MASK}' may be used in secret properties only "
            f"when updating an existing action."))

    def restore_masked_secrets(self, req: AwsRequest, pipeline: dict[str, Any], stored: dict[str, Any]) -> None:
        # ActionConfigurationProperty.secret: "When updating a pipeline, passing * * * * *
        # without changing any other values of the action preserves the previous value of
        # the secret." Same stage, same action name, same actionTypeId -> the stored value
        # replaces '****' in the request (our own parsed copy) before moto stores it;
        # otherwise '****' would become the secret, so it is rejected.
        old_actions: dict[tuple[Any, Any], dict[str, Any]] | None = None
        for stage, action in iter_actions(pipeline):
            cfg = action.get("configuration")
            if not isinstance(cfg, dict):
                continue
            for prop in sorted(self.secret_properties(req.account, req.region, action.get("actionTypeId"))):
                if cfg.get(prop) != SECRET_MASK:
                    continue
                if old_actions is None:
                    old_actions = {(s.get("name"), a.get("name")): a for s, a in iter_actions(stored)}
                old = old_actions.get((stage.get("name"), action.get("name")))
                old_cfg = old.get("configuration") if old else None
                if (old is None or old.get("actionTypeId") != action.get("actionTypeId")
                        or not isinstance(old_cfg, dict) or prop not in old_cfg):
                    raise self.masked_secret_error(action.get("name"), prop)
                cfg[prop] = old_cfg[prop]

    # ---------------------------------------------------------------- pipelines
    def get_pipeline(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        name = req.params.get("name")
        stored = self.stored(req.account, req.region, name)
        if stored is None:
            return self.not_found(req.account, name)
        decl = stored.pipeline
        version = req.params.get("version")
        if version is not None and version != decl.get("version"):
            # GetPipeline.version: "The version number of the pipeline. If you do not specify
            # a version, defaults to the current version." (moto ignores it.)
            decl = self.history.get((req.account, req.region, name), {}).get(version)
            if decl is None:
                return aws_error("PipelineVersionNotFoundException",
                                 f"Pipeline version '{version}' was not found for pipeline '{name}'")
        return json_resp({"pipeline": self.mask(req.account, req.region, decl),
                          "metadata": self.metadata(stored)})

    def create_pipeline(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        pipeline = req.params.get("pipeline")
        if isinstance(pipeline, dict):
            # CreatePipeline errors: PipelineNameInUseException "The specified pipeline name
            # is already in use." (moto answers InvalidStructureException instead).
            if self.stored(req.account, req.region, pipeline.get("name")) is not None:
                return aws_error("PipelineNameInUseException",
                                 f"A pipeline with the name '{pipeline.get('name')}' already exists "
                                 f"in account '{req.account}'")
            # '****' is only accepted when updating an existing action
            # (ActionConfigurationProperty.secret); a new pipeline has none.
            for _, action in iter_actions(pipeline):
                cfg = action.get("configuration")
                if not isinstance(cfg, dict):
                    continue
                for prop in sorted(self.secret_properties(req.account, req.region, action.get("actionTypeId"))):
                    if cfg.get(prop) == SECRET_MASK:
                        raise self.masked_secret_error(action.get("name"), prop)
        resp = self.emu.forward(environ, req)
        if resp.status != 200 or not isinstance(pipeline, dict):
            return resp
        name = pipeline.get("name")
        stored = self.stored(req.account, req.region, name)
        if stored is None:
            return resp
        self.history[(req.account, req.region, name)] = {int(stored.pipeline.get("version", 1)): stored.pipeline}
        data = resp.json()
        data["pipeline"] = self.mask(req.account, req.region, stored.pipeline)
        return json_resp(data, headers=resp.headers)

    def update_pipeline(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        pipeline = req.params.get("pipeline")
        if not isinstance(pipeline, dict):
            return self.emu.forward(environ, req)
        name = pipeline.get("name")
        stored = self.stored(req.account, req.region, name)
        if stored is None or not well_formed(pipeline):
            # moto's own answer (ResourceNotFoundException for an unknown pipeline)
            return self.emu.forward(environ, req)
        for hook in self.before_update:
            hook(req, name)
        self.restore_masked_secrets(req, pipeline, stored.pipeline)
        # moto's CodePipelineBackend.update_pipeline: version + 1, defaults, updated time
        decl = self.backend(req.account, req.region).update_pipeline(pipeline)
        self.history.setdefault((req.account, req.region, name), {})[int(decl.get("version", 1))] = decl
        for hook in self.after_update:
            hook(req, name)
        return json_resp({"pipeline": self.mask(req.account, req.region, decl)})

    def delete_pipeline(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        resp = self.emu.forward(environ, req)
        name = req.params.get("name")
        if resp.status == 200 and isinstance(name, str):
            self.history.pop((req.account, req.region, name), None)
            for hook in self.after_delete:
                hook(req.account, req.region, name)
        return resp

    def list_pipelines(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        # ListPipelines: maxResults "The maximum number of pipelines to return in a single
        # call. To retrieve the remaining pipelines, make another call with the returned
        # nextToken value." (Valid Range 1..1000). moto returns every pipeline at once.
        max_results = req.params.get("maxResults")
        if max_results is not None:
            if (not isinstance(max_results, int) or isinstance(max_results, bool)
                    or not 1 <= max_results <= MAX_PAGE_SIZE):
                return aws_error("ValidationException",
                                 f"1 validation error detected: Value '{max_results}' at 'maxResults' failed "
                                 f"to satisfy constraint: Member must have value between 1 and {MAX_PAGE_SIZE}")
        page_size = max_results or self.emu.page_size
        after = None
        token = req.params.get("nextToken")
        if token is not None:
            after = decode_token(token)
            if after is None:
                return aws_error("InvalidNextTokenException", INVALID_TOKEN)
        pipelines = self.backend(req.account, req.region).pipelines
        extras = self.extra_names.get((req.account, req.region), {})
        names = sorted(set(pipelines) | set(extras)) if extras else sorted(pipelines)
        if after is not None:
            names = [n for n in names if n > after]
        page = []
        for name in names[:page_size]:
            stored = pipelines.get(name)
            if stored is None:  # a listed name that is not a pipeline (test endpoint list-extra)
                added = extras[name]
                page.append({"name": name, "version": 1, "created": added, "updated": added})
                continue
            decl = stored.pipeline
            summary = {"name": name, "version": decl.get("version"), "created": epoch_ms(stored._created),
                       "updated": epoch_ms(stored._updated)}
            # PipelineSummary also carries pipelineType / executionMode (moto drops them).
            if "pipelineType" in decl:
                summary["pipelineType"] = decl["pipelineType"]
            if "executionMode" in decl:
                summary["executionMode"] = decl["executionMode"]
            page.append(summary)
        out: dict[str, Any] = {"pipelines": page}
        if len(names) > page_size:
            out["nextToken"] = encode_token(page[-1]["name"])
        return json_resp(out)

    def set_extra_names(self, account: str, region: str, names: list[str]) -> None:
        now = time.time()
        self.extra_names[(account, region)] = {n: now for n in names}

    def tags_call(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        # ListTagsForResource / TagResource / UntagResource: a malformed resourceArn is
        # InvalidArnException ("The specified resource ARN is invalid."); moto takes the
        # text after the last ':' as a pipeline name.
        arn = req.params.get("resourceArn")
        if not isinstance(arn, str) or not PIPELINE_ARN_RE.match(arn):
            return aws_error("InvalidArnException", f"The specified resource ARN is invalid: {arn}")
        resp = self.emu.forward(environ, req)
        if resp.status == 200 and not resp.body.strip():
            # TagResourceOutput / UntagResourceOutput are empty JSON objects.
            return json_resp({}, headers=resp.headers)
        return resp

    # ---------------------------------------------------------------- custom action types
    def create_custom_action_type(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        # CreateCustomActionType: category, provider, version, inputArtifactDetails,
        # outputArtifactDetails required; settings and configurationProperties optional.
        # The output's ActionType names the properties "actionConfigurationProperties" and
        # its id has owner "Custom".
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
            "settings": p.get("settings") or {},
            "actionConfigurationProperties": clean_props,
            **details,
        }
        tags = p.get("tags") or []
        types[key] = {"actionType": action_type, "tags": tags}
        out: dict[str, Any] = {"actionType": action_type}
        if tags:
            out["tags"] = tags
        return json_resp(out)

    def delete_custom_action_type(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        p = req.params
        types = self.custom_types.get((req.account, req.region), {})
        key = (p.get("category"), p.get("provider"), p.get("version"))
        if key not in types:
            return aws_error("ActionTypeNotFoundException",
                             f"Action type with category '{key[0]}', owner 'Custom', provider '{key[1]}' "
                             f"and version '{key[2]}' was not found")
        del types[key]
        return json_resp({})

    def list_action_types(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        # ListActionTypes: actionOwnerFilter "Filters the list of action types to those
        # created by a specified entity." Valid values: AWS | ThirdParty | Custom.
        owner = req.params.get("actionOwnerFilter")
        if owner is not None and owner not in ("AWS", "ThirdParty", "Custom"):
            return aws_error("ValidationException",
                             f"1 validation error detected: Value '{owner}' at 'actionOwnerFilter' failed to "
                             f"satisfy constraint: Member must satisfy enum value set: [AWS, ThirdParty, Custom]")
        if req.params.get("nextToken") is not None:
            # Everything fits on one page, so no token is ever handed out.
            return aws_error("InvalidNextTokenException", INVALID_TOKEN)
        # custom types are stored per account+region, so the regionFilter is the request's region
        custom = self.custom_types.get((req.account, req.region))
        if not custom:
            body = BUILTIN_LISTINGS.get(owner)
            if body is None:
                body = BUILTIN_LISTINGS[owner] = dumps(
                    {"actionTypes": [t for t in BUILTIN_ACTION_TYPES if owner is None or t["id"]["owner"] == owner]})
            return Resp(200, [("Content-Type", JSON_CT), ("x-amzn-RequestId", str(uuid.uuid4()))], body)
        all_types = BUILTIN_ACTION_TYPES
        if custom:
            all_types = all_types + [v["actionType"] for _, v in sorted(custom.items())]
        out = all_types if owner is None else [t for t in all_types if t["id"]["owner"] == owner]
        return json_resp({"actionTypes": out})
