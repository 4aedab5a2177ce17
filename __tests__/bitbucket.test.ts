import { jest, describe, it, expect, beforeEach, afterEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import { inputsOf } from '../__fixtures__/inputs.js'

jest.unstable_mockModule('@actions/core', () => core)
const { createBitbucketClient, BitbucketError } = await import('../src/github/bitbucket.js')
const { startBitbucketCheck } = await import('../src/gate/bitbucket.js')
const { SealedToken } = await import('../src/core/sealed-token.js')
const { createLimit } = await import('../src/core/limit.js')
const { startFakeBitbucket, BROWNOUT_MESSAGE } = await import('../test-support/fake-bitbucket.js')
const { parseLocation, scanProjects } = await import('../src/stores/codebuild/projects.js')
const { projectsSection } = await import('../src/stores/codebuild/render.js')
const { tokenGate } = await import('../src/gate/gate.js')
const { fakeGitHubApi } = await import('../__fixtures__/github.js')
type FakeBitbucket = import('../test-support/fake-bitbucket.js').FakeBitbucket
type TokenTarget = import('../src/gate/repos.js').TokenTarget
type Inputs = import('../src/inputs/types.js').Inputs

const TOKEN = 'unit-bb-token-0123456789abcdef'
const EMAIL = 'builder@example.com'
let fake: FakeBitbucket | undefined

beforeEach(() => core.resetCore())
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

const noSleep = async () => {}
const project = (name: string, region: string, owner: string, repo: string): TokenTarget => ({
  kind: 'codebuild',
  name,
  region,
  actions: [{ stage: '', action: 'primary', owner, repo, pollForSourceChanges: true }]
})

function inputs(authType: 'BASIC_AUTH' | 'PERSONAL_ACCESS_TOKEN', url: string): Inputs {
  return inputsOf({
    bitbucketApiUrl: url,
    codebuild: {
      mode: 'import',
      serverType: 'BITBUCKET',
      authType,
      username: authType === 'BASIC_AUTH' ? EMAIL : undefined
    }
  })
}

describe('the Bitbucket client', () => {
  it('sends an API token as Basic email:token and registers the header as a secret', async () => {
    fake = await startFakeBitbucket({
      apiTokens: { [TOKEN]: { email: EMAIL, displayName: 'Builder', repos: '*' } }
    })
    const api = createBitbucketClient(fake.url, {
      kind: 'api-token',
      email: EMAIL,
      token: new SealedToken(TOKEN)
    })
    expect(await api.getUser()).toEqual({ name: 'Builder' })
    await api.getRepository('acme', 'web')
    expect(fake.requests.map((r) => r.auth)).toEqual(['basic', 'basic'])
    expect(core.setSecret).toHaveBeenCalledWith(Buffer.from(`${EMAIL}:${TOKEN}`).toString('base64'))
  })

  it('turns refusals into BitbucketErrors with Bitbucket’s message, never the token', async () => {
    fake = await startFakeBitbucket({
      accessTokens: { [TOKEN]: { repos: { 'acme/web': 'forbidden' } } }
    })
    const api = createBitbucketClient(fake.url, {
      kind: 'access-token',
      token: new SealedToken(TOKEN)
    })
    const denied = await api.getRepository('acme', 'web').catch((e: unknown) => e)
    expect(denied).toBeInstanceOf(BitbucketError)
    expect((denied as InstanceType<typeof BitbucketError>).status).toBe(403)
    expect((denied as Error).message).toContain('privilege scopes')
    const missing = await api.getRepository('acme', 'other').catch((e: unknown) => e)
    expect((missing as InstanceType<typeof BitbucketError>).status).toBe(404)
    const user = await api.getUser().catch((e: unknown) => e)
    expect((user as InstanceType<typeof BitbucketError>).status).toBe(401)
    expect(String((user as Error).message)).not.toContain(TOKEN)
  })

  it('retries a network error once, then names bitbucket-api-url', async () => {
    const api = createBitbucketClient(
      'http://127.0.0.1:1/2.0',
      { kind: 'access-token', token: new SealedToken(TOKEN) },
      { sleep: noSleep, timeoutMs: 2000 }
    )
    const error = (await api.getUser().catch((e: unknown) => e)) as InstanceType<
      typeof BitbucketError
    >
    expect(error.status).toBe(0)
    expect(error.message).toContain('check bitbucket-api-url')
  })
})

describe('the Bitbucket check', () => {
  async function checkWith(
    scenario: Parameters<typeof startFakeBitbucket>[0],
    authType: 'BASIC_AUTH' | 'PERSONAL_ACCESS_TOKEN',
    targets: TokenTarget[]
  ) {
    fake = await startFakeBitbucket(scenario)
    const given = inputs(authType, fake.url)
    const api = createBitbucketClient(
      fake.url,
      authType === 'BASIC_AUTH'
        ? { kind: 'api-token', email: EMAIL, token: new SealedToken(TOKEN) }
        : { kind: 'access-token', token: new SealedToken(TOKEN) },
      { sleep: noSleep }
    )
    const check = startBitbucketCheck(given, api, createLimit(2))
    for (const target of targets) check.consider(target)
    return check.finish(targets, new Date())
  }

  it('accepts an API token that GET /user and every repository accept', async () => {
    const result = await checkWith(
      { apiTokens: { [TOKEN]: { email: EMAIL, repos: { 'acme/web': 'ok' } } } },
      'BASIC_AUTH',
      [project('web', 'us-east-1', 'acme', 'web'), project('web2', 'eu-west-1', 'acme', 'web')]
    )
    expect(result).toMatchObject({
      failures: [],
      warnings: [],
      kind: 'bitbucket-api-token',
      login: EMAIL
    })
    expect(fake?.requests.map((r) => r.path)).toEqual(['/2.0/user', '/2.0/repositories/acme/web'])
  })

  it('refuses an app password with what to use instead', async () => {
    const result = await checkWith(
      { appPasswords: { [TOKEN]: { username: EMAIL } } },
      'BASIC_AUTH',
      []
    )
    expect(result.failures).toEqual([expect.stringContaining(BROWNOUT_MESSAGE)])
    expect(result.failures[0]).toContain('app passwords stopped working on 2026-07-28')
  })

  it('refuses an access token per region for a repository it cannot reach, everywhere for a 401', async () => {
    const result = await checkWith(
      { accessTokens: { [TOKEN]: { repos: { 'acme/api': 'ok', 'acme/ops': 'forbidden' } } } },
      'PERSONAL_ACCESS_TOKEN',
      [
        project('api', 'us-east-1', 'acme', 'api'),
        project('ops', 'eu-west-1', 'acme', 'ops'),
        project('bad', 'eu-west-1', 'acme', '..')
      ]
    )
    expect(result.failures).toEqual([])
    expect(Object.keys(result.codebuildRefusals)).toEqual(['eu-west-1'])
    expect(result.codebuildRefusals['eu-west-1']).toEqual([
      expect.stringContaining("'acme/..', which is not a Bitbucket workspace/repository"),
      expect.stringContaining('answered 403')
    ])
    const revoked = await checkWith(
      { accessTokens: { [TOKEN]: { revoked: true, repos: '*' } } },
      'PERSONAL_ACCESS_TOKEN',
      [project('api', 'us-east-1', 'acme', 'api')]
    )
    expect(revoked.failures).toEqual([expect.stringContaining('Bitbucket rejected the credential')])
  })

  it('warns that an access token with no repository to check was not checked', async () => {
    const result = await checkWith({}, 'PERSONAL_ACCESS_TOKEN', [])
    expect(result.failures).toEqual([])
    expect(result.warnings).toEqual([expect.stringContaining('could not be checked')])
  })
})

describe('CodeBuild project sources', () => {
  it.each([
    ['GITHUB', 'https://github.com/o/r.git', { owner: 'o', repo: 'r' }],
    ['GITHUB', 'https://github.com/o/r/', { owner: 'o', repo: 'r' }],
    ['GITHUB_ENTERPRISE', 'https://ghe.example.com/o/r', { owner: 'o', repo: 'r' }],
    ['BITBUCKET', 'https://someone@bitbucket.org/ws/repo.git', { owner: 'ws', repo: 'repo' }],
    ['GITHUB', 'https://gitlab.com/o/r', { problem: 'not an https://github.com/ repository URL' }],
    ['GITHUB', 'https://github.com/o', { problem: 'not OWNER/REPOSITORY' }],
    [
      'GITHUB_ENTERPRISE',
      'https://other.example.com/o/r',
      { problem: 'not on ghe.example.com, the host of github-api-url' }
    ],
    ['BITBUCKET', 'no url', { problem: 'not a URL' }]
  ])('parses %s %s', (serverType, location, expected) => {
    expect(parseLocation(serverType, location, 'https://ghe.example.com/api/v3')).toEqual(expected)
  })

  it('takes the sources that use the account credential, reports the others, warns on a failed listing', async () => {
    const given = inputsOf({
      codebuild: {
        mode: 'import',
        serverType: 'GITHUB',
        authType: 'PERSONAL_ACCESS_TOKEN',
        username: undefined
      }
    })
    const api = {
      listProjects: async () => [
        {
          name: 'web',
          webhook: true,
          sources: [
            { id: 'primary', type: 'GITHUB', location: 'https://github.com/o/web.git' },
            {
              id: 'lib',
              type: 'GITHUB',
              location: 'https://github.com/o/lib',
              auth: { type: 'OAUTH' }
            },
            { id: 'other', type: 'S3', location: 'bucket/key' }
          ]
        },
        {
          name: 'own',
          webhook: false,
          sources: [
            {
              id: 'primary',
              type: 'GITHUB',
              location: 'https://github.com/o/own',
              auth: {
                type: 'CODECONNECTIONS',
                resource: 'arn:aws:codeconnections:us-east-1:1:connection/x'
              }
            }
          ]
        },
        {
          name: 'odd',
          webhook: false,
          sources: [{ id: 'primary', type: 'GITHUB', location: 'https://github.com/o' }]
        }
      ]
    } as unknown as Parameters<typeof scanProjects>[2]
    const scan = await scanProjects('us-east-1', given, api)
    expect(scan.targets).toEqual([
      {
        kind: 'codebuild',
        region: 'us-east-1',
        name: 'web',
        actions: [
          { stage: '', action: 'primary', owner: 'o', repo: 'web', pollForSourceChanges: false },
          { stage: '', action: 'lib', owner: 'o', repo: 'lib', pollForSourceChanges: false }
        ]
      }
    ])
    expect(scan.uses.map((u) => `${u.project}/${u.source}:${u.credential}`)).toEqual([
      'odd/primary:unchecked',
      'own/primary:own',
      'web/primary:account',
      'web/lib:account'
    ])
    expect(scan.warnings).toEqual([expect.stringContaining("CodeBuild project 'odd'")])
    const denied = Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' })
    const failed = await scanProjects('eu-west-1', given, {
      listProjects: async () => {
        throw denied
      }
    } as unknown as Parameters<typeof scanProjects>[2])
    expect(failed.targets).toEqual([])
    expect(failed.warnings).toEqual([
      expect.stringContaining('eu-west-1: the build projects could not be listed')
    ])
  })
})

describe('the Bitbucket gate, wired to bitbucket-api-url', () => {
  it.each(['BASIC_AUTH', 'PERSONAL_ACCESS_TOKEN'] as const)(
    'refuses a %s credential Bitbucket rejects, naming Bitbucket',
    async (authType) => {
      fake = await startFakeBitbucket({})
      const gate = tokenGate(inputs(authType, fake.url), {
        github: fakeGitHubApi().api,
        token: new SealedToken(TOKEN),
        targets: () => [project('web', 'us-east-1', 'acme', 'web')]
      })
      gate.consider(project('web', 'us-east-1', 'acme', 'web'))
      const verdict = await gate.check()
      expect(verdict.open).toBe(false)
      expect(verdict.report.failures).toEqual([
        expect.stringMatching(/^Bitbucket credential: Bitbucket rejected the credential/)
      ])
      expect(
        fake.requests.every((r) => r.auth === (authType === 'BASIC_AUTH' ? 'basic' : 'bearer'))
      ).toBe(true)
    }
  )
})

describe('the CodeBuild projects table', () => {
  it('says which credential each source uses', () => {
    const section = projectsSection([
      { region: 'r', project: 'a', source: 'primary', location: 'l', credential: 'account' },
      {
        region: 'r',
        project: 'b',
        source: 'primary',
        location: 'l',
        credential: 'own',
        note: 'uses its own'
      },
      {
        region: 'r',
        project: 'c',
        source: 'x',
        location: 'l',
        credential: 'unchecked',
        note: 'odd'
      },
      { region: 'r', project: 'd', source: 'x', location: 'l', credential: 'unchecked' }
    ])
    expect(section.rows.map((row) => row[4])).toEqual([
      'this credential',
      'own credential — uses its own',
      '⚠️ odd',
      '⚠️ not checked'
    ])
  })
})
