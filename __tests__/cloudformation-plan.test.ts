import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import { inputsOf } from '../__fixtures__/inputs.js'
import type { ContributionLookup, ValueRef } from '../src/core/refs.js'
import type { Inputs } from '../src/inputs/types.js'
import type { StackFinding } from '../src/stores/cloudformation/types.js'
import type { OwnedPipeline, PipelineStore } from '../src/stores/codepipeline/store.js'
import type { SecretsStore } from '../src/stores/secrets-manager/store.js'
import type { ParameterStore } from '../src/stores/ssm/store.js'
import {
  ACCOUNT,
  FakeParameters,
  FakeSecrets,
  FakeStacks,
  awsError,
  limit
} from '../__fixtures__/value-stores.js'

jest.unstable_mockModule('@actions/core', () => core)
const { followStack, ownerTags, updateStackCommand } =
  await import('../src/stores/cloudformation/plan.js')
const { stackStore } = await import('../src/stores/cloudformation/store.js')
const { stackLines, stackSection } = await import('../src/stores/cloudformation/render.js')
const { secretsStore } = await import('../src/stores/secrets-manager/store.js')
const { parameterStore } = await import('../src/stores/ssm/store.js')
const { SealedToken } = await import('../src/core/sealed-token.js')

const TOKEN = 'unit-token-stacks-0123456789'
const OLD = 'old-stack-token-do-not-print'
const SECRET_ARN = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:ci/github-AbCdEf`

function githubAction(name: string, token: unknown) {
  return {
    Name: name,
    ActionTypeId: { Category: 'Source', Owner: 'ThirdParty', Provider: 'GitHub', Version: '1' },
    Configuration: { Owner: 'example-org', Repo: 'app', Branch: 'main', OAuthToken: token }
  }
}

function template(
  tokens: Record<string, unknown>,
  { name = 'app', logicalId = 'Pipeline', parameters = {} } = {}
) {
  return {
    Parameters: parameters,
    Resources: {
      Role: { Type: 'AWS::IAM::Role' },
      [logicalId]: {
        Type: 'AWS::CodePipeline::Pipeline',
        Properties: {
          Name: name,
          Stages: [
            {
              Name: 'Source',
              Actions: Object.entries(tokens).map(([action, token]) => githubAction(action, token))
            }
          ]
        }
      }
    }
  }
}

/** A pipeline a stack created; `logicalId` is its tag (CloudFormation always sets one). */
function owned(
  pipeline = 'app',
  stack = 'ci-stack',
  region = 'us-east-1',
  logicalId: string | undefined = 'Pipeline'
) {
  const result = {
    region,
    pipeline,
    arn: `arn:aws:codepipeline:${region}:${ACCOUNT}:${pipeline}`,
    status: 'planned' as const,
    githubActions: ['Source/App'],
    repositories: ['example-org/app'],
    stack
  }
  return { region, pipeline, stack, logicalId, result } satisfies OwnedPipeline
}

/** Stores that only record what they are handed. */
function recorders() {
  const secrets: ValueRef[] = []
  const parameters: ValueRef[] = []
  const rows = new Map<ValueRef, { status: string; error?: string; note?: string }>()
  const contribute =
    (into: ValueRef[]) =>
    (ref: ValueRef): ContributionLookup<never> => {
      into.push(ref)
      return () => rows.get(ref) as never
    }
  const unused = async () => {
    throw new Error('not used')
  }
  const base = { plan: unused, apply: unused, report: () => ({}) as never }
  return {
    secrets,
    parameters,
    rows,
    secretsStore: { ...base, contribute: contribute(secrets) } as SecretsStore,
    parameterStore: { ...base, contribute: contribute(parameters) } as ParameterStore
  }
}

let api: FakeStacks
let recorded: ReturnType<typeof recorders>

/** Tags each pipeline as its stack (as it is now) created it, unless a test tagged it already. */
function tagAll(stacks: FakeStacks, list: OwnedPipeline[]) {
  for (const o of list) {
    const arn = o.result.arn as string
    if (!stacks.tags.has(arn) && o.logicalId) stacks.tag(arn, o.stack, o.logicalId)
  }
}

async function follow(o: OwnedPipeline[] = [owned()], stack = 'ci-stack', region = 'us-east-1') {
  tagAll(api, o)
  const ctx = { api, limit, secrets: recorded.secretsStore, parameters: recorded.parameterStore }
  return followStack(region, stack, o, await ownerTags(o, ctx), ctx)
}

beforeEach(() => {
  core.resetCore()
  api = new FakeStacks()
  recorded = recorders()
})

describe('followStack: Secrets Manager references', () => {
  it('hands a secret to the Secrets Manager store, in the stack’s region', async () => {
    api.add(
      'ci-stack',
      template({ App: '{{resolve:secretsmanager:ci/github:SecretString:token}}' })
    )
    const findings = await follow()
    expect(recorded.secrets).toEqual([
      {
        entry: 'ci/github#token',
        id: 'ci/github',
        key: 'token',
        region: 'us-east-1',
        account: undefined,
        origin: 'stack ci-stack'
      }
    ])
    expect(recorded.parameters).toEqual([])
    expect(findings).toEqual([
      {
        region: 'us-east-1',
        pipeline: 'app',
        stack: 'ci-stack',
        logicalId: 'Pipeline',
        action: 'Source/App',
        source: { kind: 'secret', id: 'ci/github', key: 'token', pinned: undefined },
        followed: { what: 'secret ci/github#token', row: expect.any(Function) }
      }
    ])
    // The pipelines' tags, the stack's id, then the template of exactly that stack.
    expect(api.calls).toEqual([
      'listing ci-stack',
      'describe ci-stack',
      `template arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/ci-stack/00000001-0000-4000-8000-000000000000`
    ])
  })

  it('uses the region and account a secret ARN names', async () => {
    api.add('ci-stack', template({ App: `{{resolve:secretsmanager:${SECRET_ARN}}}` }))
    const findings = await follow()
    expect(recorded.secrets).toEqual([
      {
        entry: SECRET_ARN,
        id: SECRET_ARN,
        key: undefined,
        region: 'eu-west-1',
        account: ACCOUNT,
        origin: 'stack ci-stack'
      }
    ])
    expect(findings[0]?.followed?.what).toBe(`secret ${SECRET_ARN}`)
  })

  it('reports a reference pinned to a version, handing nothing on', async () => {
    api.add(
      'ci-stack',
      template({
        Stage: '{{resolve:secretsmanager:ci/github:SecretString:token:AWSPREVIOUS}}',
        Id: '{{resolve:secretsmanager:ci/github:SecretString::::}}',
        Version: '{{resolve:secretsmanager:ci/github:SecretString:token::abc-123}}'
      })
    )
    const findings = await follow()
    expect(recorded.secrets.map((r) => r.entry)).toEqual(['ci/github'])
    expect(findings.map((f) => f.problem)).toEqual([
      'the template reads secret ci/github#token at version stage AWSPREVIOUS, which stays the old token: make the reference follow AWSCURRENT (drop the version), then rotate again',
      undefined,
      'the template reads secret ci/github#token at version id abc-123, which stays the old token: make the reference follow AWSCURRENT (drop the version), then rotate again'
    ])
  })
})

describe('followStack: Parameter Store references', () => {
  it('hands a parameter to the Parameter Store store', async () => {
    api.add('ci-stack', template({ App: '{{resolve:ssm-secure:/ci/github-token}}' }))
    const findings = await follow()
    expect(recorded.parameters).toEqual([
      {
        entry: '/ci/github-token',
        id: '/ci/github-token',
        key: undefined,
        region: 'us-east-1',
        account: undefined,
        origin: 'stack ci-stack'
      }
    ])
    expect(findings[0]?.followed?.what).toBe('parameter /ci/github-token')
  })

  it('reports a parameter reference pinned to a version', async () => {
    api.add('ci-stack', template({ App: '{{resolve:ssm:/ci/github-token:4}}' }))
    const findings = await follow()
    expect(recorded.parameters).toEqual([])
    expect(findings[0]?.problem).toBe(
      'the template reads parameter /ci/github-token at version 4, which stays the old token: drop the version from the reference, then rotate again'
    )
  })

  it('follows a template parameter of type AWS::SSM::Parameter::Value<String> into Parameter Store', async () => {
    api.add(
      'ci-stack',
      template(
        { App: { Ref: 'TokenName' } },
        { parameters: { TokenName: { Type: 'AWS::SSM::Parameter::Value<String>' } } }
      ),
      { parameters: [{ key: 'TokenName', value: '/ci/github-token' }] }
    )
    const findings = await follow()
    expect(recorded.parameters).toEqual([
      {
        entry: '/ci/github-token',
        id: '/ci/github-token',
        key: undefined,
        region: 'us-east-1',
        account: undefined,
        origin: 'stack ci-stack parameter TokenName'
      }
    ])
    expect(findings[0]).toMatchObject({
      source: { kind: 'parameter', name: 'TokenName' },
      followed: { what: 'parameter /ci/github-token (through stack parameter TokenName)' }
    })
    expect(findings[0]?.problem).toBeUndefined()
  })
})

describe('followStack: what it cannot follow', () => {
  it('reports a Ref to a template parameter with the exact update-stack command, never the token', async () => {
    api.add(
      'ci-stack',
      template(
        { App: { Ref: 'GitHubToken' } },
        { parameters: { GitHubToken: { Type: 'String', NoEcho: true }, Env: { Type: 'String' } } }
      ),
      {
        parameters: [
          { key: 'GitHubToken', value: '****' },
          { key: 'Env', value: 'prod' },
          { key: 'Branch', value: 'main' }
        ],
        capabilities: ['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND']
      }
    )
    const findings = await follow()
    const command =
      'aws cloudformation update-stack --region us-east-1 --stack-name ci-stack --use-previous-template --parameters ParameterKey=GitHubToken,ParameterValue="$NEW_TOKEN" ParameterKey=Env,UsePreviousValue=true ParameterKey=Branch,UsePreviousValue=true --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND'
    expect(findings[0]?.problem).toBe(
      `the template takes the token from its parameter GitHubToken, which still holds the old token (this action does not update stacks): give it the new token with \`${command}\`, or make the template read it with {{resolve:secretsmanager:…}}`
    )
    expect(JSON.stringify(findings)).not.toContain(TOKEN)
    expect(recorded.secrets).toEqual([])
    expect(recorded.parameters).toEqual([])
  })

  it('follows nothing when DescribeStacks fails: the stack cannot be told to be the pipeline’s', async () => {
    api.add('ci-stack', template({ App: '{{resolve:secretsmanager:ci/github}}' }))
    api.failures.describe = awsError('AccessDenied', 'not allowed')
    const findings = await follow()
    expect(findings[0]?.problem).toBe(
      "stack ci-stack could not be described (AccessDenied: not allowed — the role needs permission cloudformation:DescribeStacks (see the README's IAM policy)), so it cannot be told that it created the pipeline: its token source was not followed; the pipeline itself was still rotated"
    )
    expect(recorded.secrets).toEqual([])
    expect(api.calls).not.toContain(expect.stringMatching(/^template/))
  })

  it('says what to fill in when the stack parameters are not known', () => {
    expect(updateStackCommand('us-east-1', 'ci-stack', 'GitHubToken', undefined)).toBe(
      'aws cloudformation update-stack --region us-east-1 --stack-name ci-stack --use-previous-template --parameters ParameterKey=GitHubToken,ParameterValue="$NEW_TOKEN" ParameterKey=…,UsePreviousValue=true (for every other parameter)'
    )
  })

  it('builds the command with no other parameters and no capabilities', () => {
    expect(
      updateStackCommand('eu-west-1', 's', 'Token', {
        stackId: undefined,
        parameters: [{ key: 'Token', value: undefined }],
        capabilities: []
      })
    ).toBe(
      'aws cloudformation update-stack --region eu-west-1 --stack-name s --use-previous-template --parameters ParameterKey=Token,ParameterValue="$NEW_TOKEN"'
    )
  })

  it('reports an SSM-typed parameter whose value DescribeStacks did not give as a parameter to update', async () => {
    api.add(
      'ci-stack',
      template(
        { App: { Ref: 'TokenName' } },
        { parameters: { TokenName: { Type: 'AWS::SSM::Parameter::Value<String>' } } }
      ),
      { parameters: [{ key: 'TokenName', value: undefined }] }
    )
    const findings = await follow()
    expect(recorded.parameters).toEqual([])
    expect(findings[0]?.problem).toMatch(
      /^the template takes the token from its parameter TokenName/
    )
  })

  it('reports a token written into the template, registering it as a secret and never printing it', async () => {
    const literal = `ghp_${Date.now()}LiteralTokenInTheTemplate`
    api.add('ci-stack', template({ App: literal }))
    const findings = await follow()
    expect(core.setSecret).toHaveBeenCalledWith(literal)
    expect(findings[0]).toMatchObject({ source: { kind: 'literal' } })
    expect(findings[0]?.problem).toBe(
      'the template itself holds the old token (a literal OAuthToken): the next stack update puts it back — replace it with a {{resolve:secretsmanager:…}} dynamic reference to a secret the secrets input names'
    )
    expect(JSON.stringify(findings)).not.toContain(literal)
    const rendered = JSON.stringify([stackSection(findings), stackLines(findings)])
    expect(rendered).not.toContain(literal)
    expect(rendered).toContain('the token itself (literal)')
  })

  it('reports an intrinsic function it cannot follow', async () => {
    api.add('ci-stack', template({ App: { 'Fn::Join': ['', ['ghp_', { Ref: 'Suffix' }]] } }))
    const findings = await follow()
    expect(findings[0]?.problem).toBe(
      'the template builds the token with Fn::Join, which this action cannot follow: update its source by hand'
    )
  })

  it('names cloudformation:GetTemplate when the template may not be read, for every pipeline of the stack', async () => {
    api.add('ci-stack', template({ App: '{{resolve:ssm:/x}}' }))
    api.failures.template = awsError(
      'AccessDenied',
      'User is not authorized to perform: cloudformation:GetTemplate'
    )
    const findings = await follow([owned('app'), owned('other', 'ci-stack', 'us-east-1', 'Other')])
    expect(findings).toEqual([
      {
        region: 'us-east-1',
        pipeline: 'app',
        stack: 'ci-stack',
        logicalId: 'Pipeline',
        problem:
          "the template of stack ci-stack could not be read, so its token source was not followed: the role may not read it — grant cloudformation:GetTemplate (AccessDenied: User is not authorized to perform: cloudformation:GetTemplate — the role needs permission cloudformation:GetTemplate (see the README's IAM policy)); the pipeline itself was still rotated"
      },
      expect.objectContaining({ pipeline: 'other', logicalId: 'Other' })
    ])
    expect(recorded.parameters).toEqual([])
  })

  it('explains another GetTemplate failure as it is', async () => {
    api.add('ci-stack', template({ App: '{{resolve:ssm:/x}}' }))
    api.failures.template = awsError('ValidationError', 'Stack with id ci-stack does not exist')
    const findings = await follow()
    expect(findings[0]?.problem).toBe(
      'the template of stack ci-stack could not be read, so its token source was not followed: ValidationError: Stack with id ci-stack does not exist; the pipeline itself was still rotated'
    )
  })

  it('reports a template it cannot parse', async () => {
    api.add('ci-stack', '{"Resources": {')
    const findings = await follow()
    expect(findings[0]?.problem).toMatch(
      /^the template of stack ci-stack could not be parsed \(.+\), so its token source was not followed$/
    )
    api.templates.set('ci-stack', '- just\n- a list')
    expect((await follow())[0]?.problem).toBe(
      'the template of stack ci-stack could not be parsed (the template is not an object), so its token source was not followed'
    )
  })

  it('reports a template without the pipeline’s resource', async () => {
    const two = template({ App: 'x' }, { name: 'one', logicalId: 'One' })
    Object.assign(
      two.Resources,
      template({ App: 'y' }, { name: 'two', logicalId: 'Two' }).Resources
    )
    api.add('ci-stack', two)
    const findings = await follow([owned('app', 'ci-stack', 'us-east-1', 'Gone')])
    expect(findings).toEqual([
      {
        region: 'us-east-1',
        pipeline: 'app',
        stack: 'ci-stack',
        logicalId: 'Gone',
        problem:
          'the template of stack ci-stack has no AWS::CodePipeline::Pipeline resource for it (logical ID Gone), so its token source was not followed'
      }
    ])
  })

  it.each([
    ['no logical-id tag', undefined, 'app'],
    ['a logical id not in the template', 'Renamed', 'app'],
    ['a resource that names another pipeline', 'Pipeline', 'other']
  ])(
    'never falls back to the template’s only pipeline: %s is not followed',
    async (_what, logicalId, name) => {
      api.add('ci-stack', template({ App: '{{resolve:secretsmanager:ci/github}}' }, { name }))
      const o = { ...owned('app', 'ci-stack', 'us-east-1', logicalId), logicalId }
      if (logicalId === undefined) {
        const { stackId } = await api.describeStack('ci-stack')
        api.tags.set(o.result.arn, {
          'aws:cloudformation:stack-name': 'ci-stack',
          'aws:cloudformation:stack-id': stackId as string
        })
      }
      const [finding] = await follow([o])
      expect(finding?.problem).toMatch(/its token source was not followed$/)
      expect(finding?.followed).toBeUndefined()
      expect(recorded.secrets).toEqual([])
    }
  )

  it('follows nothing of a stack deleted and re-created under the same name', async () => {
    api.add('ci-stack', template({ App: '{{resolve:secretsmanager:ci/old-app}}' }))
    const o = owned()
    api.tag(o.result.arn, 'ci-stack')
    const before = (await api.describeStack('ci-stack')).stackId
    // Re-created: same name, another id, a template that reads another pipeline's secret.
    api.add('ci-stack', template({ App: '{{resolve:secretsmanager:ci/new-app}}' }))
    const after = (await api.describeStack('ci-stack')).stackId
    const [finding] = await follow([o])
    expect(finding?.problem).toBe(
      `stack ci-stack is not the stack that created the pipeline (its aws:cloudformation:stack-id is ${before}, the stack of that name now is ${after}: deleted and re-created?), so its template, which may hold another pipeline's secret, was not followed — update the pipeline's token source by hand`
    )
    expect(recorded.secrets).toEqual([])
    expect(api.calls.filter((c) => c.startsWith('template'))).toEqual([])
  })

  it('reads each pipeline’s own tags when tag:GetResources is refused, and follows none it cannot read', async () => {
    api.add('ci-stack', template({ App: '{{resolve:secretsmanager:ci/github}}' }))
    api.failures.listing = awsError('AccessDeniedException', 'no tag:GetResources')
    const findings = await follow()
    expect(api.calls).toContain(`tags ${owned().result.arn}`)
    expect(findings[0]?.followed?.what).toBe('secret ci/github')
    api.failures.tags = awsError('AccessDeniedException', 'not authorized')
    recorded = recorders()
    const [refused] = await follow()
    expect(refused?.problem).toMatch(
      /^the pipeline's tags could not be read \(AccessDeniedException: not authorized — the role needs permission codepipeline:ListTagsForResource/
    )
    expect(recorded.secrets).toEqual([])
  })

  it('reports a pipeline resource without a GitHub (version 1) source', async () => {
    const t = template({})
    api.add('ci-stack', t)
    const findings = await follow()
    expect(findings[0]?.problem).toBe(
      "the template's Pipeline has no GitHub (version 1) source action, unlike the pipeline: the next stack update would change the pipeline — check the stack"
    )
    expect(findings[0]?.logicalId).toBe('Pipeline')
  })

  it('reads the template once for every pipeline of the stack, and follows each GitHub action', async () => {
    const t = template(
      { App: '{{resolve:ssm:/ci/a}}', Lib: '{{resolve:secretsmanager:ci/b}}' },
      { name: 'one', logicalId: 'One' }
    )
    Object.assign(
      t.Resources,
      template({ App: '{{resolve:ssm:/ci/c}}' }, { name: 'two', logicalId: 'Two' }).Resources
    )
    api.add('ci-stack', t)
    const findings = await follow([
      owned('one', 'ci-stack', 'us-east-1', 'One'),
      owned('two', 'ci-stack', 'us-east-1', 'Two')
    ])
    expect(api.calls).toEqual([
      'listing ci-stack',
      'describe ci-stack',
      `template arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/ci-stack/00000001-0000-4000-8000-000000000000`
    ])
    expect(findings.map((f) => [f.pipeline, f.logicalId, f.action, f.followed?.what])).toEqual([
      ['one', 'One', 'Source/App', 'parameter /ci/a'],
      ['one', 'One', 'Source/Lib', 'secret ci/b'],
      ['two', 'Two', 'Source/App', 'parameter /ci/c']
    ])
  })

  it('reads a YAML template with short forms', async () => {
    api.add(
      'ci-stack',
      [
        'Parameters:',
        '  GitHubToken: { Type: String, NoEcho: true }',
        'Resources:',
        '  Pipeline:',
        '    Type: AWS::CodePipeline::Pipeline',
        '    Properties:',
        '      Name: !Sub "${AWS::StackName}-app"',
        '      Stages:',
        '        - Name: Source',
        '          Actions:',
        '            - Name: App',
        '              ActionTypeId: { Category: Source, Owner: ThirdParty, Provider: GitHub, Version: 1 }',
        '              Configuration:',
        '                OAuthToken: !Ref GitHubToken',
        '            - Name: Lib',
        '              ActionTypeId: { Category: Source, Owner: ThirdParty, Provider: GitHub, Version: "1" }',
        '              Configuration:',
        "                OAuthToken: !Sub '{{resolve:secretsmanager:ci/github:SecretString:token}}'"
      ].join('\n')
    )
    const findings = await follow()
    expect(findings.map((f) => f.source)).toEqual([
      { kind: 'parameter', name: 'GitHubToken' },
      { kind: 'secret', id: 'ci/github', key: 'token', pinned: undefined }
    ])
    expect(recorded.secrets.map((r) => r.entry)).toEqual(['ci/github#token'])
  })
})

// ---------------------------------------------------------------- the store

function makeInputs(extra: Partial<Inputs> = {}): Inputs {
  return inputsOf({
    pipelines: [{ kind: 'glob', entry: '*', pattern: '*' }],
    regions: ['eu-west-1', 'us-east-1'],
    verifyToken: false,
    maxConcurrency: 4,
    ...extra
  })
}

function pipelinesOwning(list: OwnedPipeline[]): PipelineStore {
  return {
    plan: async () => undefined,
    apply: async () => undefined,
    report: () => {
      throw new Error('not used')
    },
    targets: () => [],
    owned: () => list,
    onPlanned: () => undefined,
    recheckWith: () => undefined,
    clearWith: () => undefined
  }
}

describe('stackStore', () => {
  let stacks: Record<string, FakeStacks>
  let secretApis: Record<string, FakeSecrets>
  let parameterApis: Record<string, FakeParameters>

  beforeEach(() => {
    stacks = { 'us-east-1': new FakeStacks(), 'eu-west-1': new FakeStacks() }
    secretApis = {
      'us-east-1': new FakeSecrets('us-east-1').add('ci/github', JSON.stringify({ token: OLD })),
      'eu-west-1': new FakeSecrets('eu-west-1').add('ci/github', OLD)
    }
    parameterApis = {
      'us-east-1': new FakeParameters('us-east-1').add('/ci/github-token', OLD),
      'eu-west-1': new FakeParameters('eu-west-1')
    }
  })

  /** The stack store between the pipelines it follows and the stores it hands values to. */
  async function runStores(list: OwnedPipeline[], extra: Partial<Inputs> = {}) {
    const inputs = makeInputs(extra)
    const token = new SealedToken(TOKEN)
    const secrets = secretsStore(inputs, { apiFor: (r) => secretApis[r]!, limit, token })
    const parameters = parameterStore(inputs, { apiFor: (r) => parameterApis[r]!, limit, token })
    const pipelines = pipelinesOwning(list)
    const store = stackStore(inputs, {
      apiFor: (r) => stacks[r]!,
      limit,
      pipelines,
      secrets,
      parameters
    })
    for (const o of list) tagAll(stacks[o.region]!, [o])
    await store.plan()
    await Promise.all([secrets.plan(), parameters.plan()])
    if (!inputs.dryRun) await Promise.all([store.apply(), secrets.apply(), parameters.apply()])
    return { report: store.report(), secrets: secrets.report(), parameters: parameters.report() }
  }

  it('follows each stack’s template to the secret and parameter its pipelines read, and they are rotated', async () => {
    stacks['us-east-1']!.add(
      'ci-stack',
      template({
        App: '{{resolve:secretsmanager:ci/github:SecretString:token}}',
        Lib: '{{resolve:ssm-secure:/ci/github-token}}'
      })
    )
    stacks['eu-west-1']!.add(
      'eu-stack',
      template({ App: '{{resolve:secretsmanager:ci/github}}' }, { name: 'eu-app' })
    )
    const { report, secrets, parameters } = await runStores([
      owned('app', 'ci-stack', 'us-east-1'),
      owned('eu-app', 'eu-stack', 'eu-west-1')
    ])
    expect(JSON.parse(secretApis['us-east-1']!.current('ci/github') ?? '')).toEqual({
      token: TOKEN
    })
    expect(secretApis['eu-west-1']!.current('ci/github')).toBe(TOKEN)
    expect(parameterApis['us-east-1']!.find('/ci/github-token').value).toBe(TOKEN)

    expect(report.sections).toEqual([
      {
        title: 'CloudFormation stacks',
        headers: [
          'Region',
          'Pipeline',
          'Stack (resource)',
          'GitHub action',
          'Token source',
          'Status'
        ],
        rows: [
          [
            'eu-west-1',
            'eu-app',
            'eu-stack (Pipeline)',
            'Source/App',
            '{{resolve:secretsmanager:ci/github}}',
            '✅ updated: secret ci/github'
          ],
          [
            'us-east-1',
            'app',
            'ci-stack (Pipeline)',
            'Source/App',
            '{{resolve:secretsmanager:ci/github:SecretString:token}}',
            '✅ updated: secret ci/github#token'
          ],
          [
            'us-east-1',
            'app',
            'ci-stack (Pipeline)',
            'Source/Lib',
            '{{resolve:ssm-secure:/ci/github-token}}',
            '✅ updated: parameter /ci/github-token'
          ]
        ]
      }
    ])
    expect(report.lines.map((l) => `${l.region} ${l.line}`)).toEqual([
      'eu-west-1 stack    eu-stack pipeline eu-app [Source/App]: {{resolve:secretsmanager:ci/github}} — followed: secret ci/github',
      'us-east-1 stack    ci-stack pipeline app [Source/App]: {{resolve:secretsmanager:ci/github:SecretString:token}} — followed: secret ci/github#token',
      'us-east-1 stack    ci-stack pipeline app [Source/Lib]: {{resolve:ssm-secure:/ci/github-token}} — followed: parameter /ci/github-token'
    ])
    expect(report.warnings).toEqual([])
    expect(report.holdouts).toEqual([])
    expect(report.failures).toEqual([])
    expect(report.headline).toBe('Stacks followed: 3 of 3 token source(s)')
    expect(secrets.sections[0]?.rows.map((r) => r[1])).toEqual([
      'ci/github (from stack eu-stack)',
      'ci/github (from stack ci-stack)'
    ])
    expect(parameters.sections[0]?.rows[0]?.[1]).toBe('/ci/github-token (from stack ci-stack)')
  })

  it('shows a followed value’s failure and its plan', async () => {
    stacks['us-east-1']!.add(
      'ci-stack',
      template({
        App: '{{resolve:secretsmanager:ci/missing}}',
        Lib: '{{resolve:ssm:/ci/github-token}}'
      })
    )
    const { report, secrets } = await runStores([owned()], { dryRun: true })
    expect(report.sections[0]?.rows.map((r) => r.at(-1))).toEqual([
      '❌ failed: secret ci/missing: does not exist in us-east-1: check the name and the regions input (this action never creates secrets)',
      '📝 planned: parameter /ci/github-token'
    ])
    // The failure is the secret's: counted there, not twice.
    expect(report.failures).toEqual([])
    expect(secrets.failures).toHaveLength(1)
  })

  it('warns about what it cannot follow, and holds the old token back for it', async () => {
    stacks['us-east-1']!.add(
      'ci-stack',
      template({ App: { Ref: 'GitHubToken' }, Lib: '{{resolve:ssm:/ci/github-token}}' }),
      { parameters: [{ key: 'GitHubToken', value: '****' }] }
    )
    stacks['eu-west-1']!.add('eu-stack', '{ not a template')
    const { report } = await runStores([owned(), owned('eu-app', 'eu-stack', 'eu-west-1')])
    const command =
      'aws cloudformation update-stack --region us-east-1 --stack-name ci-stack --use-previous-template --parameters ParameterKey=GitHubToken,ParameterValue="$NEW_TOKEN"'
    const parameterProblem = `the template takes the token from its parameter GitHubToken, which still holds the old token (this action does not update stacks): give it the new token with \`${command}\`, or make the template read it with {{resolve:secretsmanager:…}}`
    expect(report.warnings).toEqual([
      expect.stringMatching(
        /^Pipeline 'eu-app' in eu-west-1 belongs to CloudFormation stack 'eu-stack': the template of stack eu-stack could not be parsed \(/
      ),
      `Pipeline 'app' in us-east-1 belongs to CloudFormation stack 'ci-stack': ${parameterProblem}`
    ])
    expect(report.holdouts).toEqual([
      expect.stringMatching(
        /^stack eu-stack \(pipeline eu-app in eu-west-1\): the template of stack eu-stack could not be parsed/
      ),
      `stack ci-stack (pipeline app in us-east-1): ${parameterProblem}`
    ])
    expect(report.headline).toBe('Stacks followed: 1 of 3 token source(s)')
    expect(report.sections[0]?.rows.map((r) => [r[2], r[3], r[4], r[5]?.split(':')[0]])).toEqual([
      ['eu-stack (Pipeline)', '–', '–', '⚠️ warned'],
      ['ci-stack (Pipeline)', 'Source/App', 'parameter GitHubToken', '⚠️ warned'],
      ['ci-stack (Pipeline)', 'Source/Lib', '{{resolve:ssm:/ci/github-token}}', '✅ updated']
    ])
    expect(report.lines[0]?.line).toMatch(
      /^stack {4}eu-stack pipeline eu-app: – — the template of stack eu-stack could not be parsed/
    )
  })

  it('shows a followed source its store never planned as planned', () => {
    const finding: StackFinding = {
      region: 'us-east-1',
      pipeline: 'app',
      stack: 's',
      action: 'Source/App',
      source: { kind: 'ssm', name: '/x', secure: false, pinned: 'version 2' },
      followed: { what: 'parameter /x', row: () => undefined }
    }
    expect(stackSection([finding]).rows[0]?.slice(4)).toEqual([
      '{{resolve:ssm:/x}} at version 2',
      '📝 planned'
    ])
    const unknown: StackFinding = { ...finding, source: { kind: 'unknown', what: 'Fn::If' } }
    delete unknown.followed
    expect(stackSection([unknown]).rows[0]?.slice(4)).toEqual(['Fn::If', '📝 planned'])
    expect(stackLines([unknown])[0]?.line).toBe(
      'stack    s pipeline app [Source/App]: Fn::If — nothing to follow'
    )
    const pinned: StackFinding = {
      ...unknown,
      source: { kind: 'secret', id: 'x', key: 'k', pinned: 'version stage AWSPREVIOUS' }
    }
    expect(stackSection([pinned]).rows[0]?.[4]).toBe(
      '{{resolve:secretsmanager:x:SecretString:k}} at version stage AWSPREVIOUS'
    )
  })

  it('orders the findings of a region by stack, pipeline and action', async () => {
    stacks['us-east-1']!.failures.template = awsError('ThrottlingException', 'slow down')
    const { report } = await runStores([
      owned('b-app', 'b-stack'),
      owned('z-app', 'a-stack'),
      owned('a-app', 'a-stack')
    ])
    expect(report.sections[0]?.rows.map((r) => `${r[2]} ${r[1]}`)).toEqual([
      'a-stack (Pipeline) a-app',
      'a-stack (Pipeline) z-app',
      'b-stack (Pipeline) b-app'
    ])
    expect(report.headline).toBe('Stacks followed: 0 of 3 token source(s)')
  })

  it('follows nothing with follow-stacks false', async () => {
    stacks['us-east-1']!.add('ci-stack', template({ App: '{{resolve:secretsmanager:ci/github}}' }))
    const { report } = await runStores([owned()], { followStacks: false })
    expect(stacks['us-east-1']!.calls).toEqual([])
    expect(report).toMatchObject({ sections: [], warnings: [], holdouts: [], headline: undefined })
  })

  it('reports nothing when no pipeline belongs to a stack', async () => {
    const { report } = await runStores([])
    expect(report.sections).toEqual([])
    expect(report.headline).toBeUndefined()
  })
})
