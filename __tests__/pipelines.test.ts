import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import { connectionSource, githubSource, pipeline } from '../__fixtures__/pipelines.js'
import type { JsonObject } from '../src/pipeline-json.js'
import type { PipelineApi } from '../src/codepipeline.js'

jest.unstable_mockModule('@actions/core', () => core)
const { planPipelines, applyPipelines, verifyVersion, selectCandidates, pipelineStore } =
  await import('../src/pipelines.js')
const { parseInputs, readToken } = await import('../src/inputs.js')

const TOKEN = 'unit-token-0123456789'
const now = <T>(task: () => Promise<T>) => task()

function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } })
}

/** An in-memory CodePipeline for one region, recording writes. */
class FakeRegion implements PipelineApi {
  pipelines = new Map<string, JsonObject>()
  tags = new Map<string, Record<string, string>>()
  writes: JsonObject[] = []
  failures: Partial<Record<'list' | 'get' | 'update' | 'tags', Error>> = {}
  stackOwners?: () => Promise<Map<string, string>>
  versionBump = 1
  attempts = 1
  constructor(readonly region: string) {}
  add(p: JsonObject, tags: Record<string, string> = {}) {
    this.pipelines.set(String(p['name']), p)
    this.tags.set(String(p['name']), tags)
    return this
  }
  async listPipelineNames() {
    if (this.failures.list) throw this.failures.list
    return [...this.pipelines.keys()]
  }
  async getPipeline(name: string) {
    if (this.failures.get) throw this.failures.get
    const p = this.pipelines.get(name)
    if (!p) throw awsError('PipelineNotFoundException')
    return {
      pipeline: structuredClone(p),
      arn: `arn:aws:codepipeline:${this.region}:123456789012:${name}`
    }
  }
  async updatePipeline(p: JsonObject) {
    if (this.failures.update) throw this.failures.update
    this.writes.push(p)
    const version = Number(p['version']) + this.versionBump
    this.pipelines.set(String(p['name']), { ...p, version })
    return { version, attempts: this.attempts }
  }
  async listTags(arn: string) {
    if (this.failures.tags) throw this.failures.tags
    return this.tags.get(arn.split(':').pop() ?? '') ?? {}
  }
}

function setup(values: Record<string, string>) {
  core.setInputs({
    token: TOKEN,
    'dry-run': 'false',
    'verify-token': 'false',
    regions: 'us-east-1',
    ...values
  })
  return parseInputs(readToken())
}

let east: FakeRegion
let west: FakeRegion
const apiFor = (region: string) => (region === 'eu-west-1' ? west : east)

beforeEach(() => {
  core.resetCore()
  east = new FakeRegion('us-east-1')
    .add(pipeline('prod-app', [githubSource('App', 'app'), githubSource('Lib', 'lib')]))
    .add(pipeline('prod-conn', [connectionSource('Conn')]))
    .add(pipeline('dev-app', [githubSource('App', 'app')]), {
      'aws:cloudformation:stack-name': 'dev-stack'
    })
  west = new FakeRegion('eu-west-1').add(pipeline('prod-app', [githubSource('App', 'app')], 9))
})

describe('selectCandidates', () => {
  it('unions names, ARNs and pattern matches without duplicates, names first', () => {
    const selected = selectCandidates(
      [
        { kind: 'glob', entry: 'prod-*', pattern: 'prod-*' },
        { kind: 'name', entry: 'prod-app', name: 'prod-app' },
        { kind: 'glob', entry: '*-app', pattern: '*-app' }
      ],
      ['prod-app', 'prod-conn', 'dev-app', 'other']
    )
    expect(selected).toEqual([
      { name: 'dev-app', explicit: false },
      { name: 'prod-app', explicit: true },
      { name: 'prod-conn', explicit: false }
    ])
  })

  it('matches ? as one character and * as everything', () => {
    const names = ['a1', 'a22', 'b1']
    expect(
      selectCandidates([{ kind: 'glob', entry: 'a?', pattern: 'a?' }], names).map((c) => c.name)
    ).toEqual(['a1'])
    expect(selectCandidates([{ kind: 'glob', entry: '*', pattern: '*' }], names)).toHaveLength(3)
  })
})

describe('planPipelines', () => {
  it('plans GitHub pipelines, skips the rest, warns for stacks, and reads nothing it need not', async () => {
    const inputs = setup({
      pipelines: 'prod-*\ndev-app',
      regions: 'us-east-1,eu-west-1',
      'dry-run': 'true'
    })
    const plan = await planPipelines(inputs, apiFor, now)
    const summary = plan.results
      .map((r) => `${r.region} ${r.pipeline} ${r.status} ${r.githubActions.join('+')}`)
      .sort()
    expect(summary).toEqual([
      'eu-west-1 dev-app skipped ',
      'eu-west-1 prod-app planned Source/App',
      'us-east-1 dev-app planned Source/App',
      'us-east-1 prod-app planned Source/App+Source/Lib',
      'us-east-1 prod-conn skipped '
    ])
    expect(plan.targets).toHaveLength(3)
    // Named, and found in us-east-1: absent from eu-west-1 is a skip, not a failure.
    expect(
      plan.results.find((r) => r.region === 'eu-west-1' && r.pipeline === 'dev-app')
    ).toMatchObject({ status: 'skipped', note: 'not in eu-west-1 (found in us-east-1)' })
    expect(plan.warnings.join('\n')).toMatch(/skipped 1 matching pipeline\(s\).*prod-conn/)
    expect(plan.warnings.join('\n')).toMatch(/CloudFormation stack 'dev-stack'.*old token back/)
    expect(east.writes).toHaveLength(0)
  })

  it('fails a name found in no listed region, and an ARN whose region lacks it', async () => {
    const plan = await planPipelines(
      setup({
        pipelines: 'typo-app\narn:aws:codepipeline:eu-west-1:123456789012:dev-app',
        regions: 'us-east-1,eu-west-1'
      }),
      apiFor,
      now
    )
    expect(plan.results.map((r) => `${r.region} ${r.pipeline} ${r.status}`).sort()).toEqual([
      'eu-west-1 dev-app failed',
      'eu-west-1 typo-app failed',
      'us-east-1 typo-app failed'
    ])
  })

  it("takes stack owners from one lookup per region instead of reading each pipeline's tags", async () => {
    const lookups: string[] = []
    east.stackOwners = async () => {
      lookups.push('us-east-1')
      return new Map([['arn:aws:codepipeline:us-east-1:123456789012:prod-app', 'prod-stack']])
    }
    east.failures.tags = awsError('AccessDeniedException', 'ListTagsForResource must not be called')
    const plan = await planPipelines(setup({ pipelines: 'prod-app, dev-app' }), apiFor, now)
    expect(lookups).toEqual(['us-east-1'])
    const stacks = Object.fromEntries(plan.results.map((r) => [r.pipeline, r.stack ?? null]))
    // dev-app's own tag is not consulted: the lookup is the source of truth.
    expect(stacks).toEqual({ 'prod-app': 'prod-stack', 'dev-app': null })
    expect(plan.results.every((r) => r.note === undefined)).toBe(true)
  })

  it('never holds back a read or a write for the stack lookup, and warns once it answers', async () => {
    let answer: (owners: Map<string, string>) => void = () => {}
    east.stackOwners = () => new Promise((resolve) => (answer = resolve))
    const planning = planPipelines(setup({ pipelines: '*' }), apiFor, now, TOKEN)
    // Every target read and written (writeOnRead) while the lookup is still out.
    for (let i = 0; i < 50 && east.writes.length < 2; i++) await new Promise(setImmediate)
    expect(east.writes.map((p) => p['name']).sort()).toEqual(['dev-app', 'prod-app'])
    answer(new Map([['arn:aws:codepipeline:us-east-1:123456789012:prod-app', 'prod-stack']]))
    const plan = await planning
    expect(plan.results.find((r) => r.pipeline === 'prod-app')).toMatchObject({
      status: 'updated',
      stack: 'prod-stack'
    })
    expect(plan.warnings.filter((w) => w.includes('CloudFormation stack'))).toEqual([
      expect.stringMatching(
        /^Pipeline 'prod-app' in us-east-1 belongs to CloudFormation stack 'prod-stack'/
      )
    ])
  })

  it('keeps the retry note when the tags cannot be read either', async () => {
    east.attempts = 2
    east.versionBump = 2
    east.failures.tags = awsError(
      'AccessDeniedException',
      'not authorized to perform: codepipeline:ListTagsForResource'
    )
    const plan = await planPipelines(setup({ pipelines: 'dev-app' }), apiFor, now, TOKEN)
    expect(plan.results[0]?.status).toBe('updated')
    expect(plan.results[0]?.note).toMatch(
      /^the SDK retried UpdatePipeline \(2 attempts\).*; CloudFormation ownership not checked: .*ListTagsForResource/
    )
  })

  it("falls back to each pipeline's tags when the region lookup is refused", async () => {
    east.stackOwners = async () => {
      throw awsError('AccessDeniedException', 'not authorized to perform: tag:GetResources')
    }
    const plan = await planPipelines(setup({ pipelines: 'dev-app' }), apiFor, now)
    expect(plan.results[0]?.stack).toBe('dev-stack')
  })

  it('warns by name when a named pipeline holds no GitHub token', async () => {
    const plan = await planPipelines(setup({ pipelines: 'prod-conn' }), apiFor, now)
    expect(plan.results[0]?.status).toBe('skipped')
    expect(plan.warnings[0]).toMatch(/'prod-conn' in us-east-1 holds no GitHub OAuth token/)
  })

  it('warns when a pattern matches nothing', async () => {
    const plan = await planPipelines(setup({ pipelines: 'nothing-*' }), apiFor, now)
    expect(plan.results).toEqual([])
    expect(plan.warnings).toEqual(["pipelines: 'nothing-*' matched no pipeline in us-east-1"])
  })

  it('uses the ARN region and refuses an ARN of another account', async () => {
    const plan = await planPipelines(
      setup({
        pipelines:
          'arn:aws:codepipeline:eu-west-1:123456789012:prod-app\narn:aws:codepipeline:us-east-1:999999999999:prod-app',
        regions: ''
      }),
      apiFor,
      now
    )
    const byRegion = Object.fromEntries(plan.results.map((r) => [r.region, r]))
    expect(byRegion['eu-west-1']?.status).toBe('planned')
    expect(byRegion['us-east-1']?.status).toBe('failed')
    expect(byRegion['us-east-1']?.error).toMatch(/names account 999999999999.*account 123456789012/)
  })

  it('fails the pattern, not the run, when listing is denied', async () => {
    east.failures.list = awsError('AccessDeniedException', 'not authorized')
    const plan = await planPipelines(setup({ pipelines: 'prod-*,dev-app' }), apiFor, now)
    const failed = plan.results.find((r) => r.pipeline === 'prod-*')
    expect(failed?.error).toMatch(/needs permission codepipeline:ListPipelines/)
    expect(plan.results.find((r) => r.pipeline === 'dev-app')?.status).toBe('planned')
  })

  it('reports a GetPipeline error and a tags error without stopping', async () => {
    east.failures.tags = awsError('AccessDeniedException', 'no tags for you')
    let plan = await planPipelines(setup({ pipelines: 'dev-app' }), apiFor, now)
    expect(plan.results[0]?.status).toBe('planned')
    expect(plan.results[0]?.note).toMatch(
      /CloudFormation ownership not checked.*codepipeline:ListTagsForResource/
    )
    east.failures.get = awsError('InternalError', 'boom')
    plan = await planPipelines(setup({ pipelines: 'dev-app' }), apiFor, now)
    expect(plan.results[0]).toMatchObject({ status: 'failed', error: 'InternalError: boom' })
  })

  it('names at most 20 pipelines a pattern matched but skipped, then counts the rest', async () => {
    const names = Array.from({ length: 23 }, (_, i) => `conn-${String(i).padStart(2, '0')}`)
    for (const name of names) east.add(pipeline(name, [connectionSource('Conn')]))
    const plan = await planPipelines(setup({ pipelines: 'conn-*' }), apiFor, now)
    expect(plan.results.map((r) => r.status)).toEqual(Array(23).fill('skipped'))
    expect(plan.warnings).toEqual([
      `us-east-1: skipped 23 matching pipeline(s) with no GitHub (version 1) source action, so no OAuth token to rotate: ${names.slice(0, 20).join(', ')} and 3 more`
    ])
  })

  it('skips a pattern-matched pipeline deleted after listing', async () => {
    const original = east.getPipeline.bind(east)
    east.getPipeline = async (name) => {
      if (name === 'dev-app') throw awsError('PipelineNotFoundException')
      return original(name)
    }
    const plan = await planPipelines(setup({ pipelines: 'dev-*' }), apiFor, now)
    expect(plan.results[0]).toMatchObject({
      status: 'skipped',
      note: 'deleted after it was listed'
    })
  })
})

describe('applyPipelines', () => {
  it('writes the token into every GitHub source and nothing else', async () => {
    const inputs = setup({ pipelines: 'prod-app' })
    const plan = await planPipelines(inputs, apiFor, now)
    await applyPipelines(plan.targets, TOKEN, apiFor, now)
    expect(plan.results[0]).toMatchObject({ status: 'updated', versionBefore: 3, versionAfter: 4 })
    const written = JSON.stringify(east.writes[0])
    expect(written.match(new RegExp(TOKEN, 'g'))).toHaveLength(2)
    expect(written).not.toContain('metadata')
  })

  it('turns an UpdatePipeline error into a failed target with the permission named', async () => {
    const plan = await planPipelines(setup({ pipelines: 'prod-app' }), apiFor, now)
    east.failures.update = awsError(
      'AccessDeniedException',
      'User: x is not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role/pipeline-role'
    )
    await applyPipelines(plan.targets, TOKEN, apiFor, now)
    expect(plan.results[0]?.status).toBe('failed')
    expect(plan.results[0]?.error).toMatch(/needs permission iam:PassRole/)
  })
})

describe('verifyVersion', () => {
  const result = () => ({
    region: 'r',
    pipeline: 'p',
    status: 'updated' as const,
    githubActions: [],
    repositories: [],
    versionBefore: 4
  })
  it('accepts exactly one step', () => {
    const r = result()
    verifyVersion(r, 5, 1)
    expect(r).toMatchObject({ status: 'updated', versionAfter: 5 })
  })
  it('accepts extra steps explained by SDK retries, with a note', () => {
    const r = result()
    verifyVersion(r, 6, 2)
    expect(r.status).toBe('updated')
    expect(r).toHaveProperty('note')
  })
  it('fails when another change landed concurrently', () => {
    const r = result()
    verifyVersion(r, 6, 1)
    expect(r.status).toBe('failed')
    expect((r as { error?: string }).error).toMatch(/from 4 to 6 instead of 5/)
  })
  it('fails when the version cannot be compared', () => {
    const r = result()
    verifyVersion(r, undefined, 1)
    expect(r.status).toBe('failed')
  })
})

describe('pipelineStore', () => {
  it('rotates a pipeline GetPipeline returns without an ARN, and refuses one without a version', async () => {
    const bare = {
      listPipelineNames: async () => [],
      getPipeline: async (name: string) => {
        const p = pipeline(name, [githubSource('App', 'app')])
        if (name === 'no-version') delete p['version']
        return { pipeline: p, arn: undefined }
      },
      updatePipeline: jest.fn(async (p: JsonObject) => ({
        version: typeof p['version'] === 'number' ? p['version'] + 1 : 1,
        attempts: 1
      })),
      listTags: jest.fn(async (_arn: string) => ({}))
    } satisfies PipelineApi
    const store = pipelineStore(setup({ pipelines: 'no-arn, no-version' }), () => bare, now)
    await store.plan()
    // Without an ARN there is nothing to ask ListTagsForResource about.
    expect(bare.listTags).not.toHaveBeenCalled()
    expect(store.targets().map((t) => t.result)).toEqual([
      expect.not.objectContaining({ arn: expect.anything() }),
      expect.not.objectContaining({ versionBefore: expect.anything() })
    ])
    await store.apply(TOKEN)
    expect(bare.updatePipeline).toHaveBeenCalledTimes(2)
    expect(store.outputs()['updated']).toEqual(['no-arn'])
    expect(store.failures()).toEqual([
      'us-east-1 pipeline no-version: UpdatePipeline answered, but the version could not be compared (before: unknown, after: 1): check the pipeline and re-run'
    ])
  })

  it('sorts the report by the regions input, then regions only an ARN names', async () => {
    const store = pipelineStore(
      setup({ pipelines: 'prod-app\narn:aws:codepipeline:eu-west-1:123456789012:prod-app' }),
      apiFor,
      now
    )
    await store.plan()
    expect((store.outputs()['report'] as { region: string }[]).map((r) => r.region)).toEqual([
      'us-east-1',
      'eu-west-1'
    ])
    expect(store.lines().map((l) => l.region)).toEqual(['us-east-1', 'eu-west-1'])
  })

  it('says none were selected when the patterns match nothing', async () => {
    const store = pipelineStore(setup({ pipelines: 'nothing-*' }), apiFor, now)
    await store.plan()
    expect(store.headline()).toBe('Pipelines: none selected')
    expect(store.outputs()).toEqual({ report: [], updated: [] })
  })

  it('has no headline and reads nothing without a pipelines input', async () => {
    const list = jest.spyOn(east, 'listPipelineNames')
    const store = pipelineStore(setup({ pipelines: '', secrets: 'ci/github' }), apiFor, now)
    await store.plan()
    expect(store.headline()).toBeUndefined()
    expect(list).not.toHaveBeenCalled()
  })

  it('writes each pipeline as soon as it is read with writeOnRead, and never twice', async () => {
    const order: string[] = []
    const get = east.getPipeline.bind(east)
    const update = east.updatePipeline.bind(east)
    jest.spyOn(east, 'getPipeline').mockImplementation(async (name) => {
      order.push(`get ${name}`)
      return get(name)
    })
    jest.spyOn(east, 'updatePipeline').mockImplementation(async (p) => {
      order.push(`update ${String(p['name'])}`)
      return update(p)
    })
    // One pipeline at a time, so the order is the order of the work.
    let chain: Promise<unknown> = Promise.resolve()
    const oneAtATime = <T>(task: () => Promise<T>): Promise<T> => {
      const next = chain.then(task)
      chain = next.catch(() => undefined)
      return next
    }
    const store = pipelineStore(setup({ pipelines: 'prod-*, dev-app' }), apiFor, oneAtATime, {
      writeOnRead: true
    })
    await store.plan()
    // Read, then written at once: no waiting for the other reads.
    expect(order).toEqual([
      'get dev-app',
      'update dev-app',
      'get prod-app',
      'update prod-app',
      'get prod-conn'
    ])
    expect(store.outputs()['updated']).toHaveLength(2)
    await store.apply(TOKEN)
    expect(east.writes).toHaveLength(2)
    expect(store.headline()).toBe('Pipelines: 2 updated, 1 skipped')
  })

  it('reports a write that fails during writeOnRead like one in apply', async () => {
    east.failures.update = awsError('InternalFailure', 'boom')
    const store = pipelineStore(setup({ pipelines: 'prod-app' }), apiFor, now, {
      writeOnRead: true
    })
    await store.plan()
    await store.apply(TOKEN)
    expect(store.failures()).toEqual(['us-east-1 pipeline prod-app: InternalFailure: boom'])
  })

  it('reports outputs, failures and a headline', async () => {
    const store = pipelineStore(setup({ pipelines: 'prod-app, missing' }), apiFor, now)
    await store.plan()
    await store.apply(TOKEN)
    expect(store.outputs()['updated']).toEqual([
      'arn:aws:codepipeline:us-east-1:123456789012:prod-app'
    ])
    expect(store.failures()).toEqual([
      "us-east-1 pipeline missing: pipeline 'missing' does not exist in us-east-1: check the name and the regions input"
    ])
    expect(store.headline()).toBe('Pipelines: 1 failed, 1 updated')
    expect(store.sections()[0]?.rows).toHaveLength(2)
    expect(store.lines().map((l) => l.line)).toEqual([
      expect.stringMatching(/^failed\s+pipeline missing/),
      expect.stringMatching(/^updated\s+pipeline prod-app \[Source\/App, Source\/Lib\] v3 → v4/)
    ])
  })
})
