import { describe, it, expect } from '@jest/globals'
import {
  inFlight,
  nextDelay,
  restartRuns,
  revisionOverrides,
  runningFor,
  stillStopping,
  stoppedBy
} from '../src/stores/codepipeline/executions.js'
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

describe('stoppedBy', () => {
  it('is the runs Cancelled after the write that were in flight before it', () => {
    const before = [run('a', 'InProgress'), run('b', 'Stopping'), run('c', 'InProgress')]
    const after = [run('a', 'Cancelled'), run('b', 'Cancelled'), run('c', 'Succeeded')]
    expect(stoppedBy(before, after).map((r) => r.id)).toEqual(['a', 'b'])
  })

  it('counts a run not listed before the write (it started in between)', () => {
    expect(stoppedBy([], [run('new', 'Cancelled')]).map((r) => r.id)).toEqual(['new'])
  })

  it('does not count a run that was already Cancelled, or one that ended otherwise', () => {
    const before = [run('old', 'Cancelled'), run('done', 'Succeeded'), run('failed', 'Failed')]
    const after = [run('old', 'Cancelled'), run('done', 'Cancelled'), run('failed', 'Failed')]
    expect(stoppedBy(before, after)).toEqual([])
  })

  it('does not count a run still in flight after the write', () => {
    expect(stoppedBy([run('a')], [run('a', 'Stopping'), run('b')])).toEqual([])
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

  it("still starts a V2 run when its variables cannot be read (the pipeline's defaults apply)", async () => {
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

  it.each(['ValidationException', 'InvalidParameterException'])(
    'retries once without overrides when AWS refuses them (%s), and says so',
    async (name) => {
      const api = region()
      api.variables.set('older', [{ name: 'STAGE', value: 'prod' }])
      api.refuseStart = (request) =>
        request.sourceRevisions || request.variables
          ? awsError(name, 'Variable STAGE is not declared')
          : undefined
      const restarts = await restartRuns(api, 'app', everySource({ pipelineType: 'V2' }), [
        stopped[1] ?? run('missing')
      ])
      expect(api.calls.filter((c) => c === 'start app')).toHaveLength(2)
      expect(api.starts).toEqual([{ name: 'app', request: {} }])
      expect(restarts).toEqual([
        {
          stopped: ['older'],
          started: 'restart-1',
          revisions: 'latest',
          note: `AWS refused to run the same revisions again (${name}: Variable STAGE is not declared), so it runs the latest`
        }
      ])
    }
  )

  it('reports a refused retry as an error, with the note', async () => {
    const api = region()
    api.refuseStart = () => awsError('ValidationException', 'no')
    const [restart] = await restartRuns(api, 'app', everySource({ pipelineType: 'V2' }), [
      stopped[0] ?? run('missing')
    ])
    expect(restart).toMatchObject({
      stopped: ['newer'],
      revisions: 'latest',
      error: expect.stringMatching(/^ValidationException: no — start the pipeline by hand/),
      note: expect.stringMatching(/^AWS refused to run the same revisions again/)
    })
    expect(restart).not.toHaveProperty('started')
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
