/**
 * The migration's AWS adapters against the emulator (moto behind the
 * launcher): the real SDK clients, signing and parsers, talking to the
 * launcher's webhooks, connections and policy simulation. What phase 2's
 * end-to-end tests build on.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import type { AwsSettings } from '../src/aws/client.js'
import { errorName } from '../src/aws/errors.js'
import { parseConnectionArn } from '../src/inputs/connection.js'
import { createPipelineApi, createPipelineWebhookApi } from '../src/stores/codepipeline/api.js'
import {
  createConnectionsApi,
  createPolicySimulatorApi
} from '../src/stores/codepipeline/migration/api.js'
import { migrationChecks } from '../src/stores/codepipeline/migration/checks.js'
import { simulationFailure } from '../src/stores/codepipeline/migration/preflight.js'
import { verifyMigration } from '../src/stores/codepipeline/migration/verify.js'
import { writeWithWebhooks } from '../src/stores/codepipeline/migration/webhooks.js'
import {
  ACCOUNT,
  addConnection,
  awsJson,
  configure,
  createConnection,
  createPipeline,
  createServiceRole,
  listWebhooks,
  putRolePolicy,
  putWebhook,
  setConnection,
  storedConnection,
  storedPipeline,
  storedWebhooks
} from '../test-support/emulator.js'
import { useEmulator } from '../test-support/jest.js'
import {
  WEBHOOK_SECRET,
  githubSource,
  githubWebhook,
  pipeline,
  useConnectionPolicy
} from '../test-support/pipelines.js'

const emulator = useEmulator()
const REGION = 'eu-west-1'
const TOKEN = 'adapter-test-token-not-a-secret'
const settings: AwsSettings = {
  credentials: async () => ({ accessKeyId: 'testing', secretAccessKey: 'testing' }),
  maxConcurrency: 4
}
let endpointBefore: string | undefined
let roleArn = ''

beforeAll(() => {
  endpointBefore = process.env['AWS_ENDPOINT_URL']
  process.env['AWS_ENDPOINT_URL'] = emulator.url
})
afterAll(() => {
  if (endpointBefore === undefined) delete process.env['AWS_ENDPOINT_URL']
  else process.env['AWS_ENDPOINT_URL'] = endpointBefore
})
beforeEach(async () => {
  roleArn = await createServiceRole(emulator)
  await createPipeline(
    emulator,
    REGION,
    pipeline(
      'app',
      [
        githubSource('App', 'app', { token: TOKEN }),
        githubSource('Lib', 'lib', { token: TOKEN, poll: 'true' })
      ],
      { roleArn }
    )
  )
  await putWebhook(emulator, REGION, githubWebhook('app-hook', 'app', 'App'))
})

describe('createPipelineWebhookApi', () => {
  it('lists, deregisters, registers and deletes through the SDK', async () => {
    const api = createPipelineWebhookApi(settings, REGION)
    await putWebhook(emulator, REGION, githubWebhook('lib-hook', 'app', 'Lib'), { register: false })
    expect(await api.listWebhooks()).toEqual([
      {
        name: 'app-hook',
        targetPipeline: 'app',
        targetAction: 'App',
        arn: `arn:aws:codepipeline:${REGION}:${ACCOUNT}:webhook:app-hook`
      },
      expect.objectContaining({ name: 'lib-hook', targetAction: 'Lib' })
    ])
    await api.deregisterWebhook('app-hook')
    expect((await storedWebhooks(emulator, REGION)).webhooks.map((w) => w.registered)).toEqual([
      false,
      false
    ])
    await api.registerWebhook('lib-hook')
    await api.deleteWebhook('app-hook')
    const after = await storedWebhooks(emulator, REGION)
    expect(after.webhooks.map((w) => [w.definition.name, w.registered])).toEqual([
      ['lib-hook', true]
    ])
    expect(after.orphanedRegistrations).toEqual([])
    // The secret token never comes back.
    expect(JSON.stringify(await listWebhooks(emulator, REGION))).not.toContain(WEBHOOK_SECRET)
  })

  it('frames a real migration: deregister, UpdatePipeline, delete; then verifies it', async () => {
    const connection = await addConnection(emulator, { status: 'AVAILABLE' })
    const pipelines = createPipelineApi(settings, REGION)
    const webhooks = createPipelineWebhookApi(settings, REGION)
    const checks = migrationChecks(
      parseConnectionArn(connection.ConnectionArn)!,
      'https://api.github.com',
      {
        connections: createConnectionsApi(settings),
        simulator: (region) => createPolicySimulatorApi(settings, region),
        webhooks: () => webhooks
      }
    )
    await putRolePolicy(
      emulator,
      'pipeline-role',
      'use-connection',
      useConnectionPolicy(connection.ConnectionArn)
    )
    const read = await pipelines.getPipeline('app')
    const verdict = await checks.check({
      region: REGION,
      name: 'app',
      pipeline: read.pipeline,
      arn: read.arn,
      stack: undefined,
      logicalId: undefined
    })
    expect(verdict.kind).toBe('migrate')
    if (verdict.kind !== 'migrate') return
    const framed = await writeWithWebhooks(
      webhooks,
      verdict.webhooks.map((w) => w.name),
      async () => ({
        written: true,
        value: await pipelines.updatePipeline(verdict.rewrite.pipeline)
      })
    )
    expect(framed.problems).toEqual([])
    expect(framed.deleted).toEqual(['app-hook'])
    const after = await pipelines.getPipeline('app')
    expect(
      verifyMigration(
        verdict.rewrite.pipeline,
        after.pipeline,
        verdict.rewrite.actions,
        framed.outcome?.value.attempts
      )
    ).toEqual({ versionAfter: 2, problems: [] })
    const stored = await storedPipeline(emulator, REGION, 'app')
    expect(JSON.stringify(stored.pipeline)).not.toContain(TOKEN)
    expect(await storedWebhooks(emulator, REGION)).toEqual({
      webhooks: [],
      orphanedRegistrations: []
    })
  })

  it('leaves GitHub holding a dead hook when the webhook is only deleted after the update (why deregistration comes first)', async () => {
    const webhooks = createPipelineWebhookApi(settings, REGION)
    const read = await createPipelineApi(settings, REGION).getPipeline('app')
    const stages = read.pipeline['stages'] as { actions: Record<string, unknown>[] }[]
    stages[0]!.actions[0]!['actionTypeId'] = {
      category: 'Source',
      owner: 'AWS',
      provider: 'CodeStarSourceConnection',
      version: '1'
    }
    stages[0]!.actions[0]!['configuration'] = {
      ConnectionArn: 'arn:aws:codeconnections:eu-west-1:123456789012:connection/x',
      FullRepositoryId: 'example-org/app',
      BranchName: 'main'
    }
    await awsJson(emulator, REGION, 'CodePipeline_20150709.UpdatePipeline', {
      pipeline: read.pipeline
    })
    const refused = await webhooks.deregisterWebhook('app-hook').catch((error: unknown) => error)
    expect(errorName(refused)).toBe('ValidationException')
    await webhooks.deleteWebhook('app-hook')
    expect((await storedWebhooks(emulator, REGION)).orphanedRegistrations).toHaveLength(1)
  })
})

describe('createConnectionsApi', () => {
  it('reads a connection of either prefix, PENDING when created through the API', async () => {
    const api = createConnectionsApi(settings)
    for (const service of ['codeconnections', 'codestar-connections'] as const) {
      const arn = await createConnection(emulator, `gh-${service}`.slice(0, 32), {
        service,
        region: 'us-east-1'
      })
      const connection = parseConnectionArn(arn)!
      expect(await api.getConnection(connection)).toEqual({
        status: 'PENDING',
        providerType: 'GitHub',
        ownerAccountId: ACCOUNT,
        hostArn: undefined
      })
      await setConnection(emulator, arn, { status: 'AVAILABLE' })
      expect((await api.getConnection(connection)).status).toBe('AVAILABLE')
      expect((await storedConnection(emulator, arn)).ConnectionStatus).toBe('AVAILABLE')
    }
    const ghes = await addConnection(emulator, {
      providerType: 'GitHubEnterpriseServer',
      hostArn: `arn:aws:codeconnections:us-east-1:${ACCOUNT}:host/ghes-1`
    })
    expect(await api.getConnection(parseConnectionArn(ghes.ConnectionArn)!)).toMatchObject({
      providerType: 'GitHubEnterpriseServer',
      hostArn: `arn:aws:codeconnections:us-east-1:${ACCOUNT}:host/ghes-1`
    })
  })

  it("refuses another account's connection that is not shared", async () => {
    const other = await addConnection(emulator, { account: '210987654321', status: 'AVAILABLE' })
    const failed = await createConnectionsApi(settings)
      .getConnection(parseConnectionArn(other.ConnectionArn)!)
      .catch((error: unknown) => error)
    expect(errorName(failed)).toBe('ResourceNotFoundException')
  })
})

describe('createPolicySimulatorApi', () => {
  it('tells allowed, implicitly denied and explicitly denied apart', async () => {
    const conn = `arn:aws:codeconnections:us-east-1:${ACCOUNT}:connection/0a1b2c3d-0000-4000-8000-000000000001`
    const api = createPolicySimulatorApi(settings, REGION)
    expect(await api.simulate(roleArn, 'codeconnections:UseConnection', conn)).toEqual({
      decision: 'implicitDeny',
      matched: [],
      allowedByBoundary: undefined,
      allowedByOrganizations: undefined
    })
    await putRolePolicy(emulator, 'pipeline-role', 'use', useConnectionPolicy(conn))
    expect(await api.simulate(roleArn, 'codeconnections:UseConnection', conn)).toMatchObject({
      decision: 'allowed',
      matched: ['use']
    })
    // The old prefix is another action: the statement for the new one does not allow it.
    expect((await api.simulate(roleArn, 'codestar-connections:UseConnection', conn)).decision).toBe(
      'implicitDeny'
    )
    await putRolePolicy(emulator, 'pipeline-role', 'guard', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 'codeconnections:*', Resource: '*' }]
    })
    expect(await api.simulate(roleArn, 'codeconnections:UseConnection', conn)).toMatchObject({
      decision: 'explicitDeny',
      matched: ['guard']
    })
  })

  it('raises the refusal when the rotator role may not simulate', async () => {
    await configure(emulator, {
      faults: [
        {
          service: 'iam',
          action: 'SimulatePrincipalPolicy',
          kind: 'status',
          status: 403,
          errorType: 'AccessDenied'
        }
      ]
    })
    const failed = await createPolicySimulatorApi(settings, REGION)
      .simulate(roleArn, 'codeconnections:UseConnection', '*')
      .catch((error: unknown) => error)
    expect(errorName(failed)).toBe('AccessDenied')
    expect(simulationFailure(failed, roleArn)).toMatch(
      /grant the rotator role iam:SimulatePrincipalPolicy on /
    )
  })
})
