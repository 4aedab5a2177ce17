/**
 * Secrets Manager rotation with credentials from GitHub OIDC, through the
 * bundled action: the fake GitHub stands in for the Actions ID token service,
 * moto serves STS AssumeRoleWithWebIdentity and Secrets Manager. The role
 * lives in another account than the job's ambient credentials, so the call
 * log's account column shows which credentials each call was signed with.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import {
  ACCOUNT,
  authorization,
  calls,
  control,
  type CallRecord
} from '../test-support/emulator.js'
import { startFakeGitHub, type FakeGitHub } from '../test-support/fake-github.js'
import { useEmulator } from '../test-support/jest.js'
import { findLeaks, runAction, type RunResult } from '../test-support/run-action.js'

const TOKEN = `e2e-token-${randomBytes(12).toString('hex')}`
const OLD_TOKEN = `e2e-old-token-${randomBytes(8).toString('hex')}`
const KEPT = `e2e-kept-${randomBytes(8).toString('hex')}`
const ROLE_ACCOUNT = '210987654321'
const ROLE = `arn:aws:iam::${ROLE_ACCOUNT}:role/github-token-rotator`
const SUBJECT = 'repo:example-org/example-repo:environment:production'
// Formatting and a number a double would round: kept byte for byte.
const PIPELINE_SECRET = `{\n  "OAuthToken": "${OLD_TOKEN}",\n  "webhookSecret": "${KEPT}",\n  "id": 12345678901234567890\n}`
const LEGACY_TEXT = `legacy-plain-text-${randomBytes(6).toString('hex')}`
// A GitHub ID token is a JWT: three base64url parts, the first two JSON objects.
const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/

/** The launcher's call log records the account the request's credentials belong to. */
type Call = CallRecord & { account: string; write: boolean }

const emulator = useEmulator()
let github: FakeGitHub
const arns: Record<string, string> = {}

async function signedAs(
  account: string,
  region: string,
  service: 'iam' | 'secretsmanager',
  request: { target?: string; json?: unknown; form?: Record<string, string> }
): Promise<string> {
  const headers: Record<string, string> = {
    authorization: authorization(region, service),
    // moto (and the launcher) file the request under this account.
    'x-moto-account-id': account
  }
  let body: string
  if (request.target) {
    headers['content-type'] = 'application/x-amz-json-1.1'
    headers['x-amz-target'] = request.target
    body = JSON.stringify(request.json ?? {})
  } else {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams({ ...request.form, Version: '2010-05-08' }).toString()
  }
  const response = await fetch(emulator.url, { method: 'POST', headers, body })
  const text = await response.text()
  if (!response.ok) throw new Error(`${request.target ?? request.form?.['Action']}: ${text}`)
  return text
}

async function createSecret(account: string, region: string, name: string, value: string) {
  const out = JSON.parse(
    await signedAs(account, region, 'secretsmanager', {
      target: 'secretsmanager.CreateSecret',
      json: { Name: name, SecretString: value }
    })
  ) as { ARN: string }
  return out.ARN
}

async function secretValue(account: string, region: string, id: string) {
  return JSON.parse(
    await signedAs(account, region, 'secretsmanager', {
      target: 'secretsmanager.GetSecretValue',
      json: { SecretId: id }
    })
  ) as { SecretString: string; VersionId: string; ARN: string }
}

async function versionCount(account: string, region: string, id: string): Promise<number> {
  const out = JSON.parse(
    await signedAs(account, region, 'secretsmanager', {
      target: 'secretsmanager.ListSecretVersionIds',
      json: { SecretId: id }
    })
  ) as { Versions: unknown[] }
  return out.Versions.length
}

/** The rotator role, trusting GitHub's OIDC provider for one repository environment. */
async function createOidcRole(): Promise<void> {
  const provider = `arn:aws:iam::${ROLE_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`
  await signedAs(ROLE_ACCOUNT, 'us-east-1', 'iam', {
    form: {
      Action: 'CreateOpenIDConnectProvider',
      Url: 'https://token.actions.githubusercontent.com',
      'ClientIDList.member.1': 'sts.amazonaws.com',
      'ThumbprintList.member.1': '6938fd4d98bab03faadb97b34396831e3780aea1'
    }
  })
  await signedAs(ROLE_ACCOUNT, 'us-east-1', 'iam', {
    form: {
      Action: 'CreateRole',
      RoleName: 'github-token-rotator',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Federated: provider },
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: {
              StringEquals: {
                'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
                'token.actions.githubusercontent.com:sub': SUBJECT
              }
            }
          }
        ]
      })
    }
  })
}

beforeAll(async () => {
  github = await startFakeGitHub({ tokens: {}, oidc: { subject: SUBJECT } })
})
afterAll(async () => {
  await github?.close()
})
beforeEach(async () => {
  await control(emulator, '/_emulator/config', { faults: null, throttle: null })
  github.requests.length = 0
  await createOidcRole()
  arns['plain-east'] = await createSecret(ROLE_ACCOUNT, 'us-east-1', 'ci/github-token', OLD_TOKEN)
  arns['plain-west'] = await createSecret(ROLE_ACCOUNT, 'eu-west-1', 'ci/github-token', OLD_TOKEN)
  arns['pipeline'] = await createSecret(ROLE_ACCOUNT, 'us-east-1', 'ci/pipeline', PIPELINE_SECRET)
  arns['legacy'] = await createSecret(ROLE_ACCOUNT, 'us-east-1', 'ci/legacy', LEGACY_TEXT)
  // Same name in the job's own account: only the ambient credentials would find it.
  arns['decoy'] = await createSecret(ACCOUNT, 'us-east-1', 'ci/github-token', OLD_TOKEN)
  await control(emulator, '/_emulator/calls/reset', {})
})

const oidcEnv = () => ({
  ACTIONS_ID_TOKEN_REQUEST_URL: github.oidcRequestUrl,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: github.oidcRequestToken
})

async function run(inputs: Record<string, string>, env: Record<string, string> = oidcEnv()) {
  const result = await runAction({
    inputs: { token: TOKEN, 'verify-token': 'false', 'role-to-assume': ROLE, ...inputs },
    env: { AWS_ENDPOINT_URL: emulator.url, ...env }
  })
  // Every run, whatever its outcome: the token shows only in the add-mask command,
  // and neither the ID token nor the secrets' other values show anywhere.
  expect(findLeaks(result, [TOKEN])).toEqual([])
  expect(result.stdout).toContain(`::add-mask::${TOKEN}`)
  for (const text of [result.stdout, result.stderr, ...result.files.map((f) => f.content)]) {
    const lines = text.split(/\r?\n/).filter((line) => !line.startsWith('::add-mask::'))
    expect(lines.filter((line) => JWT.test(line))).toEqual([])
    for (const value of [KEPT, LEGACY_TEXT, OLD_TOKEN]) {
      expect(lines.filter((line) => line.includes(value))).toEqual([])
    }
  }
  return result
}

const updated = (result: RunResult) =>
  JSON.parse(result.outputs['secrets-updated'] ?? 'null') as string[] | null
const log = async () => (await calls(emulator)) as Call[]

describe('Secrets Manager with GitHub OIDC credentials, through the bundled action', () => {
  it('assumes the role with the ID token and rotates plain and #key secrets in its account', async () => {
    const result = await run({
      regions: 'us-east-1, eu-west-1',
      secrets: `ci/github-token\n${arns['pipeline']}#OAuthToken`
    })
    expect(result.code).toBe(0)

    // GitHub was asked for exactly one ID token, for the STS audience.
    expect(github.requests).toEqual([
      {
        method: 'GET',
        path: '/_oidc/token',
        authorization: true,
        audience: 'sts.amazonaws.com',
        status: 200
      }
    ])
    // STS first, once; every later call signed with the assumed role's credentials.
    const all = await log()
    expect(all[0]).toMatchObject({
      service: 'sts',
      action: 'AssumeRoleWithWebIdentity',
      region: 'us-east-1',
      status: 200
    })
    expect(all.filter((c) => c.action === 'AssumeRoleWithWebIdentity')).toHaveLength(1)
    const rest = all.slice(1)
    expect(rest.length).toBeGreaterThan(0)
    expect(rest.every((c) => c.service === 'secretsmanager' && c.account === ROLE_ACCOUNT)).toBe(
      true
    )
    expect(
      rest
        .filter((c) => c.write)
        .map((c) => `${c.region} ${c.action}`)
        .sort()
    ).toEqual(['eu-west-1 PutSecretValue', 'us-east-1 PutSecretValue', 'us-east-1 PutSecretValue'])
    expect(result.stdout).toContain(
      `AWS credentials: assumed ${ROLE} through GitHub OIDC as session rotate-github-token-example-org-example-repo-42 (STS in us-east-1)`
    )

    // The plain secret in both regions; the JSON one changed in that key only.
    expect((await secretValue(ROLE_ACCOUNT, 'us-east-1', 'ci/github-token')).SecretString).toBe(
      TOKEN
    )
    expect((await secretValue(ROLE_ACCOUNT, 'eu-west-1', 'ci/github-token')).SecretString).toBe(
      TOKEN
    )
    expect((await secretValue(ROLE_ACCOUNT, 'us-east-1', 'ci/pipeline')).SecretString).toBe(
      PIPELINE_SECRET.replace(OLD_TOKEN, TOKEN)
    )
    // The job's own account was not touched.
    expect((await secretValue(ACCOUNT, 'us-east-1', 'ci/github-token')).SecretString).toBe(
      OLD_TOKEN
    )
    expect(await versionCount(ACCOUNT, 'us-east-1', 'ci/github-token')).toBe(1)

    expect(updated(result)).toEqual([arns['pipeline'], arns['plain-east'], arns['plain-west']])
    expect(result.stdout).toContain('::group::Region us-east-1')
    expect(result.stdout).toMatch(
      /updated {2}secret ci\/github-token \w{8} → \w{8} — wrote a new version \(AWSCURRENT\)/
    )
    expect(result.summary).toContain('### Secrets Manager')
    expect(result.summary).toMatch(
      /\| us-east-1 \| arn:aws:secretsmanager:us-east-1:210987654321:secret:ci\/pipeline-\w+ \| OAuthToken \| \w{8} → \w{8} \| ✅ updated: wrote a new version \(AWSCURRENT\) setting 'OAuthToken', other keys kept \|/
    )
    expect(result.summary).toContain('Secrets: 3 updated')
  })

  it('fails a non-JSON secret given #key, writes nothing to it, and still rotates the rest', async () => {
    const result = await run({
      regions: 'us-east-1',
      secrets: 'ci/legacy#token, ci/github-token'
    })
    expect(result.code).toBe(1)
    expect(result.stdout).toContain(
      "::error::1 target(s) failed:%0A- us-east-1 secret ci/legacy#token: is not JSON, so key 'token' cannot be set in it — nothing was written to it"
    )
    expect((await secretValue(ROLE_ACCOUNT, 'us-east-1', 'ci/legacy')).SecretString).toBe(
      LEGACY_TEXT
    )
    expect(await versionCount(ROLE_ACCOUNT, 'us-east-1', 'ci/legacy')).toBe(1)
    expect((await secretValue(ROLE_ACCOUNT, 'us-east-1', 'ci/github-token')).SecretString).toBe(
      TOKEN
    )
    expect(updated(result)).toEqual([arns['plain-east']])
    const writes = (await log()).filter((c) => c.write)
    expect(writes.map((c) => c.action)).toEqual(['PutSecretValue'])
    expect(result.summary).toContain('❌ failed: is not JSON')
  })

  it('plans a dry run with the assumed role and writes nothing', async () => {
    const result = await run({
      regions: 'us-east-1, eu-west-1',
      secrets: `ci/github-token\n${arns['pipeline']}#OAuthToken\n${arns['pipeline']}#newKey`,
      'dry-run': 'true'
    })
    expect(result.code).toBe(0)
    const all = await log()
    expect(all[0]?.action).toBe('AssumeRoleWithWebIdentity')
    expect(all.slice(1).filter((c) => c.write)).toEqual([])
    expect(all.slice(1).every((c) => c.account === ROLE_ACCOUNT)).toBe(true)
    expect((await secretValue(ROLE_ACCOUNT, 'us-east-1', 'ci/github-token')).SecretString).toBe(
      OLD_TOKEN
    )
    expect((await secretValue(ROLE_ACCOUNT, 'us-east-1', 'ci/pipeline')).SecretString).toBe(
      PIPELINE_SECRET
    )
    expect(updated(result)).toEqual([])
    expect(result.summary).toContain('**Dry run**')
    expect(result.summary).toContain('Secrets: 4 planned')
    expect(result.stdout).toContain(
      "would write a new version (AWSCURRENT) setting 'OAuthToken', 'newKey', other keys kept; added 'newKey'"
    )
    expect(result.stdout).toMatch(
      /::warning::Secret '.*ci\/pipeline-\w+' in us-east-1 has no key 'newKey'/
    )
  })

  it('stops before any AWS call when the job cannot request an ID token', async () => {
    const result = await run({ regions: 'us-east-1', secrets: 'ci/github-token' }, {})
    expect(result.code).toBe(1)
    expect(result.stdout).toContain(
      '::error::role-to-assume needs a GitHub OIDC ID token, but this job cannot request one (ACTIONS_ID_TOKEN_REQUEST_URL is not set): give the job `permissions: id-token: write`'
    )
    expect(await log()).toEqual([])
    expect(github.requests).toEqual([])
    expect((await secretValue(ROLE_ACCOUNT, 'us-east-1', 'ci/github-token')).SecretString).toBe(
      OLD_TOKEN
    )
  })

  it('explains an STS refusal with the trust policy and the subject in the ID token', async () => {
    // The launcher answers injected faults in the JSON protocol, which STS (query protocol)
    // cannot parse; whatever the error, the message must explain the trust policy.
    await control(emulator, '/_emulator/config', {
      faults: [
        {
          action: 'AssumeRoleWithWebIdentity',
          kind: 'status',
          status: 403,
          errorType: 'AccessDenied',
          message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity'
        }
      ]
    })
    const result = await run({ regions: 'us-east-1', secrets: 'ci/github-token' })
    expect(result.code).toBe(1)
    expect(result.stdout).toContain(`::error::Could not assume role ${ROLE} with GitHub OIDC: `)
    expect(result.stdout).toContain(
      `token.actions.githubusercontent.com:aud = sts.amazonaws.com and token.actions.githubusercontent.com:sub matching this job's subject '${SUBJECT}'`
    )
    const all = await log()
    expect(all.map((c) => c.action)).toEqual(['AssumeRoleWithWebIdentity'])
  })
})
