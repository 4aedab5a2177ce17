/**
 * connection-arn through the CodePipeline store (issue 19, phase 2): the
 * checks in the plan, the write framed by the webhooks on a fresh read, the
 * verification, the report (status migrated, output migrated, holdouts) and
 * the readiness section every run ends with.
 */
import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import { FakeClock, FakeRegion, arnOf, awsError, run } from '../__fixtures__/pipelines.js'
import { githubSource, pipeline } from '../test-support/pipelines.js'
import type { Limit } from '../src/core/limit.js'
import type { Webhook } from '../src/stores/codepipeline/api.js'
import type {
  ConnectionFacts,
  SimulationFacts
} from '../src/stores/codepipeline/migration/preflight.js'
import type { PipelineResult } from '../src/stores/codepipeline/types.js'

jest.unstable_mockModule('@actions/core', () => core)
const { pipelineStore } = await import('../src/stores/codepipeline/store.js')
const { parseInputs } = await import('../src/inputs/parse.js')
const { SealedToken } = await import('../src/core/sealed-token.js')

const ACCOUNT = '123456789012'
const CONNECTION = `arn:aws:codeconnections:us-east-1:${ACCOUNT}:connection/0a1b2c3d-0000-4000-8000-000000000001`
const now: Limit = (task) => task()

let regions: Map<string, FakeRegion>
let clock: FakeClock
let world: ReturnType<typeof services>

function services() {
  const calls: string[] = []
  const state = {
    connection: {
      status: 'AVAILABLE',
      providerType: 'GitHub',
      ownerAccountId: ACCOUNT,
      hostArn: undefined
    } as ConnectionFacts | Error,
    simulation: {
      decision: 'allowed',
      matched: ['use'],
      allowedByBoundary: undefined,
      allowedByOrganizations: undefined
    } as SimulationFacts,
    webhooks: [] as Webhook[],
    fail: {} as Partial<Record<'list' | 'relist' | 'deregister' | 'register' | 'delete', Error>>,
    /** DeleteWebhook answers without deleting (to see the check after it). */
    keep: false,
    lists: 0
  }
  const migration = {
    connections: {
      getConnection: async () => {
        calls.push('GetConnection')
        if (state.connection instanceof Error) throw state.connection
        return state.connection
      }
    },
    simulator: () => ({
      simulate: async () => {
        calls.push('Simulate')
        return state.simulation
      }
    }),
    webhooks: (region: string) => ({
      listWebhooks: async () => {
        calls.push(`ListWebhooks ${region}`)
        state.lists++
        if (state.fail.list) throw state.fail.list
        if (state.lists > 1 && state.fail.relist) throw state.fail.relist
        return state.webhooks.map((w) => ({ ...w }))
      },
      deregisterWebhook: async (name: string) => {
        calls.push(`Deregister ${name}`)
        if (state.fail.deregister) throw state.fail.deregister
      },
      registerWebhook: async (name: string) => {
        calls.push(`Register ${name}`)
        if (state.fail.register) throw state.fail.register
      },
      deleteWebhook: async (name: string) => {
        calls.push(`Delete ${name}`)
        if (state.fail.delete) throw state.fail.delete
        if (!state.keep) state.webhooks = state.webhooks.filter((w) => w.name !== name)
      }
    })
  }
  return { calls, state, migration }
}

const hook = (name: string, targetPipeline: string, targetAction: string): Webhook => ({
  name,
  targetPipeline,
  targetAction,
  arn: undefined
})

function store(values: Record<string, string>, withServices = true) {
  core.setInputs({
    'dry-run': 'false',
    'verify-token': 'false',
    'follow-stacks': 'true',
    regions: 'us-east-1',
    'connection-arn': CONNECTION,
    ...values
  })
  const inputs = parseInputs(false)
  const made = pipelineStore(inputs, {
    apiFor: (region) => regions.get(region) ?? new FakeRegion(region, clock),
    limit: now,
    token: new SealedToken('unit-token-0123456789'),
    writeOnRead: true,
    clock,
    ...(withServices && { migration: world.migration })
  })
  made.onPlanned(() => {
    throw new Error('a migration asks the token check about no pipeline')
  })
  return made
}

type Store = ReturnType<typeof store>
const resultOf = (s: Store, name: string) =>
  (s.report().outputs['report'] as PipelineResult[]).find((r) => r.pipeline === name)
const east = () => regions.get('us-east-1')!

beforeEach(() => {
  core.resetCore()
  clock = new FakeClock()
  world = services()
  world.state.webhooks = [hook('app-hook', 'app', 'App'), hook('other-hook', 'other', 'App')]
  regions = new Map([
    [
      'us-east-1',
      new FakeRegion('us-east-1', clock)
        .add(pipeline('app', [githubSource('App', 'app', { poll: 'false' })], 3))
        .add(pipeline('stacked', [githubSource('App', 'stacked')], 5), {
          'aws:cloudformation:stack-name': 'app-stack',
          'aws:cloudformation:logical-id': 'Pipeline'
        })
    ],
    [
      'af-south-1',
      new FakeRegion('af-south-1', clock).add(pipeline('cape', [githubSource('App', 'cape')], 2))
    ]
  ])
})

describe('a migration run', () => {
  it('moves the action on a fresh read, framed by its webhook, verifies it and reports it migrated', async () => {
    const s = store({ pipelines: 'app' })
    await s.plan()
    expect(s.targets()).toEqual([])
    // Nothing is written in the plan, even with writeOnRead.
    expect(east().writes).toEqual([])
    expect(resultOf(s, 'app')?.note).toMatch(
      /^moves to arn:aws:codeconnections:.*: Source\/App → CodeStarSourceConnection \{ConnectionArn: ".*", FullRepositoryId: "example-org\/app", BranchName: "main", OutputArtifactFormat: "CODE_ZIP", DetectChanges: "true"\} \(DetectChanges true: webhook app-hook started it\)/
    )
    await s.apply()
    const written = east().writes[0]!
    expect(JSON.stringify(written)).toContain('"provider":"CodeStarSourceConnection"')
    expect(JSON.stringify(written)).not.toContain('OAuthToken')
    expect(world.calls).toEqual([
      'ListWebhooks us-east-1',
      'GetConnection',
      'Simulate',
      'Deregister app-hook',
      'Delete app-hook',
      'ListWebhooks us-east-1'
    ])
    const report = s.report()
    expect(resultOf(s, 'app')).toMatchObject({
      status: 'migrated',
      versionBefore: 3,
      versionAfter: 4
    })
    expect(resultOf(s, 'app')?.note).toMatch(
      /^moved to arn:aws:codeconnections:.*; webhook\(s\) app-hook deregistered and deleted$/
    )
    expect(report.outputs['migrated']).toEqual([arnOf('us-east-1', 'app')])
    expect(report.outputs['updated']).toEqual([])
    expect(report.failures).toEqual([])
    expect(report.holdouts).toEqual([])
    expect(report.closing[0]?.title).toBe(
      'Moving off GitHub version 1 — 0 pipeline(s) still hold a GitHub token, 1 moved in this run'
    )
  })

  it('plans in a dry run: the exact new action, nothing written', async () => {
    const s = store({ pipelines: 'app', 'dry-run': 'true' })
    await s.plan()
    const result = resultOf(s, 'app')
    expect(result?.status).toBe('planned')
    expect(result?.newActions).toEqual([
      expect.stringMatching(/^Source\/App → CodeStarSourceConnection/)
    ])
    expect(result?.note).toMatch(/^moves to .*; /) // then the note about runs in flight
    expect(s.report().closing[0]?.rows[0]?.[3]).toMatch(/^yes/)
  })

  it('does not move a stack-owned pipeline: the template change in the note and the log, a holdout', async () => {
    const s = store({ pipelines: 'stacked' })
    await s.plan()
    await s.apply()
    expect(east().writes).toEqual([])
    const result = resultOf(s, 'stacked')
    expect(result?.status).toBe('skipped')
    expect(result?.templateChange?.stack).toBe('app-stack')
    // No stack is followed for a token no pipeline is given.
    expect(s.owned()).toEqual([])
    expect(result?.note).toMatch(/^not migrated in place — stack app-stack, resource Pipeline/)
    const report = s.report()
    expect(report.lines.map((l) => l.line)).toContain(
      '# Stages → Source → Actions → App: replace ActionTypeId and Configuration'
    )
    expect(report.holdouts).toEqual([
      'pipeline stacked in us-east-1 was not moved to the connection and still holds the old token'
    ])
    expect(report.warnings).toEqual([
      expect.stringMatching(/^us-east-1 pipeline stacked: not migrated in place/)
    ])
    expect(report.closing[0]?.rows[0]?.[3]).toMatch(/^not in place: stack app-stack owns it/)
  })

  it('names a stack-owned pipeline once as a holdout with follow-stacks false', async () => {
    const s = store({ pipelines: 'stacked', 'follow-stacks': 'false' })
    await s.plan()
    expect(s.report().holdouts).toEqual([
      'pipeline stacked in us-east-1 was not moved to the connection and still holds the old token'
    ])
    expect(s.report().warnings).toHaveLength(1)
  })

  it('leaves a pipeline in a region without CodeConnections as it is', async () => {
    const s = store({ pipelines: 'cape', regions: 'af-south-1' })
    await s.plan()
    await s.apply()
    expect(regions.get('af-south-1')!.writes).toEqual([])
    expect(resultOf(s, 'cape')).toMatchObject({ status: 'skipped' })
    expect(resultOf(s, 'cape')?.note).toMatch(
      /^not migrated: af-south-1 \(Africa \(Cape Town\)\) has no CodeConnections/
    )
    expect(s.report().closing[0]?.rows[0]?.[3]).toBe('no: af-south-1 has no CodeConnections')
    expect(world.calls).toEqual([])
  })

  it('fails a pipeline a check refuses, writing nothing (a PENDING connection)', async () => {
    world.state.connection = {
      status: 'PENDING',
      providerType: 'GitHub',
      ownerAccountId: ACCOUNT,
      hostArn: undefined
    }
    const s = store({ pipelines: 'app' })
    await s.plan()
    await s.apply()
    expect(east().writes).toEqual([])
    expect(resultOf(s, 'app')?.error).toMatch(/^not migrated: connection .* is PENDING/)
    expect(s.report().failures).toHaveLength(1)
    expect(s.report().closing[0]?.rows[0]?.[3]).toMatch(/^not yet: connection .* is PENDING/)
  })

  it('refuses to plan without the migration services', async () => {
    const s = store({ pipelines: 'app' }, false)
    await expect(s.plan()).rejects.toThrow('connection-arn is set, but no migration services')
  })

  it('follows the in-progress rules: skip leaves a busy pipeline, which still holds the token', async () => {
    east().runs.set('app', [run('run-1', 'InProgress', new Date(clock.now()))])
    const s = store({ pipelines: 'app', 'in-progress': 'skip' })
    await s.plan()
    await s.apply()
    expect(east().writes).toEqual([])
    expect(resultOf(s, 'app')?.status).toBe('skipped')
    expect(s.report().holdouts).toEqual([
      'pipeline app in us-east-1 was skipped while a run was in flight and still holds the old token'
    ])
  })

  it('follows the in-progress rules: proceed moves a busy pipeline, then starts the stopped run again', async () => {
    east().runs.set('app', [run('run-1', 'InProgress', new Date(clock.now()))])
    const s = store({ pipelines: 'app', 'in-progress': 'proceed' })
    await s.plan()
    await s.apply()
    expect(resultOf(s, 'app')?.status).toBe('migrated')
    expect(east().starts.map((start) => start.name)).toEqual(['app'])
    expect(resultOf(s, 'app')?.runs).toMatchObject({
      outcome: 'restarted',
      executions: ['run-1'],
      restarts: [{ stopped: ['run-1'] }]
    })
  })
})

describe('the migration write', () => {
  async function migrated(prepare: (s: Store) => void = () => undefined) {
    const s = store({ pipelines: 'app' })
    await s.plan()
    prepare(s)
    await s.apply()
    return { s, result: resultOf(s, 'app')!, report: s.report() }
  }

  it('writes nothing when the fresh read fails', async () => {
    const { result } = await migrated(() => {
      east().failures.get = awsError('AccessDeniedException', 'no', 403)
    })
    expect(east().writes).toEqual([])
    expect(result.status).toBe('failed')
    expect(result.error).toMatch(
      /could not be read again right before the write, so nothing was written$/
    )
  })

  it('writes nothing when the actions changed since the plan', async () => {
    const { result } = await migrated(() => {
      east().add(pipeline('app', [githubSource('App', 'moved-repo')], 4))
    })
    expect(east().writes).toEqual([])
    expect(result.error).toMatch(
      /changed between the plan and the write .*FullRepositoryId: "example-org\/moved-repo".*re-run to plan again$/
    )
  })

  it('writes nothing when the fresh read can no longer be rewritten', async () => {
    const { result } = await migrated(() => {
      east().add(
        pipeline(
          'app',
          [
            githubSource('App', 'app', {
              extra: { configuration: { Owner: 'o', Repo: 'r', Branch: 'b', Extra: 'x' } }
            })
          ],
          4
        )
      )
    })
    expect(east().writes).toEqual([])
    expect(result.error).toMatch(
      /configuration 'Extra'.*\(it changed since the plan\); nothing was written$/
    )
  })

  it('writes nothing when the action was moved by someone else since the plan', async () => {
    const { result } = await migrated(() => {
      east().add(pipeline('app', [], 4))
    })
    expect(east().writes).toEqual([])
    expect(result.error).toMatch(/; now: none\): nothing was written/)
  })

  it('cannot verify a pipeline without a version, nor a write AWS answered without a Date', async () => {
    east().dateHeader = false
    const { result } = await migrated(() => {
      east().add(pipeline('app', [githubSource('App', 'app', { poll: 'false' })]))
    })
    expect(east().writes).toHaveLength(1)
    expect(result.versionBefore).toBeUndefined()
    expect(result.versionAfter).toBe(1)
    expect(result.error).toMatch(/the version could not be compared \(before: unknown, after: 1\)/)
  })

  it('registers the webhook again when the update fails, and says so', async () => {
    const { result } = await migrated(() => {
      east().failures.update = awsError('InvalidStructureException', 'bad pipeline')
    })
    expect(world.calls.slice(-2)).toEqual(['Deregister app-hook', 'Register app-hook'])
    expect(result.status).toBe('failed')
    expect(result.error).toMatch(
      /bad pipeline.*: the pipeline was not changed; webhook\(s\) app-hook registered with GitHub again, as before$/
    )
  })

  it('writes nothing when the webhook cannot be deregistered', async () => {
    const { result } = await migrated(() => {
      world.state.fail.deregister = awsError('ValidationException', 'nope')
    })
    expect(east().writes).toEqual([])
    expect(result.error).toMatch(
      /^webhook app-hook could not be deregistered from GitHub .*the pipeline was not written$/
    )
  })

  it('fails a write whose read-back differs: another change landed', async () => {
    const { result } = await migrated(() => {
      east().versionBump = 2
    })
    expect(result.status).toBe('failed')
    expect(result.error).toMatch(
      /^moved to the connection \(the pipeline no longer holds a token\), but the version went from 3 to 5/
    )
    expect(result.versionAfter).toBe(5)
  })

  it('fails a write that cannot be read back', async () => {
    let gets = 0
    const { result } = await migrated(() => {
      east().onGet = async () => {
        if (++gets === 2) throw awsError('ThrottlingException', 'slow down')
      }
    })
    expect(east().writes).toHaveLength(1)
    expect(result.error).toMatch(/it could not be read back to verify it/)
    expect(result.versionAfter).toBe(4)
  })

  it('fails when the webhook is still listed after DeleteWebhook', async () => {
    world.state.keep = true
    const kept = await migrated()
    expect(kept.result.error).toMatch(/webhook\(s\) app-hook still listed after DeleteWebhook/)
  })

  it('fails when whether the webhook is gone cannot be checked', async () => {
    world.state.fail.relist = awsError('ThrottlingException', 'slow')
    const unlisted = await migrated()
    expect(unlisted.result.error).toMatch(/whether its webhooks are gone could not be checked/)
  })

  it('a pipeline without webhooks is written without webhook calls', async () => {
    world.state.webhooks = []
    const { result } = await migrated()
    expect(result.status).toBe('migrated')
    expect(world.calls).toEqual(['ListWebhooks us-east-1', 'GetConnection', 'Simulate'])
  })
})

describe('the readiness section of a rotation run', () => {
  it('ends the report: each pipeline that holds a token, and whether it could move', async () => {
    core.setInputs({
      'dry-run': 'false',
      'verify-token': 'false',
      'follow-stacks': 'true',
      regions: 'us-east-1, af-south-1',
      pipelines: '*'
    })
    const s = pipelineStore(parseInputs(false), {
      apiFor: (region) => regions.get(region)!,
      limit: now,
      token: new SealedToken('unit-token-0123456789'),
      writeOnRead: false,
      clock
    })
    await s.plan()
    await s.apply()
    const [section] = s.report().closing
    expect(section?.title).toBe(
      'Moving off GitHub version 1 — 3 pipeline(s) still hold a GitHub token, 1 could move to a connection'
    )
    expect(section?.rows.map((r) => [r[1], r[3]])).toEqual([
      ['app', 'yes: set connection-arn to move it to a CodeConnections connection'],
      ['stacked', expect.stringMatching(/^not in place: stack app-stack owns it/)],
      ['cape', 'no: af-south-1 has no CodeConnections']
    ])
  })
})
