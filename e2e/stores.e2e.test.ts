/**
 * The places the token lives besides pipelines, through the bundled action:
 * SSM Parameter Store (everything but the value kept: type, KMS key, tier,
 * policies), CodeBuild's credential kept in a Secrets Manager secret, and
 * the secrets and parameters the template of a stack-owned pipeline reads.
 */
import { beforeEach, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { OLD_TOKEN, oauthTokens } from '../test-support/corpus.js'
import {
  awsJson,
  awsQuery,
  calls,
  configure,
  createPipeline,
  createServiceRole,
  resetCalls,
  setProcessedTemplate,
  storedParameter,
  storedPipeline,
  tagAsStack,
  writeCalls
} from '../test-support/emulator.js'
import { useEmulator } from '../test-support/jest.js'
import { githubSource, pipeline, pipelineResource } from '../test-support/pipelines.js'
import { runScanned, type RunResult } from '../test-support/run-action.js'

const TOKEN = `e2e-token-${randomBytes(12).toString('hex')}`
const KEPT = `e2e-kept-${randomBytes(8).toString('hex')}`
const REGION = 'us-east-1'
const emulator = useEmulator()

const run = (inputs: Record<string, string>) =>
  runScanned(emulator, TOKEN, { regions: REGION, ...inputs }, { secrets: [OLD_TOKEN, KEPT] })

const ssm = (action: string, body: Record<string, unknown>, region = REGION) =>
  awsJson(emulator, region, `AmazonSSM.${action}`, body)
const sm = (action: string, body: Record<string, unknown>, region = REGION) =>
  awsJson<{ ARN: string }>(emulator, region, `secretsmanager.${action}`, body)
const param = async (name: string) => await storedParameter(emulator, REGION, name)

interface Row {
  region: string
  status: string
  error?: string
  note?: string
}
const outputList = (result: RunResult, name: string) =>
  JSON.parse(result.outputs[name] ?? '[]') as unknown[]

describe('SSM Parameter Store', () => {
  beforeEach(async () => {
    await ssm('PutParameter', {
      Name: '/ci/github-token',
      Value: OLD_TOKEN,
      Type: 'SecureString',
      KeyId: 'alias/ci-tokens',
      Tier: 'Advanced',
      Description: 'the CI token',
      Policies: JSON.stringify([
        { Type: 'NoChangeNotification', Version: '1.0', Attributes: { After: '90', Unit: 'Days' } }
      ])
    })
    await ssm('PutParameter', {
      Name: '/ci/settings',
      Value: `{\n  "token": "${OLD_TOKEN}",\n  "webhook": "${KEPT}",\n  "n": 12345678901234567890\n}`,
      Type: 'SecureString'
    })
    await ssm('PutParameter', { Name: '/ci/plain-token', Value: OLD_TOKEN, Type: 'String' })
    await ssm('PutParameter', { Name: '/ci/list', Value: `a,${OLD_TOKEN}`, Type: 'StringList' })
    await ssm('PutParameter', {
      Name: '/ci/patterned',
      Value: 'ghp_old',
      Type: 'SecureString',
      AllowedPattern: '^ghp_[A-Za-z0-9_]+$'
    })
    await resetCalls(emulator)
  })

  it('writes the value and keeps everything else: type, its own KMS key, tier, description, policies', async () => {
    const before = await param('/ci/github-token')
    const result = await run({ parameters: '/ci/github-token' })
    expect(result.code).toBe(0)
    const after = await param('/ci/github-token')
    expect(after.value).toBe(TOKEN)
    expect(after.version).toBe(Number(before.version) + 1)
    // An overwrite without KeyId would have moved it to alias/aws/ssm (the emulator does as AWS).
    for (const key of [
      'type',
      'keyId',
      'tier',
      'description',
      'policies',
      'allowedPattern',
      'dataType'
    ]) {
      expect(after[key]).toEqual(before[key])
    }
    expect(after.keyId).toBe('alias/ci-tokens')
    const [row] = outputList(result, 'parameters-updated') as string[]
    expect(row).toBe(`arn:aws:ssm:${REGION}:123456789012:parameter/ci/github-token`)
    expect(result.summary).toMatch(/### SSM Parameter Store/)
    expect(result.summary).toMatch(
      /\| us-east-1 \| \/ci\/github-token \| \(whole value\) \| SecureString \| 1 → 2 \| ✅ updated/
    )
  })

  it('sets one key of a JSON value and keeps the others byte for byte', async () => {
    const result = await run({ parameters: '/ci/settings#token' })
    expect(result.code).toBe(0)
    expect((await param('/ci/settings')).value).toBe(
      `{\n  "token": "${TOKEN}",\n  "webhook": "${KEPT}",\n  "n": 12345678901234567890\n}`
    )
  })

  it('updates a String parameter in place with a warning, refuses a StringList and an AllowedPattern mismatch', async () => {
    const result = await run({
      parameters: '/ci/plain-token, /ci/list, /ci/patterned, /ci/missing'
    })
    expect(result.code).toBe(1)
    expect((await param('/ci/plain-token')).value).toBe(TOKEN)
    expect((await param('/ci/plain-token')).type).toBe('String')
    expect(result.stdout).toMatch(
      /::warning::Parameter '\/ci\/plain-token' in us-east-1 is a String, so it holds the token unencrypted/
    )
    expect((await param('/ci/list')).value).toBe(`a,${OLD_TOKEN}`)
    expect((await param('/ci/patterned')).value).toBe('ghp_old')
    expect(result.stdout).toMatch(/parameter \/ci\/list: is a StringList/)
    expect(result.stdout).toMatch(
      /parameter \/ci\/patterned: its AllowedPattern \^ghp_\[A-Za-z0-9_\]\+\$ does not accept the new value/
    )
    expect(result.stdout).toMatch(
      /parameter \/ci\/missing: does not exist in us-east-1: .*never creates parameters/
    )
    // Only the String parameter was written.
    expect((await writeCalls(emulator)).map((c) => c.action)).toEqual(['PutParameter'])
  })

  it('skips a parameter that already holds the token (no new version), plans in a dry run, takes ARNs', async () => {
    const arn = `arn:aws:ssm:${REGION}:123456789012:parameter/ci/github-token`
    const dry = await run({ parameters: arn, 'dry-run': 'true' })
    expect(dry.code).toBe(0)
    expect(await writeCalls(emulator)).toEqual([])
    expect(dry.stdout).toMatch(
      /would write version 2; keeps SecureString, KMS key alias\/ci-tokens, Advanced tier/
    )
    await run({ parameters: arn })
    const version = (await param('/ci/github-token')).version
    const again = await run({ parameters: arn })
    expect(again.code).toBe(0)
    expect((await param('/ci/github-token')).version).toBe(version)
    expect(again.stdout).toMatch(/skipped {2}parameter .*already holds this token/)
  })
})

describe("CodeBuild's credential kept in Secrets Manager", () => {
  it("rotates that secret's Token key, keeps its other keys, and sends no ImportSourceCredentials", async () => {
    const body = `{"ServerType":"GITHUB","AuthType":"PERSONAL_ACCESS_TOKEN","Token":"${OLD_TOKEN}","Note":"${KEPT}"}`
    const { ARN } = await sm('CreateSecret', {
      Name: 'codebuild/github',
      SecretString: body,
      Tags: [
        { Key: 'codebuild:source:provider', Value: 'github' },
        { Key: 'codebuild:source:type', Value: 'personal_access_token' }
      ]
    })
    await awsJson(emulator, REGION, 'CodeBuild_20161006.ImportSourceCredentials', {
      serverType: 'GITHUB',
      authType: 'SECRETS_MANAGER',
      token: ARN
    })
    await resetCalls(emulator)
    const result = await run({ codebuild: 'import' })
    expect(result.code).toBe(0)
    const secret = await sm('GetSecretValue', { SecretId: ARN })
    expect((secret as unknown as { SecretString: string }).SecretString).toBe(
      body.replace(OLD_TOKEN, TOKEN)
    )
    const writes = (await writeCalls(emulator)).map((c) => c.action)
    expect(writes).toEqual(['PutSecretValue'])
    const [row] = outputList(result, 'codebuild-credentials') as (Row & { secretArn?: string })[]
    expect(row).toMatchObject({
      region: REGION,
      status: 'updated',
      authType: 'SECRETS_MANAGER',
      secretArn: ARN
    })
    expect(result.summary).toMatch(
      new RegExp(`via secret ${ARN.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)
    )
    expect(outputList(result, 'secrets-updated')).toEqual([ARN])
  })
})

const template = (oauthToken: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    AWSTemplateFormatVersion: '2010-09-09',
    Parameters: { GitHubToken: { Type: 'String', NoEcho: true }, Env: { Type: 'String' } },
    Resources: { Pipeline: pipelineResource('app', oauthToken) },
    ...extra
  })

async function stack(body: string, name = 'ci-stack') {
  await awsQuery(
    emulator,
    'cloudformation',
    {
      Action: 'CreateStack',
      StackName: name,
      TemplateBody: body,
      'Parameters.member.1.ParameterKey': 'GitHubToken',
      'Parameters.member.1.ParameterValue': OLD_TOKEN,
      'Parameters.member.2.ParameterKey': 'Env',
      'Parameters.member.2.ParameterValue': 'prod',
      'Capabilities.member.1': 'CAPABILITY_IAM'
    },
    REGION
  )
  const roleArn = await createServiceRole(emulator)
  await createPipeline(
    emulator,
    REGION,
    pipeline('app', [githubSource('Source', 'app', { token: OLD_TOKEN })], { roleArn })
  )
  await tagAsStack(emulator, REGION, 'app', name)
  await resetCalls(emulator)
}

describe('stack-owned pipelines: the template is followed to its token source', () => {
  it('rotates the secret a dynamic reference names, marked from the stack, with the pipeline', async () => {
    const { ARN } = await sm('CreateSecret', {
      Name: 'ci/github',
      SecretString: `{"token":"${OLD_TOKEN}","other":"${KEPT}"}`
    })
    await stack(template('{{resolve:secretsmanager:ci/github:SecretString:token}}'))
    const result = await run({ pipelines: 'app' })
    expect(result.code).toBe(0)
    expect(oauthTokens((await storedPipeline(emulator, REGION, 'app')).pipeline)).toEqual([TOKEN])
    const secret = (await sm('GetSecretValue', { SecretId: 'ci/github' })) as unknown as {
      SecretString: string
    }
    expect(secret.SecretString).toBe(`{"token":"${TOKEN}","other":"${KEPT}"}`)
    expect(outputList(result, 'secrets-updated')).toEqual([ARN])
    expect(result.summary).toMatch(/\| ci\/github \(from stack ci-stack\) \| token \|/)
    expect(result.summary).toMatch(/### CloudFormation stacks/)
    expect(result.outputs['complete']).toBe('true')
    // Listed in the secrets input too: one row, one write.
    const both = await run({ pipelines: 'app', secrets: 'ci/github#token' })
    expect(both.code).toBe(0)
    expect((await writeCalls(emulator)).filter((c) => c.action === 'PutSecretValue')).toHaveLength(
      1
    )
  })

  it('rotates the parameter a {{resolve:ssm:...}} reference names (YAML template with short forms)', async () => {
    await ssm('PutParameter', { Name: '/ci/token', Value: OLD_TOKEN, Type: 'String' })
    const yaml = [
      'Parameters:',
      '  Env: {Type: String}',
      'Resources:',
      '  Pipeline:',
      '    Type: AWS::CodePipeline::Pipeline',
      '    Properties:',
      '      Name: !Sub "app"',
      '      RoleArn: !GetAtt Role.Arn',
      '      Stages:',
      '        - Name: Source',
      '          Actions:',
      '            - Name: Source',
      '              ActionTypeId: {Category: Source, Owner: ThirdParty, Provider: GitHub, Version: "1"}',
      '              Configuration:',
      '                Owner: example-org',
      '                Repo: app',
      '                Branch: !Ref Env',
      "                OAuthToken: '{{resolve:ssm:/ci/token}}'"
    ].join('\n')
    await stack(yaml)
    const result = await run({ pipelines: 'app' })
    expect(result.code).toBe(0)
    expect((await param('/ci/token')).value).toBe(TOKEN)
    expect(outputList(result, 'parameters-updated')).toHaveLength(1)
  })

  it('reads the processed template of a stack with a transform (what CloudFormation runs)', async () => {
    await sm('CreateSecret', { Name: 'ci/github', SecretString: OLD_TOKEN })
    // As submitted, a macro builds the pipeline; only the processed stage shows its OAuthToken.
    await stack(
      JSON.stringify({
        Transform: 'AcmePipelines',
        Resources: { Pipeline: { Type: 'Acme::Pipeline' } }
      })
    )
    await setProcessedTemplate(
      emulator,
      REGION,
      'ci-stack',
      template('{{resolve:secretsmanager:ci/github}}')
    )
    const result = await run({ pipelines: 'app' })
    expect(result.code).toBe(0)
    const secret = (await sm('GetSecretValue', { SecretId: 'ci/github' })) as unknown as {
      SecretString: string
    }
    expect(secret.SecretString).toBe(TOKEN)
  })

  it('warns, with the exact update-stack command, when the template takes the token from its parameter', async () => {
    await stack(template({ Ref: 'GitHubToken' }))
    const result = await run({ pipelines: 'app' })
    expect(result.code).toBe(0)
    expect(oauthTokens((await storedPipeline(emulator, REGION, 'app')).pipeline)).toEqual([TOKEN])
    expect(result.stdout).toContain(
      'aws cloudformation update-stack --region us-east-1 --stack-name ci-stack --use-previous-template --parameters ParameterKey=GitHubToken,ParameterValue="$NEW_TOKEN" ParameterKey=Env,UsePreviousValue=true --capabilities CAPABILITY_IAM'
    )
    expect(result.outputs['complete']).toBe('false')
  })

  it('warns when the template holds the token itself, without ever printing it', async () => {
    await stack(template(OLD_TOKEN))
    const result = await run({ pipelines: 'app' })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(
      /::warning::Pipeline 'app' in us-east-1 belongs to CloudFormation stack 'ci-stack': the template itself holds the old token/
    )
  })

  it('warns about a reference pinned to a version, and follows nothing', async () => {
    await sm('CreateSecret', { Name: 'ci/pinned', SecretString: OLD_TOKEN })
    await stack(template('{{resolve:secretsmanager:ci/pinned:SecretString::AWSPREVIOUS}}'))
    const result = await run({ pipelines: 'app' })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(
      /reads secret ci\/pinned at version stage AWSPREVIOUS, which stays the old token/
    )
    expect((await writeCalls(emulator)).map((c) => c.action)).toEqual(['UpdatePipeline'])
  })

  it('names cloudformation:GetTemplate when the template cannot be read, and still rotates the pipeline', async () => {
    await stack(template('{{resolve:secretsmanager:ci/github}}'))
    await configure(emulator, {
      faults: [
        {
          action: 'GetTemplate',
          kind: 'status',
          status: 403,
          errorType: 'AccessDenied',
          message: 'User is not authorized to perform: cloudformation:GetTemplate'
        }
      ]
    })
    const result = await run({ pipelines: 'app' })
    expect(result.code).toBe(0)
    expect(oauthTokens((await storedPipeline(emulator, REGION, 'app')).pipeline)).toEqual([TOKEN])
    expect(result.stdout).toMatch(
      /::warning::.*the template of stack ci-stack could not be read.*cloudformation:GetTemplate/
    )
  })

  it("with follow-stacks false, reads no template and keeps today's warning", async () => {
    await stack(template('{{resolve:secretsmanager:ci/github}}'))
    const result = await run({ pipelines: 'app', 'follow-stacks': 'false' })
    expect(result.code).toBe(0)
    expect((await calls(emulator)).map((c) => c.action)).not.toContain('GetTemplate')
    expect(result.stdout).toMatch(
      /::warning::Pipeline 'app' in us-east-1 belongs to CloudFormation stack 'ci-stack': update the template's token source too/
    )
  })
})
