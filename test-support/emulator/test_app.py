"""Tests for app.py: request parsing (account, region, service) and pass-through to moto.

Run all the emulator's tests with:
    python3 -m unittest discover -s test-support/emulator -p 'test_*.py'
"""

from __future__ import annotations

import time

from testkit import REGION, TRUST, EmulatorTestCase, http_json, pipeline_decl


class AppTest(EmulatorTestCase):
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

    def test_latency_delays_every_aws_answer_but_not_the_test_endpoints(self) -> None:
        cp = self.client("codepipeline")
        self.assertEqual(http_json(self.url + "/_emulator/config", "POST", {"latencyMs": 150})[0], 200)
        try:
            started = time.monotonic()
            cp.list_pipelines()
            self.assertGreaterEqual(time.monotonic() - started, 0.15)
            started = time.monotonic()
            http_json(self.url + "/_emulator/health")
            self.assertLess(time.monotonic() - started, 0.15)
            self.assertEqual(http_json(self.url + "/_emulator/config", "POST", {"latencyMs": -1})[0], 400)
        finally:
            http_json(self.url + "/_emulator/reset", "POST")
        # A reset restores the command line's latency (none here).
        self.assertEqual(http_json(self.url + "/_emulator/config")[1]["latencyMs"], 0.0)
