import { describe, it, expect } from '@jest/globals'
import {
  inFlight,
  nextDelay,
  restartRuns,
  revisionOverrides,
  runningFor,
  runsInFlight,
  stateShowsRuns,
  stillStopping,
  unseenCancelled,
  stoppedBy
} from '../src/stores/codepipeline/executions.js'
import type { StageRun } from '../src/stores/codepipeline/api.js'
import type { JsonObject } from '../src/stores/codepipeline/pipeline-json.js'
import { realClock } from '../src/stores/codepipeline/types.js'
import {
  connectionSource,
  githubSource,
  pipeline,
  s3Source,
  type JsonObject as Declaration
} from '../test-support/pipelines.js'
import { FakeRegion, awsError, run } from '../__fixtures__/pipelines.js'

const source = (name: string, provider: string, owner = 'AWS'): Declaration => ({
  name,
  actionTypeId: { category: 'Source', owner, provider, version: '1' },
  configuration: {},
  outputArtifacts: [{ name: `${name}Out` }]
})

/** Every kind of source action, in one pipeline. */
function everySource(extra: JsonObject = {}): JsonObject {
  return pipeline(
    'app',
    [
      githubSource('GitHub', 'app'),
      source('Commit', 'CodeCommit'),
      connectionSource('Conn'),
      s3Source('Assets'),
      source('Image', 'ECR'),
      source('Other', 'Bitbucket', 'Custom')
    ],
    { version: 3, extra }
  )
}

const at = (minute: number) => new Date(Date.UTC(2025, 0, 1, 12, minute))

describe('inFlight', () => {
  it('keeps InProgress and Stopping runs, nothing else', () => {
    const runs = [
      'InProgress',
      'Stopping',
      'Stopped',
      'Succeeded',
      'Failed',
      'Cancelled',
      'Superseded'
    ].map((status) => run(status, status))
    expect(inFlight(runs).map((r) => r.id)).toEqual(['InProgress', 'Stopping'])
    expect(inFlight([])).toEqual([])
  })
})

describe('stateShowsRuns', () => {
  const stage = (latest?: [string, string], inbound: string[] = []): StageRun => ({
    stage: 'Build',
    latest: latest && { executionId: latest[0], status: latest[1] },
    inbound
  })

  it('sees a run that is the latest of a stage and still InProgress or Stopping', () => {
    expect(stateShowsRuns([stage(['a', 'InProgress'])])).toBe(true)
    expect(stateShowsRuns([stage(['a', 'Stopping'])])).toBe(true)
    expect(stateShowsRuns([stage(['old', 'Succeeded']), stage(['a', 'InProgress'])])).toBe(true)
  })

  it('sees a run waiting at a stage’s inbound transition, whatever the latest run did', () => {
    expect(stateShowsRuns([stage(undefined, ['queued'])])).toBe(true)
    expect(stateShowsRuns([stage(['old', 'Succeeded'], ['queued'])])).toBe(true)
  })

  it('sees nothing in a pipeline whose latest runs all ended, or that never ran', () => {
    const ended = ['Succeeded', 'Failed', 'Stopped', 'Cancelled', 'Superseded', '']
    expect(stateShowsRuns(ended.map((status, i) => stage([`r${i}`, status])))).toBe(false)
    expect(stateShowsRuns([stage()])).toBe(false)
    expect(stateShowsRuns([])).toBe(false)
  })
})

describe('runsInFlight', () => {
  const at0 = at(0)
  function region(mode?: string) {
    const extra: Declaration = mode ? { executionMode: mode } : {}
    return new FakeRegion('us-east-1').add(
      pipeline('app', [githubSource('App', 'app')], { version: 3, extra }),
      {},
      [run('done', 'Succeeded', at0)]
    )
  }

  it.each([undefined, 'SUPERSEDED', 'QUEUED'])(
    'asks only GetPipelineState about an idle pipeline (%s)',
    async (mode) => {
      const api = region(mode)
      expect(await runsInFlight(api, 'app', mode ?? 'SUPERSEDED')).toEqual([])
      expect(api.calls).toEqual(['state app'])
    }
  )

  it.each(['SUPERSEDED', 'QUEUED'])(
    'lists the runs when GetPipelineState shows one (%s), and returns only those in flight',
    async (mode) => {
      const api = region(mode)
      api.runs.get('app')?.unshift(run('b', 'Stopping', at(2)), run('a', 'InProgress', at(1)))
      const runs = await runsInFlight(api, 'app', mode)
      expect(runs.map((r) => `${r.id} ${r.status}`)).toEqual(['b Stopping', 'a InProgress'])
      expect(api.calls).toEqual(['state app', 'executions app'])
    }
  )

  it('lists the runs for a run waiting at a transition, and finds none once it has ended', async () => {
    const api = region()
    api.states.set('app', [
      { stage: 'Deploy', latest: { executionId: 'done', status: 'Succeeded' }, inbound: ['q'] }
    ])
    // The run GetPipelineState saw ended before ListPipelineExecutions answered.
    expect(await runsInFlight(api, 'app', 'SUPERSEDED')).toEqual([])
    expect(api.calls).toEqual(['state app', 'executions app'])
  })

  it('always lists the runs of a PARALLEL pipeline, whose runs GetPipelineState does not show', async () => {
    const api = region('PARALLEL')
    expect(await runsInFlight(api, 'app', 'PARALLEL')).toEqual([])
    expect(api.calls).toEqual(['executions app'])
    api.runs.get('app')?.unshift(run('side-1', 'InProgress', at(1)), run('side-2', 'InProgress'))
    expect((await api.pipelineState('app')).stages).toEqual([])
    api.calls.length = 0
    const runs = await runsInFlight(api, 'app', 'PARALLEL')
    expect(runs.map((r) => r.id)).toEqual(['side-1', 'side-2'])
    expect(api.calls).toEqual(['executions app'])
  })

  it('passes on a failure of either call, naming the call that failed', async () => {
    const denied = awsError('AccessDeniedException', 'denied')
    const api = region()
    api.failures.state = denied
    await expect(runsInFlight(api, 'app', 'SUPERSEDED')).rejects.toMatchObject({
      call: 'codepipeline:GetPipelineState',
      awsError: denied,
      message: expect.stringContaining('needs permission codepipeline:GetPipelineState')
    })
    const busy = region()
    busy.runs.get('app')?.unshift(run('a', 'InProgress', at(1)))
    busy.failures.executions = denied
    await expect(runsInFlight(busy, 'app', 'QUEUED')).rejects.toMatchObject({
      call: 'codepipeline:ListPipelineExecutions',
      awsError: denied,
      message: expect.stringContaining('needs permission codepipeline:ListPipelineExecutions')
    })
    expect(busy.calls).toEqual(['state app', 'executions app'])
  })

  it('takes a GetPipelineState already asked for instead of asking again', async () => {
    const api = region()
    expect(
      await runsInFlight(api, 'app', 'SUPERSEDED', Promise.resolve({ version: 3, stages: [] }))
    ).toEqual([])
    expect(api.calls).toEqual([])
  })
})

describe('stoppedBy', () => {
  const from = Date.UTC(2025, 0, 1, 12, 0, 10)
  const cancelled = (id: string, status = 'Cancelled') => ({
    ...run(id, status, at(0)),
    lastUpdateTime: new Date(from + 500)
  })

  it('is the runs InProgress in the look right before the write and Cancelled after it', () => {
    const before = [run('ours'), run('also-ours'), run('ended', 'InProgress')]
    const after = [cancelled('ours'), cancelled('also-ours'), cancelled('ended', 'Succeeded')]
    expect(stoppedBy(after, before).map((r) => r.id)).toEqual(['ours', 'also-ours'])
  })

  it('never counts a run the look did not see, however close its cancellation was to the write', () => {
    // An operator's own UpdatePipeline cancelled it a moment before ours.
    expect(stoppedBy([cancelled('operators')], [])).toEqual([])
    expect(stoppedBy([cancelled('operators')], [run('other')])).toEqual([])
  })

  it('never counts a run someone else was stopping (Stopping in the look), nor one Stopped', () => {
    expect(stoppedBy([cancelled('stopping')], [run('stopping', 'Stopping')])).toEqual([])
    expect(stoppedBy([cancelled('s', 'Stopped')], [run('s')])).toEqual([])
  })

  it('does not count a run that ended otherwise, or is still in flight', () => {
    const statuses = ['Succeeded', 'Failed', 'Stopped', 'Superseded', 'InProgress', 'Stopping']
    const before = statuses.map((status) => run(status))
    expect(
      stoppedBy(
        statuses.map((status) => cancelled(status, status)),
        before
      )
    ).toEqual([])
    expect(stoppedBy([], before)).toEqual([])
  })
})

describe('unseenCancelled', () => {
  const lookedAt = Date.UTC(2025, 0, 1, 12, 0, 10)
  const started = (id: string, ms: number, status = 'Cancelled') => ({
    ...run(id, status, new Date(ms)),
    lastUpdateTime: new Date(ms)
  })

  it('is the Cancelled runs the look did not see that started after it (5 s slack), at most 5', () => {
    const after = [
      started('raced', lookedAt + 100),
      started('slack', lookedAt - 5000),
      started('older', lookedAt - 5001),
      started('seen', lookedAt + 100),
      started('done', lookedAt + 100, 'Succeeded'),
      { ...run('undated', 'Cancelled'), startTime: undefined }
    ]
    expect(unseenCancelled(after, [run('seen')], lookedAt).map((r) => r.id)).toEqual([
      'raced',
      'slack'
    ])
    const many = Array.from({ length: 8 }, (_, i) => started(`r${i}`, lookedAt + i))
    expect(unseenCancelled(many, [], lookedAt)).toHaveLength(5)
  })
})

describe('stillStopping', () => {
  it('is the runs in flight before the write that are still in flight after it', () => {
    const before = [run('a'), run('b'), run('c', 'Succeeded')]
    const after = [run('a', 'Stopping'), run('b', 'Cancelled'), run('c', 'Succeeded'), run('new')]
    // 'new' started after the write: the write did not stop it.
    expect(stillStopping(before, after).map((r) => r.id)).toEqual(['a'])
    expect(stillStopping(before, [run('a', 'Cancelled'), run('b', 'Cancelled')])).toEqual([])
  })
})

describe('revisionOverrides', () => {
  it("pins each source action's revision by its provider's revision type", () => {
    const stopped = run('r', 'Cancelled', at(0), [
      { actionName: 'GitHub', revisionId: 'c1' },
      { actionName: 'Commit', revisionId: 'c2' },
      { actionName: 'Conn', revisionId: 'c3' },
      { actionName: 'Assets', revisionId: 'v4' },
      { actionName: 'Image', revisionId: 'sha256:5' },
      { actionName: 'Other', revisionId: 'x6' },
      { actionName: 'Gone', revisionId: 'x7' }
    ])
    expect(revisionOverrides(everySource(), stopped)).toEqual([
      { actionName: 'GitHub', revisionType: 'COMMIT_ID', revisionValue: 'c1' },
      { actionName: 'Commit', revisionType: 'COMMIT_ID', revisionValue: 'c2' },
      { actionName: 'Conn', revisionType: 'COMMIT_ID', revisionValue: 'c3' },
      { actionName: 'Assets', revisionType: 'S3_OBJECT_VERSION_ID', revisionValue: 'v4' },
      { actionName: 'Image', revisionType: 'IMAGE_DIGEST', revisionValue: 'sha256:5' }
    ])
  })

  it('pins nothing for a run without source revisions', () => {
    expect(revisionOverrides(everySource(), run('r', 'Cancelled'))).toEqual([])
  })
})

describe('restartRuns', () => {
  const region = () => new FakeRegion('us-east-1').add(everySource(), {}, [])
  const stopped = [
    run('newer', 'Cancelled', at(10), [{ actionName: 'GitHub', revisionId: 'c-new' }]),
    run('older', 'Cancelled', at(5), [{ actionName: 'GitHub', revisionId: 'c-old' }]),
    run('undated', 'Cancelled')
  ]

  it('starts a V1 pipeline once, on the latest revisions, for every stopped run', async () => {
    const api = region()
    const restarts = await restartRuns(api, 'app', everySource(), stopped)
    expect(api.starts).toEqual([{ name: 'app', request: {} }])
    expect(api.calls.filter((c) => c.startsWith('variables'))).toEqual([])
    expect(restarts).toEqual([
      { stopped: ['undated', 'older', 'newer'], started: 'restart-1', revisions: 'latest' }
    ])
  })

  it('starts each run of a V2 pipeline again, oldest first, with its revisions and variables', async () => {
    const api = region()
    api.variables.set('older', [
      { name: 'STAGE', value: 'prod' },
      { name: 'EMPTY', value: '' }
    ])
    const v2 = everySource({ pipelineType: 'V2' })
    const restarts = await restartRuns(api, 'app', v2, stopped)
    expect(api.starts).toEqual([
      { name: 'app', request: {} },
      {
        name: 'app',
        request: {
          sourceRevisions: [
            { actionName: 'GitHub', revisionType: 'COMMIT_ID', revisionValue: 'c-old' }
          ],
          // AWS refuses an empty value: the pipeline's default applies instead.
          variables: [{ name: 'STAGE', value: 'prod' }]
        }
      },
      {
        name: 'app',
        request: {
          sourceRevisions: [
            { actionName: 'GitHub', revisionType: 'COMMIT_ID', revisionValue: 'c-new' }
          ]
        }
      }
    ])
    expect(restarts).toEqual([
      { stopped: ['undated'], started: 'restart-1', revisions: 'same' },
      { stopped: ['older'], started: 'restart-2', revisions: 'same' },
      { stopped: ['newer'], started: 'restart-3', revisions: 'same' }
    ])
  })

  it('still starts a V2 run whose variables cannot be read when the pipeline declares none', async () => {
    const api = region()
    api.failures.variables = awsError('PipelineExecutionNotFoundException')
    const restarts = await restartRuns(api, 'app', everySource({ pipelineType: 'V2' }), [
      stopped[1] ?? run('missing')
    ])
    expect(api.starts[0]?.request).toEqual({
      sourceRevisions: [{ actionName: 'GitHub', revisionType: 'COMMIT_ID', revisionValue: 'c-old' }]
    })
    expect(restarts).toEqual([{ stopped: ['older'], started: 'restart-1', revisions: 'same' }])
  })

  it('does not start a run whose variables cannot be read when the pipeline declares variables', async () => {
    const api = region()
    api.failures.variables = awsError('AccessDeniedException', 'denied')
    const declared = everySource({
      pipelineType: 'V2',
      variables: [{ name: 'Env', defaultValue: 'prod' }]
    })
    const [restart] = await restartRuns(api, 'app', declared, [stopped[1] ?? run('missing')])
    expect(api.starts).toEqual([])
    expect(restart).toMatchObject({ stopped: ['older'], revisions: 'same' })
    expect(restart?.error).toMatch(
      /^not started again: its variables could not be read \(AccessDeniedException: denied.*\).*history of older/
    )
    expect(restart).not.toHaveProperty('started')
  })

  it.each(['ValidationException', 'InvalidParameterException'])(
    'retries once without the revisions only when AWS refuses them (%s), keeping the variables',
    async (name) => {
      const api = region()
      api.variables.set('older', [{ name: 'STAGE', value: 'staging' }])
      api.refuseStart = (request) =>
        request.sourceRevisions ? awsError(name, 'S3 revisions not supported') : undefined
      const restarts = await restartRuns(api, 'app', everySource({ pipelineType: 'V2' }), [
        stopped[1] ?? run('missing')
      ])
      expect(api.calls.filter((c) => c === 'start app')).toHaveLength(2)
      expect(api.starts).toEqual([
        { name: 'app', request: { variables: [{ name: 'STAGE', value: 'staging' }] } }
      ])
      expect(restarts).toEqual([
        {
          stopped: ['older'],
          started: 'restart-1',
          revisions: 'latest',
          note: `AWS refused to run the same revisions again (${name}: S3 revisions not supported), so it runs the latest, with the same variables`
        }
      ])
    }
  )

  it('does not start a run with other variables: refused variables leave it stopped, naming them', async () => {
    const api = region()
    api.variables.set('older', [
      { name: 'STAGE', value: 'staging' },
      { name: 'REGION', value: 'eu-west-1' }
    ])
    api.refuseStart = (request) =>
      request.variables
        ? awsError('ValidationException', 'Variable STAGE is not declared')
        : undefined
    const [restart] = await restartRuns(api, 'app', everySource({ pipelineType: 'V2' }), [
      stopped[1] ?? run('missing')
    ])
    // Once with everything, once without the revisions; never without the variables.
    expect(api.calls.filter((c) => c === 'start app')).toHaveLength(2)
    expect(api.starts).toEqual([])
    expect(restart).toEqual({
      stopped: ['older'],
      revisions: 'same',
      error:
        'not started again: AWS refused its variables (ValidationException: Variable STAGE is not declared), and a run with other values is not what was stopped — start the pipeline by hand (Release change) to run it again with STAGE="staging", REGION="eu-west-1"'
    })
  })

  it('does not retry refused variables alone (no revisions to drop)', async () => {
    const api = region()
    api.variables.set('undated', [{ name: 'STAGE', value: 'staging' }])
    api.refuseStart = () => awsError('ValidationException', 'no')
    const [restart] = await restartRuns(api, 'app', everySource({ pipelineType: 'V2' }), [
      stopped[2] ?? run('missing')
    ])
    expect(api.calls.filter((c) => c === 'start app')).toHaveLength(1)
    expect(restart?.error).toMatch(
      /^not started again: AWS refused its variables.*STAGE="staging"$/
    )
  })

  it('reports a refused retry without variables as an error', async () => {
    const api = region()
    api.refuseStart = () => awsError('ValidationException', 'no')
    const [restart] = await restartRuns(api, 'app', everySource({ pipelineType: 'V2' }), [
      stopped[0] ?? run('missing')
    ])
    expect(api.calls.filter((c) => c === 'start app')).toHaveLength(2)
    expect(restart).toMatchObject({
      stopped: ['newer'],
      revisions: 'latest',
      error: expect.stringMatching(/^ValidationException: no — start the pipeline by hand/)
    })
    expect(restart).not.toHaveProperty('started')
    // An empty request refused is no override to drop: reported as it is.
    const plain = region()
    plain.refuseStart = () => awsError('ValidationException', 'no')
    const [bare] = await restartRuns(plain, 'app', everySource({ pipelineType: 'V2' }), [
      stopped[2] ?? run('missing')
    ])
    expect(bare?.error).toMatch(/^ValidationException: no — start the pipeline by hand/)
  })

  it('reports any other error on the restart, without a retry', async () => {
    const api = region()
    api.failures.start = awsError(
      'AccessDeniedException',
      'not authorized to perform: codepipeline:StartPipelineExecution'
    )
    const restarts = await restartRuns(api, 'app', everySource({ pipelineType: 'V2' }), stopped)
    expect(api.calls.filter((c) => c === 'start app')).toHaveLength(3)
    expect(restarts.map((r) => r.error)).toEqual(
      Array(3).fill(
        "AccessDeniedException: not authorized to perform: codepipeline:StartPipelineExecution — the role needs permission codepipeline:StartPipelineExecution (see the README's IAM policy) — start the pipeline by hand (Release change) to run it again"
      )
    )
    // A V1 pipeline's ValidationException is not about overrides (it sent none): no retry.
    const v1 = region()
    v1.failures.start = awsError('ValidationException', 'bad')
    const [restart] = await restartRuns(v1, 'app', everySource(), stopped)
    expect(v1.calls.filter((c) => c === 'start app')).toHaveLength(1)
    expect(restart).toMatchObject({
      revisions: 'latest',
      error: expect.stringMatching(/^ValidationException: bad/)
    })
    expect(restart).not.toHaveProperty('note')
  })
})

describe('runningFor', () => {
  const now = at(0).getTime()
  const started = (seconds: number) => run('r', 'InProgress', new Date(now - seconds * 1000))

  it('says how long a run has been going, in s, min or h', () => {
    expect(runningFor(started(0), now)).toBe('for 0 s')
    expect(runningFor(started(119), now)).toBe('for 119 s')
    expect(runningFor(started(120), now)).toBe('for 2 min')
    expect(runningFor(started(119 * 60), now)).toBe('for 119 min')
    expect(runningFor(started(120 * 60), now)).toBe('for 2 h')
    expect(runningFor(started(5 * 3600 + 20 * 60), now)).toBe('for 5 h')
  })

  it('never says a negative time, and says when it is unknown', () => {
    expect(runningFor(started(-30), now)).toBe('for 0 s')
    expect(runningFor(run('r'), now)).toBe('for an unknown time')
  })
})

describe('nextDelay', () => {
  it('starts at 5 s and grows by half each time up to 60 s, ±20% jitter', () => {
    const mid = () => 0.5
    expect([0, 1, 2, 3, 6, 7, 20].map((a) => nextDelay(a, mid))).toEqual([
      5000, 7500, 11250, 16875, 56953, 60000, 60000
    ])
    expect(nextDelay(0, () => 0)).toBe(4000)
    expect(nextDelay(0, () => 1)).toBe(6000)
    expect(nextDelay(30, () => 0)).toBe(48000)
    expect(nextDelay(30, () => 1)).toBe(72000)
  })

  it('stays within the bounds with Math.random', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const base = Math.min(60_000, 5_000 * 1.5 ** attempt)
      for (let i = 0; i < 20; i++) {
        const delay = nextDelay(attempt)
        expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.8))
        expect(delay).toBeLessThanOrEqual(Math.ceil(base * 1.2))
      }
    }
  })
})

describe('realClock', () => {
  it('tells the time and sleeps for real', async () => {
    const before = Date.now()
    expect(realClock.now()).toBeGreaterThanOrEqual(before)
    await realClock.sleep(20)
    // Timers may fire a millisecond early.
    expect(realClock.now() - before).toBeGreaterThanOrEqual(19)
  })
})
