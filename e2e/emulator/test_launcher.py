"""Tests for e2e/emulator/launcher.py.

Run with:  python3 -m unittest e2e/emulator/test_launcher.py -v
"""

from __future__ import annotations

import http.client
import json
import os
import select
import signal
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import boto3
import botocore.exceptions
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCHER = os.path.join(HERE, "launcher.py")
REGION = "eu-west-1"
ACCOUNT = "123456789012"
TARGETS = {"codepipeline": "CodePipeline_20150709", "codebuild": "CodeBuild_20161006",
           "secretsmanager": "secretsmanager"}
MASK = "****"
GITHUB_V1 = {"category": "Source", "owner": "ThirdParty", "provider": "GitHub", "version": "1"}
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


class EmulatorProcess:
    def __init__(self, *args: str) -> None:
        env = dict(os.environ)
        env.pop("MOTO_ACCOUNT_ID", None)
        self.proc = subprocess.Popen([sys.executable, LAUNCHER, "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        deadline = time.time() + 30
        line = b""
        while time.time() < deadline and not line.endswith(b"\n"):
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 1)
                if not chunk:
                    break
                line += chunk
        text = line.decode().strip()
        if not text.startswith("EMULATOR_READY http://127.0.0.1:"):
            self.proc.kill()
            raise RuntimeError(f"launcher did not start: {text!r} {self.proc.stderr.read().decode()}")
        self.ready_line = text
        self.url = text.split(" ", 1)[1]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def http_json(url: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def raw_call(url: str, service: str, action: str, params: Any, region: str = REGION,
             key: str = "testing", secret: str = "testing", token: str | None = None
             ) -> tuple[int, dict[str, str], Any]:
    """A SigV4-signed AWS JSON protocol call, bypassing botocore's model (unknown fields survive)."""
    body = params if isinstance(params, (bytes, str)) else json.dumps(params)
    body = body.encode() if isinstance(body, str) else body
    req = AWSRequest(method="POST", url=url + "/", data=body, headers={
        "X-Amz-Target": f"{TARGETS[service]}.{action}",
        "Content-Type": "application/x-amz-json-1.1",
    })
    SigV4Auth(Credentials(key, secret, token), service, region).add_auth(req)
    prepared = req.prepare()
    ureq = urllib.request.Request(prepared.url, data=prepared.body, method="POST",
                                  headers=dict(prepared.headers.items()))
    try:
        with urllib.request.urlopen(ureq, timeout=10) as resp:
            raw = resp.read()
            return resp.status, dict(resp.headers.items()), json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, dict(err.headers.items()), json.loads(raw) if raw else None


TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def pipeline_decl(name: str, role_arn: str, token: str = "fake-token-1") -> dict[str, Any]:
    return {
        "name": name,
        "roleArn": role_arn,
        "artifactStore": {"type": "S3", "location": "artifact-bucket"},
        "stages": [
            {"name": "Source", "actions": [{
                "name": "GitHubSource", "actionTypeId": dict(GITHUB_V1),
                "configuration": {"Owner": "octo", "Repo": "repo", "Branch": "main", "OAuthToken": token},
                "outputArtifacts": [{"name": "src"}]}]},
            {"name": "Build", "actions": [{
                "name": "Build", "actionTypeId": {"category": "Build", "owner": "AWS",
                                                  "provider": "CodeBuild", "version": "1"},
                "configuration": {"ProjectName": "proj"}, "inputArtifacts": [{"name": "src"}]}]},
        ],
    }


class LauncherTest(unittest.TestCase):
    emu: EmulatorProcess

    @classmethod
    def setUpClass(cls) -> None:
        cls.emu = EmulatorProcess()
        cls.url = cls.emu.url

    @classmethod
    def tearDownClass(cls) -> None:
        rc = cls.emu.stop()
        stderr = cls.emu.proc.stderr.read().decode()
        cls.emu.proc.stdout.close()
        cls.emu.proc.stderr.close()
        assert rc == 0, f"launcher exit code {rc}"
        # quiet by default: no per-request log lines, no tracebacks
        assert stderr.strip() == "", stderr

    def setUp(self) -> None:
        status, _ = http_json(self.url + "/_emulator/reset", "POST")
        self.assertEqual(status, 200)
        self.role_arn = self.client("iam").create_role(
            RoleName="pipeline-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]

    # ---------------------------------------------------------------- helpers
    def client(self, service: str, region: str = REGION, config: Config | None = None, **creds: str) -> Any:
        kw = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        kw.update(creds)
        return boto3.client(service, endpoint_url=self.url, region_name=region, config=config or NO_RETRY, **kw)

    def stored(self, name: str, region: str = REGION, account: str | None = None) -> tuple[int, Any]:
        q = {"name": name, "region": region}
        if account:
            q["account"] = account
        return http_json(self.url + "/_emulator/codepipeline/pipeline?" + urllib.parse.urlencode(q))

    def set_config(self, cfg: dict[str, Any]) -> None:
        status, body = http_json(self.url + "/_emulator/config", "POST", cfg)
        self.assertEqual(status, 200, body)

    def calls(self, **filters: str) -> list[dict[str, Any]]:
        q = "?" + urllib.parse.urlencode(filters) if filters else ""
        return http_json(self.url + "/_emulator/calls" + q)[1]

    def create(self, name: str = "p1", token: str = "fake-token-1") -> dict[str, Any]:
        return self.client("codepipeline").create_pipeline(pipeline=pipeline_decl(name, self.role_arn, token))

    def assert_aws_error(self, ctx: Any, code: str, status: int = 400) -> None:
        err = ctx.exception.response
        self.assertEqual(err["Error"]["Code"], code)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status)

    # ---------------------------------------------------------------- startup
    def test_ready_line_and_health(self) -> None:
        self.assertRegex(self.emu.ready_line, r"^EMULATOR_READY http://127\.0\.0\.1:\d+$")
        self.assertEqual(http_json(self.url + "/_emulator/health"), (200, {"status": "ok"}))
        self.assertEqual(http_json(self.url + "/_emulator/nope")[0], 404)

    # ---------------------------------------------------------------- CodePipeline corrections
    def test_timestamps_are_epoch_numbers_on_the_wire(self) -> None:
        self.create()
        cp = self.client("codepipeline")
        raw: dict[str, bytes] = {}
        cp.meta.events.register("before-parse.codepipeline.*",
                                lambda response_dict, operation_model, **_: raw.__setitem__(
                                    operation_model.name, response_dict["body"]))
        got = cp.get_pipeline(name="p1")
        listed = cp.list_pipelines()
        wire = json.loads(raw["GetPipeline"])
        for k in ("created", "updated"):
            self.assertIsInstance(wire["metadata"][k], (int, float))
            self.assertIsInstance(json.loads(raw["ListPipelines"])["pipelines"][0][k], (int, float))
            self.assertAlmostEqual(wire["metadata"][k], time.time(), delta=60)
            self.assertEqual(got["metadata"][k].timestamp(), wire["metadata"][k])
            self.assertEqual(listed["pipelines"][0][k].timestamp(), wire["metadata"][k])
        # JSON-protocol content type on every CodePipeline response
        status, headers, _ = raw_call(self.url, "codepipeline", "ListTagsForResource",
                                      {"resourceArn": got["metadata"]["pipelineArn"]})
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/x-amz-json-1.1")

    def test_github_oauth_token_masked_but_stored(self) -> None:
        created = self.create(token="fake-original-token")
        self.assertEqual(created["pipeline"]["stages"][0]["actions"][0]["configuration"]["OAuthToken"], MASK)
        got = self.client("codepipeline").get_pipeline(name="p1")["pipeline"]
        cfg = got["stages"][0]["actions"][0]["configuration"]
        self.assertEqual(cfg["OAuthToken"], MASK)
        self.assertEqual(cfg["Owner"], "octo")
        status, stored = self.stored("p1")
        self.assertEqual(status, 200)
        self.assertEqual(stored["pipeline"]["stages"][0]["actions"][0]["configuration"]["OAuthToken"],
                         "fake-original-token")
        # masking never leaks into moto's store, even after many reads
        self.client("codepipeline").get_pipeline(name="p1")
        self.assertEqual(self.stored("p1")[1]["pipeline"]["stages"][0]["actions"][0]["configuration"]
                         ["OAuthToken"], "fake-original-token")
        self.assertEqual(self.stored("missing")[0], 404)

    def test_custom_action_type_secret_property_masked(self) -> None:
        cp = self.client("codepipeline")
        out = cp.create_custom_action_type(
            category="Deploy", provider="MyDeployer", version="1",
            settings={"entityUrlTemplate": "https://example.com/{Config:Endpoint}"},
            configurationProperties=[
                {"name": "Endpoint", "required": True, "key": True, "secret": False, "queryable": False},
                {"name": "ApiKey", "required": True, "key": False, "secret": True},
            ],
            inputArtifactDetails={"minimumCount": 0, "maximumCount": 1},
            outputArtifactDetails={"minimumCount": 0, "maximumCount": 0})["actionType"]
        self.assertEqual(out["id"], {"category": "Deploy", "owner": "Custom", "provider": "MyDeployer",
                                     "version": "1"})
        self.assertEqual([p["name"] for p in out["actionConfigurationProperties"]], ["Endpoint", "ApiKey"])
        self.assertEqual(out["inputArtifactDetails"], {"minimumCount": 0, "maximumCount": 1})
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cp.create_custom_action_type(category="Deploy", provider="MyDeployer", version="1",
                                         inputArtifactDetails={"minimumCount": 0, "maximumCount": 1},
                                         outputArtifactDetails={"minimumCount": 0, "maximumCount": 0})
        self.assert_aws_error(ctx, "ValidationException")

        custom = cp.list_action_types(actionOwnerFilter="Custom")["actionTypes"]
        self.assertEqual([t["id"]["provider"] for t in custom], ["MyDeployer"])
        third = cp.list_action_types(actionOwnerFilter="ThirdParty")["actionTypes"]
        self.assertIn(GITHUB_V1, [t["id"] for t in third])
        self.assertNotIn("MyDeployer", [t["id"]["provider"] for t in third])
        self.assertIn("MyDeployer", [t["id"]["provider"] for t in cp.list_action_types()["actionTypes"]])
        # custom types are per region
        self.assertEqual(self.client("codepipeline", "us-west-2").list_action_types(
            actionOwnerFilter="Custom")["actionTypes"], [])

        decl = pipeline_decl("custom", self.role_arn)
        decl["stages"].append({"name": "Deploy", "actions": [{
            "name": "Ship", "actionTypeId": {"category": "Deploy", "owner": "Custom", "provider": "MyDeployer",
                                             "version": "1"},
            "configuration": {"Endpoint": "https://deploy.example.com", "ApiKey": "k-123"},
            "inputArtifacts": [{"name": "src"}]}]})
        created = cp.create_pipeline(pipeline=decl)["pipeline"]
        self.assertEqual(created["stages"][2]["actions"][0]["configuration"]["ApiKey"], MASK)
        cfg = cp.get_pipeline(name="custom")["pipeline"]["stages"][2]["actions"][0]["configuration"]
        self.assertEqual(cfg, {"Endpoint": "https://deploy.example.com", "ApiKey": MASK})
        stored_cfg = self.stored("custom")[1]["pipeline"]["stages"][2]["actions"][0]["configuration"]
        self.assertEqual(stored_cfg["ApiKey"], "k-123")

    def test_masked_value_keeps_stored_secret_on_update(self) -> None:
        self.create(token="ghp_keep_me")
        cp = self.client("codepipeline")
        got = cp.get_pipeline(name="p1")["pipeline"]
        got["stages"][1]["actions"][0]["configuration"]["ProjectName"] = "other-project"
        updated = cp.update_pipeline(pipeline=got)["pipeline"]
        self.assertEqual(updated["version"], 2)
        self.assertEqual(updated["stages"][0]["actions"][0]["configuration"]["OAuthToken"], MASK)
        stored = self.stored("p1")[1]["pipeline"]
        self.assertEqual(stored["stages"][0]["actions"][0]["configuration"]["OAuthToken"], "ghp_keep_me")
        self.assertEqual(stored["stages"][1]["actions"][0]["configuration"]["ProjectName"], "other-project")
        # a real new value replaces the secret
        got = cp.get_pipeline(name="p1")["pipeline"]
        got["stages"][0]["actions"][0]["configuration"]["OAuthToken"] = "ghp_rotated"
        cp.update_pipeline(pipeline=got)
        stored = self.stored("p1")[1]["pipeline"]
        self.assertEqual(stored["stages"][0]["actions"][0]["configuration"]["OAuthToken"], "ghp_rotated")
        self.assertEqual(stored["version"], 3)
        # GetPipeline with an older version returns that version (masked)
        old = cp.get_pipeline(name="p1", version=1)["pipeline"]
        self.assertEqual(old["version"], 1)
        self.assertEqual(old["stages"][1]["actions"][0]["configuration"]["ProjectName"], "proj")
        self.assertEqual(old["stages"][0]["actions"][0]["configuration"]["OAuthToken"], MASK)
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cp.get_pipeline(name="p1", version=42)
        self.assert_aws_error(ctx, "PipelineVersionNotFoundException")

    def test_masked_value_on_new_action_rejected(self) -> None:
        self.create(token="ghp_orig")
        cp = self.client("codepipeline")
        expected = ("Action configuration for action '{}' contains secret property 'OAuthToken' with value "
                    "'****'. '****' may be used in secret properties only when updating an existing action.")

        def attempt(mutate: Any, action_name: str) -> None:
            got = cp.get_pipeline(name="p1")["pipeline"]
            mutate(got)
            with self.assertRaises(botocore.exceptions.ClientError) as ctx:
                cp.update_pipeline(pipeline=got)
            self.assert_aws_error(ctx, "InvalidActionDeclarationException")
            self.assertEqual(ctx.exception.response["Error"]["Message"], expected.format(action_name))

        def add_action(p: dict[str, Any]) -> None:
            new = json.loads(json.dumps(p["stages"][0]["actions"][0]))
            new["name"] = "SecondSource"
            new["outputArtifacts"] = [{"name": "src2"}]
            p["stages"][0]["actions"].append(new)

        def rename(p: dict[str, Any]) -> None:
            p["stages"][0]["actions"][0]["name"] = "Renamed"

        def move_stage(p: dict[str, Any]) -> None:
            p["stages"][0]["name"] = "Checkout"

        def change_type(p: dict[str, Any]) -> None:
            p["stages"][0]["actions"][0]["actionTypeId"]["owner"] = "ThirdParty"
            p["stages"][0]["actions"][0]["actionTypeId"]["provider"] = "GitHub"
            p["stages"][0]["actions"][0]["actionTypeId"]["version"] = "1"
            p["stages"][0]["actions"][0]["actionTypeId"]["category"] = "Source"
            p["stages"][0]["actions"][0]["name"] = "Other"

        attempt(add_action, "SecondSource")
        attempt(rename, "Renamed")
        attempt(move_stage, "GitHubSource")
        attempt(change_type, "Other")
        self.assertEqual(self.stored("p1")[1]["pipeline"]["version"], 1)
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.create("p2", token=MASK)
        self.assert_aws_error(ctx, "InvalidActionDeclarationException")
        self.assertEqual(ctx.exception.response["Error"]["Message"], expected.format("GitHubSource"))
        self.assertEqual(self.stored("p2")[0], 404)

    def test_unknown_fields_survive_round_trip(self) -> None:
        decl = pipeline_decl("rt", self.role_arn, token="ghp_rt")
        decl["futureTopLevelSetting"] = {"nested": [1, 2.5, "x", None, True]}
        decl["pipelineType"] = "V2"
        decl["executionMode"] = "QUEUED"
        decl["variables"] = [{"name": "V", "defaultValue": "d"}]
        decl["stages"][0]["actions"][0]["futureActionField"] = {"a": "b"}
        decl["stages"][1]["futureStageField"] = 7
        status, _, body = raw_call(self.url, "codepipeline", "CreatePipeline", {"pipeline": decl})
        self.assertEqual(status, 200, body)
        status, _, got = raw_call(self.url, "codepipeline", "GetPipeline", {"name": "rt"})
        self.assertEqual(status, 200)
        pipe = got["pipeline"]
        self.assertEqual(pipe["futureTopLevelSetting"], decl["futureTopLevelSetting"])
        self.assertEqual(pipe["stages"][0]["actions"][0]["futureActionField"], {"a": "b"})
        self.assertEqual(pipe["stages"][1]["futureStageField"], 7)
        self.assertEqual(pipe["stages"][0]["actions"][0]["configuration"]["OAuthToken"], MASK)
        status, _, upd = raw_call(self.url, "codepipeline", "UpdatePipeline", {"pipeline": pipe})
        self.assertEqual(status, 200, upd)
        stored = self.stored("rt")[1]["pipeline"]
        expected = json.loads(json.dumps(pipe))
        expected["version"] = 2
        expected["stages"][0]["actions"][0]["configuration"]["OAuthToken"] = "ghp_rt"
        self.assertEqual(stored, expected)
        summary = self.client("codepipeline").list_pipelines()["pipelines"][0]
        self.assertEqual((summary["pipelineType"], summary["executionMode"]), ("V2", "QUEUED"))

    def test_list_pipelines_paginates_250(self) -> None:
        cp = self.client("codepipeline")
        names = [f"pipe-{i:03d}" for i in range(250)]
        for n in names:
            cp.create_pipeline(pipeline=pipeline_decl(n, self.role_arn))
        first = cp.list_pipelines()
        self.assertEqual(len(first["pipelines"]), 100)
        self.assertIn("nextToken", first)
        pages = list(cp.get_paginator("list_pipelines").paginate())
        self.assertEqual([len(p["pipelines"]) for p in pages], [100, 100, 50])
        self.assertNotIn("nextToken", pages[-1])
        self.assertEqual([s["name"] for p in pages for s in p["pipelines"]], names)
        self.assertEqual(len(cp.list_pipelines(maxResults=1000)["pipelines"]), 250)
        self.assertNotIn("nextToken", cp.list_pipelines(maxResults=1000))
        small = cp.list_pipelines(maxResults=7)
        self.assertEqual(len(small["pipelines"]), 7)
        nxt = cp.list_pipelines(maxResults=7, nextToken=small["nextToken"])
        self.assertEqual(nxt["pipelines"][0]["name"], "pipe-007")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cp.list_pipelines(nextToken="not-a-token")
        self.assert_aws_error(ctx, "InvalidNextTokenException")
        status, _, body = raw_call(self.url, "codepipeline", "ListPipelines", {"maxResults": 1001})
        self.assertEqual((status, body["__type"]), (400, "ValidationException"))

    def test_get_resources_finds_stack_owned_pipelines_with_system_tags(self) -> None:
        for n in ("owned-1", "owned-2", "free"):
            self.create(n)
        for n in ("owned-1", "owned-2"):
            status, _ = http_json(self.url + "/_emulator/codepipeline/system-tags", "POST", {
                "region": REGION, "name": n,
                "tags": [{"key": "aws:cloudformation:stack-name", "value": f"stack-{n}"}]})
            self.assertEqual(status, 200)
        tagging = self.client("resourcegroupstaggingapi")
        pages = list(tagging.get_paginator("get_resources").paginate(
            ResourceTypeFilters=["codepipeline"],
            TagFilters=[{"Key": "aws:cloudformation:stack-name"}],
            ResourcesPerPage=1))
        found = {m["ResourceARN"].split(":")[-1]: m["Tags"] for p in pages for m in p["ResourceTagMappingList"]}
        self.assertEqual(sorted(found), ["owned-1", "owned-2"])
        self.assertEqual(found["owned-1"], [{"Key": "aws:cloudformation:stack-name", "Value": "stack-owned-1"}])
        self.assertEqual(len(pages), 2)
        only = tagging.get_resources(ResourceTypeFilters=["codepipeline:pipeline"], TagFilters=[
            {"Key": "aws:cloudformation:stack-name", "Values": ["stack-owned-2"]}])
        self.assertEqual([m["ResourceARN"].split(":")[-1] for m in only["ResourceTagMappingList"]], ["owned-2"])

    def test_other_codepipeline_errors(self) -> None:
        self.create()
        cp = self.client("codepipeline")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.create()
        self.assert_aws_error(ctx, "PipelineNameInUseException")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cp.list_tags_for_resource(resourceArn="not-an-arn")
        self.assert_aws_error(ctx, "InvalidArnException")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cp.get_pipeline(name="missing")
        self.assert_aws_error(ctx, "PipelineNotFoundException")
        arn = cp.get_pipeline(name="p1")["metadata"]["pipelineArn"]
        cp.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "x"}])
        self.assertEqual(cp.list_tags_for_resource(resourceArn=arn)["tags"], [{"key": "team", "value": "x"}])
        self.assertEqual(self.stored("p1")[1]["tags"], [{"key": "team", "value": "x"}])

    def test_sts_web_identity_credentials_map_to_role_account(self) -> None:
        sts = self.client("sts")
        creds = sts.assume_role_with_web_identity(
            RoleArn="arn:aws:iam::111111111111:role/deployer", RoleSessionName="gha",
            WebIdentityToken="token")["Credentials"]
        kw = {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
              "aws_session_token": creds["SessionToken"]}
        role = self.client("iam", **kw).create_role(RoleName="pr", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        self.assertIn(":111111111111:", role)
        self.client("codepipeline", **kw).create_pipeline(pipeline=pipeline_decl("other", role))
        self.assertEqual(self.stored("other", account="111111111111")[0], 200)
        self.assertEqual(self.stored("other")[0], 404)
        last = self.calls(action="CreatePipeline")[-1]
        self.assertEqual((last["account"], last["region"], last["service"]), ("111111111111", REGION, "codepipeline"))
        self.assertEqual(self.calls(action="AssumeRoleWithWebIdentity")[0]["service"], "sts")

    def test_secrets_manager_passes_through(self) -> None:
        sm = self.client("secretsmanager")
        sm.create_secret(Name="gh-token", SecretString="a")
        sm.put_secret_value(SecretId="gh-token", SecretString="b")
        self.assertEqual(sm.get_secret_value(SecretId="gh-token")["SecretString"], "b")
        writes = self.calls(service="secretsmanager", write="true")
        self.assertEqual([c["action"] for c in writes], ["CreateSecret", "PutSecretValue"])

    # ---------------------------------------------------------------- CodeBuild source credentials
    def test_codebuild_source_credentials(self) -> None:
        cb = self.client("codebuild")
        arn = cb.import_source_credentials(serverType="GITHUB", authType="PERSONAL_ACCESS_TOKEN",
                                           token="ghp_one")["arn"]
        self.assertEqual(arn, f"arn:aws:codebuild:{REGION}:{ACCOUNT}:token/github")
        infos = cb.list_source_credentials()["sourceCredentialsInfos"]
        self.assertEqual(infos, [{"arn": arn, "serverType": "GITHUB", "authType": "PERSONAL_ACCESS_TOKEN"}])
        seen = http_json(f"{self.url}/_emulator/codebuild/credentials?region={REGION}")[1]["credentials"]
        self.assertEqual([(c["serverType"], c["token"]) for c in seen], [("GITHUB", "ghp_one")])

        # same server type replaces (token, authType, username)
        arn2 = cb.import_source_credentials(serverType="GITHUB", authType="BASIC_AUTH", token="pw",
                                            username="bot")["arn"]
        self.assertEqual(arn2, arn)
        seen = http_json(f"{self.url}/_emulator/codebuild/credentials?region={REGION}")[1]["credentials"]
        self.assertEqual([(c["authType"], c["token"], c["username"]) for c in seen], [("BASIC_AUTH", "pw", "bot")])
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cb.import_source_credentials(serverType="GITHUB", authType="PERSONAL_ACCESS_TOKEN", token="ghp_two",
                                         shouldOverwrite=False)
        self.assert_aws_error(ctx, "ResourceAlreadyExistsException")
        cb.import_source_credentials(serverType="GITHUB", authType="PERSONAL_ACCESS_TOKEN", token="ghp_three",
                                     shouldOverwrite=True)
        seen = http_json(f"{self.url}/_emulator/codebuild/credentials?region={REGION}")[1]["credentials"]
        self.assertEqual(seen[0]["token"], "ghp_three")

        # validation
        for kwargs in ({"serverType": "BITBUCKET", "authType": "BASIC_AUTH", "token": "x"},
                       {"serverType": "GITHUB", "authType": "OAUTH", "token": "x"}):
            with self.assertRaises(botocore.exceptions.ClientError) as ctx:
                cb.import_source_credentials(**kwargs)
            self.assert_aws_error(ctx, "InvalidInputException")
        for body in ({"serverType": "GITHUB", "authType": "PERSONAL_ACCESS_TOKEN", "token": ""},
                     {"serverType": "GITHUB", "authType": "PERSONAL_ACCESS_TOKEN"},
                     {"serverType": "SVN", "authType": "PERSONAL_ACCESS_TOKEN", "token": "x"},
                     {"serverType": "GITHUB", "authType": "MAGIC", "token": "x"}):
            status, headers, err = raw_call(self.url, "codebuild", "ImportSourceCredentials", body)
            self.assertEqual((status, err["__type"], headers["x-amzn-ErrorType"]),
                             (400, "InvalidInputException", "InvalidInputException"), body)
            self.assertEqual(headers["Content-Type"], "application/x-amz-json-1.1")

        # connection / secret ARNs are reported as `resource`
        conn = "arn:aws:codeconnections:eu-west-1:123456789012:connection/abc"
        cb.import_source_credentials(serverType="GITLAB", authType="CODECONNECTIONS", token=conn)
        secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bb-AbCdEf"
        cb.import_source_credentials(serverType="BITBUCKET", authType="SECRETS_MANAGER", token=secret)
        infos = {i["serverType"]: i for i in cb.list_source_credentials()["sourceCredentialsInfos"]}
        self.assertEqual(infos["GITLAB"]["resource"], conn)
        self.assertEqual(infos["BITBUCKET"]["resource"], secret)
        self.assertNotIn("resource", infos["GITHUB"])
        listed = cb.list_source_credentials()["sourceCredentialsInfos"]
        self.assertNotIn("ghp_three", json.dumps(listed))
        self.assertTrue(all("token" not in i for i in listed))

        # per region
        self.assertEqual(self.client("codebuild", "us-east-1").list_source_credentials()["sourceCredentialsInfos"], [])

        # delete
        self.assertEqual(cb.delete_source_credentials(arn=arn)["arn"], arn)
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cb.delete_source_credentials(arn=arn)
        self.assert_aws_error(ctx, "ResourceNotFoundException")
        self.assertEqual(sorted(infos), ["BITBUCKET", "GITHUB", "GITLAB"])
        self.assertEqual(sorted(i["serverType"] for i in cb.list_source_credentials()["sourceCredentialsInfos"]),
                         ["BITBUCKET", "GITLAB"])

        # seeding a console-only OAUTH credential
        status, body = http_json(self.url + "/_emulator/codebuild/credentials", "POST",
                                 {"region": REGION, "serverType": "GITHUB", "authType": "OAUTH"})
        self.assertEqual(status, 200)
        infos = {i["serverType"]: i for i in cb.list_source_credentials()["sourceCredentialsInfos"]}
        self.assertEqual(infos["GITHUB"], {"arn": body["arn"], "serverType": "GITHUB", "authType": "OAUTH"})

    # ---------------------------------------------------------------- throttling and faults
    def test_throttling_burst_then_rate_exceeded(self) -> None:
        self.create()
        self.set_config({"throttle": {"rps": 1, "burst": 3, "actions": ["GetPipeline"]}})
        cp = self.client("codepipeline")
        for _ in range(3):
            cp.get_pipeline(name="p1")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cp.get_pipeline(name="p1")
        self.assert_aws_error(ctx, "ThrottlingException")
        self.assertEqual(ctx.exception.response["Error"]["Message"], "Rate exceeded")
        for _ in range(5):
            cp.list_pipelines()  # not in "actions"
        # the bucket is per (region, action)
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.client("codepipeline", "us-west-2").get_pipeline(name="p1")
        self.assert_aws_error(ctx, "PipelineNotFoundException")
        time.sleep(1.1)
        cp.get_pipeline(name="p1")  # refilled
        throttled = [c for c in self.calls(action="GetPipeline") if c["fault"] == "throttle"]
        self.assertEqual(len(throttled), 1)
        self.assertEqual((throttled[0]["status"], throttled[0]["errorType"]), (400, "ThrottlingException"))
        self.assertEqual(http_json(self.url + "/_emulator/config")[1]["throttle"]["burst"], 3)

    def test_fault_status_does_not_reach_moto(self) -> None:
        self.create()
        self.set_config({"faults": [{"action": "UpdatePipeline", "kind": "status", "status": 503, "count": 1}]})
        cp = self.client("codepipeline")
        got = cp.get_pipeline(name="p1")["pipeline"]
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cp.update_pipeline(pipeline=got)
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 503)
        self.assertEqual(self.stored("p1")[1]["pipeline"]["version"], 1)
        self.assertEqual(cp.update_pipeline(pipeline=got)["pipeline"]["version"], 2)
        updates = self.calls(action="UpdatePipeline")
        self.assertEqual([(c["status"], c["fault"], c["processed"]) for c in updates],
                         [(503, "status", False), (200, None, True)])
        # and the default SDK retry gets through a single 500
        self.set_config({"faults": [{"action": "*", "kind": "status", "status": 500, "count": 1}]})
        retrying = self.client("codepipeline", config=Config(retries={"total_max_attempts": 3, "mode": "standard"}))
        retrying.get_pipeline(name="p1")

    def test_fault_reset_before_and_after(self) -> None:
        self.create()
        cp = self.client("codepipeline")
        got = cp.get_pipeline(name="p1")["pipeline"]
        self.set_config({"faults": [{"action": "UpdatePipeline", "kind": "reset", "count": 1}]})
        with self.assertRaises(botocore.exceptions.HTTPClientError):
            cp.update_pipeline(pipeline=got)
        self.assertEqual(self.stored("p1")[1]["pipeline"]["version"], 1)

        self.set_config({"faults": [{"action": "UpdatePipeline", "kind": "reset", "when": "after", "count": 1}]})
        with self.assertRaises(botocore.exceptions.HTTPClientError):
            cp.update_pipeline(pipeline=got)
        self.assertEqual(self.stored("p1")[1]["pipeline"]["version"], 2)
        resets = [c for c in self.calls(action="UpdatePipeline") if c["fault"] == "reset"]
        self.assertEqual([(c["status"], c["processed"]) for c in resets], [(0, False), (0, True)])

        # on the wire: a TCP reset with no response bytes
        self.set_config({"faults": [{"action": "GetPipeline", "kind": "reset"}]})
        host, port = self.url.split("//")[1].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.request("POST", "/", body=b"{}", headers={"X-Amz-Target": "CodePipeline_20150709.GetPipeline"})
        with self.assertRaises(ConnectionResetError):  # RST, not a clean FIN
            conn.getresponse()
        conn.close()
        # the server is still healthy
        self.assertEqual(http_json(self.url + "/_emulator/health")[0], 200)

    def test_fault_delay_lands_write_but_client_times_out(self) -> None:
        self.create()
        cp = self.client("codepipeline")
        got = cp.get_pipeline(name="p1")["pipeline"]
        self.set_config({"faults": [{"action": "UpdatePipeline", "kind": "delay", "delayMs": 1500, "count": 1}]})
        impatient = self.client("codepipeline", config=Config(read_timeout=0.4, connect_timeout=2,
                                                               retries={"total_max_attempts": 1}))
        started = time.time()
        with self.assertRaises(botocore.exceptions.ReadTimeoutError):
            impatient.update_pipeline(pipeline=got)
        self.assertLess(time.time() - started, 1.4)
        self.assertEqual(self.stored("p1")[1]["pipeline"]["version"], 2)
        # a patient client gets the answer after the delay
        self.set_config({"faults": [{"action": "GetPipeline", "kind": "delay", "delayMs": 300, "count": 1}]})
        started = time.time()
        cp.get_pipeline(name="p1")
        self.assertGreaterEqual(time.time() - started, 0.3)

    def test_fault_throttle_every_after(self) -> None:
        self.create()
        self.set_config({"faults": [{"action": "GetPipeline", "kind": "throttle", "every": 2, "after": 1}]})
        cp = self.client("codepipeline")
        outcome = []
        for _ in range(6):
            try:
                cp.get_pipeline(name="p1")
                outcome.append("ok")
            except botocore.exceptions.ClientError as err:
                outcome.append(err.response["Error"]["Code"])
        T = "ThrottlingException"
        self.assertEqual(outcome, ["ok", "ok", T, "ok", T, "ok"])
        rule = http_json(self.url + "/_emulator/config")[1]["faults"][0]
        self.assertEqual((rule["seen"], rule["applied"]), (6, 2))
        # count + after
        self.set_config({"faults": [{"action": "*", "kind": "status", "status": 500, "count": 2, "after": 1}]})
        codes = []
        for _ in range(4):
            try:
                cp.list_pipelines()
                codes.append(200)
            except botocore.exceptions.ClientError as err:
                codes.append(err.response["ResponseMetadata"]["HTTPStatusCode"])
        self.assertEqual(codes, [200, 500, 500, 200])
        status, body = http_json(self.url + "/_emulator/config", "POST", {"faults": [{"kind": "explode"}]})
        self.assertEqual(status, 400)

    # ---------------------------------------------------------------- call log and reset
    def test_call_log_and_reset(self) -> None:
        self.create()
        http_json(self.url + "/_emulator/calls/reset", "POST")
        self.assertEqual(self.calls(), [])
        cp = self.client("codepipeline")
        got = cp.get_pipeline(name="p1")["pipeline"]
        cp.update_pipeline(pipeline=got)
        log = self.calls()
        self.assertEqual([(c["service"], c["action"], c["region"], c["account"], c["status"], c["write"])
                          for c in log],
                         [("codepipeline", "GetPipeline", REGION, ACCOUNT, 200, False),
                          ("codepipeline", "UpdatePipeline", REGION, ACCOUNT, 200, True)])
        self.assertEqual([c["action"] for c in self.calls(write="true")], ["UpdatePipeline"])
        # test endpoints are not AWS calls
        self.stored("p1")
        self.assertEqual(len(self.calls()), 2)

        self.client("codebuild").import_source_credentials(serverType="GITHUB", authType="PERSONAL_ACCESS_TOKEN",
                                                           token="t")
        cp.create_custom_action_type(category="Build", provider="X", version="1",
                                     inputArtifactDetails={"minimumCount": 0, "maximumCount": 0},
                                     outputArtifactDetails={"minimumCount": 0, "maximumCount": 0})
        self.set_config({"throttle": {"rps": 5}, "faults": [{"kind": "delay", "delayMs": 1}]})
        self.assertEqual(http_json(self.url + "/_emulator/reset", "POST")[0], 200)
        self.assertEqual(self.calls(), [])
        self.assertEqual(self.stored("p1")[0], 404)
        self.assertEqual(http_json(f"{self.url}/_emulator/codebuild/credentials?region={REGION}")[1],
                         {"credentials": []})
        self.assertEqual(http_json(self.url + "/_emulator/config")[1], {"throttle": None, "faults": []})
        self.assertEqual(cp.list_action_types(actionOwnerFilter="Custom")["actionTypes"], [])
        self.assertEqual(cp.list_pipelines()["pipelines"], [])


class CommandLineTest(unittest.TestCase):
    def test_page_size_throttle_flag_and_sigterm(self) -> None:
        emu = EmulatorProcess("--throttle-rps", "5", "--page-size", "7")
        try:
            kw = {"endpoint_url": emu.url, "region_name": REGION, "aws_access_key_id": "testing",
                  "aws_secret_access_key": "testing",
                  "config": Config(retries={"total_max_attempts": 10, "mode": "standard"})}
            role = boto3.client("iam", **kw).create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
            cp = boto3.client("codepipeline", **kw)
            for i in range(10):  # the SDK's retries absorb the throttling here
                cp.create_pipeline(pipeline=pipeline_decl(f"p{i}", role))
            no_retry = boto3.client("codepipeline", **{**kw, "config": NO_RETRY})
            page = no_retry.list_pipelines()
            self.assertEqual(len(page["pipelines"]), 7)
            self.assertEqual(len(no_retry.list_pipelines(nextToken=page["nextToken"])["pipelines"]), 3)
            with self.assertRaises(botocore.exceptions.ClientError) as ctx:
                for _ in range(50):
                    no_retry.list_pipelines()
            self.assertEqual(ctx.exception.response["Error"]["Code"], "ThrottlingException")
            cfg = http_json(emu.url + "/_emulator/config")[1]
            self.assertEqual(cfg["throttle"], {"rps": 5.0, "burst": 5.0, "actions": None})
        finally:
            rc = emu.stop()
            stderr = emu.proc.stderr.read().decode()
            emu.proc.stdout.close()
            emu.proc.stderr.close()
        self.assertEqual(rc, 0)
        self.assertEqual(stderr.strip(), "")

    def test_exits_when_its_parent_is_gone(self) -> None:
        # A parent that starts the launcher and dies without stopping it.
        script = (
            "import subprocess, sys\n"
            f"p = subprocess.Popen([sys.executable, {LAUNCHER!r}, '--port', '0'], stdout=subprocess.PIPE,\n"
            "                     stderr=subprocess.DEVNULL)\n"
            "print(p.pid, p.stdout.readline().decode().strip(), flush=True)\n"
        )
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60, check=True)
        pid_text, ready = out.stdout.decode().split(" ", 1)
        self.assertTrue(ready.startswith("EMULATOR_READY "))
        pid = int(pid_text)
        deadline = time.time() + 10
        while time.time() < deadline and os.path.exists(f"/proc/{pid}") and not zombie(pid):
            time.sleep(0.1)
        alive = os.path.exists(f"/proc/{pid}") and not zombie(pid)
        if alive:
            os.kill(pid, signal.SIGKILL)
        self.assertFalse(alive, "the launcher outlived its parent")


def zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


if __name__ == "__main__":
    unittest.main()
