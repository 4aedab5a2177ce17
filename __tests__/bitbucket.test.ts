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
    await fake?.close() // a test may check twice; afterEach closes only the last
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

describe('the Bitbucket client, on answers the fake does not give', () => {
  /** A server answering each request with the next scripted status and body. */
  async function scripted(answers: { status: number; body: string }[]) {
    const { createServer } = await import('node:http')
    const paths: string[] = []
    const server = createServer((request, response) => {
      paths.push(request.url ?? '')
      const answer = answers.shift() ?? { status: 599, body: 'unscripted' }
      response.writeHead(answer.status, { 'content-type': 'text/plain' })
      response.end(answer.body)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as import('node:net').AddressInfo
    const close = () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    return { url: `http://127.0.0.1:${port}/2.0`, paths, close }
  }
  const client = (url: string, sleep = noSleep) =>
    createBitbucketClient(url, { kind: 'access-token', token: new SealedToken(TOKEN) }, { sleep })

  it('retries a 5xx once after a second, and takes a 200 that is not JSON as a nameless user', async () => {
    const server = await scripted([
      { status: 503, body: 'busy' },
      { status: 200, body: 'not json' }
    ])
    const sleep = jest.fn(noSleep)
    try {
      expect(await client(server.url, sleep).getUser()).toEqual({ name: '' })
      expect(server.paths).toEqual(['/2.0/user', '/2.0/user'])
      expect(sleep).toHaveBeenCalledWith(1000)
    } finally {
      await server.close()
    }
  })

  it('gives up on a second 5xx, with the text of a body that is not JSON as the detail', async () => {
    const server = await scripted([
      { status: 502, body: 'bad gateway' },
      { status: 502, body: 'bad gateway' }
    ])
    try {
      const error = (await client(server.url)
        .getRepository('acme', 'web')
        .catch((e: unknown) => e)) as InstanceType<typeof BitbucketError>
      expect(error).toBeInstanceOf(BitbucketError)
      expect(error.status).toBe(502)
      expect(error.detail).toBe('bad gateway')
      expect(error.message).toBe(
        'Bitbucket answered GET /repositories/acme/web with 502: bad gateway'
      )
      expect(server.paths).toHaveLength(2)
    } finally {
      await server.close()
    }
  })

  it('does not retry a 4xx, and names only the status when the body is empty', async () => {
    const server = await scripted([{ status: 404, body: '' }])
    try {
      const error = (await client(server.url)
        .getRepository('acme', 'gone')
        .catch((e: unknown) => e)) as InstanceType<typeof BitbucketError>
      expect(error.status).toBe(404)
      expect(error.detail).toBe('')
      expect(error.message).toBe('Bitbucket answered GET /repositories/acme/gone with 404')
      expect(server.paths).toEqual(['/2.0/repositories/acme/gone'])
    } finally {
      await server.close()
    }
  })

  it('takes the nickname, then the username, when there is no display name', async () => {
    const server = await scripted([
      { status: 200, body: JSON.stringify({ display_name: '', nickname: 'nick' }) },
      { status: 200, body: JSON.stringify({ username: 'user' }) },
      { status: 200, body: 'null' }
    ])
    try {
      const api = client(server.url)
      expect(await api.getUser()).toEqual({ name: 'nick' })
      expect(await api.getUser()).toEqual({ name: 'user' })
      expect(await api.getUser()).toEqual({ name: '' })
    } finally {
      await server.close()
    }
  })
})

describe('the Bitbucket check, on answers the fake does not give', () => {
  type BitbucketUser = import('../src/github/bitbucket.js').BitbucketUser
  const URL_ = 'https://api.bitbucket.example/2.0'

  /** A BitbucketApi that records what it was asked. */
  function scriptedApi(
    user: () => Promise<BitbucketUser>,
    repository: (workspace: string, slug: string) => Promise<void> = async () => {}
  ) {
    const asked: string[] = []
    const api = {
      getUser: () => {
        asked.push('user')
        return user()
      },
      getRepository: (workspace: string, slug: string) => {
        asked.push(`${workspace}/${slug}`)
        return repository(workspace, slug)
      }
    }
    return { api, asked }
  }

  function checkInputs(
    authType: 'BASIC_AUTH' | 'PERSONAL_ACCESS_TOKEN',
    username: string | undefined
  ) {
    return inputsOf({
      bitbucketApiUrl: URL_,
      codebuild: { mode: 'import', serverType: 'BITBUCKET', authType, username }
    })
  }

  async function run(
    given: ReturnType<typeof checkInputs>,
    api: ReturnType<typeof scriptedApi>['api'],
    targets: TokenTarget[]
  ) {
    const check = startBitbucketCheck(given, api, createLimit(2))
    for (const target of targets) check.consider(target)
    return check.finish(targets, new Date())
  }

  it('refuses a 401 without a detail, even with no codebuild-username, and asks about no repository', async () => {
    const { api, asked } = scriptedApi(async () => {
      throw new BitbucketError('Bitbucket answered GET /user with 401', 401)
    })
    const result = await run(checkInputs('BASIC_AUTH', undefined), api, [
      project('web', 'us-east-1', 'acme', 'web')
    ])
    expect(result.failures).toEqual([
      `Bitbucket rejected the credential: the API token of  is revoked, expired or mistyped, or codebuild-username is not the email address of its Atlassian account (GET ${URL_}/user answered 401)`
    ])
    expect(result.repositories).toEqual([])
    expect(asked).toEqual(['user'])
  })

  it.each([
    [
      'another status',
      new BitbucketError('Bitbucket answered GET /user with 500: down', 500, 'down'),
      'Bitbucket answered GET /user with 500: down'
    ],
    ['an error of its own', new Error('socket hang up'), 'socket hang up']
  ])('says the API token could not be checked on %s', async (_what, error, said) => {
    const { api, asked } = scriptedApi(async () => {
      throw error
    })
    const result = await run(checkInputs('BASIC_AUTH', EMAIL), api, [
      project('web', 'us-east-1', 'acme', 'web')
    ])
    expect(result.failures).toEqual([
      `the API token of ${EMAIL} could not be checked with Bitbucket: ${said}`
    ])
    expect(result.failures[0]).not.toContain('rejected')
    expect(asked).toEqual(['user'])
  })

  it('refuses per region a repository answering 404 without a detail, another status, or an error', async () => {
    const { api, asked } = scriptedApi(
      async () => ({ name: 'Builder' }),
      async (_workspace, slug) => {
        if (slug === 'gone') throw new BitbucketError('gone', 404)
        if (slug === 'flaky') throw new BitbucketError('Bitbucket answered with 500: oops', 500)
        if (slug === 'odd') throw new Error('connection reset')
      }
    )
    const result = await run(checkInputs('BASIC_AUTH', undefined), api, [
      project('gone', 'us-east-1', 'acme', 'gone'),
      project('flaky', 'eu-west-1', 'acme', 'flaky'),
      project('odd', 'ap-south-1', 'acme', 'odd'),
      project('fine', 'ap-south-1', 'acme', 'fine')
    ])
    expect(result.failures).toEqual([])
    expect(result.login).toBe('')
    expect(result.codebuildRefusals['us-east-1']).toEqual([
      expect.stringContaining(
        'which the token cannot read (GET /repositories/acme/gone answered 404):'
      )
    ])
    expect(result.codebuildRefusals['eu-west-1']).toEqual([
      expect.stringMatching(
        /builds acme\/flaky, which could not be checked: Bitbucket answered with 500: oops$/
      )
    ])
    expect(result.codebuildRefusals['ap-south-1']).toEqual([
      expect.stringMatching(/builds acme\/odd, which could not be checked: connection reset$/)
    ])
    expect([...asked].sort()).toEqual(['acme/fine', 'acme/flaky', 'acme/gone', 'acme/odd', 'user'])
  })

  it('refuses an API token a repository answers 401 for, naming codebuild-username', async () => {
    const { api } = scriptedApi(
      async () => ({ name: 'Builder' }),
      async () => {
        throw new BitbucketError('Bitbucket answered with 401', 401)
      }
    )
    const result = await run(checkInputs('BASIC_AUTH', EMAIL), api, [
      project('web', 'us-east-1', 'acme', 'web')
    ])
    expect(result.failures).toEqual([
      'Bitbucket rejected the credential: GET /repositories/acme/web answered 401 — the token is revoked, expired or mistyped, or codebuild-username is not its Atlassian account email: create a new one and update the secret'
    ])
    // The 401 is the credential's failure, not the region's.
    expect(result.codebuildRefusals).toEqual({})
  })

  it('re-checks a re-planned target with the answers it already has, asking only about new repositories', async () => {
    const { api, asked } = scriptedApi(
      async () => ({ name: '' }),
      async (_workspace, slug) => {
        if (slug === 'secret') throw new BitbucketError('no', 403, 'no access')
      }
    )
    const check = startBitbucketCheck(
      checkInputs('PERSONAL_ACCESS_TOKEN', undefined),
      api,
      createLimit(2)
    )
    check.consider(project('web', 'us-east-1', 'acme', 'web'))
    await check.finish([project('web', 'us-east-1', 'acme', 'web')], new Date())
    const pipeline: TokenTarget = {
      kind: 'pipeline',
      name: 'deploy',
      region: 'us-east-1',
      actions: [
        { stage: 'Source', action: 'A', owner: 'ACME', repo: 'Web', pollForSourceChanges: false },
        { stage: 'Source', action: 'B', owner: 'acme', repo: 'secret', pollForSourceChanges: false }
      ]
    }
    expect(await check.recheck(pipeline, new Date())).toEqual([
      expect.stringContaining('answered 403: no access')
    ])
    // An access token has no user to ask about; acme/web was asked once, whatever its case.
    expect(asked).toEqual(['acme/web', 'acme/secret'])
  })
})
