/**
 * Moving a pipeline off GitHub (version 1) to a CodeConnections source
 * (connection-arn, issue 19), through the bundled action: the lossless
 * rewrite with its webhooks, every check that leaves a pipeline untouched,
 * the dry run, a failed update, and the readiness section every run ends with.
 */
import { beforeEach, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { OLD_TOKEN, classicV1, oauthTokens, seedCorpus } from '../test-support/corpus.js'
import {
  ACCOUNT,
  addConnection,
  addExecution,
  listExecutions,
  calls,
  configure,
  createConnection,
  createPipeline,
  putRolePolicy,
  putWebhook,
  resetCalls,
  storedPipeline,
  storedWebhooks,
  tagAsStack,
  writeCalls
} from '../test-support/emulator.js'
import { useEmulator } from '../test-support/jest.js'
import { githubWebhook, useConnectionPolicy, type JsonObject } from '../test-support/pipelines.js'
import { runScanned, type RunResult } from '../test-support/run-action.js'

const TOKEN = `e2e-token-${randomBytes(12).toString('hex')}`
const REGION = 'us-east-1'
const emulator = useEmulator()

let connection: string

const run = (inputs: Record<string, string>) =>
  runScanned(emulator, TOKEN, { regions: REGION, ...inputs }, { secrets: [OLD_TOKEN] })
const migrate = (inputs: Record<string, string>) => run({ 'connection-arn': connection, ...inputs })

interface Row {
  pipeline: string
  region: string
  status: string
  error?: string
  note?: string
  newActions?: string[]
  versionBefore?: number
  versionAfter?: number
  runs?: { outcome: string; executions: string[]; restarts?: unknown[] }
}
const rows = (result: RunResult) => JSON.parse(result.outputs['report'] ?? '[]') as Row[]
const rowOf = (result: RunResult, name: string) => rows(result).find((r) => r.pipeline === name)
const arnOf = (name: string, region = REGION) => `arn:aws:codepipeline:${region}:${ACCOUNT}:${name}`

const NEW_TYPE = {
  category: 'Source',
  owner: 'AWS',
  provider: 'CodeStarSourceConnection',
  version: '1'
}
const newConfiguration = (repository: string, detectChanges = 'true') => ({
  ConnectionArn: connection,
  FullRepositoryId: repository,
  BranchName: 'main',
  OutputArtifactFormat: 'CODE_ZIP',
  DetectChanges: detectChanges
})

/** `before` with the named actions moved to the connection, version up by one: what must be stored. */
function expectedAfter(
  before: Record<string, unknown>,
  moved: Record<string, Record<string, string>>
): unknown {
  const copy = structuredClone(before) as JsonObject & { stages: { actions: JsonObject[] }[] }
  for (const stage of copy.stages) {
    stage.actions = stage.actions.map((action) => {
      const configuration = moved[String(action['name'])]
      if (!configuration) return action
      return Object.fromEntries(
        Object.entries(action).map(([key, value]) => [
          key,
          key === 'actionTypeId' ? NEW_TYPE : key === 'configuration' ? configuration : value
        ])
      ) as JsonObject
    })
  }
  copy['version'] = Number(before['version']) + 1
  return copy
}

const lastSection = (summary: string) => {
  const titles = [...summary.matchAll(/^### (.*)$/gm)].map((m) => m[1])
  return titles[titles.length - 1]
}

let role: string

beforeEach(async () => {
  role = await seedCorpus(emulator)
  const created = await addConnection(emulator, { name: 'github-org', status: 'AVAILABLE' })
  connection = created.ConnectionArn
  await putRolePolicy(emulator, 'pipeline-role', 'use-connection', useConnectionPolicy(connection))
  await putWebhook(emulator, REGION, githubWebhook('full-v2-app', 'full-v2', 'App'))
  await putWebhook(emulator, REGION, githubWebhook('full-v2-lib', 'full-v2', 'Lib'))
  await putWebhook(emulator, REGION, githubWebhook('classic-hook', 'classic-v1', 'Source'))
  await resetCalls(emulator)
})

describe('connection-arn: moving off GitHub (version 1)', () => {
  it('migrates a pipeline with two GitHub actions, webhooks and members no SDK knows: every other byte equal, webhooks gone', async () => {
    const before = (await storedPipeline(emulator, REGION, 'full-v2')).pipeline
    const result = await migrate({ pipelines: 'full-v2' })
    expect(result.code).toBe(0)

    const after = (await storedPipeline(emulator, REGION, 'full-v2')).pipeline
    // Byte for byte, key order included: only the two actions' type and configuration moved.
    expect(JSON.stringify(after)).toBe(
      JSON.stringify(
        expectedAfter(before, {
          App: newConfiguration('example-org/app'),
          Lib: newConfiguration('example-org/lib')
        })
      )
    )
    expect(oauthTokens(after)).toEqual([])

    // Deregistered before the update, deleted after it; the other pipeline's webhook untouched.
    const writes = (await writeCalls(emulator)).map((c) => c.action)
    expect(writes).toEqual([
      'DeregisterWebhookWithThirdParty',
      'DeregisterWebhookWithThirdParty',
      'UpdatePipeline',
      'DeleteWebhook',
      'DeleteWebhook'
    ])
    const hooks = await storedWebhooks(emulator, REGION)
    expect(hooks.webhooks.map((w) => [w.definition.name, w.registered])).toEqual([
      ['classic-hook', true]
    ])
    expect(hooks.orphanedRegistrations).toEqual([])

    const row = rowOf(result, 'full-v2')
    expect(row).toMatchObject({ status: 'migrated', versionAfter: Number(before['version']) + 1 })
    expect(JSON.parse(result.outputs['migrated'] ?? '')).toEqual([arnOf('full-v2')])
    expect(JSON.parse(result.outputs['updated'] ?? '')).toEqual([])
    expect(result.summary).toContain(`✅ migrated: moved to ${connection}: Source/App → `)
    expect(result.summary).toMatch(/webhook\(s\) full-v2-app, full-v2-lib deregistered and deleted/)
    expect(lastSection(result.summary)).toMatch(
      /^Moving off GitHub version 1 — 0 pipeline\(s\) still hold a GitHub token, 1 moved in this run$/
    )
    expect(result.summary).toMatch(/moved to the connection in this run: no token any more/)
  })

  it('writes nothing while the connection is PENDING, and says how to complete it', async () => {
    connection = await createConnection(emulator, 'pending-one')
    await putRolePolicy(emulator, 'pipeline-role', 'use-pending', useConnectionPolicy(connection))
    await resetCalls(emulator)
    const before = await storedPipeline(emulator, REGION, 'classic-v1')
    const result = await migrate({ pipelines: 'classic-v1' })
    expect(result.code).toBe(1)
    expect(await writeCalls(emulator)).toEqual([])
    expect(await storedPipeline(emulator, REGION, 'classic-v1')).toEqual(before)
    expect(rowOf(result, 'classic-v1')?.status).toBe('failed')
    expect(result.stdout).toContain(
      `connection ${connection} is PENDING: a connection created through the API, the CLI or CloudFormation stays PENDING until someone completes it in the console — open https://console.aws.amazon.com/codesuite/settings/connections?region=us-east-1, choose the connection, choose "Update pending connection"`
    )
    expect(JSON.parse(result.outputs['migrated'] ?? '')).toEqual([])
  })

  it('writes nothing when the pipeline role may not use the connection, and prints the statement to add', async () => {
    const other = await addConnection(emulator, { name: 'other-org', status: 'AVAILABLE' })
    connection = other.ConnectionArn
    const result = await migrate({ pipelines: 'classic-v1' })
    expect(result.code).toBe(1)
    expect(await writeCalls(emulator)).toEqual([])
    expect(rowOf(result, 'classic-v1')?.error).toContain(
      `role ${role} may not use the connection (codeconnections:UseConnection is not allowed)`
    )
    expect(result.stdout).toContain(
      `add this statement to one of its policies: {"Effect":"Allow","Action":"codeconnections:UseConnection","Resource":"${connection}"}`
    )
    expect((await calls(emulator)).map((c) => c.action)).toContain('SimulatePrincipalPolicy')
  })

  it('does not migrate a stack-owned pipeline in place: it shows the template change', async () => {
    await tagAsStack(emulator, REGION, 'classic-v1', 'ci-stack', { logicalId: 'ClassicPipeline' })
    await resetCalls(emulator)
    const before = await storedPipeline(emulator, REGION, 'classic-v1')
    const result = await migrate({ pipelines: 'classic-v1' })
    expect(await writeCalls(emulator)).toEqual([])
    expect((await storedPipeline(emulator, REGION, 'classic-v1')).pipeline).toEqual(before.pipeline)
    expect(rowOf(result, 'classic-v1')?.status).toBe('skipped')
    expect(result.summary).toContain(
      'not migrated in place — stack ci-stack, resource ClassicPipeline would put GitHub version 1 back on its next update'
    )
    // The template change, as YAML in the log.
    expect(result.stdout).toContain(
      '# Stages → Source → Actions → Source: replace ActionTypeId and Configuration'
    )
    expect(result.stdout).toContain('Provider: CodeStarSourceConnection')
    expect(result.stdout).toContain(`ConnectionArn: ${connection}`)
    expect(result.stdout).toContain(
      '# remove the AWS::CodePipeline::Webhook resource of webhook classic-hook (TargetPipeline classic-v1, TargetAction Source)'
    )
    expect(result.summary).toMatch(/not in place: stack ci-stack owns it/)
    // The pipeline gets no token, so the stack's token source is not followed either.
    expect(result.summary).not.toContain('### CloudFormation stacks')
    expect(JSON.parse(result.outputs['migrated'] ?? '')).toEqual([])
    expect(result.outputs['complete']).toBe('false')
  })

  it('does not migrate a pipeline in a region without CodeConnections', async () => {
    await createPipeline(emulator, 'af-south-1', classicV1(role, 'cape-app', 'cape'))
    await resetCalls(emulator)
    const result = await migrate({ pipelines: 'cape-app', regions: 'af-south-1' })
    expect(await writeCalls(emulator)).toEqual([])
    expect(rowOf(result, 'cape-app')).toMatchObject({ status: 'skipped', region: 'af-south-1' })
    expect(rowOf(result, 'cape-app')?.note).toContain(
      'af-south-1 (Africa (Cape Town)) has no CodeConnections'
    )
    expect(result.summary).toMatch(/no: af-south-1 has no CodeConnections/)
    expect(JSON.parse(result.outputs['migrated'] ?? '')).toEqual([])
  })

  it('in a dry run writes nothing and shows the exact new action', async () => {
    const result = await migrate({ pipelines: 'classic-v1', 'dry-run': 'true' })
    expect(result.code).toBe(0)
    expect(await writeCalls(emulator)).toEqual([])
    const exact = `Source/Source → CodeStarSourceConnection {ConnectionArn: "${connection}", FullRepositoryId: "example-org/classic", BranchName: "main", OutputArtifactFormat: "CODE_ZIP", DetectChanges: "true"} (DetectChanges true: webhook classic-hook started it); webhook classic-hook deregistered from GitHub and deleted`
    expect(rowOf(result, 'classic-v1')).toMatchObject({ status: 'planned', newActions: [exact] })
    expect(result.summary).toContain(`📝 planned: moves to ${connection}: ${exact}`)
    expect(JSON.parse(result.outputs['migrated'] ?? '')).toEqual([])
  })

  it('registers the webhook again when the update fails, and says so', async () => {
    await configure(emulator, {
      faults: [
        {
          action: 'UpdatePipeline',
          kind: 'status',
          status: 400,
          errorType: 'InvalidStructureException',
          message: 'injected: the update failed'
        }
      ]
    })
    const before = await storedPipeline(emulator, REGION, 'classic-v1')
    const result = await migrate({ pipelines: 'classic-v1' })
    expect(result.code).toBe(1)
    expect((await writeCalls(emulator)).map((c) => c.action)).toEqual([
      'DeregisterWebhookWithThirdParty',
      'UpdatePipeline',
      'RegisterWebhookWithThirdParty'
    ])
    expect(await storedPipeline(emulator, REGION, 'classic-v1')).toEqual(before)
    const hooks = await storedWebhooks(emulator, REGION)
    expect(hooks.webhooks.find((w) => w.definition.name === 'classic-hook')?.registered).toBe(true)
    const row = rowOf(result, 'classic-v1')
    expect(row?.status).toBe('failed')
    expect(row?.error).toMatch(/the pipeline was not changed/)
    expect(row?.error).toContain('webhook(s) classic-hook registered with GitHub again, as before')
  })
})

describe('connection-arn: runs in flight, as in a rotation', () => {
  it('in-progress skip leaves a busy pipeline as it is, holding the token', async () => {
    const busy = await addExecution(emulator, {
      region: REGION,
      name: 'classic-v1',
      durationSeconds: 300
    })
    const before = await storedPipeline(emulator, REGION, 'classic-v1')
    const result = await migrate({ pipelines: 'classic-v1', 'in-progress': 'skip' })
    expect(result.code).toBe(0)
    expect(await writeCalls(emulator)).toEqual([])
    expect(await storedPipeline(emulator, REGION, 'classic-v1')).toEqual(before)
    expect(rowOf(result, 'classic-v1')).toMatchObject({
      status: 'skipped',
      runs: { outcome: 'skipped', executions: [busy] }
    })
    expect(result.outputs['complete']).toBe('false')
    // Checked as a migration, then left for the run in flight.
    expect((await calls(emulator)).map((c) => c.action)).toContain('GetConnection')
    expect(JSON.parse(result.outputs['migrated'] ?? '')).toEqual([])
  })

  it('in-progress proceed migrates now, then starts the stopped run again', async () => {
    const stopped = await addExecution(emulator, {
      region: REGION,
      name: 'classic-v1',
      durationSeconds: 300
    })
    const result = await migrate({ pipelines: 'classic-v1', 'in-progress': 'proceed' })
    expect(result.code).toBe(0)
    expect(rowOf(result, 'classic-v1')?.status).toBe('migrated')
    const executions = await listExecutions(emulator, REGION, 'classic-v1')
    expect(executions.find((e) => e.pipelineExecutionId === stopped)?.status).toBe('Cancelled')
    const restarted = executions.filter((e) => e.pipelineExecutionId !== stopped)
    expect(restarted).toHaveLength(1)
    // A V1 pipeline takes no source revision overrides: the latest commit, on the new source.
    expect(rowOf(result, 'classic-v1')?.runs).toMatchObject({
      outcome: 'restarted',
      executions: [stopped],
      restarts: [
        { stopped: [stopped], started: restarted[0]?.pipelineExecutionId, revisions: 'latest' }
      ]
    })
  })
})

describe('the readiness section', () => {
  it('ends a plain rotation run: which pipelines still hold a token and whether they could move', async () => {
    await tagAsStack(emulator, REGION, 'full-v2', 'app-stack')
    const result = await run({ pipelines: '*' })
    expect(result.code).toBe(0)
    expect(lastSection(result.summary)).toBe(
      'Moving off GitHub version 1 — 2 pipeline(s) still hold a GitHub token, 1 could move to a connection'
    )
    const section = result.summary.slice(result.summary.lastIndexOf('### Moving off'))
    expect(section).toContain(
      '| us-east-1 | classic-v1 | Source/Source | yes: set connection-arn to move it to a CodeConnections connection |'
    )
    expect(section).toContain(
      '| us-east-1 | full-v2 | Source/App, Source/Lib | not in place: stack app-stack owns it'
    )
    expect(section).not.toContain('connections-only')
  })
})
