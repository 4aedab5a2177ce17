// Which region STS is asked in, and with which session name: main.ts passes
// the first region of the run to resolveCredentials. Each run stops at STS
// (refused), before any other call.
import { jest, describe, it, expect, beforeEach, afterEach } from '@jest/globals'
import type { AwsCredentialIdentity } from '@aws-sdk/types'
import * as core from '../__fixtures__/core.js'

const fromWebToken =
  jest.fn<(init: Record<string, unknown>) => () => Promise<AwsCredentialIdentity>>()

jest.unstable_mockModule('@actions/core', () => core)
jest.unstable_mockModule('@aws-sdk/credential-providers', () => ({ fromWebToken }))
const { run } = await import('../src/main.js')

const TOKEN = 'unit-token-credentials-0123456789'
const ROLE = 'arn:aws:iam::210987654321:role/github-token-rotator'
const SAVED = ['AWS_REGION', 'AWS_DEFAULT_REGION', 'GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY'].map(
  (name) => [name, process.env[name]] as const
)

/** Runs the action with a role to assume; returns what STS was asked with. */
async function assumed(values: Record<string, string>) {
  core.setInputs({
    token: TOKEN,
    'role-to-assume': ROLE,
    'dry-run': 'true',
    'verify-token': 'false',
    'follow-stacks': 'false',
    ...values
  })
  await run({
    services: () => {
      throw new Error('no AWS client may be built before the role is assumed')
    }
  })
  expect(core.setFailed).toHaveBeenCalledWith(
    expect.stringMatching(/^Could not assume role .* AccessDenied: refused/)
  )
  expect(fromWebToken).toHaveBeenCalledTimes(1)
  return fromWebToken.mock.calls[0]?.[0] as {
    roleSessionName: string
    clientConfig: { region: string }
  }
}

beforeEach(() => {
  core.resetCore()
  fromWebToken.mockReset()
  fromWebToken.mockReturnValue(async () => {
    throw Object.assign(new Error('refused'), { name: 'AccessDenied' })
  })
  for (const [name] of SAVED) delete process.env[name]
  process.env['GITHUB_REPOSITORY'] = 'example-org/example-repo'
  process.env['GITHUB_RUN_ID'] = '42'
  process.env['ACTIONS_ID_TOKEN_REQUEST_URL'] = 'https://token.example/id?api-version=2.0'
  process.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'] = 'request-token'
  core.getIDToken.mockResolvedValue('header.e30.signature')
})

afterEach(() => {
  for (const [name, value] of SAVED) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
})

describe('the STS region', () => {
  it('is the first of regions', async () => {
    const init = await assumed({ regions: 'ap-south-1,eu-west-1', secrets: 'ci/token' })
    expect(init.clientConfig.region).toBe('ap-south-1')
  })

  it('is the first listed region even when an ARN names another', async () => {
    const init = await assumed({
      regions: 'eu-west-1',
      pipelines: 'arn:aws:codepipeline:eu-central-1:123456789012:app'
    })
    expect(init.clientConfig.region).toBe('eu-west-1')
  })

  it("is a pipeline ARN's region without regions", async () => {
    const init = await assumed({
      pipelines: 'arn:aws:codepipeline:eu-central-1:123456789012:app'
    })
    expect(init.clientConfig.region).toBe('eu-central-1')
  })

  it("is a secret ARN's region without regions", async () => {
    const init = await assumed({
      secrets: 'arn:aws:secretsmanager:ca-central-1:123456789012:secret:x-AbCdEf'
    })
    expect(init.clientConfig.region).toBe('ca-central-1')
  })

  // Changed: pipeline names without regions are now an input error, so only ARNs can
  // name the region; of those, the pipelines' come before the secrets'.
  it("takes a pipeline ARN's region over a secret ARN's", async () => {
    const init = await assumed({
      pipelines: 'arn:aws:codepipeline:eu-central-1:123456789012:app',
      secrets: 'arn:aws:secretsmanager:ca-central-1:123456789012:secret:x-AbCdEf'
    })
    expect(init.clientConfig.region).toBe('eu-central-1')
  })

  it('is AWS_REGION without regions', async () => {
    process.env['AWS_REGION'] = 'sa-east-1'
    const init = await assumed({ secrets: 'ci/token' })
    expect(init.clientConfig.region).toBe('sa-east-1')
  })

  it('is us-east-1 when nothing names a region (previous-token alone)', async () => {
    const init = await assumed({ 'previous-token': 'unit-previous-token-0123456789' })
    expect(init.clientConfig.region).toBe('us-east-1')
  })
})

describe('the session name', () => {
  it('defaults to one naming the repository and the run', async () => {
    const init = await assumed({ secrets: 'ci/token', regions: 'eu-west-1' })
    expect(init.roleSessionName).toBe('rotate-github-token-example-org-example-repo-42')
  })

  it('is role-session-name when given', async () => {
    const init = await assumed({
      secrets: 'ci/token',
      regions: 'eu-west-1',
      'role-session-name': 'my-session'
    })
    expect(init.roleSessionName).toBe('my-session')
  })
})
