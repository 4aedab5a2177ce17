/**
 * The value stores (Secrets Manager, Parameter Store) and the stacks they are
 * followed through, in a world that does not cooperate, through the bundled
 * action: a stack re-created under the same name, a template that is not the
 * pipeline's, a token built from parts, JSON that is not an object, a key
 * spelled differently, labelled versions that keep the old token, a value
 * nested thousands of levels deep, a backtracking AllowedPattern, and a
 * DescribeParameters page that is empty but says there is more.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { OLD_TOKEN, oauthTokens } from '../test-support/corpus.js'
import {
  awsJson,
  awsQuery,
  createPipeline,
  createServiceRole,
  resetCalls,
  storedParameter,
  storedPipeline,
  tagAsStack,
  writeCalls
} from '../test-support/emulator.js'
import {
  expirationHeader,
  startFakeGitHub,
  type FakeGitHub,
  type TokenBehaviour
} from '../test-support/fake-github.js'
import { useEmulator } from '../test-support/jest.js'
import { githubSource, pipeline, pipelineResource } from '../test-support/pipelines.js'
import { runScanned, type RunResult } from '../test-support/run-action.js'

// Word characters only, ending in neither 0 nor a digit: the backtracking test needs both.
const TOKEN = `e2e_token_${randomBytes(16).toString('hex')}x`
const PREVIOUS = `e2e_previous_${randomBytes(12).toString('hex')}`
const KEPT = `e2e-kept-${randomBytes(8).toString('hex')}`
const REGION = 'us-east-1'
const emulator = useEmulator()

const sm = (action: string, body: Record<string, unknown>) =>
  awsJson<Record<string, unknown>>(emulator, REGION, `secretsmanager.${action}`, body)
const ssm = (action: string, body: Record<string, unknown>) =>
  awsJson<Record<string, unknown>>(emulator, REGION, `AmazonSSM.${action}`, body)
const secretText = async (id: string) =>
  (await sm('GetSecretValue', { SecretId: id }))['SecretString'] as string
const cfn = (params: Record<string, string>) => awsQuery(emulator, 'cloudformation', params, REGION)

const run = (inputs: Record<string, string>, options: { timeoutMs?: number } = {}) =>
  runScanned(
    emulator,
    TOKEN,
    { regions: REGION, ...inputs },
    { secrets: [OLD_TOKEN, PREVIOUS, KEPT], ...options }
  )
const list = (result: RunResult, name: string) =>
  JSON.parse(result.outputs[name] ?? '[]') as unknown[]

function template(oauthToken: string, { logicalId = 'Pipeline', name = 'app' } = {}): string {
  return JSON.stringify({ Resources: { [logicalId]: pipelineResource(name, oauthToken, 'app') } })
}

/** A stack, and the pipeline `app` tagged as created by it (its real stack id). */
async function stackOwning(body: string, { logicalId = 'Pipeline', stack = 'ci-stack' } = {}) {
  await cfn({ Action: 'CreateStack', StackName: stack, TemplateBody: body })
  const roleArn = await createServiceRole(emulator)
  await createPipeline(
    emulator,
    REGION,
    pipeline('app', [githubSource('Source', 'app', { token: OLD_TOKEN })], { roleArn })
  )
  await tagAsStack(emulator, REGION, 'app', stack, { logicalId })
}

describe('follow-stacks follows only what it can prove is the pipeline’s', () => {
  it('never falls back to the template’s only pipeline when the logical id is not in it', async () => {
    await sm('CreateSecret', { Name: 'ci/other', SecretString: OLD_TOKEN })
    await stackOwning(
      template('{{resolve:secretsmanager:ci/other}}', { logicalId: 'OtherPipeline', name: 'other' })
    )
    await resetCalls(emulator)
    const result = await run({ pipelines: 'app' })
    expect(result.code).toBe(0)
    expect(oauthTokens((await storedPipeline(emulator, REGION, 'app')).pipeline)).toEqual([TOKEN])
    // Another pipeline's secret: untouched.
    expect(await secretText('ci/other')).toBe(OLD_TOKEN)
    expect((await writeCalls(emulator)).map((c) => c.action)).toEqual(['UpdatePipeline'])
    expect(result.stdout).toMatch(
      /::warning::Pipeline 'app' in us-east-1 belongs to CloudFormation stack 'ci-stack': the template of stack ci-stack has no AWS::CodePipeline::Pipeline resource for it \(logical ID Pipeline\)/
    )
    expect(result.outputs['complete']).toBe('false')
  })

  it('follows nothing of a stack deleted and re-created under the same name', async () => {
    await sm('CreateSecret', { Name: 'ci/app', SecretString: OLD_TOKEN })
    await sm('CreateSecret', { Name: 'ci/someone-else', SecretString: OLD_TOKEN })
    await stackOwning(template('{{resolve:secretsmanager:ci/app}}'))
    // The stack goes; one of the same name comes back for another pipeline.
    await cfn({ Action: 'DeleteStack', StackName: 'ci-stack' })
    await cfn({
      Action: 'CreateStack',
      StackName: 'ci-stack',
      TemplateBody: template('{{resolve:secretsmanager:ci/someone-else}}')
    })
    await resetCalls(emulator)
    const result = await run({ pipelines: 'app' })
    expect(result.code).toBe(0)
    expect(await secretText('ci/someone-else')).toBe(OLD_TOKEN)
    expect(await secretText('ci/app')).toBe(OLD_TOKEN)
    expect((await writeCalls(emulator)).map((c) => c.action)).toEqual(['UpdatePipeline'])
    expect(result.stdout).toMatch(
      /::warning::Pipeline 'app' in us-east-1 belongs to CloudFormation stack 'ci-stack': stack ci-stack is not the stack that created the pipeline \(its aws:cloudformation:stack-id is arn:aws:cloudformation:us-east-1:\d+:stack\/ci-stack\/[\w-]+, the stack of that name now is arn:aws:cloudformation:us-east-1:\d+:stack\/ci-stack\/[\w-]+: deleted and re-created\?\)/
    )
    expect(result.outputs['complete']).toBe('false')
  })

  it.each([
    [
      'two references joined',
      '{{resolve:secretsmanager:ci/parts:SecretString:head}}{{resolve:secretsmanager:ci/parts:SecretString:tail}}',
      '2 dynamic reference(s)'
    ],
    [
      'text around a reference',
      'ghp_{{resolve:secretsmanager:ci/parts:SecretString:head}}',
      '1 dynamic reference(s) and text around them'
    ]
  ])('follows no token built from parts: %s', async (_what, oauthToken, parts) => {
    const parted = JSON.stringify({ head: 'first-half-of-old', tail: 'second-half-of-old' })
    await sm('CreateSecret', { Name: 'ci/parts', SecretString: parted })
    await stackOwning(template(oauthToken))
    await resetCalls(emulator)
    const result = await run({ pipelines: 'app' })
    expect(result.code).toBe(0)
    expect(await secretText('ci/parts')).toBe(parted)
    expect(result.stdout).toContain(
      `the template builds the token from parts (${parts}): the whole new token written into one part would break it, so it was not followed`
    )
    expect(result.outputs['complete']).toBe('false')
    expect(list(result, 'secrets-updated')).toEqual([])
  })

  it('shows an ssm-secure reference as ssm-secure', async () => {
    await ssm('PutParameter', { Name: '/ci/token', Value: OLD_TOKEN, Type: 'SecureString' })
    await stackOwning(template('{{resolve:ssm-secure:/ci/token}}'))
    const result = await run({ pipelines: 'app' })
    expect(result.code).toBe(0)
    expect((await storedParameter(emulator, REGION, '/ci/token')).value).toBe(TOKEN)
    expect(result.stdout).toContain(
      'stack    ci-stack pipeline app [Source/Source]: {{resolve:ssm-secure:/ci/token}} — followed: parameter /ci/token'
    )
  })
})

describe('a plain entry over JSON', () => {
  it('refuses a JSON array and a JSON string, as it refuses an object', async () => {
    await sm('CreateSecret', { Name: 'ci/list', SecretString: `["${OLD_TOKEN}","${KEPT}"]` })
    await ssm('PutParameter', { Name: '/ci/quoted', Value: `"${OLD_TOKEN}"`, Type: 'SecureString' })
    await resetCalls(emulator)
    const result = await run({ secrets: 'ci/list', parameters: '/ci/quoted' })
    expect(result.code).toBe(1)
    expect(await writeCalls(emulator)).toEqual([])
    expect(await secretText('ci/list')).toBe(`["${OLD_TOKEN}","${KEPT}"]`)
    expect((await storedParameter(emulator, REGION, '/ci/quoted')).value).toBe(`"${OLD_TOKEN}"`)
    expect(result.stdout).toContain(
      '- us-east-1 secret ci/list: holds JSON (an array of 2 item(s)) — nothing was written to it: its readers parse it as JSON'
    )
    expect(result.stdout).toContain(
      '- us-east-1 parameter /ci/quoted: holds JSON (a string in quotes) — nothing was written to it'
    )
  })
})

describe('keys as named', () => {
  it('trims a key, and refuses one that differs only in case, naming both', async () => {
    const body = `{"token":"${OLD_TOKEN}","other":"${KEPT}"}`
    await sm('CreateSecret', { Name: 'ci/spaced', SecretString: body })
    await sm('CreateSecret', { Name: 'ci/cased', SecretString: body })
    await resetCalls(emulator)
    const result = await run({ secrets: 'ci/spaced# token, ci/cased#Token' })
    expect(result.code).toBe(1)
    expect(await secretText('ci/spaced')).toBe(`{"token":"${TOKEN}","other":"${KEPT}"}`)
    expect(await secretText('ci/cased')).toBe(body)
    expect(result.stdout).toContain(
      "- us-east-1 secret ci/cased#Token: has key 'token', which differs from 'Token' only in case — nothing was written to it: name the key exactly as it is stored (#token)"
    )
  })
})

describe('with previous-token, what still holds it is a holdout: nothing is revoked', () => {
  let github: FakeGitHub | undefined
  afterEach(async () => {
    await github?.close()
    github = undefined
  })
  const good: TokenBehaviour = {
    scopes: 'repo',
    expiresAt: expirationHeader(new Date(Date.now() + 90 * 86_400_000)),
    repos: '*'
  }
  async function revoking(inputs: Record<string, string>) {
    github = await startFakeGitHub({ tokens: { [TOKEN]: good, [PREVIOUS]: good } })
    const result = await runScanned(
      emulator,
      TOKEN,
      { regions: REGION, 'verify-token': 'true', 'previous-token': PREVIOUS, ...inputs },
      { githubApiUrl: github.url, secrets: [PREVIOUS, KEPT] }
    )
    return { result, revoked: github.isRevoked(PREVIOUS) }
  }

  it('another key of the secret', async () => {
    await sm('CreateSecret', {
      Name: 'ci/app',
      SecretString: `{"token":"${PREVIOUS}","other":"${KEPT}"}`
    })
    const { result, revoked } = await revoking({ secrets: 'ci/app#pat' })
    expect(JSON.parse(await secretText('ci/app'))).toEqual({
      token: PREVIOUS,
      other: KEPT,
      pat: TOKEN
    })
    expect(revoked).toBe(false)
    expect(result.outputs['complete']).toBe('false')
    expect(result.outputs['previous-token-revoked']).toBe('false')
    expect(result.stdout).toContain(
      "::warning::Secret ci/app in us-east-1: key 'token' still holds previous-token: previous-token is kept (not revoked) until this is resolved"
    )
  })

  it('a label on an older version of the parameter', async () => {
    await ssm('PutParameter', { Name: '/ci/gh', Value: PREVIOUS, Type: 'SecureString' })
    await ssm('LabelParameterVersion', { Name: '/ci/gh', ParameterVersion: 1, Labels: ['prod'] })
    const { result, revoked } = await revoking({ parameters: '/ci/gh' })
    expect((await storedParameter(emulator, REGION, '/ci/gh')).value).toBe(TOKEN)
    expect(revoked).toBe(false)
    expect(result.outputs['complete']).toBe('false')
    expect(result.stdout).toContain(
      'parameter /ci/gh in us-east-1: label prod (version 1): its value still holds previous-token'
    )
  })

  it('a staging label of the secret’s own', async () => {
    await sm('CreateSecret', { Name: 'ci/staged', SecretString: PREVIOUS })
    const { VersionId } = (await sm('GetSecretValue', { SecretId: 'ci/staged' })) as {
      VersionId: string
    }
    await sm('UpdateSecretVersionStage', {
      SecretId: 'ci/staged',
      VersionStage: 'prod',
      MoveToVersionId: VersionId
    })
    const { result, revoked } = await revoking({ secrets: 'ci/staged' })
    expect(await secretText('ci/staged')).toBe(TOKEN)
    expect(revoked).toBe(false)
    expect(result.stdout).toContain(
      `secret ci/staged in us-east-1: staging label prod (version ${VersionId}): its value still holds previous-token`
    )
  })

  it('and revokes once nothing holds it', async () => {
    await sm('CreateSecret', { Name: 'ci/clean', SecretString: `{"token":"${PREVIOUS}"}` })
    await ssm('PutParameter', { Name: '/ci/clean', Value: PREVIOUS, Type: 'SecureString' })
    const { result, revoked } = await revoking({
      secrets: 'ci/clean#token',
      parameters: '/ci/clean'
    })
    expect(result.code).toBe(0)
    expect(result.outputs['complete']).toBe('true')
    expect(revoked).toBe(true)
  })
})

describe('values that are hard to read', () => {
  it('rotates a parameter nested 4,000 levels deep, and reports every write', async () => {
    const depth = 4000
    const deep = `{"token":"${OLD_TOKEN}","nested":${'['.repeat(depth)}${']'.repeat(depth)}}`
    await ssm('PutParameter', {
      Name: '/ci/deep',
      Value: deep,
      Type: 'SecureString',
      Tier: 'Advanced'
    })
    const roleArn = await createServiceRole(emulator)
    await createPipeline(
      emulator,
      REGION,
      pipeline('app', [githubSource('Source', 'app', { token: OLD_TOKEN })], { roleArn })
    )
    // verify-token false: the pipeline is written while it is read.
    const result = await run({ pipelines: 'app', parameters: '/ci/deep#token' })
    expect(result.code).toBe(0)
    expect(oauthTokens((await storedPipeline(emulator, REGION, 'app')).pipeline)).toEqual([TOKEN])
    expect((await storedParameter(emulator, REGION, '/ci/deep')).value).toBe(
      deep.replace(OLD_TOKEN, TOKEN)
    )
    expect(list(result, 'updated')).toEqual([`arn:aws:codepipeline:${REGION}:123456789012:app`])
    expect(list(result, 'parameters-updated')).toHaveLength(1)
    expect(result.summary).toContain('Parameters: 1 updated')
  })

  it('ends promptly on a backtracking AllowedPattern, saying the value does not match', async () => {
    await ssm('PutParameter', {
      Name: '/ci/patterned',
      Value: 'ghp_old0',
      Type: 'SecureString',
      AllowedPattern: '^(\\w+)+0$'
    })
    await resetCalls(emulator)
    const result = await run({ parameters: '/ci/patterned' }, { timeoutMs: 30_000 })
    expect(result.code).toBe(1)
    expect(result.stdout).toContain(
      '- us-east-1 parameter /ci/patterned: its AllowedPattern ^(\\w+)+0$ does not accept the new value — nothing was written to it'
    )
    expect(await writeCalls(emulator)).toEqual([])
  })

  it('follows DescribeParameters past an empty page to the parameter', async () => {
    for (let i = 0; i < 12; i++) {
      await ssm('PutParameter', { Name: `/filler/${i}`, Value: 'x', Type: 'String' })
    }
    await ssm('PutParameter', { Name: '/ci/late', Value: OLD_TOKEN, Type: 'SecureString' })
    const result = await run({ parameters: '/ci/late' })
    expect(result.code).toBe(0)
    expect((await storedParameter(emulator, REGION, '/ci/late')).value).toBe(TOKEN)
  })
})
