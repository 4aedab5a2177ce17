"""The emulator's pipeline runs against the spec of how runs behave (../pipeline-runs.json).

The unit fake (__fixtures__/pipelines.ts, FakeRegion) is held to the same spec by
__tests__/fixtures-runs.test.ts; every expectation here is read from the spec, so a
model that does not follow it (a status or rule of its own) fails.

Run all the emulator's tests with:
    python3 -m unittest discover -s test-support/emulator -p 'test_*.py'
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import botocore.exceptions

from testkit import EmulatorTestCase

SPEC: dict[str, Any] = json.loads(
    (pathlib.Path(__file__).resolve().parent.parent / "pipeline-runs.json").read_text(encoding="utf-8"))
MODES = sorted(SPEC["getPipelineState"]["listsRuns"])


class PipelineRunsSpecTest(EmulatorTestCase):
    # ---------------------------------------------------------------- helpers
    def pipeline(self, mode: str) -> str:
        name = f"runs-{mode.lower()}"
        self.create(name, pipelineType="V2", executionMode=mode)
        return name

    def seed(self, name: str, duration: float) -> str:
        """A run (as a push starts it) lasting `duration` seconds."""
        return self.control("/_emulator/codepipeline/executions",
                            {"region": "eu-west-1", "name": name, "durationSeconds": duration}
                            )["pipelineExecutionId"]

    def summaries(self, name: str) -> dict[str, dict[str, Any]]:
        return {s["pipelineExecutionId"]: s for s in self.client("codepipeline").list_pipeline_executions(
            pipelineName=name)["pipelineExecutionSummaries"]}

    def status(self, name: str, run: str) -> str:
        return self.summaries(name)[run]["status"]

    # ---------------------------------------------------------------- the rules
    def test_the_modes_are_the_same_in_every_rule(self) -> None:
        self.assertEqual(MODES, ["PARALLEL", "QUEUED", "SUPERSEDED"])
        self.assertEqual(sorted(SPEC["startPipelineExecution"]["supersedes"]), MODES)

    def test_a_new_run_and_the_older_runs_it_supersedes(self) -> None:
        start = SPEC["startPipelineExecution"]
        cp = self.client("codepipeline")
        for mode in MODES:
            with self.subTest(mode=mode):
                name = self.pipeline(mode)
                older = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
                self.assertEqual(self.status(name, older), start["status"])
                self.assertIn(start["status"], SPEC["inFlight"])
                newer = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
                superseded = start["status"] in start["supersedes"][mode]
                self.assertEqual((self.status(name, older), self.status(name, newer)),
                                 (start["supersededAs"] if superseded else start["status"], start["status"]))

    def test_a_stop_shows_stopping_then_ends_stopped(self) -> None:
        stop, cp = SPEC["stop"], self.client("codepipeline")
        name = self.pipeline("PARALLEL")
        run = self.seed(name, 30)
        self.assertIn(self.status(name, run), stop["stoppable"])
        cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=run)
        self.assertEqual(self.status(name, run), stop["whileStopping"])
        self.assertIn(stop["whileStopping"], SPEC["inFlight"])
        # abandoning ends it at once (no race against the clock)
        cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=run, abandon=True)
        self.assertEqual(self.status(name, run), stop["endsAs"])
        self.assertNotIn(stop["endsAs"], SPEC["inFlight"])
        # a run that is not stoppable (it ended) cannot be stopped
        done = self.seed(name, 0)
        self.assertNotIn(self.status(name, done), stop["stoppable"])
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=done)
        self.assert_aws_error(ctx, "PipelineExecutionNotStoppableException")

    def test_update_pipeline_ends_the_runs_it_stops(self) -> None:
        update, cp = SPEC["updatePipeline"], self.client("codepipeline")
        self.assertEqual(update["stops"], SPEC["inFlight"])
        for mode in MODES:
            with self.subTest(mode=mode):
                name = self.pipeline(mode)
                done = self.seed(name, 0)
                stopping = self.seed(name, 30)
                cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=stopping)
                running = self.seed(name, 30)
                before = {run: s["status"] for run, s in self.summaries(name).items()}
                self.assertEqual([before[r] for r in (done, stopping, running)],
                                 ["Succeeded", SPEC["stop"]["whileStopping"],
                                  SPEC["startPipelineExecution"]["status"]])
                cp.update_pipeline(pipeline=cp.get_pipeline(name=name)["pipeline"])
                after = self.summaries(name)
                for run, was in before.items():
                    if was in update["stops"]:
                        self.assertEqual((after[run]["status"], after[run]["statusSummary"]),
                                         (update["endsAs"], update["statusSummary"]))
                    else:
                        self.assertEqual(after[run]["status"], was)

    def test_get_pipeline_state_lists_runs_by_mode(self) -> None:
        cp = self.client("codepipeline")
        for mode in MODES:
            with self.subTest(mode=mode):
                name = self.pipeline(mode)
                run = self.seed(name, 60)
                stages = cp.get_pipeline_state(name=name)["stageStates"]
                listed = [s["latestExecution"] for s in stages if "latestExecution" in s]
                want = [{"pipelineExecutionId": run, "status": SPEC["startPipelineExecution"]["status"]}]
                self.assertEqual(listed, want if SPEC["getPipelineState"]["listsRuns"][mode] else [])
