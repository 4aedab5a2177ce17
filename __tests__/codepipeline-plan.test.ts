import { jest, describe, it, expect, beforeEach, afterEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import { FakeClock, FakeRegion, arnOf, awsError, run } from '../__fixtures__/pipelines.js'
import { connectionSource, githubSource, pipeline } from '../test-support/pipelines.js'
import { createLimit, type Limit } from '../src/core/limit.js'
import type { StackOwner } from '../src/stores/codepipeline/api.js'
import type { PipelineResult, PipelineTarget } from '../src/stores/codepipeline/types.js'

jest.unstable_mockModule('@actions/core', () => core)
const { selectCandidates, pipelineRegions, planRegionPipelines, forgiveMissingNames } =
  await import('../src/stores/codepipeline/plan.js')
const { pipelineStore } = await import('../src/stores/codepipeline/store.js')
const { parseInputs } = await import('../src/inputs/parse.js')
const { SealedToken } = await import('../src/core/sealed-token.js')

const TOKEN = 'unit-token-0123456789'
const now: Limit = (task) => task()

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

let east: FakeRegion
let west: FakeRegion
const apiFor = (region: string) => (region === 'eu-west-1' ? west : east)

function store(values: Record<string, string>, writeOnRead = false, limit = now) {
  return pipelineStore(setup(values), {
    apiFor,
    limit,
    token: new SealedToken(TOKEN),
    writeOnRead,
    clock: new FakeClock()
  })
}

type Store = ReturnType<typeof store>
const results = (s: Store) => s.report().outputs['report'] as PipelineResult[]
const resultOf = (s: Store, pipelineName: string, region = 'us-east-1') =>
  results(s).find((r) => r.pipeline === pipelineName && r.region === region)

beforeEach(() => {
  core.resetCore()
  east = new FakeRegion('us-east-1')
    .add(pipeline('prod-app', [githubSource('App', 'app'), githubSource('Lib', 'lib')], 3))
    .add(pipeline('prod-conn', [connectionSource('Conn')], 3))
    .add(pipeline('dev-app', [githubSource('App', 'app')], 3), {
      'aws:cloudformation:stack-name': 'dev-stack',
      'aws:cloudformation:logical-id': 'DevPipeline'
    })
  west = new FakeRegion('eu-west-1').add(pipeline('prod-app', [githubSource('App', 'app')], 9))
})

describe('selectCandidates', () => {
  it('unions names, ARNs and pattern matches without duplicates, names first', () => {
    const selected = selectCandidates(
      [
        { kind: 'glob', entry: 'prod-*', pattern: 'prod-*' },
        { kind: 'name', entry: 'prod-app', name: 'prod-app' },
        { kind: 'glob', entry: '*-app', pattern: '*-app' },
        {
          kind: 'arn',
          entry: arnOf('us-east-1', 'other'),
          name: 'other',
          region: 'us-east-1',
          account: '123456789012',
          arn: arnOf('us-east-1', 'other')
        }
      ],
      ['prod-app', 'prod-conn', 'dev-app', 'other']
    )
    expect(selected).toEqual([
      { name: 'dev-app', explicit: false },
      {
        name: 'other',
        explicit: true,
        arn: arnOf('us-east-1', 'other'),
        account: '123456789012'
      },
      { name: 'prod-app', explicit: true },
      { name: 'prod-conn', explicit: false }
    ])
  })

  it('matches ? as one character and * as everything', () => {
    const names = ['a1', 'a22', 'b1', '.hidden']
    expect(
      selectCandidates([{ kind: 'glob', entry: 'a?', pattern: 'a?' }], names).map((c) => c.name)
    ).toEqual(['a1'])
    expect(selectCandidates([{ kind: 'glob', entry: '*', pattern: '*' }], names)).toHaveLength(4)
    expect(selectCandidates([{ kind: 'glob', entry: '*', pattern: '*' }], undefined)).toEqual([])
  })
})

describe('pipelineRegions', () => {
  it('is the listed regions when a name or pattern is given, plus the regions ARNs name', () => {
    expect(
      pipelineRegions(
        setup({ pipelines: `app\n${arnOf('eu-west-1', 'x')}`, regions: 'us-east-1,us-west-2' })
      )
    ).toEqual(['us-east-1', 'us-west-2', 'eu-west-1'])
    expect(
      pipelineRegions(setup({ pipelines: arnOf('eu-west-1', 'x'), regions: 'us-east-1' }))
    ).toEqual(['eu-west-1'])
    expect(pipelineRegions(setup({ pipelines: '', secrets: 'ci/github' }))).toEqual([])
  })
})

describe('planning', () => {
  it('plans GitHub pipelines, skips the rest, warns for stacks, and reads nothing it need not', async () => {
    // Busy: only the target's runs are listed.
    east.runs.set('prod-conn', [run('conn-run')])
    east.runs.set('dev-app', [run('dev-run')])
    const s = store({
      pipelines: 'prod-*\ndev-app',
      regions: 'us-east-1,eu-west-1',
      'dry-run': 'true',
      'follow-stacks': 'false'
    })
    await s.plan()
    const summary = results(s)
      .map((r) => `${r.region} ${r.pipeline} ${r.status} ${r.githubActions.join('+')}`)
      .sort()
    expect(summary).toEqual([
      'eu-west-1 dev-app skipped ',
      'eu-west-1 prod-app planned Source/App',
      'us-east-1 dev-app planned Source/App',
      'us-east-1 prod-app planned Source/App+Source/Lib',
      'us-east-1 prod-conn skipped '
    ])
    expect(s.targets()).toHaveLength(3)
    // Named, and found in us-east-1: absent from eu-west-1 is a skip, not a failure.
    expect(resultOf(s, 'dev-app', 'eu-west-1')).toMatchObject({
      status: 'skipped',
      note: 'not in eu-west-1 (found in us-east-1)'
    })
    expect(resultOf(s, 'dev-app', 'eu-west-1')).not.toHaveProperty('error')
    const warnings = s.report().warnings.join('\n')
    expect(warnings).toMatch(/skipped 1 matching pipeline\(s\).*prod-conn/)
    expect(warnings).toMatch(/CloudFormation stack 'dev-stack'.*old token back/)
    // Read-only: no write, no start, no per-pipeline tag read (one owner lookup
    // per region). GetPipelineState is asked beside every GetPipeline; the runs
    // are listed only for a target it shows busy.
    expect(
      [...east.calls, ...west.calls].filter((c) => !/^(get|list|owners)/.test(c)).sort()
    ).toEqual([
      'executions dev-app',
      'state dev-app',
      'state dev-app',
      'state prod-app',
      'state prod-app',
      'state prod-conn'
    ])
    expect(
      s
        .targets()
        .find((t) => t.name === 'dev-app')
        ?.runsSeen?.runs.map((r) => r.id)
    ).toEqual(['dev-run'])
    expect(east.calls.filter((c) => c === 'owners')).toHaveLength(1)
    expect(west.calls.filter((c) => c === 'owners')).toHaveLength(1)
  })

  it('fails a name found in no listed region, and an ARN whose region lacks it', async () => {
    const s = store({
      pipelines: `typo-app\n${arnOf('eu-west-1', 'dev-app')}`,
      regions: 'us-east-1,eu-west-1'
    })
    await s.plan()
    expect(
      results(s)
        .map((r) => `${r.region} ${r.pipeline} ${r.status}`)
        .sort()
    ).toEqual([
      'eu-west-1 dev-app failed',
      'eu-west-1 typo-app failed',
      'us-east-1 typo-app failed'
    ])
    expect(resultOf(s, 'dev-app', 'eu-west-1')?.error).toBe(
      "pipeline 'dev-app' does not exist in eu-west-1: check the name and the regions input"
    )
  })

  it("takes stack owners from one lookup per region instead of reading each pipeline's tags", async () => {
    east.owners = async () =>
      new Map<string, StackOwner>([
        [arnOf('us-east-1', 'prod-app'), { stack: 'prod-stack', logicalId: 'ProdPipeline' }]
      ])
    east.failures.tags = awsError('AccessDeniedException', 'ListTagsForResource must not be called')
    const s = store({ pipelines: 'prod-app, dev-app' })
    await s.plan()
    expect(east.calls.filter((c) => c === 'owners')).toHaveLength(1)
    expect(east.calls.filter((c) => c.startsWith('tags'))).toEqual([])
    const stacks = Object.fromEntries(results(s).map((r) => [r.pipeline, r.stack ?? null]))
    // dev-app's own tag is not consulted: the lookup is the source of truth.
    expect(stacks).toEqual({ 'prod-app': 'prod-stack', 'dev-app': null })
    expect(results(s).every((r) => r.note === undefined)).toBe(true)
    // The lookup gives the logical ID too, for the stack store.
    expect(s.owned()).toEqual([
      {
        region: 'us-east-1',
        pipeline: 'prod-app',
        stack: 'prod-stack',
        logicalId: 'ProdPipeline',
        result: resultOf(s, 'prod-app')
      }
    ])
  })

  it('never holds back a read or a write for the stack lookup, and warns once it answers', async () => {
    let answer: (owners: Map<string, StackOwner>) => void = () => {}
    east.owners = () => new Promise((resolve) => (answer = resolve))
    const s = store({ pipelines: '*', 'follow-stacks': 'false' }, true)
    const planning = s.plan()
    // Every target read and written (writeOnRead) while the lookup is still out.
    for (let i = 0; i < 50 && east.writes.length < 2; i++) await new Promise(setImmediate)
    expect(east.writes.map((p) => p['name']).sort()).toEqual(['dev-app', 'prod-app'])
    answer(
      new Map([[arnOf('us-east-1', 'prod-app'), { stack: 'prod-stack', logicalId: undefined }]])
    )
    await planning
    await s.apply()
    expect(resultOf(s, 'prod-app')).toMatchObject({ status: 'updated', stack: 'prod-stack' })
    expect(s.report().warnings.filter((w) => w.includes('CloudFormation stack'))).toEqual([
      expect.stringMatching(
        /^Pipeline 'prod-app' in us-east-1 belongs to CloudFormation stack 'prod-stack'/
      )
    ])
    expect(s.owned()).toEqual([
      expect.objectContaining({ pipeline: 'prod-app', logicalId: undefined })
    ])
  })

  // The warning is for follow-stacks: false; with true the stack store follows the template.
  it('does not warn about a stack it follows', async () => {
    const s = store({ pipelines: 'dev-app' })
    await s.plan()
    expect(resultOf(s, 'dev-app')?.stack).toBe('dev-stack')
    expect(s.report().warnings).toEqual([])
    expect(s.owned()).toEqual([
      expect.objectContaining({ pipeline: 'dev-app', stack: 'dev-stack', logicalId: 'DevPipeline' })
    ])
  })

  it('keeps the retry note when the tags cannot be read either', async () => {
    east.attempts = 2
    east.versionBump = 2
    east.failures.owners = awsError(
      'AccessDeniedException',
      'not authorized to perform: tag:GetResources'
    )
    east.failures.tags = awsError(
      'AccessDeniedException',
      'not authorized to perform: codepipeline:ListTagsForResource'
    )
    for (const writeOnRead of [true, false]) {
      east.pipelines.set('dev-app', pipeline('dev-app', [githubSource('App', 'app')], 3))
      const s = store({ pipelines: 'dev-app' }, writeOnRead)
      await s.plan()
      await s.apply()
      const [result] = results(s)
      expect(result?.status).toBe('updated')
      expect(result?.note).toContain(
        'the SDK retried UpdatePipeline (2 attempts); the version went from 3 to 5'
      )
      expect(result?.note).toMatch(/CloudFormation ownership not checked: .*ListTagsForResource/)
    }
  })

  it("falls back to each pipeline's tags when the region lookup is refused", async () => {
    east.failures.owners = awsError(
      'AccessDeniedException',
      'not authorized to perform: tag:GetResources'
    )
    const s = store({ pipelines: 'dev-app' })
    await s.plan()
    expect(resultOf(s, 'dev-app')?.stack).toBe('dev-stack')
    expect(s.owned()[0]?.logicalId).toBe('DevPipeline')
    expect(east.calls).toContain(`tags ${arnOf('us-east-1', 'dev-app')}`)
  })

  it('warns by name when a named pipeline holds no GitHub token', async () => {
    const s = store({ pipelines: 'prod-conn' })
    await s.plan()
    expect(results(s)[0]?.status).toBe('skipped')
    expect(s.report().warnings[0]).toMatch(/'prod-conn' in us-east-1 holds no GitHub OAuth token/)
  })

  // A GitHub action of another version is not a GitHub (version 1) source.
  it('skips a pipeline whose only GitHub action is not version 1, and never writes it', async () => {
    const next = githubSource('Next', 'next', {
      extra: {
        actionTypeId: { category: 'Source', owner: 'ThirdParty', provider: 'GitHub', version: '2' }
      }
    })
    east.add(pipeline('next-app', [next], 3))
    const s = store({ pipelines: 'next-app' })
    await s.plan()
    await s.apply()
    expect(results(s)[0]).toMatchObject({ status: 'skipped', githubActions: [] })
    expect(east.writes).toEqual([])
  })

  // Such an action is never written as if it had no configuration.
  it('fails a pipeline whose GitHub action has a configuration that is not an object, and never writes it', async () => {
    const odd = githubSource('Odd', 'odd', { extra: { configuration: 'OAuthToken=x' } })
    east.add(pipeline('odd-app', [githubSource('App', 'app'), odd], 3))
    const s = store({ pipelines: 'odd-app, prod-app' })
    await s.plan()
    await s.apply()
    expect(resultOf(s, 'odd-app')).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(
        /^the GitHub source action 'Source\/Odd' has a configuration that is a string/
      )
    })
    expect(resultOf(s, 'prod-app')?.status).toBe('updated')
    expect(east.writes.map((p) => p['name'])).toEqual(['prod-app'])
    expect(s.targets().map((t) => t.name)).toEqual(['prod-app'])
  })

  it('warns when a pattern matches nothing', async () => {
    const s = store({ pipelines: 'nothing-*' })
    await s.plan()
    expect(results(s)).toEqual([])
    expect(s.report().warnings).toEqual(["pipelines: 'nothing-*' matched no pipeline in us-east-1"])
  })

  it('uses the ARN region and refuses an ARN of another account', async () => {
    east.runs.set('prod-app', [run('busy-run')])
    const s = store({
      pipelines: `${arnOf('eu-west-1', 'prod-app')}\n${arnOf('us-east-1', 'prod-app', '999999999999')}`,
      regions: ''
    })
    await s.plan()
    const byRegion = Object.fromEntries(results(s).map((r) => [r.region, r]))
    expect(byRegion['eu-west-1']?.status).toBe('planned')
    expect(byRegion['us-east-1']?.status).toBe('failed')
    expect(byRegion['us-east-1']?.error).toMatch(/names account 999999999999.*account 123456789012/)
    expect(east.calls.filter((c) => c.startsWith('executions'))).toEqual([])
  })

  // Without the ARN, the account of an ARN entry cannot be checked.
  it('fails a pipeline named by ARN when GetPipeline answers without its ARN', async () => {
    west.arnFor = () => undefined
    const s = store({ pipelines: arnOf('eu-west-1', 'prod-app'), regions: '' })
    await s.plan()
    await s.apply()
    expect(results(s)[0]).toMatchObject({
      status: 'failed',
      error: `GetPipeline answered without the pipeline's ARN, so its account cannot be checked against 123456789012 from ${arnOf('eu-west-1', 'prod-app')}: nothing was written`
    })
    expect(west.writes).toEqual([])
  })

  // The ARN GetPipeline answers with must be the pipeline asked for.
  it.each([
    ['another partition', 'arn:aws-cn:codepipeline:us-east-1:123456789012:prod-app'],
    ['another region', arnOf('us-west-2', 'prod-app')],
    ['another pipeline', arnOf('us-east-1', 'other-app')],
    ['something that is no ARN', 'prod-app']
  ])('fails a pipeline whose GetPipeline ARN names %s', async (_what, arn) => {
    east.arnFor = () => arn
    const s = store({ pipelines: 'prod-app' })
    await s.plan()
    await s.apply()
    expect(results(s)[0]).toMatchObject({
      status: 'failed',
      arn,
      error: `GetPipeline for 'prod-app' in us-east-1 answered for ${arn}, not arn:aws:codepipeline:us-east-1:…:prod-app: nothing was written — check AWS_ENDPOINT_URL and the regions input`
    })
    expect(east.writes).toEqual([])
  })

  it('fails the pattern, not the run, when listing is denied', async () => {
    east.failures.list = awsError('AccessDeniedException', 'not authorized')
    const s = store({ pipelines: 'prod-*,dev-app' })
    await s.plan()
    const failed = resultOf(s, 'prod-*')
    expect(failed?.error).toMatch(/needs permission codepipeline:ListPipelines/)
    expect(resultOf(s, 'dev-app')?.status).toBe('planned')
    // No listing, so no "matched nothing" warning either.
    expect(s.report().warnings).toEqual([])
  })

  it('reports a GetPipeline error and a tags error without stopping', async () => {
    east.failures.owners = awsError('AccessDeniedException', 'no lookup')
    east.failures.tags = awsError('AccessDeniedException', 'no tags for you')
    let s = store({ pipelines: 'dev-app' })
    await s.plan()
    expect(results(s)[0]?.status).toBe('planned')
    expect(results(s)[0]?.note).toMatch(
      /CloudFormation ownership not checked.*codepipeline:ListTagsForResource/
    )
    east.failures.get = awsError('InternalError', 'boom')
    s = store({ pipelines: 'dev-app' })
    await s.plan()
    expect(results(s)[0]).toMatchObject({ status: 'failed', error: 'InternalError: boom' })
  })

  it('names at most 20 pipelines a pattern matched but skipped, then counts the rest', async () => {
    const names = Array.from({ length: 23 }, (_, i) => `conn-${String(i).padStart(2, '0')}`)
    for (const name of [...names].reverse()) east.add(pipeline(name, [connectionSource('Conn')], 3))
    const s = store({ pipelines: 'conn-*' })
    await s.plan()
    expect(results(s).map((r) => r.status)).toEqual(Array(23).fill('skipped'))
    expect(s.report().warnings).toEqual([
      `us-east-1: skipped 23 matching pipeline(s) with no GitHub (version 1) source action, so no OAuth token to rotate: ${names.slice(0, 20).join(', ')} and 3 more`
    ])
    east.pipelines.clear()
    east.add(pipeline('conn-a', [connectionSource('Conn')], 3))
    const one = store({ pipelines: 'conn-*' })
    await one.plan()
    expect(one.report().warnings).toEqual([
      'us-east-1: skipped 1 matching pipeline(s) with no GitHub (version 1) source action, so no OAuth token to rotate: conn-a'
    ])
  })

  it('skips a pattern-matched pipeline deleted after listing', async () => {
    const original = east.getPipeline.bind(east)
    east.getPipeline = async (name) => {
      if (name === 'dev-app') throw awsError('PipelineNotFoundException')
      return original(name)
    }
    const s = store({ pipelines: 'dev-*' })
    await s.plan()
    expect(results(s)[0]).toMatchObject({
      status: 'skipped',
      note: 'deleted after it was listed'
    })
    expect(results(s)[0]?.error).toBeUndefined()
    expect(s.report().failures).toEqual([])
  })
})

describe('planRegionPipelines', () => {
  const hooks = (planned: (target: PipelineTarget) => Promise<void> = async () => {}) => ({
    planned,
    now: () => 1_234
  })

  it('hands each target to planned once it is read, before the stack lookup answers', async () => {
    let answer: (owners: Map<string, StackOwner>) => void = () => {}
    east.owners = () => new Promise((resolve) => (answer = resolve))
    const seen: string[] = []
    let done = false
    const planning = planRegionPipelines(
      'us-east-1',
      setup({ pipelines: '*' }),
      east,
      now,
      hooks(async (target) => {
        seen.push(target.name)
      })
    ).finally(() => (done = true))
    for (let i = 0; i < 50 && seen.length < 2; i++) await new Promise(setImmediate)
    expect(seen.sort()).toEqual(['dev-app', 'prod-app'])
    expect(done).toBe(false)
    answer(new Map())
    const plan = await planning
    expect(plan.targets.map((t) => t.name).sort()).toEqual(['dev-app', 'prod-app'])
    expect(plan.targets.find((t) => t.name === 'prod-app')?.actions.map((a) => a.repo)).toEqual([
      'app',
      'lib'
    ])
    expect(plan.results).toHaveLength(3)
    expect(plan.missing).toEqual([])
  })

  it('calls planned outside the target’s read slot: the next read does not wait for it', async () => {
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    const order: string[] = []
    const planning = planRegionPipelines(
      'us-east-1',
      setup({ pipelines: 'dev-app, prod-app' }),
      east,
      createLimit(1),
      hooks(async (target) => {
        order.push(`planned ${target.name}`)
        if (target.name === 'dev-app') await held
      })
    )
    for (let i = 0; i < 20; i++) await new Promise(setImmediate)
    // dev-app's hook is still running (its write, say), and prod-app was read meanwhile.
    expect(order).toEqual(['planned dev-app', 'planned prod-app'])
    expect(east.calls.filter((c) => c.startsWith('get'))).toEqual(['get dev-app', 'get prod-app'])
    let done = false
    void planning.then(() => (done = true))
    await new Promise(setImmediate)
    expect(done).toBe(false)
    release()
    await planning
  })

  it('holds the read slot for GetPipeline only: a slow GetPipelineState does not hold back the next read', async () => {
    let answer: () => void = () => {}
    const slowState = new Promise<void>((resolve) => (answer = resolve))
    east.onState = (name) => (name === 'dev-app' ? slowState : undefined)
    const seen: string[] = []
    const planning = planRegionPipelines(
      'us-east-1',
      setup({ pipelines: 'dev-app, prod-app' }),
      east,
      createLimit(1),
      hooks(async (target) => {
        seen.push(target.name)
      })
    )
    for (let i = 0; i < 20; i++) await new Promise(setImmediate)
    expect(east.calls.filter((c) => c.startsWith('get'))).toEqual(['get dev-app', 'get prod-app'])
    // prod-app is planned; dev-app waits for its look, and is planned once it answers.
    expect(seen).toEqual(['prod-app'])
    answer()
    const plan = await planning
    expect(seen).toEqual(['prod-app', 'dev-app'])
    expect(plan.targets.find((t) => t.name === 'dev-app')?.runsSeen).toEqual({
      at: 1_234,
      runs: []
    })
  })

  it('hands planned only the targets still planned', async () => {
    east.onState = (name) => {
      if (name === 'prod-app') throw awsError('ThrottlingException', 'Rate exceeded')
    }
    const seen: string[] = []
    const plan = await planRegionPipelines(
      'us-east-1',
      setup({ pipelines: '*' }),
      east,
      now,
      hooks(async (target) => {
        seen.push(target.name)
      })
    )
    expect(seen).toEqual(['dev-app'])
    expect(plan.targets.find((t) => t.name === 'prod-app')?.result.status).toBe('failed')
  })
})

describe('planRegionPipelines: the look at runs in flight', () => {
  const hooks = { planned: async () => {}, now: () => 1_234 }
  const plan = (pipelines: string, api: FakeRegion = east) =>
    planRegionPipelines(api.region, setup({ pipelines }), api, now, hooks)
  const rejections: unknown[] = []
  const onRejection = (reason: unknown) => rejections.push(reason)
  beforeEach(() => {
    rejections.length = 0
    process.on('unhandledRejection', onRejection)
  })
  afterEach(() => {
    process.off('unhandledRejection', onRejection)
  })
  /** Lets any unhandled rejection surface. */
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0))
  }

  it('asks GetPipelineState beside GetPipeline for every candidate, before knowing it is a target', async () => {
    const original = east.getPipeline.bind(east)
    east.getPipeline = async (name) => {
      if (name === 'broken') throw awsError('InternalError', 'boom')
      return original(name)
    }
    await plan('*, missing, broken')
    const asked = (name: string) => east.calls.filter((c) => c.endsWith(` ${name}`))
    for (const name of ['dev-app', 'prod-app', 'prod-conn']) {
      expect(asked(name).slice(0, 2)).toEqual([`state ${name}`, `get ${name}`])
    }
    // Named but absent, or unreadable: asked all the same.
    expect(east.calls).toContain('state missing')
    expect(east.calls).toContain('state broken')
  })

  it('fills each target’s check with the time and the runs in flight only', async () => {
    east.runs.set('prod-app', [
      run('b', 'Stopping'),
      run('a', 'InProgress'),
      run('done', 'Succeeded')
    ])
    east.runs.set('dev-app', [run('old', 'Succeeded')])
    const { targets } = await plan('prod-app, dev-app')
    const check = (name: string) => targets.find((t) => t.name === name)?.runsSeen
    expect(check('prod-app')?.at).toBe(1_234)
    expect(check('prod-app')?.runs.map((r) => r.id)).toEqual(['b', 'a'])
    expect(check('dev-app')).toEqual({ at: 1_234, runs: [] })
    expect(east.calls.filter((c) => c.startsWith('executions'))).toEqual(['executions prod-app'])
  })

  it('always lists the runs of a PARALLEL target, and needs no GetPipelineState for it', async () => {
    east.add(
      pipeline('side', [githubSource('App', 'app')], {
        version: 3,
        extra: { executionMode: 'PARALLEL' }
      }),
      {},
      [run('side-1'), run('side-2', 'Succeeded')]
    )
    east.failures.state = awsError('AccessDeniedException', 'denied')
    const { targets } = await plan('side')
    expect(targets[0]?.result.status).toBe('planned')
    expect(targets[0]?.runsSeen?.runs.map((r) => r.id)).toEqual(['side-1'])
    expect(east.calls).toContain('executions side')
    await settle()
    expect(rejections).toEqual([])
  })

  it('ignores a GetPipelineState failure of a pipeline that turns out to be no target', async () => {
    east.onState = (name) => {
      if (name !== 'dev-app') throw awsError('AccessDeniedException', 'denied')
    }
    const original = east.getPipeline.bind(east)
    east.getPipeline = async (name) => {
      if (name === 'broken') throw awsError('InternalError', 'boom')
      return original(name)
    }
    const result = await plan('prod-conn, missing, broken, dev-app')
    const status = Object.fromEntries(result.results.map((r) => [r.pipeline, r.status]))
    expect(status).toEqual({
      'prod-conn': 'skipped',
      missing: 'failed',
      broken: 'failed',
      'dev-app': 'planned'
    })
    expect(result.results.find((r) => r.pipeline === 'broken')?.error).toBe('InternalError: boom')
    expect(result.missing.map((m) => m.name)).toEqual(['missing'])
    await settle()
    expect(rejections).toEqual([])
  })

  it('fails a target whose GetPipelineState fails, naming the permission, and no other', async () => {
    east.onState = (name) => {
      if (name === 'prod-app') throw awsError('AccessDeniedException', 'denied')
    }
    const { targets, results: planned } = await plan('prod-app, dev-app')
    expect(planned.find((r) => r.pipeline === 'prod-app')).toMatchObject({
      status: 'failed',
      error:
        "AccessDeniedException: denied — the role needs permission codepipeline:GetPipelineState (see the README's IAM policy)"
    })
    expect(targets.find((t) => t.name === 'prod-app')?.runsSeen).toBeUndefined()
    expect(planned.find((r) => r.pipeline === 'dev-app')?.status).toBe('planned')
    expect(east.calls.filter((c) => c.startsWith('executions'))).toEqual([])
  })

  it('names ListPipelineExecutions, not GetPipelineState, when the listing is denied without saying which action', async () => {
    east.runs.set('prod-app', [run('a')])
    east.failures.executions = awsError('AccessDeniedException', 'denied')
    const { results: planned } = await plan('prod-app')
    expect(planned.find((r) => r.pipeline === 'prod-app')?.error).toBe(
      "AccessDeniedException: denied — the role needs permission codepipeline:ListPipelineExecutions (see the README's IAM policy)"
    )
  })

  it('fails a target whose runs GetPipelineState showed cannot be listed', async () => {
    east.runs.set('prod-app', [run('a')])
    east.failures.executions = awsError(
      'AccessDeniedException',
      'User: x is not authorized to perform: codepipeline:ListPipelineExecutions'
    )
    const { results: planned } = await plan('prod-app, dev-app')
    expect(planned.find((r) => r.pipeline === 'prod-app')).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/needs permission codepipeline:ListPipelineExecutions/)
    })
    expect(planned.find((r) => r.pipeline === 'dev-app')?.status).toBe('planned')
  })
})

describe('forgiveMissingNames', () => {
  it('forgives only names, found in another region', () => {
    const inputs = setup({ pipelines: `app\n${arnOf('eu-west-1', 'arn-app')}` })
    const failed = (region: string, name: string): PipelineResult => ({
      region,
      pipeline: name,
      status: 'failed',
      githubActions: [],
      repositories: [],
      error: 'missing'
    })
    const missingApp = failed('eu-west-1', 'app')
    const missingArn = failed('eu-west-1', 'arn-app')
    const found: PipelineResult = { ...failed('us-east-1', 'app'), status: 'planned' }
    const foundArn: PipelineResult = { ...failed('us-east-1', 'arn-app'), status: 'planned' }
    forgiveMissingNames(
      inputs,
      [
        { name: 'app', result: missingApp },
        { name: 'arn-app', result: missingArn }
      ],
      [missingApp, missingArn, found, foundArn]
    )
    expect(missingApp).toEqual({
      ...failed('eu-west-1', 'app'),
      status: 'skipped',
      error: undefined,
      note: 'not in eu-west-1 (found in us-east-1)'
    })
    expect(missingApp).not.toHaveProperty('error')
    expect(missingArn).toEqual(failed('eu-west-1', 'arn-app'))
  })
})
