"""Helpers for the emulator's tests (test_*.py next to this file).

One emulator process is shared by all test modules of a run (started on first
use, stopped at exit); each test resets it. Its stderr is collected, and every
test class checks at its end that nothing was written there (the launcher is
quiet by default).
"""

from __future__ import annotations

import atexit
import http.client
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCHER = os.path.join(HERE, "launcher.py")
REGION = "eu-west-1"
ACCOUNT = "123456789012"
TARGETS = {"codepipeline": "CodePipeline_20150709", "codebuild": "CodeBuild_20161006",
           "secretsmanager": "secretsmanager", "ssm": "AmazonSSM",
           "tagging": "ResourceGroupsTaggingAPI_20170126"}
MASK = "****"
GITHUB_V1 = {"category": "Source", "owner": "ThirdParty", "provider": "GitHub", "version": "1"}
CONNECTION = {"category": "Source", "owner": "AWS", "provider": "CodeStarSourceConnection", "version": "1"}
CODEBUILD = {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"}
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


class EmulatorProcess:
    def __init__(self, *args: str) -> None:
        env = dict(os.environ)
        env.pop("MOTO_ACCOUNT_ID", None)
        self.proc = subprocess.Popen([sys.executable, LAUNCHER, "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        # moto takes a few seconds of CPU to start; on a busy 2-core machine running the jest
        # suite beside these tests that can stretch past half a minute. Only a failed start waits this long.
        deadline = time.time() + 90
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
        self.host, port = self.url.split("//")[1].split(":")
        self.port = int(port)
        self.stderr = b""
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()

    def _read_stderr(self) -> None:
        while True:
            chunk = os.read(self.proc.stderr.fileno(), 65536)
            if not chunk:
                return
            self.stderr += chunk

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._drain.join(5)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode


_shared: EmulatorProcess | None = None


def shared() -> EmulatorProcess:
    global _shared
    if _shared is None:
        _shared = EmulatorProcess()
        atexit.register(_shared.stop)
    return _shared


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


def auth_header(region: str, service: str) -> str:
    return (f"AWS4-HMAC-SHA256 Credential=testing/20261121/{region}/{service}/aws4_request, "
            f"SignedHeaders=host, Signature=0")


def pipeline_decl(name: str, role_arn: str, token: str = "fake-token-1", **extra: Any) -> dict[str, Any]:
    decl = {
        "name": name,
        "roleArn": role_arn,
        "artifactStore": {"type": "S3", "location": "artifact-bucket"},
        "stages": [
            {"name": "Source", "actions": [{
                "name": "GitHubSource", "actionTypeId": dict(GITHUB_V1),
                "configuration": {"Owner": "octo", "Repo": "repo", "Branch": "main", "OAuthToken": token},
                "outputArtifacts": [{"name": "src"}]}]},
            {"name": "Build", "actions": [{
                "name": "Build", "actionTypeId": dict(CODEBUILD),
                "configuration": {"ProjectName": "proj"}, "inputArtifacts": [{"name": "src"}]}]},
        ],
    }
    decl.update(extra)
    return decl


class EmulatorTestCase(unittest.TestCase):
    """Runs against the shared emulator, reset before each test."""

    emu: EmulatorProcess
    url: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.emu = shared()
        cls.url = cls.emu.url
        cls._stderr_at_start = len(cls.emu.stderr)

    @classmethod
    def tearDownClass(cls) -> None:
        written = cls.emu.stderr[cls._stderr_at_start:].decode(errors="replace")
        assert written.strip() == "", f"the launcher wrote to stderr: {written}"

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

    def control(self, path: str, body: Any = None) -> Any:
        status, answer = http_json(self.url + path, "GET" if body is None else "POST", body)
        self.assertEqual(status, 200, answer)
        return answer

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

    def create(self, name: str = "p1", token: str = "fake-token-1", **extra: Any) -> dict[str, Any]:
        return self.client("codepipeline").create_pipeline(
            pipeline=pipeline_decl(name, self.role_arn, token, **extra))

    def assert_aws_error(self, ctx: Any, code: str, status: int = 400) -> None:
        err = ctx.exception.response
        self.assertEqual(err["Error"]["Code"], code)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status)

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.emu.host, self.emu.port, timeout=5)
