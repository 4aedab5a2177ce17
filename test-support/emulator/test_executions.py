"""Tests for executions.py: pipeline executions, execution modes, stops, UpdatePipeline, hooks.

Run all the emulator's tests with:
    python3 -m unittest discover -s test-support/emulator -p 'test_*.py'
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from typing import Any

import botocore.exceptions

from testkit import CONNECTION, EmulatorTestCase, http_json, pipeline_decl, raw_call

UUID_RE = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
CANCELLED = "The pipeline's definition was updated before the pipeline execution could be completed."


class ExecutionsTest(EmulatorTestCase):
    # ---------------------------------------------------------------- helpers
    def v2(self, name: str, mode: str, **extra: Any) -> None:
        self.create(name, pipelineType="V2", executionMode=mode, **extra)

    def seed(self, name: str = "p1", duration: float = 30, **body: Any) -> str:
        return self.control("/_emulator/codepipeline/executions",
                            {"region": "eu-west-1", "name": name, "durationSeconds": duration, **body}
                            )["pipelineExecutionId"]

    def kept(self, name: str = "p1") -> list[dict[str, Any]]:
        q = urllib.parse.urlencode({"region": "eu-west-1", "name": name})
        return self.control(f"/_emulator/codepipeline/executions?{q}")["executions"]

    def statuses(self, name: str = "p1") -> list[str]:
        return [s["status"] for s in self.client("codepipeline").list_pipeline_executions(
            pipelineName=name)["pipelineExecutionSummaries"]]

    # ---------------------------------------------------------------- API
    def test_start_list_get_and_finish(self) -> None:
        self.create()
        self.set_config({"executionSeconds": 0.4})
        cp = self.client("codepipeline")
        raw: dict[str, bytes] = {}
        cp.meta.events.register("before-parse.codepipeline.*",
                                lambda response_dict, operation_model, **_: raw.__setitem__(
                                    operation_model.name, response_dict["body"]))
        exec_id = cp.start_pipeline_execution(name="p1")["pipelineExecutionId"]
        self.assertRegex(exec_id, UUID_RE)
        summaries = cp.list_pipeline_executions(pipelineName="p1")["pipelineExecutionSummaries"]
        self.assertEqual(len(summaries), 1)
        s = summaries[0]
        self.assertEqual((s["pipelineExecutionId"], s["status"], s["executionMode"], s["executionType"]),
                         (exec_id, "InProgress", "SUPERSEDED", "STANDARD"))
        self.assertEqual(s["trigger"]["triggerType"], "StartPipelineExecution")
        self.assertEqual([r["actionName"] for r in s["sourceRevisions"]], ["GitHubSource"])
        self.assertRegex(s["sourceRevisions"][0]["revisionId"], r"^[0-9a-f]{40}$")
        self.assertTrue(s["sourceRevisions"][0]["revisionUrl"].startswith("https://github.com/octo/repo/commit/"))
        wire = json.loads(raw["ListPipelineExecutions"])["pipelineExecutionSummaries"][0]
        self.assertIsInstance(wire["startTime"], (int, float))
        self.assertIsInstance(wire["lastUpdateTime"], (int, float))
        self.assertAlmostEqual(wire["startTime"], time.time(), delta=5)
        self.assertNotIn("stopTrigger", wire)
        self.assertNotIn("statusSummary", wire)

        got = cp.get_pipeline_execution(pipelineName="p1", pipelineExecutionId=exec_id)["pipelineExecution"]
        self.assertEqual((got["pipelineName"], got["pipelineVersion"], got["status"]), ("p1", 1, "InProgress"))
        self.assertEqual(got["artifactRevisions"][0]["name"], "src")
        self.assertEqual(got["artifactRevisions"][0]["revisionId"], s["sourceRevisions"][0]["revisionId"])
        self.assertEqual((got["variables"], got["executionType"], got["executionMode"]), ([], "STANDARD", "SUPERSEDED"))

        time.sleep(0.5)
        done = cp.list_pipeline_executions(pipelineName="p1")["pipelineExecutionSummaries"][0]
        self.assertEqual(done["status"], "Succeeded")
        wire = json.loads(raw["ListPipelineExecutions"])["pipelineExecutionSummaries"][0]
        self.assertAlmostEqual(wire["lastUpdateTime"] - wire["startTime"], 0.4, places=3)

        # writes in the call log
        self.assertEqual([c["action"] for c in self.calls(write="true", service="codepipeline")],
                         ["CreatePipeline", "StartPipelineExecution"])

    def test_errors_for_unknown_pipeline_and_execution(self) -> None:
        self.create()
        cp = self.client("codepipeline")
        for call, kw in ((cp.start_pipeline_execution, {"name": "nope"}),
                         (cp.list_pipeline_executions, {"pipelineName": "nope"}),
                         (cp.get_pipeline_state, {"name": "nope"}),
                         (cp.get_pipeline_execution, {"pipelineName": "nope",
                                                      "pipelineExecutionId": "0" * 8 + "-0000-0000-0000-" + "0" * 12}),
                         (cp.stop_pipeline_execution, {"pipelineName": "nope",
                                                       "pipelineExecutionId": "0" * 8 + "-0000-0000-0000-" + "0" * 12})):
            with self.assertRaises(botocore.exceptions.ClientError) as ctx:
                call(**kw)
            self.assert_aws_error(ctx, "PipelineNotFoundException")
            self.assertIn("'nope'", ctx.exception.response["Error"]["Message"])
        for call in (cp.get_pipeline_execution, cp.stop_pipeline_execution):
            with self.assertRaises(botocore.exceptions.ClientError) as ctx:
                call(pipelineName="p1", pipelineExecutionId="11111111-2222-3333-4444-555555555555")
            self.assert_aws_error(ctx, "PipelineExecutionNotFoundException")

    def test_client_request_token_is_idempotent(self) -> None:
        self.create()
        cp = self.client("codepipeline")
        first = cp.start_pipeline_execution(name="p1", clientRequestToken="retry-1")["pipelineExecutionId"]
        again = cp.start_pipeline_execution(name="p1", clientRequestToken="retry-1")["pipelineExecutionId"]
        other = cp.start_pipeline_execution(name="p1", clientRequestToken="retry-2")["pipelineExecutionId"]
        self.assertEqual(first, again)
        self.assertNotEqual(first, other)
        self.assertEqual(len(self.kept()), 2)
        self.assertEqual(self.kept()[1]["clientRequestToken"], "retry-1")
        status, _, body = raw_call(self.url, "codepipeline", "StartPipelineExecution",
                                   {"name": "p1", "clientRequestToken": "bad token!"})
        self.assertEqual((status, body["__type"]), (400, "ValidationException"))

    def test_variables(self) -> None:
        cp = self.client("codepipeline")
        self.create("v1")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cp.start_pipeline_execution(name="v1", variables=[{"name": "ENV", "value": "prod"}])
        self.assert_aws_error(ctx, "ValidationException")  # a V1 pipeline declares no variables
        self.v2("v2", "PARALLEL", variables=[{"name": "ENV", "defaultValue": "dev"},
                                             {"name": "REGION_NAME", "defaultValue": "eu"}])
        exec_id = cp.start_pipeline_execution(name="v2", variables=[{"name": "ENV", "value": "prod"}]
                                              )["pipelineExecutionId"]
        got = cp.get_pipeline_execution(pipelineName="v2", pipelineExecutionId=exec_id)["pipelineExecution"]
        self.assertEqual(got["variables"], [{"name": "ENV", "resolvedValue": "prod"},
                                            {"name": "REGION_NAME", "resolvedValue": "eu"}])
        self.assertEqual(self.kept("v2")[0]["requestedVariables"], [{"name": "ENV", "value": "prod"}])
        for bad in ([{"name": "UNDECLARED", "value": "x"}], [{"name": "ENV", "value": ""}],
                    [{"name": "bad name", "value": "x"}], []):
            status, _, body = raw_call(self.url, "codepipeline", "StartPipelineExecution",
                                       {"name": "v2", "variables": bad})
            self.assertEqual((status, body["__type"]), (400, "ValidationException"), bad)
        self.assertEqual(len(self.kept("v2")), 1)

    def test_source_revision_overrides(self) -> None:
        decl = pipeline_decl("p1", self.role_arn)
        decl["stages"][0]["actions"].append({
            "name": "Conn", "actionTypeId": dict(CONNECTION),
            "configuration": {"ConnectionArn": "arn:aws:codeconnections:eu-west-1:123456789012:connection/x",
                              "FullRepositoryId": "octo/other", "BranchName": "main"},
            "outputArtifacts": [{"name": "conn"}]})
        decl["stages"][0]["actions"].append({
            "name": "Bucket", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
            "configuration": {"S3Bucket": "b", "S3ObjectKey": "k.zip"}, "outputArtifacts": [{"name": "s3"}]})
        cp = self.client("codepipeline")
        cp.create_pipeline(pipeline=decl)
        commit = "a" * 40
        exec_id = cp.start_pipeline_execution(name="p1", sourceRevisions=[
            {"actionName": "GitHubSource", "revisionType": "COMMIT_ID", "revisionValue": commit},
            {"actionName": "Bucket", "revisionType": "S3_OBJECT_VERSION_ID", "revisionValue": "v-1"}])["pipelineExecutionId"]
        s = cp.list_pipeline_executions(pipelineName="p1")["pipelineExecutionSummaries"][0]
        revs = {r["actionName"]: r["revisionId"] for r in s["sourceRevisions"]}
        self.assertEqual(revs["GitHubSource"], commit)
        self.assertEqual(revs["Bucket"], "v-1")
        self.assertRegex(revs["Conn"], r"^[0-9a-f]{40}$")
        got = cp.get_pipeline_execution(pipelineName="p1", pipelineExecutionId=exec_id)["pipelineExecution"]
        self.assertEqual({a["name"]: a["revisionId"] for a in got["artifactRevisions"]}["src"], commit)
        self.assertEqual(self.kept()[0]["requestedSourceRevisions"][0]["revisionValue"], commit)
        bad_cases = [
            {"actionName": "Build", "revisionType": "COMMIT_ID", "revisionValue": commit},  # not a source
            {"actionName": "Missing", "revisionType": "COMMIT_ID", "revisionValue": commit},
            {"actionName": "GitHubSource", "revisionType": "IMAGE_DIGEST", "revisionValue": "sha256:0"},
            {"actionName": "GitHubSource", "revisionType": "BRANCH", "revisionValue": "main"},
            {"actionName": "GitHubSource", "revisionType": "COMMIT_ID", "revisionValue": ""},
            # "For S3_OBJECT_KEY, the configuration parameter AllowOverrideForS3ObjectKey needs to be set to true."
            {"actionName": "Bucket", "revisionType": "S3_OBJECT_KEY", "revisionValue": "other.zip"},
        ]
        for bad in bad_cases:
            status, _, body = raw_call(self.url, "codepipeline", "StartPipelineExecution",
                                       {"name": "p1", "sourceRevisions": [bad]})
            self.assertEqual((status, body["__type"]), (400, "ValidationException"), bad)
        self.assertEqual(len(self.kept()), 1)

    # ---------------------------------------------------------------- modes
    def test_superseded_mode_supersedes_older_runs(self) -> None:
        self.create()  # V1: SUPERSEDED
        cp = self.client("codepipeline")
        first = cp.start_pipeline_execution(name="p1")["pipelineExecutionId"]
        second = cp.start_pipeline_execution(name="p1")["pipelineExecutionId"]
        summaries = cp.list_pipeline_executions(pipelineName="p1")["pipelineExecutionSummaries"]
        self.assertEqual([(s["pipelineExecutionId"], s["status"]) for s in summaries],
                         [(second, "InProgress"), (first, "Superseded")])

    def test_queued_mode_runs_one_after_the_other(self) -> None:
        # Each run takes `run` seconds; each look is taken halfway through a run, so a
        # busy machine may delay it by up to run / 2 without changing what it sees.
        run = 6.0
        self.v2("q", "QUEUED")
        first = self.seed("q", run)
        second = self.seed("q", run)
        kept = {e["pipelineExecutionId"]: e for e in self.kept("q")}
        start = kept[first]["startTime"]
        self.assertAlmostEqual(kept[second]["runStartTime"], start + run, places=3)
        self.assertEqual(kept[second]["executionMode"], "QUEUED")

        def look_at(offset: float) -> list[str]:
            time.sleep(max(0.0, start + offset - time.time()))
            return self.statuses("q")

        self.assertEqual(look_at(run / 2), ["InProgress", "InProgress"])
        self.assertEqual(look_at(run * 1.5), ["InProgress", "Succeeded"])
        self.assertEqual(look_at(run * 2 + 0.1), ["Succeeded", "Succeeded"])

    def test_parallel_mode_is_independent(self) -> None:
        self.v2("par", "PARALLEL")
        self.seed("par", 30)
        self.seed("par", 30)
        self.assertEqual(self.statuses("par"), ["InProgress", "InProgress"])

    # ---------------------------------------------------------------- stop and update
    def test_stopping_seconds_config(self) -> None:
        self.v2("par", "PARALLEL")
        cp = self.client("codepipeline")
        self.set_config({"stoppingSeconds": 0})
        a = self.seed("par", 30)
        cp.stop_pipeline_execution(pipelineName="par", pipelineExecutionId=a)
        self.assertEqual(self.statuses("par"), ["Stopped"])
        self.set_config({"stoppingSeconds": 60})
        b = self.seed("par", 30)  # the run's own end comes first: Stopping for its 30 s at most
        cp.stop_pipeline_execution(pipelineName="par", pipelineExecutionId=b)
        self.assertEqual(self.statuses("par")[0], "Stopping")
        self.assertEqual(http_json(self.url + "/_emulator/config")[1]["stoppingSeconds"], 60)
        bad = {"stoppingSeconds": -1}
        self.assertEqual(http_json(self.url + "/_emulator/config", "POST", bad)[0], 400)

    def test_stop_then_stopped_and_errors(self) -> None:
        self.v2("par", "PARALLEL")
        cp = self.client("codepipeline")
        short = self.seed("par", 0.5)
        cp.stop_pipeline_execution(pipelineName="par", pipelineExecutionId=short, reason="manual stop")
        s = cp.list_pipeline_executions(pipelineName="par")["pipelineExecutionSummaries"][0]
        self.assertEqual((s["status"], s["stopTrigger"]), ("Stopping", {"reason": "manual stop"}))
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cp.stop_pipeline_execution(pipelineName="par", pipelineExecutionId=short)
        self.assert_aws_error(ctx, "DuplicatedStopRequestException")
        time.sleep(0.6)
        self.assertEqual(self.statuses("par"), ["Stopped"])
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cp.stop_pipeline_execution(pipelineName="par", pipelineExecutionId=short)
        self.assert_aws_error(ctx, "PipelineExecutionNotStoppableException")
        # abandon: Stopped at once; abandoning a Stopping run too
        a = self.seed("par", 30)
        cp.stop_pipeline_execution(pipelineName="par", pipelineExecutionId=a, abandon=True)
        b = self.seed("par", 30)
        cp.stop_pipeline_execution(pipelineName="par", pipelineExecutionId=b)
        self.assertEqual(self.statuses("par")[0], "Stopping")
        cp.stop_pipeline_execution(pipelineName="par", pipelineExecutionId=b, abandon=True)
        self.assertEqual(self.statuses("par"), ["Stopped", "Stopped", "Stopped"])
        done = self.seed("par", 0)
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cp.stop_pipeline_execution(pipelineName="par", pipelineExecutionId=done)
        self.assert_aws_error(ctx, "PipelineExecutionNotStoppableException")
        self.assertIn("StopPipelineExecution", [c["action"] for c in self.calls(write="true")])

    def test_update_pipeline_cancels_runs_in_progress(self) -> None:
        self.v2("par", "PARALLEL")
        cp = self.client("codepipeline")
        finished = self.seed("par", 0)
        running = self.seed("par", 30)
        stopping = self.seed("par", 30)
        cp.stop_pipeline_execution(pipelineName="par", pipelineExecutionId=stopping)
        decl = cp.get_pipeline(name="par")["pipeline"]
        before = time.time()
        cp.update_pipeline(pipeline=decl)
        summaries = {s["pipelineExecutionId"]: s for s in
                     cp.list_pipeline_executions(pipelineName="par")["pipelineExecutionSummaries"]}
        self.assertEqual(summaries[finished]["status"], "Succeeded")
        for exec_id in (running, stopping):
            self.assertEqual(summaries[exec_id]["status"], "Cancelled")
            self.assertEqual(summaries[exec_id]["statusSummary"], CANCELLED)
            self.assertGreaterEqual(summaries[exec_id]["lastUpdateTime"].timestamp(), before - 0.01)
        got = cp.get_pipeline_execution(pipelineName="par", pipelineExecutionId=running)["pipelineExecution"]
        self.assertEqual((got["status"], got["statusSummary"], got["pipelineVersion"]), ("Cancelled", CANCELLED, 1))
        # a new run after the update is of the new version and not cancelled
        new = cp.start_pipeline_execution(name="par")["pipelineExecutionId"]
        got = cp.get_pipeline_execution(pipelineName="par", pipelineExecutionId=new)["pipelineExecution"]
        self.assertEqual((got["status"], got["pipelineVersion"]), ("InProgress", 2))

    def test_get_pipeline_state(self) -> None:
        self.create()
        cp = self.client("codepipeline")
        state = cp.get_pipeline_state(name="p1")
        self.assertEqual((state["pipelineName"], state["pipelineVersion"]), ("p1", 1))
        self.assertEqual([s["stageName"] for s in state["stageStates"]], ["Source", "Build"])
        self.assertTrue(all("latestExecution" not in s for s in state["stageStates"]))
        self.assertIn("created", state)
        old = self.seed("p1", 0)
        state = cp.get_pipeline_state(name="p1")["stageStates"]
        self.assertEqual([s["latestExecution"] for s in state],
                         [{"pipelineExecutionId": old, "status": "Succeeded"}] * 2)
        run = self.seed("p1", 60)  # first half of 60 s: in the Source stage
        state = cp.get_pipeline_state(name="p1")["stageStates"]
        self.assertEqual(state[0]["latestExecution"], {"pipelineExecutionId": run, "status": "InProgress"})
        self.assertEqual(state[1]["latestExecution"], {"pipelineExecutionId": old, "status": "Succeeded"})
        self.assertEqual(state[0]["actionStates"], [{"actionName": "GitHubSource"}])

    def test_pagination_and_limits(self) -> None:
        self.v2("par", "PARALLEL")
        ids = [self.seed("par", 30) for _ in range(5)]
        cp = self.client("codepipeline")
        page = cp.list_pipeline_executions(pipelineName="par", maxResults=2)
        self.assertEqual([s["pipelineExecutionId"] for s in page["pipelineExecutionSummaries"]], ids[::-1][:2])
        pages = list(cp.get_paginator("list_pipeline_executions").paginate(
            pipelineName="par", PaginationConfig={"PageSize": 2}))
        self.assertEqual([s["pipelineExecutionId"] for p in pages for s in p["pipelineExecutionSummaries"]], ids[::-1])
        self.assertEqual(len(pages), 3)
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cp.list_pipeline_executions(pipelineName="par", nextToken="junk")
        self.assert_aws_error(ctx, "InvalidNextTokenException")
        status, _, body = raw_call(self.url, "codepipeline", "ListPipelineExecutions",
                                   {"pipelineName": "par", "maxResults": 101})
        self.assertEqual((status, body["__type"]), (400, "ValidationException"))

    # ---------------------------------------------------------------- test endpoints
    def test_seeded_executions_and_the_kept_record(self) -> None:
        decl = pipeline_decl("p1", self.role_arn)
        decl["stages"][0]["actions"].append({
            "name": "Conn", "actionTypeId": dict(CONNECTION),
            "configuration": {"ConnectionArn": "arn:aws:codeconnections:eu-west-1:123456789012:connection/x",
                              "FullRepositoryId": "octo/other", "BranchName": "main"},
            "outputArtifacts": [{"name": "conn"}]})
        self.client("codepipeline").create_pipeline(pipeline=decl)
        pushed = self.seed("p1", 0)
        given = self.seed("p1", 30, triggerType="WebhookV2",
                          sourceRevisions=[{"actionName": "Conn", "revisionId": "b" * 40}])
        kept = self.kept()
        self.assertEqual([e["pipelineExecutionId"] for e in kept], [given, pushed])
        self.assertEqual(kept[1]["status"], "Succeeded")
        self.assertEqual(kept[1]["trigger"]["triggerType"], "Webhook")
        self.assertEqual([r["actionName"] for r in kept[1]["sourceRevisions"]], ["GitHubSource", "Conn"])
        self.assertTrue(all(re.fullmatch(r"[0-9a-f]{40}", r["revisionId"]) for r in kept[1]["sourceRevisions"]))
        self.assertEqual(kept[0]["trigger"]["triggerType"], "WebhookV2")
        self.assertEqual({r["actionName"]: r["revisionId"] for r in kept[0]["sourceRevisions"]}["Conn"], "b" * 40)
        for field in ("pipelineName", "pipelineVersion", "startTime", "lastUpdateTime", "artifactRevisions",
                      "variables", "executionMode", "executionType", "durationSeconds", "requestedVariables",
                      "requestedSourceRevisions", "clientRequestToken", "startedBy", "runStartTime"):
            self.assertIn(field, kept[0])
        self.assertEqual((kept[0]["durationSeconds"], kept[0]["startedBy"]), (30.0, "control"))
        # errors
        for body, code in (({"region": "eu-west-1", "name": "nope", "durationSeconds": 1}, 404),
                           ({"region": "eu-west-1", "name": "p1", "durationSeconds": -1}, 400),
                           ({"region": "eu-west-1", "name": "p1", "triggerType": "Push"}, 400),
                           ({"region": "eu-west-1", "name": "p1", "durationSeconds": 1,
                             "sourceRevisions": [{"actionName": "Nope", "revisionId": "x"}]}, 400)):
            self.assertEqual(http_json(self.url + "/_emulator/codepipeline/executions", "POST", body)[0], code)

    def test_check_hook_starts_a_run_after_the_nth_check(self) -> None:
        self.create()
        cp = self.client("codepipeline")
        self.control("/_emulator/codepipeline/hooks", {"region": "eu-west-1", "name": "p1", "on": "check",
                                                       "afterCount": 2, "durationSeconds": 30})
        self.assertEqual(cp.list_pipeline_executions(pipelineName="p1")["pipelineExecutionSummaries"], [])
        # the 2nd check is answered as it was, then a push arrives
        state = cp.get_pipeline_state(name="p1")["stageStates"]
        self.assertTrue(all("latestExecution" not in s for s in state))
        self.assertEqual(self.statuses(), ["InProgress"])
        self.assertEqual(self.kept()[0]["startedBy"], "hook-check")
        # one-shot
        cp.list_pipeline_executions(pipelineName="p1")
        cp.list_pipeline_executions(pipelineName="p1")
        self.assertEqual(len(self.kept()), 1)

    def test_update_hook_starts_a_run_the_update_then_cancels(self) -> None:
        self.create()
        cp = self.client("codepipeline")
        self.control("/_emulator/codepipeline/hooks", {"region": "eu-west-1", "name": "p1", "on": "update",
                                                       "durationSeconds": 30})
        decl = cp.get_pipeline(name="p1")["pipeline"]
        cp.update_pipeline(pipeline=decl)
        kept = self.kept()
        self.assertEqual([(e["status"], e["startedBy"], e["pipelineVersion"]) for e in kept],
                         [("Cancelled", "hook-update", 1)])
        cp.update_pipeline(pipeline=cp.get_pipeline(name="p1")["pipeline"])
        self.assertEqual(len(self.kept()), 1)
        self.assertEqual(http_json(self.url + "/_emulator/codepipeline/hooks", "POST",
                                   {"region": "eu-west-1", "name": "p1", "on": "later"})[0], 400)
        self.assertEqual(http_json(self.url + "/_emulator/codepipeline/hooks", "POST",
                                   {"region": "eu-west-1", "name": "nope", "on": "check"})[0], 404)

    def test_delete_reset_and_execution_seconds(self) -> None:
        self.create()
        cp = self.client("codepipeline")
        cp.start_pipeline_execution(name="p1")
        self.assertEqual(self.kept()[0]["durationSeconds"], 30.0)
        self.set_config({"executionSeconds": 5})
        self.assertEqual(http_json(self.url + "/_emulator/config")[1]["executionSeconds"], 5.0)
        self.assertEqual(http_json(self.url + "/_emulator/config", "POST", {"executionSeconds": -1})[0], 400)
        self.assertEqual(http_json(self.url + "/_emulator/config")[1]["executionSeconds"], 5.0)
        cp.delete_pipeline(name="p1")
        self.create()
        self.assertEqual(self.kept(), [])
        cp.start_pipeline_execution(name="p1")
        self.assertEqual(self.kept()[0]["durationSeconds"], 5.0)
        self.assertEqual(http_json(self.url + "/_emulator/reset", "POST")[0], 200)
        self.assertEqual(http_json(self.url + "/_emulator/config")[1]["executionSeconds"], 30.0)
        self.assertEqual(self.kept(), [])
