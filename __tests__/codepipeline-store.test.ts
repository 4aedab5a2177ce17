import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import { FakeClock, FakeRegion, arnOf, awsError, run } from '../__fixtures__/pipelines.js'
import { connectionSource, githubSource, pipeline } from '../test-support/pipelines.js'
import { createLimit, type Limit } from '../src/core/limit.js'
import type { PipelineResult } from '../src/stores/codepipeline/types.js'

jest.unstable_mockModule('@actions/core', () => core)
const { pipelineStore } = await import('../src/stores/codepipeline/store.js')
const { parseInputs } = await import('../src/inputs/parse.js')
const { SealedToken } = await import('../src/core/sealed-token.js')

const TOKEN = 'unit-token-0123456789'
const now: Limit = (task) => task()

let east: FakeRegion
let west: FakeRegion
let clock: FakeClock
const apiFor = (region: string) => (region === 'eu-west-1' ? west : east)

function setup(values: Record<string, string>) {
  core.setInputs({
    'dry-run': 'false',
    'verify-token': 'false',
    'follow-stacks': 'true',
    regions: 'us-east-1',
    ...values
  })
  return parseInputs(false)
}

function store(
  values: Record<string, string>,
  { writeOnRead = false, limit = now }: { writeOnRead?: boolean; limit?: Limit } = {}
) {
  return pipelineStore(setup(values), {
    apiFor,
    limit,
    token: new SealedToken(TOKEN),
    writeOnRead,
    clock
  })
}

type Store = ReturnType<typeof store>
const results = (s: Store) => s.report().outputs['report'] as PipelineResult[]
const resultOf = (s: Store, name: string, region = 'us-east-1') =>
  results(s).find((r) => r.pipeline === name && r.region === region)

/** Resolves once `done` holds, or fails the test after a while. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await new Promise(setImmediate)
  expect(done()).toBe(true)
}

beforeEach(() => {
  core.resetCore()
  clock = new FakeClock()
  east = new FakeRegion('us-east-1', clock)
    .add(pipeline('prod-app', [githubSource('App', 'app'), githubSource('Lib', 'lib')], 3))
    .add(pipeline('prod-conn', [connectionSource('Conn')], 3))
    .add(pipeline('dev-app', [githubSource('App', 'app')], 3), {
      'aws:cloudformation:stack-name': 'dev-stack'
    })
  west = new FakeRegion('eu-west-1', clock).add(
    pipeline('prod-app', [githubSource('App', 'app')], 9)
  )
})

describe('pipelineStore', () => {
  it('rotates a pipeline GetPipeline returns without an ARN, and refuses one without a version', async () => {
    east.arnFor = () => undefined
    east.add(pipeline('no-arn', [githubSource('App', 'app')], 3))
    east.add(pipeline('no-version', [githubSource('App', 'app')]))
    const s = store({ pipelines: 'no-arn, no-version' })
    await s.plan()
    // Without an ARN there is nothing to ask ListTagsForResource about.
    expect(east.calls.filter((c) => c.startsWith('tags'))).toEqual([])
    expect(s.targets().map((t) => t.result)).toEqual([
      expect.not.objectContaining({ arn: expect.anything() }),
      expect.not.objectContaining({ versionBefore: expect.anything() })
    ])
    await s.apply()
    expect(east.writes).toHaveLength(2)
    const report = s.report()
    expect(report.outputs['updated']).toEqual(['no-arn'])
    expect(report.failures).toEqual([
      'us-east-1 pipeline no-version: UpdatePipeline answered, but the version could not be compared (before: unknown, after: 1): check the pipeline and re-run'
    ])
  })

  it('sorts the report by the regions input, then regions only an ARN names', async () => {
    const s = store({ pipelines: `prod-app\n${arnOf('eu-west-1', 'prod-app')}` })
    await s.plan()
    const report = s.report()
    expect((report.outputs['report'] as PipelineResult[]).map((r) => r.region)).toEqual([
      'us-east-1',
      'eu-west-1'
    ])
    expect(report.lines.map((l) => l.region)).toEqual(['us-east-1', 'eu-west-1'])
  })

  it('says none were selected when the patterns match nothing', async () => {
    const s = store({ pipelines: 'nothing-*' })
    await s.plan()
    expect(s.report().headline).toBe('Pipelines: none selected')
    expect(s.report().outputs).toEqual({ report: [], updated: [], migrated: [] })
  })

  it('has no headline and reads nothing without a pipelines input', async () => {
    const s = store({ pipelines: '', secrets: 'ci/github' })
    await s.plan()
    await s.apply()
    const report = s.report()
    expect(report.headline).toBeUndefined()
    expect(report.outputs).toEqual({ report: [], updated: [], migrated: [] })
    expect(report.sections).toEqual([])
    expect(report.closing.map((s) => s.title)).toEqual([
      'Moving off GitHub version 1 — 0 pipeline(s) still hold a GitHub token'
    ])
    expect(east.calls).toEqual([])
  })

  // Reads and writes have slots of their own (the read's
  // slot holds GetPipeline only), so a pipeline is written as soon as it and
  // its look are in, without waiting for the reads queued behind it; the
  // plan's look, fresh, is the check right before the write.
  it('writes each pipeline as soon as it is read with writeOnRead, and never twice', async () => {
    // One read at a time, so the reads' order is the order of the work.
    let chain: Promise<unknown> = Promise.resolve()
    const oneAtATime: Limit = (task) => {
      const next = chain.then(task)
      chain = next.catch(() => undefined)
      return next
    }
    let answer: () => void = () => {}
    const owners = new Promise<void>((resolve) => (answer = resolve))
    east.owners = async () => {
      await owners
      return new Map()
    }
    const s = store({ pipelines: 'prod-*, dev-app' }, { writeOnRead: true, limit: oneAtATime })
    const planning = s.plan()
    // Written while the plan is still waiting for the stack lookup.
    await until(() => east.writes.length === 2)
    answer()
    await planning
    const calls = east.calls.filter((c) => c !== 'owners' && !c.startsWith('executions'))
    // The reads, one at a time, each with its look beside it.
    expect(calls.filter((c) => !c.startsWith('update'))).toEqual([
      'list',
      'state dev-app',
      'get dev-app',
      'state prod-app',
      'get prod-app',
      'state prod-conn',
      'get prod-conn'
    ])
    // Each write once, after its own read and look (with no second look: the plan's is fresh).
    expect(calls.filter((c) => c.startsWith('update'))).toEqual([
      'update dev-app',
      'update prod-app'
    ])
    for (const name of ['dev-app', 'prod-app']) {
      expect(calls.indexOf(`update ${name}`)).toBeGreaterThan(calls.indexOf(`get ${name}`))
      expect(east.calls.filter((c) => c === `state ${name}`)).toHaveLength(1)
    }
    await s.apply()
    // Outside them, after each write: the look at what it stopped.
    for (const name of ['dev-app', 'prod-app']) {
      expect(east.calls.filter((c) => c === `executions ${name}`)).toHaveLength(1)
      expect(east.calls.indexOf(`executions ${name}`)).toBeGreaterThan(
        east.calls.indexOf(`update ${name}`)
      )
    }
    expect(east.writes.map((w) => w['name'])).toEqual(['dev-app', 'prod-app'])
    expect(s.report().outputs['updated']).toHaveLength(2)
    expect(s.report().headline).toBe('Pipelines: 2 updated, 1 skipped')
  })

  // plan() makes the first write itself (in the read's
  // slot); apply() waits for the rest of each rotation, the look after it.
  it('with writeOnRead, apply() waits for the rotations plan() started', async () => {
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    const list = east.listExecutions.bind(east)
    east.listExecutions = async (name) => {
      await held
      return list(name)
    }
    const s = store({ pipelines: 'prod-app' }, { writeOnRead: true })
    await s.plan()
    expect(east.writes).toHaveLength(1)
    expect(resultOf(s, 'prod-app')?.status).toBe('updated')
    expect(resultOf(s, 'prod-app')?.runs).toBeUndefined()
    let applied = false
    const applying = s.apply().then(() => (applied = true))
    for (let i = 0; i < 10; i++) await new Promise(setImmediate)
    expect(applied).toBe(false)
    release()
    await applying
    expect(resultOf(s, 'prod-app')?.runs).toEqual({ outcome: 'idle', executions: [] })
    expect(east.writes).toHaveLength(1)
  })

  it('with writeOnRead, writes the first pipelines before the last is read, when slots are fewer', async () => {
    for (const n of [1, 2, 3, 4, 5]) east.add(pipeline(`app-${n}`, [githubSource('App', 'app')], 3))
    // Each GetPipeline takes a few milliseconds, as AWS's do; the other calls answer at once.
    east.onGet = () => new Promise((resolve) => setTimeout(resolve, 5))
    const s = store({ pipelines: 'app-*' }, { writeOnRead: true, limit: createLimit(2) })
    await s.plan()
    await s.apply()
    const at = (call: string) => east.calls.indexOf(call)
    expect(east.writes.map((w) => w['name']).sort()).toEqual([
      'app-1',
      'app-2',
      'app-3',
      'app-4',
      'app-5'
    ])
    // Reads and writes interleave: app-1 and app-2 are written before app-5 is read…
    expect(at('update app-1')).toBeLessThan(at('get app-5'))
    expect(at('update app-2')).toBeLessThan(at('get app-5'))
    // …and each is written only after its own read.
    for (const n of [1, 2, 3, 4, 5])
      expect(at(`update app-${n}`)).toBeGreaterThan(at(`get app-${n}`))
    // Without writeOnRead every read comes first.
    east.calls.length = 0
    const later = store({ pipelines: 'app-*' }, { limit: createLimit(2) })
    await later.plan()
    await later.apply()
    expect(at('update app-1')).toBeGreaterThan(at('get app-5'))
  })

  it('with a clearance, writes each pipeline once the token check passes for it, and no other', async () => {
    for (const n of [1, 2, 3]) east.add(pipeline(`app-${n}`, [githubSource('App', `repo-${n}`)], 3))
    // app-3's read is held until the test lets it go.
    let readLast: () => void = () => undefined
    const last = new Promise<void>((resolve) => (readLast = resolve))
    east.onGet = (name) => (name === 'app-3' ? last : Promise.resolve())
    // The token check answers for each pipeline when the test says so.
    const answers = new Map<string, (failures: string[]) => void>()
    const asked: string[] = []
    const s = store({ pipelines: 'app-*', 'verify-token': 'true' }, { limit: createLimit(1) })
    s.clearWith(async (target) => {
      asked.push(target.name)
      return new Promise<string[]>((resolve) => answers.set(target.name, resolve))
    })
    const planning = s.plan()
    await until(() => answers.has('app-1'))
    // Nothing is written before its own check passes…
    expect(east.writes).toHaveLength(0)
    answers.get('app-1')?.([])
    // …and app-1 is written as soon as it does, while app-3 is still being read.
    await until(() => east.writes.length === 1)
    expect(answers.has('app-3')).toBe(false)
    expect(east.writes[0]?.['name']).toBe('app-1')
    readLast()
    await until(() => answers.has('app-3'))
    answers.get('app-2')?.(['builds o/repo-2, which the token cannot see'])
    answers.get('app-3')?.([])
    await planning
    // settle() (the run refused): the writes started end, what was written is said, no other starts.
    expect(await s.settle?.()).toBe('2 pipelines whose own repositories the token reaches')
    expect(asked).toEqual(['app-1', 'app-2', 'app-3'])
    expect(east.writes.map((w) => w['name'])).toEqual(['app-1', 'app-3'])
    // The write took the look the plan had just made: one GetPipelineState each.
    for (const n of [1, 3]) expect(east.calls.filter((c) => c === `state app-${n}`)).toHaveLength(1)
    expect(resultOf(s, 'app-2')?.status).toBe('planned')
    expect(s.report().headline).toBe('Pipelines: 2 updated, 1 planned')
    // apply() (the run's check passed all the same): the refused pipeline fails, unwritten.
    await s.apply()
    expect(east.writes).toHaveLength(2)
    expect(resultOf(s, 'app-2')).toMatchObject({
      status: 'failed',
      error: 'not written: the token check refused it: builds o/repo-2, which the token cannot see'
    })
  })

  it('with a clearance, writes nothing in a dry run, and a check that breaks leaves the pipeline unwritten', async () => {
    const dry = store({ pipelines: 'prod-app', 'verify-token': 'true', 'dry-run': 'true' })
    const asked: string[] = []
    dry.clearWith(async (target) => {
      asked.push(target.name)
      return []
    })
    await dry.plan()
    expect(asked).toEqual([])
    expect(await dry.settle?.()).toBeUndefined()
    const broken = store({ pipelines: 'prod-app', 'verify-token': 'true' })
    broken.clearWith(async () => {
      throw new Error('GitHub went away')
    })
    await broken.plan()
    expect(await broken.settle?.()).toBeUndefined()
    expect(resultOf(broken, 'prod-app')?.status).toBe('planned')
    await broken.apply()
    expect(east.writes).toHaveLength(0)
    expect(resultOf(broken, 'prod-app')).toMatchObject({
      status: 'failed',
      error: 'not written: the token check refused it: the token check broke: GitHub went away'
    })
  })

  it('with writeOnRead, waits outside the read slots for a busy pipeline, and apply() waits for it', async () => {
    east.runs.set('prod-app', [run('busy-run', 'InProgress', clock.ago(60))])
    clock.onSleep = () => {
      const first = east.runs.get('prod-app')?.[0]
      if (first) first.status = 'Succeeded'
    }
    const s = store(
      { pipelines: 'prod-app, dev-app' },
      { writeOnRead: true, limit: createLimit(1) }
    )
    await s.plan()
    expect(east.writes.map((w) => w['name'])).toContain('dev-app')
    await s.apply()
    expect(east.writes.map((w) => w['name']).sort()).toEqual(['dev-app', 'prod-app'])
    expect(resultOf(s, 'prod-app')).toMatchObject({
      status: 'updated',
      runs: { outcome: 'waited', executions: ['busy-run'] }
    })
    expect(clock.sleeps).toEqual([expect.any(Number)])
  })

  it('tells onPlanned about each planned target, in its slot, before it is written', async () => {
    east.onState = (name) => {
      if (name === 'dev-app') throw awsError('ThrottlingException', 'Rate exceeded')
    }
    east.add(pipeline('other-app', [githubSource('App', 'other')], 3))
    const told: string[] = []
    const s = pipelineStore(setup({ pipelines: '*' }), {
      apiFor,
      limit: now,
      token: new SealedToken(TOKEN),
      writeOnRead: true,
      clock
    })
    s.onPlanned((target) => {
      const written = east.writes.some((w) => w['name'] === target.name)
      told.push(`${target.name} ${target.result.status}${written ? ' written' : ''}`)
    })
    await s.plan()
    await s.apply()
    // dev-app failed its look, prod-conn holds no token: neither is a planned target.
    expect(told.sort()).toEqual(['other-app planned', 'prod-app planned'])
    expect(east.writes.map((w) => w['name']).sort()).toEqual(['other-app', 'prod-app'])

    // A dry run tells it too (the token check reads the targets it is told of).
    told.length = 0
    east.writes.length = 0
    const dry = pipelineStore(setup({ pipelines: '*', 'dry-run': 'true' }), {
      apiFor,
      limit: now,
      token: new SealedToken(TOKEN),
      writeOnRead: false,
      clock
    })
    dry.onPlanned((target) => told.push(target.name))
    await dry.plan()
    expect(told.sort()).toEqual(['other-app', 'prod-app'])
    expect(east.writes).toEqual([])
  })

  it('reports a write that fails during writeOnRead like one in apply', async () => {
    east.failures.update = awsError('InternalFailure', 'boom')
    const s = store({ pipelines: 'prod-app' }, { writeOnRead: true })
    await s.plan()
    await s.apply()
    expect(s.report().failures).toEqual(['us-east-1 pipeline prod-app: InternalFailure: boom'])
  })

  it('reports outputs, failures and a headline', async () => {
    const s = store({ pipelines: 'prod-app, missing' })
    await s.plan()
    await s.apply()
    const report = s.report()
    expect(report.outputs['updated']).toEqual([arnOf('us-east-1', 'prod-app')])
    expect(report.failures).toEqual([
      "us-east-1 pipeline missing: pipeline 'missing' does not exist in us-east-1: check the name and the regions input"
    ])
    expect(report.headline).toBe('Pipelines: 1 failed, 1 updated')
    expect(report.sections[0]?.rows).toHaveLength(2)
    expect(report.lines.map((l) => l.line)).toEqual([
      expect.stringMatching(/^failed\s+pipeline missing/),
      expect.stringMatching(/^updated\s+pipeline prod-app \[Source\/App, Source\/Lib\] v3 → v4$/)
    ])
    expect(report.holdouts).toEqual([])
  })

  it('shows the runs in flight in the summary table', async () => {
    const s = store({ pipelines: 'prod-app' })
    await s.plan()
    await s.apply()
    const [section] = s.report().sections
    expect(section?.headers).toEqual([
      'Region',
      'Pipeline',
      'GitHub actions patched',
      'Version',
      'Runs in flight',
      'Status'
    ])
    expect(section?.rows).toEqual([
      ['us-east-1', 'prod-app', 'Source/App, Source/Lib', '3 → 4', 'none in flight', '✅ updated']
    ])
  })
})

describe('pipelineStore: runs in flight', () => {
  beforeEach(() => {
    east.runs.set('prod-app', [
      run('0123456789abcdef', 'InProgress', clock.ago(720)),
      run('done', 'Succeeded', clock.ago(3600))
    ])
  })

  it.each([
    [
      'wait',
      '30',
      '0123456789abcdef (InProgress for 12 min) in flight: in-progress wait would write it once that ends (up to 30 min) (this run); skip would leave it for a later run; proceed would write now, which stops that run, then start it again'
    ],
    [
      'wait',
      '0',
      '0123456789abcdef (InProgress for 12 min) in flight: in-progress wait would fail it at once (in-progress-timeout 0) (this run); skip would leave it for a later run; proceed would write now, which stops that run, then start it again'
    ],
    [
      'skip',
      '30',
      '0123456789abcdef (InProgress for 12 min) in flight: in-progress skip would leave it for a later run (this run); wait would write it once that ends (up to 30 min); proceed would write now, which stops that run, then start it again'
    ],
    [
      'proceed',
      '30',
      '0123456789abcdef (InProgress for 12 min) in flight: in-progress proceed would write now, which stops that run, then start it again (this run); wait would write it once that ends (up to 30 min); skip would leave it for a later run'
    ]
  ])(
    'says in a dry run what in-progress: %s (timeout %s) would do with a busy pipeline',
    async (mode, timeout, note) => {
      const s = store({
        pipelines: 'prod-app, dev-app',
        'dry-run': 'true',
        'in-progress': mode,
        'in-progress-timeout': timeout
      })
      await s.plan()
      expect(resultOf(s, 'prod-app')).toMatchObject({
        status: 'planned',
        runs: { outcome: 'busy', executions: ['0123456789abcdef'] },
        note
      })
      expect(resultOf(s, 'dev-app')).toMatchObject({
        status: 'planned',
        runs: { outcome: 'idle', executions: [] }
      })
      expect(resultOf(s, 'dev-app')?.note).toBeUndefined()
      expect(s.report().sections[0]?.rows.map((r) => r[4])).toEqual([
        'none in flight',
        '01234567 in flight'
      ])
      expect(east.writes).toEqual([])
    }
  )

  it('fails only the pipeline whose runs cannot be listed at plan', async () => {
    east.onList = (name) => {
      if (name === 'prod-app') {
        throw awsError(
          'AccessDeniedException',
          'User: x is not authorized to perform: codepipeline:ListPipelineExecutions'
        )
      }
    }
    const s = store({ pipelines: 'prod-app, dev-app' })
    await s.plan()
    expect(resultOf(s, 'prod-app')).toMatchObject({
      status: 'failed',
      error:
        "AccessDeniedException: User: x is not authorized to perform: codepipeline:ListPipelineExecutions — the role needs permission codepipeline:ListPipelineExecutions (see the README's IAM policy)"
    })
    expect(s.targets().map((t) => t.name)).toEqual(['dev-app'])
    await s.apply()
    expect(east.writes.map((w) => w['name'])).toEqual(['dev-app'])
    expect(resultOf(s, 'dev-app')?.status).toBe('updated')
    expect(s.report().failures).toEqual([
      expect.stringMatching(/^us-east-1 pipeline prod-app: AccessDeniedException: User: x/)
    ])
  })

  it('fails only the pipeline whose GetPipelineState fails at plan', async () => {
    east.onState = (name) => {
      if (name === 'prod-app') throw awsError('AccessDeniedException', 'denied')
    }
    const s = store({ pipelines: 'prod-app, dev-app' })
    await s.plan()
    expect(resultOf(s, 'prod-app')).toMatchObject({
      status: 'failed',
      error:
        "AccessDeniedException: denied — the role needs permission codepipeline:GetPipelineState (see the README's IAM policy)"
    })
    await s.apply()
    expect(east.writes.map((w) => w['name'])).toEqual(['dev-app'])
  })

  it('says in a dry run which runs are in flight from the plan’s look alone', async () => {
    east.runs.get('prod-app')?.unshift(run('queued', 'InProgress', clock.ago(5)))
    const s = store({ pipelines: 'prod-app', 'dry-run': 'true' })
    await s.plan()
    expect(resultOf(s, 'prod-app')?.runs).toEqual({
      outcome: 'busy',
      executions: ['queued', '0123456789abcdef']
    })
    expect(east.calls.filter((c) => !c.startsWith('get') && c !== 'owners')).toEqual([
      'state prod-app',
      'executions prod-app'
    ])
  })

  it('reports a pipeline skipped while busy as a holdout and a warning', async () => {
    const s = store({ pipelines: 'prod-app, dev-app', 'in-progress': 'skip' })
    await s.plan()
    await s.apply()
    const report = s.report()
    expect(report.headline).toBe('Pipelines: 1 updated, 1 skipped')
    expect(report.outputs['updated']).toEqual([arnOf('us-east-1', 'dev-app')])
    expect(report.failures).toEqual([])
    expect(report.holdouts).toEqual([
      'pipeline prod-app in us-east-1 was skipped while a run was in flight and still holds the old token'
    ])
    expect(report.warnings).toEqual([
      'us-east-1 pipeline prod-app: not written: 0123456789abcdef (InProgress for 12 min) was running (in-progress: skip); a later run rotates it'
    ])
    expect(report.sections[0]?.rows.find((r) => r[1] === 'prod-app')?.[4]).toBe(
      'skipped: 01234567 was running'
    )
  })

  it('waits for a busy pipeline in apply, and writes it once its run ends', async () => {
    clock.onSleep = () => {
      const first = east.runs.get('prod-app')?.[0]
      if (first) first.status = 'Succeeded'
    }
    const s = store({ pipelines: 'prod-app' })
    await s.plan()
    expect(east.writes).toEqual([])
    await s.apply()
    expect(clock.sleeps).toHaveLength(1)
    expect(resultOf(s, 'prod-app')).toMatchObject({
      status: 'updated',
      runs: { outcome: 'waited', executions: ['0123456789abcdef'] }
    })
  })
})

describe('pipelineStore: freshMs', () => {
  it("lets apply() reuse the plan's check of the runs while it is fresh", async () => {
    const reused = pipelineStore(setup({ pipelines: 'prod-app' }), {
      apiFor,
      limit: now,
      token: new SealedToken(TOKEN),
      writeOnRead: false,
      clock,
      freshMs: 60_000
    })
    await reused.plan()
    clock.time += 60_000
    await reused.apply()
    expect(east.calls.filter((c) => c.endsWith('prod-app') && !c.startsWith('get'))).toEqual([
      'state prod-app',
      'update prod-app',
      'executions prod-app'
    ])
    // Older than freshMs, the check is taken again right before the write.
    east.calls.length = 0
    const again = pipelineStore(setup({ pipelines: 'prod-app' }), {
      apiFor,
      limit: now,
      token: new SealedToken(TOKEN),
      writeOnRead: false,
      clock,
      freshMs: 0
    })
    await again.plan()
    clock.time += 1
    await again.apply()
    expect(east.calls.filter((c) => c.endsWith('prod-app') && !c.startsWith('get'))).toEqual([
      'state prod-app',
      'state prod-app',
      'update prod-app',
      'executions prod-app'
    ])
  })

  it('counts a look of 1 s or less as fresh by default (right before the write)', async () => {
    const calls = async (age: number) => {
      east.calls.length = 0
      const s = store({ pipelines: 'prod-app' })
      await s.plan()
      clock.time += age
      await s.apply()
      return east.calls.filter((c) => c === 'state prod-app').length
    }
    expect(await calls(1000)).toBe(1)
    expect(await calls(1001)).toBe(2)
  })
})

describe('pipelineStore: holdouts', () => {
  it('names a stack-owned pipeline when follow-stacks is false', async () => {
    const s = store({ pipelines: 'dev-app', 'follow-stacks': 'false' })
    await s.plan()
    await s.apply()
    const report = s.report()
    expect(report.holdouts).toEqual([
      'pipeline dev-app in us-east-1 belongs to stack dev-stack, whose template was not followed (follow-stacks: false) and may bring the old token back'
    ])
    expect(report.warnings).toEqual([
      "Pipeline 'dev-app' in us-east-1 belongs to CloudFormation stack 'dev-stack': update the template's token source too (a NoEcho parameter or a {{resolve:secretsmanager:...}} dynamic reference — see the secrets input), or the next stack update brings the old token back."
    ])
    expect(report.sections[0]?.rows[0]?.[1]).toBe('dev-app (stack dev-stack)')
  })

  it('does not name a stack-owned pipeline the stack store follows', async () => {
    const s = store({ pipelines: 'dev-app' })
    await s.plan()
    await s.apply()
    expect(s.report().holdouts).toEqual([])
    expect(s.owned().map((o) => o.stack)).toEqual(['dev-stack'])
  })

  it('names a pipeline whose tags could not be read', async () => {
    east.failures.owners = awsError('AccessDeniedException', 'no lookup')
    east.failures.tags = awsError('AccessDeniedException', 'no tags')
    const s = store({ pipelines: 'prod-app' })
    await s.plan()
    await s.apply()
    const report = s.report()
    expect(resultOf(s, 'prod-app')?.status).toBe('updated')
    expect(report.holdouts).toEqual([
      'whether a CloudFormation stack owns pipeline prod-app in us-east-1 is not known (its tags could not be read)'
    ])
  })
})
