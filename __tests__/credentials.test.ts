import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import type { AwsCredentialIdentity } from '@aws-sdk/types'
import * as core from '../__fixtures__/core.js'

type Assume = () => Promise<AwsCredentialIdentity>
const fromWebToken = jest.fn<(init: Record<string, unknown>) => Assume>()

jest.unstable_mockModule('@actions/core', () => core)
jest.unstable_mockModule('@aws-sdk/credential-providers', () => ({ fromWebToken }))
const { resolveCredentials, tokenClaims, explainStsError } =
  await import('../src/aws/credentials.js')
const { redact } = await import('../src/core/redact.js')

const AUDIENCE = 'sts.amazonaws.com'
const ROLE = 'arn:aws:iam::210987654321:role/github-token-rotator'
const SUB = 'repo:example-org/example-repo:environment:production'
const SESSION = 'rotate-github-token-example-org-example-repo-42'

function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'RS256' })}.${part(claims)}.signature-part`
}
const ID_TOKEN = jwt({
  sub: SUB,
  aud: AUDIENCE,
  iss: 'https://token.actions.githubusercontent.com'
})

function credentials(minutes: number, n = 1): AwsCredentialIdentity {
  return {
    accessKeyId: `ASIAEXAMPLE${n}`,
    secretAccessKey: `secret-access-key-${n}`,
    sessionToken: `session-token-${n}`,
    expiration: new Date(Date.now() + minutes * 60_000)
  }
}

function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 403 } })
}

const role = (overrides: Record<string, string | number> = {}) => ({
  roleArn: ROLE,
  sessionName: SESSION,
  region: 'eu-west-1',
  ...overrides
})

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('expected a rejection')
}

beforeEach(() => {
  core.resetCore()
  fromWebToken.mockReset()
  process.env['GITHUB_REPOSITORY'] = 'example-org/example-repo'
  process.env['ACTIONS_ID_TOKEN_REQUEST_URL'] = 'https://token.example/id?api-version=2.0'
  process.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'] = 'request-token'
  core.getIDToken.mockResolvedValue(ID_TOKEN)
})

describe('resolveCredentials', () => {
  it('uses the default chain without role-to-assume and asks GitHub for nothing', async () => {
    expect(
      await resolveCredentials({ roleArn: undefined, sessionName: SESSION, region: 'eu-west-1' })
    ).toBeUndefined()
    expect(core.getIDToken).not.toHaveBeenCalled()
    expect(fromWebToken).not.toHaveBeenCalled()
    expect(core.info).toHaveBeenCalledWith(
      'AWS credentials: the default credential chain (no role-to-assume)'
    )
  })

  it('treats an empty role as none', async () => {
    expect(await resolveCredentials(role({ roleArn: '' }))).toBeUndefined()
    expect(fromWebToken).not.toHaveBeenCalled()
  })

  it.each(['ACTIONS_ID_TOKEN_REQUEST_URL', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'])(
    'says the job needs id-token: write when %s is missing',
    async (variable) => {
      delete process.env[variable]
      const message = await failure(resolveCredentials(role()))
      expect(message).toBe(
        `role-to-assume needs a GitHub OIDC ID token, but this job cannot request one (${variable} is not set): give the job \`permissions: id-token: write\` (keep \`contents: read\`; a reusable workflow's caller must grant it too). Pull requests from forks never get an ID token.`
      )
      expect(core.getIDToken).not.toHaveBeenCalled()
      expect(fromWebToken).not.toHaveBeenCalled()
    }
  )

  it('assumes the role once with the ID token, masks everything secret, and reuses the session', async () => {
    const assume = jest.fn<Assume>().mockResolvedValue(credentials(60))
    fromWebToken.mockReturnValue(assume)
    const provider = await resolveCredentials(role())
    expect(core.getIDToken).toHaveBeenCalledWith('sts.amazonaws.com')
    expect(fromWebToken).toHaveBeenCalledWith({
      roleArn: ROLE,
      webIdentityToken: ID_TOKEN,
      roleSessionName: SESSION,
      clientConfig: {
        region: 'eu-west-1',
        maxAttempts: 3,
        // aws-timeout: a total deadline per STS attempt too.
        requestHandler: expect.objectContaining({ deadlineMs: 30_000 })
      }
    })
    expect(core.setSecret).toHaveBeenCalledWith(ID_TOKEN)
    expect(core.setSecret).toHaveBeenCalledWith('secret-access-key-1')
    expect(core.setSecret).toHaveBeenCalledWith('session-token-1')
    expect(redact(`x ${ID_TOKEN} secret-access-key-1 session-token-1`)).toBe('x *** *** ***')
    expect(core.info).toHaveBeenCalledWith(
      `AWS credentials: assumed ${ROLE} through GitHub OIDC as session ${SESSION} (STS in eu-west-1)`
    )
    const logged = JSON.stringify(core.info.mock.calls)
    for (const secret of [ID_TOKEN, 'secret-access-key-1', 'session-token-1', 'ASIAEXAMPLE1']) {
      expect(logged).not.toContain(secret)
    }
    expect(await provider?.()).toMatchObject({ accessKeyId: 'ASIAEXAMPLE1' })
    expect(await provider?.()).toMatchObject({ accessKeyId: 'ASIAEXAMPLE1' })
    expect(assume).toHaveBeenCalledTimes(1)
    expect(core.getIDToken).toHaveBeenCalledTimes(1)
  })

  it('uses the session name and the STS region it is given', async () => {
    fromWebToken.mockReturnValue(async () => credentials(60))
    await resolveCredentials(
      role({ sessionName: 'my-session', region: 'ap-south-1', requestTimeoutMs: 5_000 })
    )
    expect(fromWebToken.mock.calls[0]?.[0]).toMatchObject({
      roleSessionName: 'my-session',
      clientConfig: {
        region: 'ap-south-1',
        maxAttempts: 3,
        requestHandler: expect.objectContaining({ deadlineMs: 5_000 })
      }
    })
    expect(core.info).toHaveBeenCalledWith(
      `AWS credentials: assumed ${ROLE} through GitHub OIDC as session my-session (STS in ap-south-1)`
    )
  })

  it('renews a session about to expire with a fresh ID token, once for concurrent callers', async () => {
    const assume = jest
      .fn<Assume>()
      .mockResolvedValueOnce(credentials(4, 1))
      .mockResolvedValueOnce(credentials(60, 2))
    fromWebToken.mockReturnValue(assume)
    const provider = await resolveCredentials(role())
    const [a, b] = await Promise.all([provider?.(), provider?.()])
    expect(a?.accessKeyId).toBe('ASIAEXAMPLE2')
    expect(b?.accessKeyId).toBe('ASIAEXAMPLE2')
    expect((await provider?.())?.accessKeyId).toBe('ASIAEXAMPLE2')
    expect(assume).toHaveBeenCalledTimes(2)
    expect(core.getIDToken).toHaveBeenCalledTimes(2)
    expect(core.setSecret).toHaveBeenCalledWith('session-token-2')
  })

  it('renews again after a renewal failed', async () => {
    const assume = jest
      .fn<Assume>()
      .mockResolvedValueOnce(credentials(1, 1))
      .mockRejectedValueOnce(awsError('ExpiredTokenException'))
      .mockResolvedValueOnce(credentials(60, 3))
    fromWebToken.mockReturnValue(assume)
    const provider = await resolveCredentials(role())
    await expect(provider?.()).rejects.toThrow(/the GitHub ID token expired before STS checked it/)
    expect((await provider?.())?.accessKeyId).toBe('ASIAEXAMPLE3')
  })

  it('keeps credentials without an expiry', async () => {
    const assume = jest.fn<Assume>().mockResolvedValue({ accessKeyId: 'A', secretAccessKey: 'S' })
    fromWebToken.mockReturnValue(assume)
    const provider = await resolveCredentials(role())
    await provider?.()
    expect(assume).toHaveBeenCalledTimes(1)
    expect(
      core.setSecret.mock.calls.every(([value]) => typeof value === 'string' && value !== '')
    ).toBe(true)
  })

  it('explains a failure to get the ID token', async () => {
    core.getIDToken.mockRejectedValue(new Error('Failed to get ID Token. Error Code : 403'))
    const message = await failure(resolveCredentials(role()))
    expect(message).toBe(
      'Could not get a GitHub OIDC ID token (audience sts.amazonaws.com): Failed to get ID Token. Error Code : 403 — the job needs `permissions: id-token: write`'
    )
    expect(fromWebToken).not.toHaveBeenCalled()
  })

  it('explains an STS refusal with the trust policy and the subject the job presents, never the token', async () => {
    fromWebToken.mockReturnValue(async () => {
      throw awsError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity')
    })
    const message = await failure(resolveCredentials(role()))
    expect(message).toBe(
      `Could not assume role ${ROLE} with GitHub OIDC: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity — the role does not trust this job: the trust policy of ${ROLE} must allow sts:AssumeRoleWithWebIdentity for the federated principal arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com with the conditions token.actions.githubusercontent.com:aud = sts.amazonaws.com and token.actions.githubusercontent.com:sub matching this job's subject '${SUB}' (see the README, "AWS credentials (OIDC)")`
    )
    expect(message).not.toContain(ID_TOKEN)
  })
})

describe('explainStsError', () => {
  it.each([
    [
      'InvalidIdentityTokenException',
      /account 210987654321 needs an IAM OIDC identity provider for https:\/\/token\.actions\.githubusercontent\.com whose audiences \(client IDs\) include sts\.amazonaws\.com/
    ],
    ['InvalidIdentityToken', /STS did not accept GitHub's ID token/],
    ['IDPRejectedClaimException', /the role does not trust this job/],
    ['IDPRejectedClaim', /the role does not trust this job/],
    ['AccessDeniedException', /the role does not trust this job/],
    ['ExpiredTokenException', /the GitHub ID token expired before STS checked it: re-run the job$/],
    ['ExpiredToken', /the GitHub ID token expired before STS checked it: re-run the job$/],
    ['IDPCommunicationErrorException', /could not reach GitHub's OIDC issuer.*re-run the job$/],
    ['IDPCommunicationError', /could not reach GitHub's OIDC issuer.*re-run the job$/],
    ['RegionDisabledException', /STS is not activated in this region/],
    [
      'ValidationError',
      /: ValidationError: ValidationError — check role-to-assume; the trust policy/
    ]
  ])('%s', (name, hint) => {
    expect(explainStsError(awsError(name), ROLE, ID_TOKEN)).toMatch(hint)
  })

  it('falls back to the subject GitHub would present when the token cannot be read', () => {
    const message = explainStsError(new Error('boom'), ROLE, 'not-a-jwt')
    expect(message).toMatch(
      /OIDC: boom — .*:sub matching this job's subject repo:example-org\/example-repo:environment:NAME \(in a job with an environment\), or repo:example-org\/example-repo:ref:refs\/heads\/BRANCH/
    )
    delete process.env['GITHUB_REPOSITORY']
    expect(explainStsError(new Error('boom'), ROLE, 'x')).toMatch(/repo:ORG\/REPO:environment:NAME/)
  })

  it('names the partition of the role', () => {
    const role = 'arn:aws-us-gov:iam::210987654321:role/r'
    expect(explainStsError(awsError('AccessDenied'), role, ID_TOKEN)).toMatch(
      /arn:aws-us-gov:iam::210987654321:oidc-provider\/token\.actions\.githubusercontent\.com/
    )
  })

  it('puts placeholders in the provider ARN when the role ARN has no partition or account', () => {
    const message = explainStsError(awsError('AccessDenied', 'denied'), 'rotator', ID_TOKEN)
    expect(message).toMatch(
      /^Could not assume role rotator with GitHub OIDC: AccessDenied: denied — the role does not trust this job: .* federated principal arn:aws:iam::ACCOUNT:oidc-provider\/token\.actions\.githubusercontent\.com /
    )
  })

  it('never repeats the ID token, even when STS echoes it', () => {
    const message = explainStsError(
      awsError('AccessDenied', `bad token ${ID_TOKEN}`),
      ROLE,
      ID_TOKEN
    )
    expect(message).not.toContain(ID_TOKEN)
    expect(message).toMatch(/bad token \*\*\*/)
  })
})

describe('tokenClaims', () => {
  it('reads sub and aud, with aud a list or a string', () => {
    expect(tokenClaims(ID_TOKEN)).toEqual({ sub: SUB, aud: AUDIENCE })
    expect(tokenClaims(jwt({ aud: ['a', 'b'] }))).toEqual({ aud: 'a, b' })
    expect(tokenClaims(jwt({ sub: 5 }))).toEqual({})
    expect(tokenClaims(jwt({ sub: 's', aud: 7 }))).toEqual({ sub: 's' })
  })

  it.each(['', 'a.b.c', `x.${Buffer.from('null').toString('base64url')}.y`])(
    'returns nothing for %j',
    (text) => {
      expect(tokenClaims(text)).toEqual({})
    }
  )
})
