"""Tests for launcher.py: the command line, the ready line, signals, the parent going away.

Run all the emulator's tests with:
    python3 -m unittest discover -s test-support/emulator -p 'test_*.py'
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import unittest

import boto3
import botocore.exceptions
from botocore.config import Config

from testkit import LAUNCHER, NO_RETRY, REGION, TRUST, EmulatorProcess, http_json, pipeline_decl


class CommandLineTest(unittest.TestCase):
    def test_ready_line_health_and_quiet_sigterm(self) -> None:
        emu = EmulatorProcess()
        try:
            self.assertRegex(emu.ready_line, r"^EMULATOR_READY http://127\.0\.0\.1:\d+$")
            self.assertEqual(http_json(emu.url + "/_emulator/health"), (200, {"status": "ok"}))
            self.assertEqual(http_json(emu.url + "/_emulator/nope")[0], 404)
            # a moto call and a launcher call go through; nothing is written to stderr
            self.assertEqual(http_json(emu.url + "/_emulator/config")[0], 200)
            sts = boto3.client("sts", endpoint_url=emu.url, region_name=REGION, aws_access_key_id="testing",
                               aws_secret_access_key="testing", config=NO_RETRY)
            self.assertEqual(sts.get_caller_identity()["Account"], "123456789012")
        finally:
            rc = emu.stop()
        self.assertEqual(rc, 0)
        self.assertEqual(emu.stderr.decode().strip(), "")

    def test_started_from_another_directory(self) -> None:
        # "python3 test-support/emulator/launcher.py" from the repository root, or from anywhere:
        # the launcher finds its modules next to itself (no package installation step).
        script = (
            "import subprocess, sys\n"
            f"p = subprocess.Popen([sys.executable, {LAUNCHER!r}, '--port', '0'], stdout=subprocess.PIPE,\n"
            "                     stderr=subprocess.PIPE, cwd='/')\n"
            "line = p.stdout.readline().decode().strip()\n"
            "p.terminate(); p.wait(60)\n"
            "print(line, p.returncode, repr(p.stderr.read().decode()), flush=True)\n"
        )
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=150, check=True)
        line, rc, err = out.stdout.decode().strip().rsplit(" ", 2)
        self.assertTrue(line.startswith("EMULATOR_READY http://127.0.0.1:"), out.stdout)
        self.assertEqual((rc, err), ("0", "''"))

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
        self.assertEqual(rc, 0)
        self.assertEqual(emu.stderr.decode().strip(), "")

    def test_exits_when_its_parent_is_gone(self) -> None:
        # A parent that starts the launcher and dies without stopping it.
        script = (
            "import subprocess, sys\n"
            f"p = subprocess.Popen([sys.executable, {LAUNCHER!r}, '--port', '0'], stdout=subprocess.PIPE,\n"
            "                     stderr=subprocess.DEVNULL)\n"
            "print(p.pid, p.stdout.readline().decode().strip(), flush=True)\n"
        )
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=150, check=True)
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
