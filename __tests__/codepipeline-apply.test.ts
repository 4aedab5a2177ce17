import { describe, it, expect, beforeEach, afterEach, jest } from '@jest/globals'
import { FakeClock, FakeRegion, arnOf, awsError, run } from '../__fixtures__/pipelines.js'
import { createLimit, type Limit } from '../src/core/limit.js'
import { SealedToken } from '../src/core/sealed-token.js'
import type { InProgressMode } from '../src/inputs/types.js'
import {
  attempt,
  rotateTarget,
  verifyVersion,
  type WriteContext
} from '../src/stores/codepipeline/apply.js'
import type { Execution } from '../src/stores/codepipeline/api.js'
import { inFlight } from '../src/stores/codepipeline/executions.js'
import {
  findGitHubSourceActions,
  type JsonObject
} from '../src/stores/codepipeline/pipeline-json.js'
import type { PipelineResult, PipelineTarget } from '../src/stores/codepipeline/types.js'
import { githubSource, pipeline } from '../test-support/pipelines.js'

const TOKEN = 'unit-token-0123456789'
const now: Limit = (task) => task()

let api: FakeRegion
let clock: FakeClock

/** A target as the plan makes it, from the fake's pipeline. */
function targetOf(name: string, check?: PipelineTarget['runsSeen']): PipelineTarget {
  const declaration = api.pipelines.get(name) as JsonObject
  const actions = findGitHubSourceActions(declaration)
  const result: PipelineResult = {
    region: api.region,
    pipeline: name,
    arn: arnOf(api.region, name),
    status: 'planned',
    githubActions: actions.map((a) => `${a.stage}/${a.action}`),
    repositories: actions.map((a) => `${a.owner}/${a.repo}`),
    versionBefore: Number(declaration['version'])
  }
  return {
    region: api.region,
    name,
    pipeline: structuredClone(declaration),
    actions,
    result,
    readAt: clock.now(),
    ...(check && { runsSeen: check })
  }
}

function context(
  mode: InProgressMode = 'wait',
  timeoutMinutes = 30,
  overrides: Partial<WriteContext> = {}
): WriteContext {
  return {
    api,
    limit: now,
    followUps: now,
    looks: now,
    token: new SealedToken(TOKEN),
    inProgress: { mode, timeoutSeconds: timeoutMinutes * 60 },
    clock,
    freshMs: 0,
    copyFreshMs: 60_000,
    ...overrides
  }
}

/** The pipeline's runs in the fake, to change them while the rotation waits. */
const runsOf = (name: string): Execution[] => api.runs.get(name) ?? []
const count = (call: string) => api.calls.filter((c) => c === call).length

beforeEach(() => {
  clock = new FakeClock()
  api = new FakeRegion('us-east-1', clock)
    .add(pipeline('app', [githubSource('App', 'app'), githubSource('Lib', 'lib')], 3))
    .add(pipeline('busy', [githubSource('App', 'app')], 3), {}, [
      run('run-1', 'InProgress', clock.ago(300), [{ actionName: 'App', revisionId: 'c1' }]),
      run('run-0', 'Succeeded', clock.ago(900))
    ])
    .add(pipeline('other', [githubSource('App', 'app')], 7))
  // The jitter of the waits, fixed: 5 s, 7.5 s, 11.25 s, ...
  jest.spyOn(Math, 'random').mockReturnValue(0.5)
})

afterEach(() => {
  jest.restoreAllMocks()
})

describe('rotateTarget: writing', () => {
  it('writes the token into every GitHub source and nothing else', async () => {
    const target = targetOf('app')
    await rotateTarget(target, context())
    expect(target.result).toMatchObject({ status: 'updated', versionBefore: 3, versionAfter: 4 })
    expect(api.writes).toHaveLength(1)
    const written = JSON.stringify(api.writes[0])
    expect(written.match(new RegExp(TOKEN, 'g'))).toHaveLength(2)
    expect(written).not.toContain('metadata')
    expect(written.replaceAll(TOKEN, '****')).toBe(
      JSON.stringify(api.pipelines.get('app') && target.pipeline)
    )
    // The target keeps the pipeline as read, masked.
    expect(JSON.stringify(target.pipeline)).not.toContain(TOKEN)
  })

  it('turns an UpdatePipeline error into a failed target with the permission named', async () => {
    api.failures.update = awsError(
      'AccessDeniedException',
      'User: x is not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role/pipeline-role'
    )
    const target = targetOf('app')
    await rotateTarget(target, context())
    expect(target.result.status).toBe('failed')
    expect(target.result.error).toMatch(/needs permission iam:PassRole/)
    // Nothing written, so nothing to look at after it.
    expect(api.calls).toEqual(['state app', 'update app'])
  })

  it('fails, unwritten, when GetPipelineState fails before the write', async () => {
    api.failures.state = awsError('AccessDeniedException', 'denied')
    const target = targetOf('app')
    await rotateTarget(target, context())
    expect(target.result).toMatchObject({
      status: 'failed',
      error:
        "AccessDeniedException: denied — the role needs permission codepipeline:GetPipelineState (see the README's IAM policy)"
    })
    expect(api.calls).toEqual(['state app'])
    expect(api.writes).toEqual([])
  })

  it('fails, unwritten, when the runs GetPipelineState showed cannot be listed', async () => {
    api.failures.executions = awsError(
      'AccessDeniedException',
      'User: x is not authorized to perform: codepipeline:ListPipelineExecutions'
    )
    const target = targetOf('busy')
    await rotateTarget(target, context('proceed'))
    expect(target.result).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/needs permission codepipeline:ListPipelineExecutions/)
    })
    expect(api.calls).toEqual(['state busy', 'executions busy'])
    expect(api.writes).toEqual([])
  })

  it('fails a target whose GitHub action cannot be rewritten, and never writes it', async () => {
    const target = targetOf('app')
    const stages = target.pipeline['stages'] as { actions: JsonObject[] }[]
    const action = stages[0]?.actions[0] as JsonObject
    action['configuration'] = ['not', 'an', 'object']
    await rotateTarget(target, context())
    expect(target.result).toMatchObject({
      status: 'failed',
      error: 'a GitHub source action has a configuration that is not an object'
    })
    expect(api.writes).toEqual([])
  })
})

describe('rotateTarget: runs in flight', () => {
  it('writes an idle pipeline at once', async () => {
    const target = targetOf('app')
    await rotateTarget(target, context('wait'))
    expect(target.result.runs).toEqual({ outcome: 'idle', executions: [] })
    // An idle pipeline: GetPipelineState alone before the write, the runs listed after it.
    expect(api.calls).toEqual(['state app', 'update app', 'executions app'])
    expect(clock.sleeps).toEqual([])
  })

  it('waits for the runs to end, then writes once', async () => {
    let checks = 0
    api.onList = (name) => {
      // In flight for the first three checks; ended by the fourth.
      if (name === 'busy' && ++checks === 4) (runsOf('busy')[0] as Execution).status = 'Succeeded'
    }
    const target = targetOf('busy')
    await rotateTarget(target, context('wait'))
    expect(clock.sleeps).toEqual([5000, 7500, 11250])
    expect(api.writes).toHaveLength(1)
    expect(count('update busy')).toBe(1)
    // Each look: GetPipelineState shows the run, ListPipelineExecutions names it.
    expect(count('state busy')).toBe(4)
    expect(count('executions busy')).toBe(5)
    expect(target.result).toMatchObject({
      status: 'updated',
      runs: { outcome: 'waited', executions: ['run-1'], waitedSeconds: 24 }
    })
    expect(api.starts).toEqual([])
  })

  it("counts the wait from the plan's check when that already saw the runs", async () => {
    const at = clock.now() - 40_000
    api.onList = () => {
      ;(runsOf('busy')[0] as Execution).status = 'Succeeded'
    }
    // Stale (freshMs 0): taken again, and the run has ended by then.
    const target = targetOf('busy', { at, runs: inFlight(structuredClone(runsOf('busy'))) })
    await rotateTarget(target, context('wait'))
    expect(target.result.runs).toEqual({ outcome: 'idle', executions: [] })

    // Fresh: reused, so the first look sees the run; the wait counts from the plan.
    api.onList = (_name, call) => {
      if (call >= 2) (runsOf('busy')[0] as Execution).status = 'Succeeded'
    }
    ;(runsOf('busy')[0] as Execution).status = 'InProgress'
    const fresh = targetOf('busy', { at, runs: inFlight(structuredClone(runsOf('busy'))) })
    await rotateTarget(fresh, context('wait', 30, { freshMs: 60_000 }))
    expect(fresh.result.runs).toEqual({
      outcome: 'waited',
      executions: ['run-1'],
      waitedSeconds: 40 + 5
    })
  })

  it('names runs started in the same millisecond oldest first, as ListPipelineExecutions lists them newest first', async () => {
    const at = clock.ago(60)
    api.add(pipeline('twins', [githubSource('App', 'app')], 2), {}, [
      run('run-b', 'InProgress', at, [{ actionName: 'App', revisionId: 'c2' }]),
      run('run-a', 'InProgress', at, [{ actionName: 'App', revisionId: 'c1' }])
    ])
    clock.onSleep = () => {
      for (const r of runsOf('twins')) r.status = 'Succeeded'
    }
    const target = targetOf('twins')
    await rotateTarget(target, context('wait'))
    expect(target.result.runs).toMatchObject({
      outcome: 'waited',
      executions: ['run-a', 'run-b']
    })
  })

  it('waits outside the concurrency limit: another target is written meanwhile', async () => {
    const limit = createLimit(1)
    const busy = targetOf('busy')
    const other = targetOf('other')
    const writtenDuringWait: string[][] = []
    let otherRotation: Promise<void> | undefined
    clock.onSleep = async () => {
      // The other target asks for the one slot only once the first is waiting.
      otherRotation ??= rotateTarget(other, context('wait', 30, { limit }))
      for (let i = 0; i < 100 && api.writes.length === 0; i++) {
        await new Promise(setImmediate)
      }
      writtenDuringWait.push(api.writes.map((w) => String(w['name'])))
      ;(runsOf('busy')[0] as Execution).status = 'Succeeded'
    }
    await rotateTarget(busy, context('wait', 30, { limit }))
    await otherRotation
    expect(writtenDuringWait).toEqual([['other']])
    expect(api.writes.map((w) => w['name'])).toEqual(['other', 'busy'])
    expect(busy.result.runs).toMatchObject({ outcome: 'waited', waitedSeconds: 5 })
    expect(other.result.runs).toEqual({ outcome: 'idle', executions: [] })
  })

  it('fails, unwritten, when the runs are still in flight after the timeout', async () => {
    const target = targetOf('busy')
    await rotateTarget(target, context('wait', 1))
    // Never longer than a tenth of the timeout between looks.
    expect(clock.sleeps).toEqual([5000, ...Array(9).fill(6000), 1000])
    expect(api.writes).toEqual([])
    expect(target.result).toMatchObject({
      status: 'failed',
      runs: { outcome: 'timed-out', executions: ['run-1'], waitedSeconds: 60 }
    })
    expect(target.result.error).toBe(
      'not written: run-1 (InProgress for 6 min) was still in flight after 1 min (in-progress-timeout) — re-run once it ends, raise in-progress-timeout, or use in-progress: proceed'
    )
  })

  it('takes a timeout in seconds, and looks at least every tenth of it (1 s at least)', async () => {
    const target = targetOf('busy')
    await rotateTarget(target, {
      ...context('wait'),
      inProgress: { mode: 'wait', timeoutSeconds: 20 }
    })
    // The last wait is cut to end at the timeout.
    expect(clock.sleeps).toEqual(Array(10).fill(2000))
    expect(target.result.error).toMatch(/was still in flight after 20 s \(in-progress-timeout\)/)
    const short = targetOf('busy')
    clock.sleeps.length = 0
    await rotateTarget(short, {
      ...context('wait'),
      inProgress: { mode: 'wait', timeoutSeconds: 3 }
    })
    expect(clock.sleeps).toEqual([1000, 1000, 1000])
  })

  it('fails at once with a timeout of 0', async () => {
    const target = targetOf('busy')
    await rotateTarget(target, context('wait', 0))
    expect(clock.sleeps).toEqual([])
    expect(api.writes).toEqual([])
    expect(target.result).toMatchObject({
      status: 'failed',
      runs: { outcome: 'timed-out', executions: ['run-1'], waitedSeconds: 0 }
    })
    expect(target.result.error).toBe(
      'not written: run-1 (InProgress for 5 min) is in flight and in-progress-timeout is 0 — re-run once it ends, or use in-progress: proceed to stop it and start it again'
    )
  })

  it('skips a busy pipeline with in-progress: skip, naming its runs oldest first', async () => {
    runsOf('busy').unshift(run('run-2', 'Stopping', clock.ago(30)))
    const target = targetOf('busy')
    target.result.note = 'CloudFormation ownership not checked: denied'
    await rotateTarget(target, context('skip'))
    expect(api.writes).toEqual([])
    expect(clock.sleeps).toEqual([])
    expect(target.result).toMatchObject({
      status: 'skipped',
      runs: { outcome: 'skipped', executions: ['run-1', 'run-2'] }
    })
    // The plan's note is kept.
    expect(target.result.note).toBe(
      'CloudFormation ownership not checked: denied; not written: run-1 (InProgress for 5 min), run-2 (Stopping for 30 s) was running (in-progress: skip); a later run rotates it'
    )
  })

  it('names a run without a start time first, for an unknown time', async () => {
    runsOf('busy').unshift(run('undated', 'InProgress'))
    const target = targetOf('busy')
    await rotateTarget(target, context('skip'))
    expect(target.result.runs?.executions).toEqual(['undated', 'run-1'])
    expect(target.result.note).toBe(
      'not written: undated (InProgress for an unknown time), run-1 (InProgress for 5 min) was running (in-progress: skip); a later run rotates it'
    )
  })

  it('writes a busy pipeline with in-progress: proceed, and starts the stopped run again', async () => {
    const target = targetOf('busy')
    await rotateTarget(target, context('proceed'))
    expect(api.writes).toHaveLength(1)
    expect(runsOf('busy').find((r) => r.id === 'run-1')?.status).toBe('Cancelled')
    // A V1 pipeline: one start, on the latest revisions.
    expect(api.starts).toEqual([{ name: 'busy', request: {} }])
    expect(target.result).toMatchObject({
      status: 'updated',
      runs: {
        outcome: 'restarted',
        executions: ['run-1'],
        restarts: [{ stopped: ['run-1'], started: 'restart-1', revisions: 'latest' }]
      }
    })
    expect(clock.sleeps).toEqual([])
  })

  it("starts a V2 pipeline's stopped run again on the same revision", async () => {
    api.pipelines.set(
      'busy',
      pipeline('busy', [githubSource('App', 'app')], { version: 3, extra: { pipelineType: 'V2' } })
    )
    const target = targetOf('busy')
    await rotateTarget(target, context('proceed'))
    expect(api.starts).toEqual([
      {
        name: 'busy',
        request: {
          sourceRevisions: [{ actionName: 'App', revisionType: 'COMMIT_ID', revisionValue: 'c1' }]
        }
      }
    ])
    expect(target.result.runs?.restarts).toEqual([
      { stopped: ['run-1'], started: 'restart-1', revisions: 'same' }
    ])
  })

  it.each<InProgressMode>(['wait', 'skip', 'proceed'])(
    'starts again a run that began between the check and the write (in-progress: %s)',
    async (mode) => {
      api.beforeUpdate = (name) => runsOf(name).unshift(run('late', 'InProgress', clock.ago(1)))
      const target = targetOf('app')
      await rotateTarget(target, context(mode))
      expect(api.writes).toHaveLength(1)
      expect(target.result).toMatchObject({
        status: 'updated',
        runs: {
          outcome: 'restarted',
          executions: [],
          restarts: [{ stopped: ['late'], started: 'restart-1', revisions: 'latest' }]
        }
      })
    }
  )

  it('does not start again a run that was already Cancelled before the write', async () => {
    runsOf('app').push(run('old', 'Cancelled', clock.ago(3600)))
    const target = targetOf('app')
    await rotateTarget(target, context('proceed'))
    expect(api.starts).toEqual([])
    expect(target.result.runs).toEqual({ outcome: 'idle', executions: [] })
  })

  it('does not start again a run a previous rotation stopped, a minute before', async () => {
    const first = targetOf('busy')
    await rotateTarget(first, context('proceed'))
    expect(first.result.runs?.restarts).toEqual([
      { stopped: ['run-1'], started: 'restart-1', revisions: 'latest' }
    ])
    // The restart ended; run-1 is still listed, Cancelled by the first write.
    const restarted = runsOf('busy')[0] as Execution
    expect(restarted.id).toBe('restart-1')
    restarted.status = 'Succeeded'
    clock.time += 60_000
    const second = targetOf('busy')
    second.result.versionBefore = 4
    await rotateTarget(second, context('proceed'))
    expect(second.result).toMatchObject({ status: 'updated', versionAfter: 5 })
    expect(second.result.runs).toEqual({ outcome: 'idle', executions: [] })
    expect(runsOf('busy').find((r) => r.id === 'run-1')?.status).toBe('Cancelled')
    expect(api.starts).toHaveLength(1)
  })

  it("times the write by AWS's Date header, whatever the runner's clock says", async () => {
    // AWS's clock is 10 min ahead of the runner's: the run it stopped is
    // stamped on AWS's clock, and so is the answer.
    api.skewMs = 600_000
    const target = targetOf('busy')
    await rotateTarget(target, context('proceed'))
    expect(target.result.runs?.restarts).toEqual([
      { stopped: ['run-1'], started: 'restart-1', revisions: 'latest' }
    ])
    // Without the header the runner's clock times it, and AWS's stamp falls
    // outside the window: a run known to be in flight at the write still
    // counts once Cancelled (it can only have been this write).
    ;(runsOf('busy')[0] as Execution).status = 'Succeeded'
    api.dateHeader = false
    runsOf('busy').unshift(run('run-2', 'InProgress', clock.ago(10)))
    const again = targetOf('busy')
    again.result.versionBefore = 4
    await rotateTarget(again, context('proceed'))
    expect(runsOf('busy').find((r) => r.id === 'run-2')?.status).toBe('Cancelled')
    expect(api.starts).toHaveLength(2)
    expect(again.result.runs).toMatchObject({
      outcome: 'restarted',
      restarts: [{ stopped: ['run-2'] }]
    })
    expect(again.result.note).toBeUndefined()
  })

  it('looks again at a run AWS is still stopping right after the write', async () => {
    api.stopDelay = 1
    const target = targetOf('busy')
    await rotateTarget(target, context('proceed'))
    // Before, after (Stopping), after 2 s (Cancelled): then the restart.
    expect(count('executions busy')).toBe(3)
    expect(clock.sleeps).toEqual([2000])
    expect(api.calls.at(-1)).toBe('start busy')
    expect(target.result.runs).toMatchObject({
      outcome: 'restarted',
      restarts: [{ stopped: ['run-1'], started: 'restart-1' }]
    })
  })

  it('says so when AWS has not marked the run stopped after a few looks', async () => {
    api.stopDelay = Infinity
    const target = targetOf('busy')
    await rotateTarget(target, context('proceed'))
    expect(clock.sleeps).toEqual([2000, 2000, 2000])
    expect(count('executions busy')).toBe(5)
    expect(api.starts).toEqual([])
    expect(target.result).toMatchObject({
      status: 'updated',
      runs: { outcome: 'restarted', executions: ['run-1'], restarts: [] }
    })
    expect(target.result.note).toBe(
      "written while run-1 ran; AWS had not marked it stopped, so it was not started again — look at the pipeline's history"
    )
  })

  it('does not start a run someone else was already stopping, and says whose it was', async () => {
    ;(runsOf('busy')[0] as Execution).status = 'Stopping'
    const target = targetOf('busy')
    await rotateTarget(target, context('proceed'))
    expect(api.writes).toHaveLength(1)
    // The write ended it Cancelled, but it was not ours: it was Stopping at the look.
    expect(runsOf('busy')[0]?.status).toBe('Cancelled')
    expect(api.starts).toEqual([])
    expect(target.result.note).toBe(
      'written while run-1 was already being stopped by someone else (Stopping): not started again, as whoever stopped it chose'
    )
  })

  it('fails the pipeline, saying the token was written, when the stopped run cannot be started again', async () => {
    api.failures.start = awsError('ConflictException', 'busy')
    const target = targetOf('busy')
    await rotateTarget(target, context('proceed'))
    expect(api.writes).toHaveLength(1)
    expect(target.result).toMatchObject({
      status: 'failed',
      versionAfter: 4,
      runs: { outcome: 'restarted', restarts: [{ stopped: ['run-1'], revisions: 'latest' }] }
    })
    expect(target.result.error).toBe(
      'the token was written, but the write stopped run-1 and it could not be started again: ConflictException: busy — start the pipeline by hand (Release change) to run it again'
    )
  })

  it('starts nothing when another write landed beside ours: who stopped the run is not known', async () => {
    api.versionBump = 2
    const target = targetOf('busy')
    await rotateTarget(target, context('proceed'))
    expect(target.result.status).toBe('failed')
    expect(target.result.error).toMatch(/^the token was written, but the version went from 3 to 5/)
    expect(api.starts).toEqual([])
    expect(target.result.runs).toEqual({
      outcome: 'restarted',
      executions: ['run-1'],
      restarts: []
    })
    expect(target.result.note).toMatch(
      /^run-1 ended Cancelled, but another change landed at the same time as the write, so whether the write stopped it is not known: it was not started again/
    )
  })

  it('still counts the pipeline updated when the look after the write fails, with a note', async () => {
    let written = false
    api.beforeUpdate = () => (written = true)
    api.onList = () => {
      if (written) throw awsError('ThrottlingException', 'Rate exceeded')
    }
    const target = targetOf('app')
    target.result.note = 'earlier note'
    await rotateTarget(target, context('wait'))
    expect(api.writes).toHaveLength(1)
    expect(api.calls).toEqual(['state app', 'update app', 'executions app'])
    expect(target.result.status).toBe('updated')
    expect(target.result.note).toBe(
      "earlier note; written, but whether it stopped a run could not be checked: ThrottlingException: Rate exceeded — AWS kept throttling after retries: re-run, or lower max-concurrency — look at the pipeline's history and start it again if a run was cancelled"
    )
    expect(target.result.runs).toEqual({ outcome: 'idle', executions: [] })
    // With in-progress: proceed, the run it stopped is not started again
    // blindly, and the note says only that it could not be checked.
    written = false
    api.calls.length = 0
    const busy = targetOf('busy')
    await rotateTarget(busy, context('proceed'))
    expect(api.calls).toEqual(['state busy', 'executions busy', 'update busy', 'executions busy'])
    expect(api.starts).toEqual([])
    expect(busy.result.status).toBe('updated')
    expect(busy.result.note).toBe(
      "written, but whether it stopped a run could not be checked: ThrottlingException: Rate exceeded — AWS kept throttling after retries: re-run, or lower max-concurrency — look at the pipeline's history and start it again if a run was cancelled"
    )
    expect(busy.result.runs).toEqual({ outcome: 'restarted', executions: ['run-1'], restarts: [] })
  })
})

describe('rotateTarget: the look after the write', () => {
  /** busy (proceed) stopped a run AWS keeps showing Stopping; other waits for a slot meanwhile. */
  async function writesDuringSettle(shared: boolean): Promise<string[][]> {
    api.stopDelay = Infinity
    const limit = createLimit(1)
    const followUps = shared ? limit : createLimit(1)
    const busy = targetOf('busy')
    const other = targetOf('other')
    const seen: string[][] = []
    let otherRotation: Promise<void> | undefined
    clock.onSleep = async () => {
      otherRotation ??= rotateTarget(other, context('proceed', 30, { limit, followUps }))
      for (let i = 0; i < 50 && api.writes.length < 2; i++) await new Promise(setImmediate)
      seen.push(api.writes.map((w) => String(w['name'])))
    }
    await rotateTarget(busy, context('proceed', 30, { limit, followUps }))
    await otherRotation
    expect(api.writes.map((w) => w['name']).sort()).toEqual(['busy', 'other'])
    expect(other.result.status).toBe('updated')
    return seen
  }

  it('runs outside the write slots: a write goes on while it waits for AWS to stop a run', async () => {
    // Three settle looks, 2 s apart; the other pipeline was written during the first.
    expect(await writesDuringSettle(false)).toEqual([
      ['busy', 'other'],
      ['busy', 'other'],
      ['busy', 'other']
    ])
    expect(clock.sleeps).toEqual([2000, 2000, 2000])
  })

  it('would hold the other write back if it took a write slot (the contrast)', async () => {
    expect(await writesDuringSettle(true)).toEqual([['busy'], ['busy'], ['busy']])
  })

  it('makes the look after the write, and the restart, inside a follow-up slot', async () => {
    const inside: string[][] = []
    const followUps: Limit = async (task) => {
      const from = api.calls.length
      try {
        return await task()
      } finally {
        inside.push(api.calls.slice(from))
      }
    }
    const target = targetOf('busy')
    await rotateTarget(target, context('proceed', 30, { followUps }))
    expect(inside).toEqual([['executions busy', 'start busy']])
    expect(api.calls).toEqual([
      'state busy',
      'executions busy',
      'update busy',
      'executions busy',
      'start busy'
    ])
    // A write that failed has nothing to follow up.
    inside.length = 0
    api.failures.update = awsError('InternalFailure', 'boom', 500)
    await rotateTarget(targetOf('other'), context('wait', 30, { followUps }))
    expect(inside).toEqual([])
  })
})

describe('attempt', () => {
  const fresh = (runs: Execution[] = []) => ({ at: clock.now(), runs })

  it("takes the plan's look while it is at most freshMs old, and looks again after that", async () => {
    const ctx = context('wait', 30, { freshMs: 5000 })
    const target = targetOf('app', fresh())
    clock.time += 5000
    expect(await attempt(target, ctx, true)).toMatchObject({ kind: 'written', busy: [] })
    expect(api.calls).toEqual(['update app'])

    api.calls.length = 0
    const stale = targetOf('app', fresh())
    clock.time += 5001
    expect(await attempt(stale, ctx, true)).toMatchObject({ kind: 'written' })
    expect(api.calls).toEqual(['state app', 'update app'])
  })

  it('looks again when told not to reuse the plan, however fresh it is', async () => {
    const target = targetOf('app', fresh())
    await attempt(target, context('wait', 30, { freshMs: 60_000 }), false)
    expect(api.calls).toEqual(['state app', 'update app'])
  })

  it('looks when the plan made no look', async () => {
    await attempt(targetOf('app'), context('wait', 30, { freshMs: 60_000 }), true)
    expect(api.calls).toEqual(['state app', 'update app'])
  })

  it("is busy, without a call, on the plan's fresh look at a run; proceed writes anyway", async () => {
    const busyRuns = inFlight(structuredClone(runsOf('busy')))
    const ctx = context('wait', 30, { freshMs: 5000 })
    expect(await attempt(targetOf('busy', fresh(busyRuns)), ctx, true)).toEqual({
      kind: 'busy',
      busy: busyRuns
    })
    expect(api.calls).toEqual([])
    const step = await attempt(
      targetOf('busy', fresh(busyRuns)),
      context('proceed', 30, { freshMs: 5000 }),
      true
    )
    expect(step).toMatchObject({ kind: 'written', busy: busyRuns })
    expect(api.calls).toEqual(['update busy'])
  })

  it('is busy when its own look sees a run, and says which', async () => {
    const step = await attempt(targetOf('busy'), context('skip'), true)
    expect(step).toEqual({ kind: 'busy', busy: [expect.objectContaining({ id: 'run-1' })] })
    expect(api.calls).toEqual(['state busy', 'executions busy'])
    expect(api.writes).toEqual([])
  })

  it('says when its look was made and which version the write replaced', async () => {
    const sent = clock.now()
    const step = await attempt(targetOf('app'), context(), true)
    expect(step).toEqual({ kind: 'written', busy: [], lookedAt: sent, replaced: 3 })
  })

  it('fails the target and writes nothing when the look or the token cannot be done', async () => {
    api.failures.state = awsError('ThrottlingException', 'Rate exceeded')
    const target = targetOf('app')
    expect(await attempt(target, context(), true)).toEqual({ kind: 'failed' })
    expect(target.result).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^ThrottlingException: Rate exceeded/)
    })
    expect(api.writes).toEqual([])
  })
})

describe('rotateTarget: the check right before the write', () => {
  it('reuses a check of the plan younger than freshMs', async () => {
    const target = targetOf('app', { at: clock.now() - 1000, runs: [] })
    await rotateTarget(target, context('wait', 30, { freshMs: 5000 }))
    expect(api.calls).toEqual(['update app', 'executions app'])
    expect(target.result.status).toBe('updated')
  })

  it('takes an older check again', async () => {
    const target = targetOf('app', { at: clock.now() - 10_000, runs: [] })
    await rotateTarget(target, context('wait', 30, { freshMs: 5000 }))
    expect(api.calls).toEqual(['state app', 'update app', 'executions app'])
  })

  it('takes the check again after a wait, whatever its age', async () => {
    const target = targetOf('busy', {
      at: clock.now(),
      runs: inFlight(structuredClone(runsOf('busy')))
    })
    api.onList = () => {
      ;(runsOf('busy')[0] as Execution).status = 'Succeeded'
    }
    await rotateTarget(target, context('wait', 30, { freshMs: 3_600_000 }))
    expect(api.calls).toEqual(['state busy', 'executions busy', 'update busy', 'executions busy'])
    expect(clock.sleeps).toEqual([5000])
  })

  it('decides from the fresh check, not from stale runs the plan saw', async () => {
    const stale = [run('gone', 'InProgress', clock.ago(60))]
    const target = targetOf('app', { at: clock.now() - 10_000, runs: stale })
    await rotateTarget(target, context('skip', 30, { freshMs: 5000 }))
    expect(target.result.status).toBe('updated')
    expect(target.result.runs).toEqual({ outcome: 'idle', executions: [] })
  })
})

describe('verifyVersion', () => {
  const result = (): PipelineResult => ({
    region: 'r',
    pipeline: 'p',
    status: 'planned',
    githubActions: [],
    repositories: [],
    versionBefore: 4
  })

  it('accepts exactly one step', () => {
    const r = result()
    verifyVersion(r, 5, 1)
    expect(r).toMatchObject({ status: 'updated', versionAfter: 5 })
    expect(r.note).toBeUndefined()
  })

  it('accepts extra steps explained by SDK retries, with a note', () => {
    const r = result()
    verifyVersion(r, 6, 2)
    expect(r).toMatchObject({
      status: 'updated',
      versionAfter: 6,
      note: 'the SDK retried UpdatePipeline (2 attempts); the version went from 4 to 6'
    })
    // Added to a note of the plan, not replacing it.
    const noted = { ...result(), note: 'CloudFormation ownership not checked: denied' }
    verifyVersion(noted, 6, 3)
    expect(noted.note).toBe(
      'CloudFormation ownership not checked: denied; the SDK retried UpdatePipeline (3 attempts); the version went from 4 to 6'
    )
  })

  it('fails when another change landed concurrently', () => {
    const r = result()
    verifyVersion(r, 6, 1)
    expect(r.status).toBe('failed')
    expect(r.error).toMatch(/from 4 to 6 instead of 5/)
    const back = result()
    verifyVersion(back, 4, 3)
    expect(back.status).toBe('failed')
    expect(back.error).toMatch(/from 4 to 4 instead of 5/)
  })

  it('fails when the version cannot be compared', () => {
    const r = result()
    verifyVersion(r, undefined, 1)
    expect(r).toMatchObject({
      status: 'failed',
      error:
        'UpdatePipeline answered, but the version could not be compared (before: 4, after: unknown): check the pipeline and re-run'
    })
    expect(r).not.toHaveProperty('versionAfter')
    const { versionBefore: _before, ...unknown } = result()
    verifyVersion(unknown, 5, 1)
    expect(unknown).toMatchObject({ status: 'failed', versionAfter: 5 })
    expect(unknown.error).toMatch(/\(before: unknown, after: 5\)/)
  })
})

describe('the write goes into the pipeline as it is now (another actor’s change is kept)', () => {
  const stale = () => context('wait', 30, { copyFreshMs: 1_000 })
  const edit = (name: string, change: (p: JsonObject) => void) => {
    const p = structuredClone(api.pipelines.get(name) as JsonObject)
    change(p)
    p['version'] = Number(p['version']) + 1
    api.pipelines.set(name, p)
  }
  const stages = (p: JsonObject) => p['stages'] as JsonObject[]

  it('reads the pipeline again beside the look when the plan’s copy is older than a moment', async () => {
    const target = targetOf('app')
    clock.time += 5_000
    await rotateTarget(target, stale())
    expect(api.calls.slice(0, 3)).toEqual(['state app', 'get app', 'update app'])
    expect(target.result.status).toBe('updated')
  })

  it('writes the plan’s copy without another read while it is fresh and its version unmoved', async () => {
    const target = targetOf('app')
    await rotateTarget(target, stale())
    expect(api.calls.slice(0, 2)).toEqual(['state app', 'update app'])
  })

  it('re-plans a moved pipeline and keeps the other change (a stage added, unknown members kept)', async () => {
    const target = targetOf('app')
    edit('app', (p) => {
      stages(p).push({ name: 'Added', actions: [], futureSetting: { kept: true } })
      p['newTopLevelMember'] = 'kept'
    })
    // Fresh by age, but GetPipelineState shows version 4: read again.
    await rotateTarget(target, stale())
    expect(api.calls.slice(0, 3)).toEqual(['state app', 'get app', 'update app'])
    const written = api.writes[0] as JsonObject
    expect(stages(written).map((s) => s['name'])).toContain('Added')
    expect(stages(written).find((s) => s['name'] === 'Added')).toEqual({
      name: 'Added',
      actions: [],
      futureSetting: { kept: true }
    })
    expect(written['newTopLevelMember']).toBe('kept')
    expect(target.result).toMatchObject({ status: 'updated', versionBefore: 4, versionAfter: 5 })
    expect(target.result.note).toBe(
      "re-planned: the pipeline changed while the rotation ran (version 3 → 4: stage 'Added' added, newTopLevelMember changed); the token was written into the pipeline as it is now, keeping that change"
    )
  })

  it('asks the token check about a repository the other change points it to, and writes once it passes', async () => {
    const target = targetOf('app')
    edit('app', (p) => {
      const config = (stages(p)[0]?.['actions'] as JsonObject[])[0]?.['configuration'] as JsonObject
      config['Repo'] = 'moved'
    })
    const asked: string[] = []
    await rotateTarget(
      target,
      context('wait', 30, {
        recheck: async (t) => {
          asked.push(...t.actions.map((a) => `${a.owner}/${a.repo}`))
          return []
        }
      })
    )
    expect(asked).toEqual(['example-org/moved'])
    expect(target.result.status).toBe('updated')
    expect(target.result.repositories).toContain('example-org/moved')
    expect(target.result.note).toMatch(/action 'Source\/App' changed/)
  })

  it('fails unwritten, naming what moved, when the token cannot be shown to reach the new repository', async () => {
    const target = targetOf('app')
    edit('app', (p) => {
      const config = (stages(p)[0]?.['actions'] as JsonObject[])[0]?.['configuration'] as JsonObject
      config['Repo'] = 'moved'
    })
    await rotateTarget(
      target,
      context('wait', 30, { recheck: async () => ['the token cannot see example-org/moved'] })
    )
    expect(api.writes).toEqual([])
    expect(target.result.status).toBe('failed')
    expect(target.result.error).toBe(
      "not written: the pipeline changed while the rotation ran (version 3 → 4: action 'Source/App' changed); it now builds example-org/moved, which the token cannot be shown to reach: the token cannot see example-org/moved"
    )
    // Without a token check to ask, such a pipeline is not written either.
    const again = targetOf('other')
    edit('other', (p) => {
      const config = (stages(p)[0]?.['actions'] as JsonObject[])[0]?.['configuration'] as JsonObject
      config['Owner'] = 'elsewhere'
    })
    await rotateTarget(again, context())
    expect(again.result.error).toMatch(/the token check was not asked about elsewhere\/app$/)
    expect(api.writes).toEqual([])
  })

  it('skips a moved pipeline that no longer holds a GitHub source, and fails one that cannot be read again', async () => {
    const target = targetOf('other')
    edit('other', (p) => {
      stages(p)[0]!['actions'] = []
    })
    await rotateTarget(target, context())
    expect(target.result.status).toBe('skipped')
    expect(target.result.note).toMatch(/holds no GitHub \(version 1\) source action now$/)
    expect(api.writes).toEqual([])

    const failing = targetOf('app')
    clock.time += 5_000
    api.failures.get = awsError('AccessDeniedException', 'denied')
    await rotateTarget(failing, stale())
    expect(failing.result.status).toBe('failed')
    expect(failing.result.error).toMatch(
      /^not written: the pipeline could not be read again right before the write: AccessDeniedException: denied/
    )
  })

  it('fails unwritten when the fresh copy is for another ARN, has no version, or a broken GitHub action', async () => {
    const wrongArn = targetOf('app')
    clock.time += 5_000
    api.arnFor = () => arnOf('us-east-1', 'elsewhere')
    await rotateTarget(wrongArn, stale())
    expect(wrongArn.result.error).toMatch(
      /^not written: GetPipeline answered for arn:aws:codepipeline:us-east-1:\d+:elsewhere/
    )
    api.arnFor = (name) => arnOf('us-east-1', name)

    const unversioned = targetOf('app')
    const p = api.pipelines.get('app') as JsonObject
    delete p['version']
    await rotateTarget(unversioned, stale())
    expect(unversioned.result.error).toMatch(
      /^not written: the pipeline changed .*version 3 → unknown.*its version cannot be read/
    )

    const broken = targetOf('other')
    edit('other', (q) => {
      ;(stages(q)[0]?.['actions'] as JsonObject[])[0]!['configuration'] = 'oops'
    })
    await rotateTarget(broken, context())
    expect(broken.result.error).toMatch(
      /^not written: the pipeline changed .*, and the GitHub source action/
    )
    expect(api.writes).toEqual([])
  })
})

describe('which runs the write stopped (proof, not time)', () => {
  it('never starts a run an operator’s own update cancelled just before ours', async () => {
    // The operator's UpdatePipeline (version 3 → 4) cancelled run-1 a moment ago.
    const runs = runsOf('busy')
    api.runVersions.set('run-1', 3)
    ;(runs[0] as Execution).status = 'Cancelled'
    ;(runs[0] as Execution).lastUpdateTime = new Date(clock.now())
    const p = api.pipelines.get('busy') as JsonObject
    p['version'] = 4
    const target = targetOf('busy')
    target.result.versionBefore = 3
    target.pipeline['version'] = 3
    await rotateTarget(target, context('proceed'))
    expect(target.result).toMatchObject({ status: 'updated', versionBefore: 4, versionAfter: 5 })
    expect(api.starts).toEqual([])
    expect(target.result.runs).toEqual({ outcome: 'idle', executions: [] })
  })

  it('starts a run that began between the look and the write: it ran on the version the write replaced', async () => {
    api.beforeUpdate = (name) => runsOf(name).unshift(run('raced', 'InProgress', clock.ago(0)))
    const target = targetOf('app')
    await rotateTarget(target, context('wait'))
    expect(api.calls).toContain('runVersion app raced')
    expect(target.result.runs).toMatchObject({
      outcome: 'restarted',
      restarts: [{ stopped: ['raced'], started: 'restart-1' }]
    })
  })

  it('does not start a Cancelled run it did not see that ran on another version', async () => {
    runsOf('app').unshift({ ...run('elsewhere', 'Cancelled', clock.ago(1)) })
    api.runVersions.set('elsewhere', 2)
    const target = targetOf('app')
    await rotateTarget(target, context('wait'))
    expect(api.starts).toEqual([])
    expect(target.result.runs).toEqual({ outcome: 'idle', executions: [] })
  })
})

describe('a write that replaced another in the same instant', () => {
  const theirs = () => {
    const p = structuredClone(api.pipelines.get('app') as JsonObject)
    ;(p['stages'] as JsonObject[]).push({ name: 'Theirs', actions: [] })
    p['version'] = 4
    return p
  }
  const landBeforeOurs = (after?: () => void) => {
    let first = true
    api.beforeUpdate = () => {
      if (first) {
        first = false
        api.keep(theirs())
        api.versionBump = 2
      } else {
        api.versionBump = 1
        after?.()
      }
    }
  }

  it('writes the replaced version again with the token, so the other change is kept', async () => {
    landBeforeOurs()
    const target = targetOf('app')
    await rotateTarget(target, context())
    expect(api.calls).toContain('get app v4')
    expect(api.writes).toHaveLength(2)
    const restored = api.writes[1] as JsonObject
    expect((restored['stages'] as JsonObject[]).map((s) => s['name'])).toContain('Theirs')
    expect(JSON.stringify(restored)).toContain(TOKEN)
    expect(target.result).toMatchObject({ status: 'updated', versionAfter: 6 })
    expect(target.result.error).toBeUndefined()
    expect(target.result.note).toMatch(
      /^another change \(version 4: stage 'Theirs' added\) landed in the instant between our last read and our write, which replaced it: it was written again with the token \(version 6\), so it is kept/
    )
  })

  it('writes the last of several replaced versions again, which holds every change before it', async () => {
    let first = true
    api.beforeUpdate = () => {
      if (!first) return void (api.versionBump = 1)
      first = false
      // Two edits, each made on the one before: versions 4 and 5, then ours (6).
      const four = theirs()
      api.keep(four)
      const five = structuredClone(four)
      ;(five['stages'] as JsonObject[]).push({ name: 'Theirs2', actions: [] })
      five['version'] = 5
      api.keep(five)
      api.versionBump = 3
    }
    const target = targetOf('app')
    await rotateTarget(target, context())
    expect(api.calls).toContain('get app v5')
    expect(api.writes).toHaveLength(2)
    const restored = api.writes[1] as JsonObject
    expect((restored['stages'] as JsonObject[]).map((s) => s['name'])).toEqual(
      expect.arrayContaining(['Theirs', 'Theirs2'])
    )
    expect(JSON.stringify(restored)).toContain(TOKEN)
    expect(target.result).toMatchObject({ status: 'updated', versionAfter: 7 })
    expect(target.result.note).toMatch(
      /^other changes \(versions 4–5: stage 'Theirs' added, stage 'Theirs2' added\) landed in the instant between our last read and our write, which replaced it: it was written again with the token \(version 7\), so it is kept/
    )
  })

  it('leaves it failed when yet another write landed since (restoring would undo that one)', async () => {
    landBeforeOurs()
    api.onState = () => {
      const p = api.pipelines.get('app') as JsonObject
      if (p['version'] === 5) api.keep({ ...p, version: 6 })
    }
    const target = targetOf('app')
    await rotateTarget(target, context())
    expect(api.writes).toHaveLength(1)
    expect(target.result.status).toBe('failed')
    expect(target.result.error).toMatch(/^the token was written, but the version went from 3 to 5/)
  })

  it('keeps the other change but fails when it builds a repository the token cannot be shown to reach', async () => {
    let first = true
    api.beforeUpdate = () => {
      if (!first) return void (api.versionBump = 1)
      first = false
      const p = theirs()
      const action = ((p['stages'] as JsonObject[])[0]?.['actions'] as JsonObject[])[0]
      ;(action?.['configuration'] as JsonObject)['Repo'] = 'elsewhere'
      api.keep(p)
      api.versionBump = 2
    }
    const target = targetOf('app')
    await rotateTarget(target, context('wait', 30, { recheck: async () => ['no access'] }))
    expect(api.writes).toHaveLength(2)
    expect(target.result.status).toBe('failed')
    expect(target.result.error).toMatch(
      /it was written again with the token \(version 6\) so it is kept, but it builds example-org\/elsewhere, which the token cannot be shown to reach: no access$/
    )
  })

  it('says so when reading the replaced version fails', async () => {
    landBeforeOurs(() => undefined)
    const target = targetOf('app')
    api.onGet = async () => {
      throw awsError('AccessDeniedException', 'denied')
    }
    await rotateTarget(target, context())
    expect(target.result.status).toBe('failed')
    expect(target.result.error).toMatch(/\(restoring version 4 failed: denied\)$/)
  })
})

describe('the look right before the write holds no write slot', () => {
  it('looks in a look slot, then writes in a write slot; busy pipelines never take a write slot', async () => {
    const taken: string[] = []
    const slot =
      (kind: string): Limit =>
      (task) => {
        taken.push(kind)
        return task()
      }
    const target = targetOf('app')
    await rotateTarget(
      target,
      context('wait', 30, { looks: slot('look'), limit: slot('write'), freshMs: 1000 })
    )
    expect(taken).toEqual(['look', 'write'])
    expect(api.calls.filter((c) => c === 'state app')).toHaveLength(1)
    taken.length = 0
    await rotateTarget(
      targetOf('busy'),
      context('skip', 30, { looks: slot('look'), limit: slot('write'), freshMs: 1000 })
    )
    expect(taken).toEqual(['look'])
  })

  it('looks again inside the write slot when the wait for it made the look older than freshMs', async () => {
    const slow: Limit = (task) => {
      clock.time += 1500
      return task()
    }
    const target = targetOf('app')
    await rotateTarget(target, context('wait', 30, { limit: slow, freshMs: 1000 }))
    expect(api.calls.filter((c) => c === 'state app')).toHaveLength(2)
    expect(target.result.status).toBe('updated')
  })
})
