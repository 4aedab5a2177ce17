"""Tests for faults.py and the call log: throttling, fault injection, echo, reset.

Run all the emulator's tests with:
    python3 -m unittest discover -s test-support/emulator -p 'test_*.py'
"""

from __future__ import annotations

import base64
import json
import time
import urllib.parse

import botocore.exceptions
from botocore.config import Config

from testkit import ACCOUNT, REGION, EmulatorTestCase, auth_header, http_json


class FaultsTest(EmulatorTestCase):
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

    def test_fault_repeat_token(self) -> None:
        self.create()
        self.set_config({"faults": [{"action": "ListPipelines", "kind": "repeat-token"}]})
        cp = self.client("codepipeline")
        first = cp.list_pipelines()
        self.assertEqual([p["name"] for p in first["pipelines"]], ["p1"])
        self.assertEqual(first["nextToken"], "emulator-repeated-page-token")
        again = cp.list_pipelines(nextToken=first["nextToken"])
        self.assertEqual(again["nextToken"], first["nextToken"])
        self.assertEqual([p["name"] for p in again["pipelines"]], ["p1"])
        self.assertEqual([c["fault"] for c in self.calls(action="ListPipelines")], ["repeat-token"] * 2)
        bad = {"faults": [{"kind": "repeat-token", "when": "before"}]}
        self.assertEqual(http_json(self.url + "/_emulator/config", "POST", bad)[0], 400)

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
        conn = self.connection()
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

    def test_fault_trickle_sends_the_head_then_one_byte_at_a_time(self) -> None:
        self.create()
        self.set_config({"faults": [{"action": "GetPipeline", "kind": "trickle", "intervalMs": 150, "count": 1}]})
        conn = self.connection()
        conn.request("POST", "/", body=json.dumps({"name": "p1"}), headers={
            "X-Amz-Target": "CodePipeline_20150709.GetPipeline",
            "Content-Type": "application/x-amz-json-1.1",
            "Authorization": auth_header(REGION, "codepipeline"),
        })
        started = time.time()
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        length = int(resp.getheader("Content-Length") or 0)
        self.assertGreater(length, 100)
        # The head came at once; the body comes a byte every 150 ms.
        first = resp.read(3)
        self.assertEqual(first, b'{"p')
        self.assertGreaterEqual(time.time() - started, 0.4)
        self.assertLess(time.time() - started, 4.0)
        conn.close()  # the client gives up; the emulator stops writing
        self.assertEqual([(c["fault"], c["status"], c["processed"]) for c in self.calls(action="GetPipeline")],
                         [("trickle", 200, True)])
        # The next call is answered whole, and the server is healthy.
        self.assertEqual(self.client("codepipeline").get_pipeline(name="p1")["pipeline"]["name"], "p1")
        status, _ = http_json(self.url + "/_emulator/config", "POST",
                              {"faults": [{"kind": "trickle", "intervalMs": 0}]})
        self.assertEqual(status, 400)

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
        self.assertEqual(http_json(self.url + "/_emulator/config")[1],
                         {"throttle": None, "faults": [], "executionSeconds": 30.0, "stoppingSeconds": 2.0,
                          "latencyMs": 0.0})
        self.assertEqual(cp.list_action_types(actionOwnerFilter="Custom")["actionTypes"], [])
        self.assertEqual(cp.list_pipelines()["pipelines"], [])

    # ---------------------------------------------------------------- hostile answers
    def test_status_fault_echoes_secret_values(self) -> None:
        secret = 'tok"en/+ é\n'
        self.create(token="stored")
        self.set_config({"faults": [{"action": "UpdatePipeline", "kind": "status", "status": 400,
                                     "errorType": "ValidationException", "message": "bad::thing\nsecond line",
                                     "echo": ["raw", "json", "url", "base64", "basic"]}]})
        cp = self.client("codepipeline")
        decl = cp.get_pipeline(name="p1")["pipeline"]
        decl["stages"][0]["actions"][0]["configuration"]["OAuthToken"] = secret
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cp.update_pipeline(pipeline=decl)
        forms = [secret, json.dumps(secret)[1:-1], urllib.parse.quote(secret, safe=""),
                 base64.b64encode(secret.encode()).decode(),
                 base64.b64encode(("x-access-token:" + secret).encode()).decode()]
        self.assertEqual(ctx.exception.response["Error"]["Message"],
                         "bad::thing\nsecond line " + " ".join(forms))
        self.assertEqual(self.stored("p1")[1]["pipeline"]["version"], 1)
        # token / SecretString / Value, anywhere in the request; a rule without echo sends the message only
        self.set_config({"faults": [{"action": "*", "kind": "status", "status": 500, "echo": ["raw"]}]})
        for call, kwargs, value in (
                (self.client("secretsmanager").create_secret, {"Name": "n", "SecretString": "sm-1"}, "sm-1"),
                (self.client("ssm").put_parameter, {"Name": "/n", "Value": "ssm-1", "Type": "String"}, "ssm-1"),
                (self.client("codebuild").import_source_credentials,
                 {"serverType": "GITHUB", "authType": "PERSONAL_ACCESS_TOKEN", "token": "cb-1"}, "cb-1")):
            with self.assertRaises(botocore.exceptions.ClientError) as ctx:
                call(**kwargs)
            self.assertEqual(ctx.exception.response["Error"]["Message"], f"Emulated fault: HTTP 500 {value}")
        for bad in ({"kind": "status", "echo": ["hex"]}, {"kind": "reset", "echo": ["raw"]},
                    {"kind": "status", "echo": "raw"}):
            self.assertEqual(http_json(self.url + "/_emulator/config", "POST", {"faults": [bad]})[0], 400)

    def test_query_protocol_faults_are_xml(self) -> None:
        self.set_config({"faults": [{"service": "sts", "kind": "status", "status": 403, "errorType": "AccessDenied",
                                     "message": "no"}]})
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.client("sts").get_caller_identity()
        self.assert_aws_error(ctx, "AccessDenied", 403)
        self.assertEqual(ctx.exception.response["Error"]["Message"], "no")
        entry = self.calls(service="sts")[-1]
        self.assertEqual((entry["status"], entry["errorType"], entry["write"]), (403, "AccessDenied", False))
