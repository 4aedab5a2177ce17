/**
 * The unit fake's runs (FakeRegion) against the spec of how runs behave,
 * test-support/pipeline-runs.json — the spec the emulator is held to as well
 * (test-support/emulator/test_pipeline_runs.py). Every expectation is read
 * from the spec, so a model that does not follow it fails.
 */
import { describe, it, expect } from '@jest/globals'
import { readFileSync } from 'node:fs'
import type { Execution } from '../src/stores/codepipeline/api.js'
import { githubSource } from '../test-support/pipelines.js'
import { FakeClock, FakeRegion, pipeline, run, type RunsSpec } from '../__fixtures__/pipelines.js'

const spec = JSON.parse(
  readFileSync(new URL('../test-support/pipeline-runs.json', import.meta.url), 'utf8')
) as RunsSpec
const MODES = Object.keys(
  spec.getPipelineState.listsRuns
).sort() as (keyof typeof spec.getPipelineState.listsRuns)[]
const START = spec.startPipelineExecution

/** A region with one V2 pipeline `p` in `mode`, with `runs` (newest first). */
function region(mode: string, runs: Execution[] = []): FakeRegion {
  const p = {
    ...pipeline('p', [githubSource('Source', 'app')]),
    pipelineType: 'V2',
    executionMode: mode
  }
  return new FakeRegion('eu-west-1', new FakeClock()).add(p, {}, runs)
}

async function statuses(r: FakeRegion): Promise<Record<string, string>> {
  return Object.fromEntries((await r.listExecutions('p')).map((e) => [e.id, e.status]))
}

/** Every status a run can have, in flight or ended. */
const EVERY = [
  ...new Set([
    ...spec.inFlight,
    START.status,
    START.supersededAs,
    spec.stop.whileStopping,
    spec.stop.endsAs,
    spec.updatePipeline.endsAs,
    'Succeeded',
    'Failed'
  ])
]

describe('FakeRegion follows test-support/pipeline-runs.json', () => {
  it('has the same execution modes in every rule', () => {
    expect(MODES).toEqual(['PARALLEL', 'QUEUED', 'SUPERSEDED'])
    expect(Object.keys(START.supersedes).sort()).toEqual(MODES)
  })

  it.each(MODES)('a new run, and the older runs it supersedes (%s)', async (mode) => {
    const r = region(mode)
    const older = await r.startExecution('p', {})
    expect(await statuses(r)).toEqual({ [older]: START.status })
    expect(spec.inFlight).toContain(START.status)
    const newer = await r.startExecution('p', {})
    const superseded = START.supersedes[mode].includes(START.status)
    expect(await statuses(r)).toEqual({
      [older]: superseded ? START.supersededAs : START.status,
      [newer]: START.status
    })
  })

  it.each(MODES)('UpdatePipeline ends the runs it stops, and no other (%s)', async (mode) => {
    const r = region(
      mode,
      EVERY.map((status) => run(status, status))
    )
    const at = r.awsNow()
    await r.updatePipeline(r.pipelines.get('p') ?? {})
    const after = await r.listExecutions('p')
    for (const e of after) {
      const stopped = spec.updatePipeline.stops.includes(e.id)
      expect([e.id, e.status]).toEqual([e.id, stopped ? spec.updatePipeline.endsAs : e.id])
      if (stopped) expect(e.lastUpdateTime).toEqual(new Date(at))
    }
    expect(after.filter((e) => e.status === spec.updatePipeline.endsAs).length).toBeGreaterThan(0)
    expect(spec.updatePipeline.stops).toEqual(spec.inFlight)
  })

  it('a stop shows Stopping while it lasts, then the run ends (UpdatePipeline with stopDelay)', async () => {
    const r = region('SUPERSEDED', [run('a', START.status)])
    r.stopDelay = 2
    await r.updatePipeline(r.pipelines.get('p') ?? {})
    expect(spec.inFlight).toContain(spec.stop.whileStopping)
    expect(await statuses(r)).toEqual({ a: spec.stop.whileStopping })
    expect(await statuses(r)).toEqual({ a: spec.stop.whileStopping })
    expect(await statuses(r)).toEqual({ a: spec.updatePipeline.endsAs })
    expect(spec.inFlight).not.toContain(spec.updatePipeline.endsAs)
    expect(spec.inFlight).not.toContain(spec.stop.endsAs)
  })

  it.each(MODES)('GetPipelineState lists the runs in flight, or none (%s)', async (mode) => {
    const busy = spec.inFlight.map((status, i) => run(`busy-${i}`, status))
    const r = region(mode, [...busy, run('old', 'Succeeded')])
    const listed = (await r.pipelineState('p')).stages.map((s) => s.latest)
    const want = busy.map((e) => ({ executionId: e.id, status: e.status }))
    expect(listed).toEqual(spec.getPipelineState.listsRuns[mode] ? want : [])
  })
})
