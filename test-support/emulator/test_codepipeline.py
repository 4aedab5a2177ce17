"""Tests for codepipeline.py: the corrections to moto's pipelines and custom action types.

Run all the emulator's tests with:
    python3 -m unittest discover -s test-support/emulator -p 'test_*.py'
"""

from __future__ import annotations

import json
import time
from typing import Any

import botocore.exceptions

from testkit import GITHUB_V1, MASK, REGION, EmulatorTestCase, http_json, pipeline_decl, raw_call


class CodePipelineTest(EmulatorTestCase):
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

    def test_list_extra_names_are_listed_but_not_found(self) -> None:
        for n in ("b-real", "d-real"):
            self.create(n)
        hostile = "c-gone::error::x"
        status, _ = http_json(self.url + "/_emulator/codepipeline/list-extra", "POST",
                              {"region": REGION, "names": ["a-gone", hostile]})
        self.assertEqual(status, 200)
        cp = self.client("codepipeline")
        names = [s["name"] for p in cp.get_paginator("list_pipelines").paginate(PaginationConfig={"PageSize": 3})
                 for s in p["pipelines"]]
        self.assertEqual(names, ["a-gone", "b-real", hostile, "d-real"])
        status, _, body = raw_call(self.url, "codepipeline", "GetPipeline", {"name": hostile})
        self.assertEqual((status, body["__type"]), (400, "PipelineNotFoundException"))
        self.assertEqual(body["message"], f"Account '123456789012' does not have a pipeline with name '{hostile}'")
        # other regions are not affected; reset clears the list
        self.assertEqual(self.client("codepipeline", "us-west-2").list_pipelines()["pipelines"], [])
        self.assertEqual(http_json(self.url + "/_emulator/reset", "POST")[0], 200)
        self.assertEqual(cp.list_pipelines()["pipelines"], [])
        self.assertEqual(http_json(self.url + "/_emulator/codepipeline/list-extra", "POST",
                                   {"region": REGION, "names": "x"})[0], 400)

    def test_masking_copies_only_what_it_masks(self) -> None:
        decl = pipeline_decl("m", self.role_arn, token="ghp_secret")
        decl["stages"][0]["actions"].append({
            "name": "Other", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3",
                                              "version": "1"},
            "configuration": {"S3Bucket": "b", "S3ObjectKey": "k"}, "outputArtifacts": [{"name": "o"}]})
        cp = self.client("codepipeline")
        cp.create_pipeline(pipeline=decl)
        for _ in range(3):
            got = cp.get_pipeline(name="m")["pipeline"]
        self.assertEqual(got["stages"][0]["actions"][0]["configuration"]["OAuthToken"], MASK)
        self.assertEqual(got["stages"][0]["actions"][1]["configuration"], {"S3Bucket": "b", "S3ObjectKey": "k"})
        self.assertEqual(got["stages"][1], self.stored("m")[1]["pipeline"]["stages"][1])
        self.assertEqual(self.stored("m")[1]["pipeline"]["stages"][0]["actions"][0]["configuration"]["OAuthToken"],
                         "ghp_secret")
        # every version in the history stays as it was written
        got["stages"][1]["actions"][0]["configuration"]["ProjectName"] = "v2-project"
        cp.update_pipeline(pipeline=got)
        got = cp.get_pipeline(name="m")["pipeline"]
        got["stages"][1]["actions"][0]["configuration"]["ProjectName"] = "v3-project"
        cp.update_pipeline(pipeline=got)
        projects = [cp.get_pipeline(name="m", version=v)["pipeline"]["stages"][1]["actions"][0]["configuration"]
                    ["ProjectName"] for v in (1, 2, 3)]
        self.assertEqual(projects, ["proj", "v2-project", "v3-project"])
        self.assertEqual(cp.get_pipeline(name="m", version=2)["pipeline"]["stages"][0]["actions"][0]
                         ["configuration"]["OAuthToken"], MASK)
