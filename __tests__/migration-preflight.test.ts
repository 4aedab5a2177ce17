import { describe, it, expect } from '@jest/globals'
import { parseConnectionArn } from '../src/inputs/connection.js'
import type { Webhook } from '../src/stores/codepipeline/api.js'
import type { JsonObject } from '../src/stores/codepipeline/pipeline-json.js'
import type {
  ConnectionFacts,
  SimulationFacts
} from '../src/stores/codepipeline/migration/preflight.js'
import {
  REGIONS_WITHOUT_CONNECTIONS,
  connectionProblem,
  consoleUrl,
  expectedProvider,
  getConnectionFailure,
  regionProblem,
  roleFor,
  roleProblem,
  rolesToCheck,
  simulationFailure,
  useConnectionAction,
  useConnectionStatement
} from '../src/stores/codepipeline/migration/preflight.js'
import {
  migrationChecks,
  readinessOf,
  type MigrationCandidate
} from '../src/stores/codepipeline/migration/checks.js'
import { awsError } from '../__fixtures__/pipelines.js'
import { ACCOUNT, githubSource, pipeline } from '../test-support/pipelines.js'

const ID = '0a1b2c3d-0000-4000-8000-000000000001'
const NEW = parseConnectionArn(`arn:aws:codeconnections:eu-west-1:${ACCOUNT}:connection/${ID}`)!
const OLD = parseConnectionArn(
  `arn:aws:codestar-connections:eu-west-1:${ACCOUNT}:connection/${ID}`
)!
const ROLE = `arn:aws:iam::${ACCOUNT}:role/pipeline-role`

const available: ConnectionFacts = {
  status: 'AVAILABLE',
  providerType: 'GitHub',
  ownerAccountId: ACCOUNT,
  hostArn: undefined
}
const allowed: SimulationFacts = {
  decision: 'allowed',
  matched: ['use'],
  allowedByBoundary: undefined,
  allowedByOrganizations: undefined
}

describe('regions', () => {
  it('lists the twelve regions the action reference names, and only those', () => {
    expect(Object.keys(REGIONS_WITHOUT_CONNECTIONS).sort()).toEqual(
      [
        'af-south-1',
        'ap-east-1',
        'ap-northeast-3',
        'ap-south-2',
        'ap-southeast-3',
        'ap-southeast-4',
        'eu-central-2',
        'eu-south-2',
        'il-central-1',
        'me-central-1',
        'me-south-1',
        'us-gov-west-1'
      ].sort()
    )
    expect(regionProblem('eu-west-1')).toBeUndefined()
    expect(regionProblem('us-gov-east-1')).toBeUndefined()
    expect(regionProblem('ap-east-1')).toBe(
      'ap-east-1 (Asia Pacific (Hong Kong)) has no CodeConnections (the CodeStarSourceConnection action is not available there, per its action reference): the pipeline keeps its GitHub (version 1) source and its token'
    )
  })
})

describe('expectedProvider', () => {
  it('is GitHubEnterpriseServer for https://HOST/api/v3 only', () => {
    expect(expectedProvider('https://api.github.com')).toBe('GitHub')
    expect(expectedProvider('http://127.0.0.1:4010')).toBe('GitHub')
    expect(expectedProvider('https://github.example.com/api/v3')).toBe('GitHubEnterpriseServer')
    expect(expectedProvider('https://api.github.com/api/v3')).toBe('GitHub')
  })
})

describe('connectionProblem', () => {
  it('accepts an AVAILABLE connection of the expected provider in the pipeline account', () => {
    expect(connectionProblem(available, NEW, ACCOUNT, 'GitHub')).toBeUndefined()
    expect(connectionProblem(available, NEW, undefined, 'GitHub')).toBeUndefined()
  })

  it('says exactly how to complete a PENDING connection', () => {
    expect(connectionProblem({ ...available, status: 'PENDING' }, NEW, ACCOUNT, 'GitHub')).toBe(
      `connection ${NEW.arn} is PENDING: a connection created through the API, the CLI or CloudFormation stays PENDING until someone completes it in the console — open https://console.aws.amazon.com/codesuite/settings/connections?region=eu-west-1, choose the connection, choose "Update pending connection" and install (or choose) the AWS Connector for GitHub app on the organization that owns the repositories; then re-run. Nothing was written`
    )
  })

  it('explains ERROR and any other status', () => {
    expect(connectionProblem({ ...available, status: 'ERROR' }, NEW, ACCOUNT, 'GitHub')).toMatch(
      /is in ERROR \(its GitHub App installation was removed, suspended or lost access\): open https:\/\/console.aws.amazon.com\/codesuite\/settings\/connections\?region=eu-west-1/
    )
    expect(connectionProblem({ ...available, status: '' }, NEW, ACCOUNT, 'GitHub')).toBe(
      `connection ${NEW.arn} is in no known status, not AVAILABLE: nothing was written`
    )
  })

  it('refuses a connection of another provider type', () => {
    expect(
      connectionProblem({ ...available, providerType: 'Bitbucket' }, NEW, ACCOUNT, 'GitHub')
    ).toBe(
      `connection ${NEW.arn} is a Bitbucket connection, but github-api-url is GitHub.com, so the pipelines need a GitHub connection: give one in connection-arn. Nothing was written`
    )
    expect(connectionProblem(available, NEW, ACCOUNT, 'GitHubEnterpriseServer')).toMatch(
      /is a GitHub connection, but github-api-url is a GitHub Enterprise Server \(…\/api\/v3\), so the pipelines need a GitHubEnterpriseServer connection/
    )
  })

  it('refuses a codestar-connections connection of another account, which cannot be shared', () => {
    const other = { ...available, ownerAccountId: '210987654321' }
    expect(connectionProblem(other, OLD, ACCOUNT, 'GitHub')).toMatch(
      /belongs to account 210987654321, and the pipeline is in 123456789012: "Connection sharing is not supported for codestar-connections resources"/
    )
    // A codeconnections connection GetConnection answered for from this account is shared with it.
    expect(connectionProblem(other, NEW, ACCOUNT, 'GitHub')).toBeUndefined()
  })

  it('names the console of the partition', () => {
    const cn = parseConnectionArn(
      `arn:aws-cn:codeconnections:cn-north-1:${ACCOUNT}:connection/${ID}`
    )!
    const gov = parseConnectionArn(
      `arn:aws-us-gov:codeconnections:us-gov-east-1:${ACCOUNT}:connection/${ID}`
    )!
    expect(consoleUrl(cn)).toBe(
      'https://console.amazonaws.cn/codesuite/settings/connections?region=cn-north-1'
    )
    expect(consoleUrl(gov)).toMatch(/^https:\/\/console.amazonaws-us-gov.com\//)
  })
})

describe('getConnectionFailure', () => {
  it('tells a connection not found (or not shared) from a refused call', () => {
    expect(getConnectionFailure(awsError('ResourceNotFoundException'), NEW, ACCOUNT)).toBe(
      `connection ${NEW.arn} was not found from account ${ACCOUNT}: check connection-arn; a connection of another account must be a codeconnections connection shared with this one through AWS RAM. Nothing was written`
    )
    expect(
      getConnectionFailure(
        awsError(
          'AccessDeniedException',
          'not authorized to perform: codestar-connections:GetConnection'
        ),
        NEW,
        ACCOUNT
      )
    ).toMatch(
      /the role needs permission codestar-connections:GetConnection .*\(GetConnection of arn:aws:codeconnections:/
    )
  })
})

describe('the role check', () => {
  it('asks for the action of the ARN prefix, on the connection', () => {
    expect(useConnectionAction(NEW)).toBe('codeconnections:UseConnection')
    expect(useConnectionAction(OLD)).toBe('codestar-connections:UseConnection')
    expect(useConnectionStatement(OLD)).toEqual({
      Effect: 'Allow',
      Action: 'codestar-connections:UseConnection',
      Resource: OLD.arn
    })
  })

  it('prints the exact statement to add when the role is not allowed', () => {
    expect(roleProblem(ROLE, NEW, allowed)).toBeUndefined()
    const denied = { ...allowed, decision: 'implicitDeny', matched: [] }
    expect(roleProblem(ROLE, NEW, denied)).toBe(
      `role ${ROLE} may not use the connection (codeconnections:UseConnection is not allowed): the pipeline could not fetch its source — add this statement to one of its policies: {"Effect":"Allow","Action":"codeconnections:UseConnection","Resource":"${NEW.arn}"}. Nothing was written`
    )
    expect(roleProblem(ROLE, NEW, { ...denied, allowedByBoundary: false })).toMatch(
      /\(its permissions boundary must allow it too\): \{"Effect"/
    )
    expect(roleProblem(ROLE, NEW, { ...denied, allowedByOrganizations: false })).toMatch(
      /\(a service control policy must allow it too\)/
    )
    expect(
      roleProblem(ROLE, NEW, { ...allowed, decision: 'explicitDeny', matched: ['guard'] })
    ).toBe(
      `role ${ROLE} is explicitly denied codeconnections:UseConnection on the connection by guard: the pipeline could not fetch its source — narrow that Deny, then re-run. Nothing was written`
    )
  })

  it('names the permission the rotator role needs when the simulation is refused', () => {
    const refused = awsError(
      'AccessDenied',
      'User: arn:aws:sts::123456789012:assumed-role/rotator/run is not authorized to perform: iam:SimulatePrincipalPolicy on resource: ' +
        ROLE,
      403
    )
    expect(simulationFailure(refused, ROLE)).toMatch(
      /the role needs permission iam:SimulatePrincipalPolicy .* grant the rotator role iam:SimulatePrincipalPolicy on arn:aws:iam::123456789012:role\/pipeline-role\. Nothing was written$/
    )
    expect(simulationFailure(awsError('NoSuchEntity', 'no role', 404), ROLE)).toBe(
      `role ${ROLE} does not exist (or is in another account), so the pipeline cannot run its source: fix the pipeline's roleArn. Nothing was written`
    )
    expect(simulationFailure(awsError('ServiceFailure', 'oops', 500), ROLE)).toMatch(
      /^ServiceFailure: oops — AWS had a server error after retries: re-run \(checking role/
    )
  })

  it("checks the action's own role, else the pipeline's, each once", () => {
    const own = `arn:aws:iam::${ACCOUNT}:role/source-role`
    const p = pipeline('p', [
      githubSource('A', 'a'),
      githubSource('B', 'b', { extra: { roleArn: own } }),
      githubSource('C', 'c')
    ])
    const actions = (p['stages'] as { actions: JsonObject[] }[])[0]!.actions
    expect(roleFor(p, actions[1]!)).toBe(own)
    expect(roleFor(p, actions[0]!)).toBe(ROLE)
    expect(rolesToCheck(p, ['Source/A', 'Source/B', 'Source/C'])).toEqual([ROLE, own])
    expect(rolesToCheck(p, ['Source/B'])).toEqual([own])
    expect(roleFor({}, {})).toBeUndefined()
  })
})

describe('migrationChecks', () => {
  function world() {
    const calls: string[] = []
    const state = {
      connection: available as ConnectionFacts | Error,
      simulation: allowed as SimulationFacts | Error,
      webhooks: [hook('app-hook', 'app', 'App'), hook('other', 'else', 'App')] as Webhook[] | Error
    }
    const services = {
      connections: {
        getConnection: async () => {
          calls.push('GetConnection')
          if (state.connection instanceof Error) throw state.connection
          return state.connection
        }
      },
      simulator: (region: string) => ({
        simulate: async (role: string, action: string, resource: string) => {
          calls.push(`Simulate ${region} ${role} ${action} ${resource}`)
          if (state.simulation instanceof Error) throw state.simulation
          return state.simulation
        }
      }),
      webhooks: (region: string) => ({
        listWebhooks: async () => {
          calls.push(`ListWebhooks ${region}`)
          if (state.webhooks instanceof Error) throw state.webhooks
          return state.webhooks
        },
        deregisterWebhook: async () => undefined,
        registerWebhook: async () => undefined,
        deleteWebhook: async () => undefined
      })
    }
    return { calls, state, checks: migrationChecks(NEW, 'https://api.github.com', services) }
  }
  const hook = (name: string, targetPipeline: string, targetAction: string): Webhook => ({
    name,
    targetPipeline,
    targetAction,
    arn: undefined
  })
  const candidate = (overrides: Partial<MigrationCandidate> = {}): MigrationCandidate => ({
    region: 'eu-west-1',
    name: 'app',
    pipeline: pipeline('app', [githubSource('App', 'app')], 3),
    arn: `arn:aws:codepipeline:eu-west-1:${ACCOUNT}:app`,
    stack: undefined,
    logicalId: undefined,
    ...overrides
  })

  it('passes a pipeline every check agrees with, one GetConnection and one ListWebhooks per run and region', async () => {
    const { calls, checks } = world()
    const first = await checks.check(candidate())
    const second = await checks.check(candidate({ name: 'else' }))
    expect(first.kind).toBe('migrate')
    if (first.kind !== 'migrate') return
    expect(first.webhooks.map((w) => w.name)).toEqual(['app-hook'])
    expect(first.rewrite.actions[0]?.configuration['DetectChanges']).toBe('true')
    expect(second.kind === 'migrate' && second.webhooks.map((w) => w.name)).toEqual(['other'])
    expect(calls).toEqual([
      'ListWebhooks eu-west-1',
      'GetConnection',
      `Simulate eu-west-1 ${ROLE} codeconnections:UseConnection ${NEW.arn}`,
      `Simulate eu-west-1 ${ROLE} codeconnections:UseConnection ${NEW.arn}`
    ])
  })

  it('refuses a region without CodeConnections before any call', async () => {
    const { calls, checks } = world()
    const verdict = await checks.check(candidate({ region: 'af-south-1' }))
    expect(verdict).toMatchObject({ kind: 'refused', blocker: { kind: 'region' } })
    expect(calls).toEqual([])
  })

  it('gives a stack-owned pipeline the template change instead, without the connection checks', async () => {
    const { calls, checks } = world()
    const verdict = await checks.check(candidate({ stack: 'app-stack', logicalId: 'Pipeline' }))
    expect(verdict.kind).toBe('stack')
    if (verdict.kind !== 'stack') return
    expect(verdict.change).toMatchObject({
      stack: 'app-stack',
      logicalId: 'Pipeline',
      removeWebhooks: [{ name: 'app-hook', targetAction: 'App' }]
    })
    expect(calls).toEqual(['ListWebhooks eu-west-1'])
  })

  it('refuses on the first failed check, saying why', async () => {
    const pending = world()
    pending.state.connection = { ...available, status: 'PENDING' }
    expect(await pending.checks.check(candidate())).toMatchObject({
      kind: 'refused',
      reason: expect.stringMatching(/is PENDING: a connection created through the API/),
      blocker: { kind: 'other' }
    })
    expect(pending.calls).not.toContainEqual(expect.stringMatching(/^Simulate/))

    const missing = world()
    missing.state.connection = awsError('ResourceNotFoundException')
    expect(await missing.checks.check(candidate())).toMatchObject({
      reason: expect.stringMatching(/was not found from account 123456789012/)
    })

    const denied = world()
    denied.state.simulation = { ...allowed, decision: 'implicitDeny', matched: [] }
    expect(await denied.checks.check(candidate())).toMatchObject({
      reason: expect.stringMatching(/add this statement to one of its policies/)
    })

    const noSimulation = world()
    noSimulation.state.simulation = awsError('AccessDenied', 'no', 403)
    expect(await noSimulation.checks.check(candidate())).toMatchObject({
      reason: expect.stringMatching(/grant the rotator role iam:SimulatePrincipalPolicy/)
    })

    const noList = world()
    noList.state.webhooks = awsError('AccessDeniedException', 'no')
    expect(await noList.checks.check(candidate())).toMatchObject({
      reason: expect.stringMatching(
        /needs permission codepipeline:ListWebhooks .* could not be listed, so it was not migrated$/
      )
    })

    const shape = world()
    const odd = pipeline('app', [
      githubSource('App', 'app', { extra: { configuration: { Owner: 'o' } } })
    ])
    expect(await shape.checks.check(candidate({ pipeline: odd }))).toMatchObject({
      reason: expect.stringMatching(/has no Repo, Branch/)
    })
  })

  it('has nothing to move in a pipeline without GitHub (version 1) sources', async () => {
    const { checks } = world()
    const none = { name: 'app', stages: [null] } as unknown as JsonObject
    expect(await checks.check(candidate({ pipeline: none }))).toMatchObject({
      kind: 'refused',
      reason: expect.stringMatching(/no GitHub \(version 1\) source action, so it holds no token/)
    })
  })
})

describe('readinessOf', () => {
  const app = pipeline('app', [githubSource('App', 'app'), githubSource('Lib', 'lib')], 3)

  it('says a pipeline could move, or why not, without a call', () => {
    expect(
      readinessOf({ region: 'us-east-1', name: 'app', pipeline: app, stack: undefined })
    ).toEqual({
      region: 'us-east-1',
      pipeline: 'app',
      actions: ['Source/App', 'Source/Lib']
    })
    expect(
      readinessOf({ region: 'il-central-1', name: 'app', pipeline: app, stack: 's' })
    ).toMatchObject({
      blocker: { kind: 'region' }
    })
    expect(
      readinessOf({ region: 'us-east-1', name: 'app', pipeline: app, stack: 's' })
    ).toMatchObject({
      blocker: { kind: 'stack', stack: 's' }
    })
    const odd = pipeline('odd', [
      githubSource('App', 'app', { extra: { configuration: { Owner: 'o' } } })
    ])
    expect(
      readinessOf({ region: 'us-east-1', name: 'odd', pipeline: odd, stack: undefined })
    ).toEqual({
      region: 'us-east-1',
      pipeline: 'odd',
      actions: ['Source/App'],
      blocker: { kind: 'other', reason: expect.stringMatching(/has no Repo, Branch/) }
    })
    const notObject = pipeline('bad', [{ ...githubSource('App', 'app'), configuration: 'x' }])
    expect(
      readinessOf({ region: 'us-east-1', name: 'bad', pipeline: notObject, stack: undefined })
    ).toMatchObject({
      actions: [],
      blocker: { kind: 'other', reason: expect.stringMatching(/is a string, not an object/) }
    })
  })
})
