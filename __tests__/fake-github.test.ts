/**
 * The fake GitHub that the end-to-end tests point the action at: it must
 * answer the way GitHub's REST API and the Actions OIDC token service do, and
 * must never keep a token value where a test could print it.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals'
import { getIDToken } from '@actions/core'
import {
  startFakeGitHub,
  type FakeGitHub,
  type FakeGitHubOptions,
  type FakeGitHubScenario
} from '../test-support/fake-github.js'

const CLASSIC = 'fake-classic-token-for-tests'
const FINE_GRAINED = 'fake-fine-grained-token-for-tests'
const REVOKED = 'fake-revoked-token-for-tests'
const LIMITED = 'fake-rate-limited-token-for-tests'
const ALMOST = 'fake-one-request-left-token-for-tests'
const UNKNOWN = 'fake-unknown-token-for-tests'

const scenario: FakeGitHubScenario = {
  tokens: {
    [CLASSIC]: {
      login: 'octo-bot',
      scopes: 'repo, admin:repo_hook',
      expiresAt: '2026-12-01 10:00:00 UTC',
      repos: {
        'octo-org/public-app': 'ok',
        'octo-org/Private-App': 'private-ok',
        'octo-org/gone': 'missing',
        'sso-org/locked': 'sso'
      }
    },
    [FINE_GRAINED]: {
      login: 'fine-bot',
      scopes: null,
      expiresAt: '2026-12-01 10:00:00 +0900',
      repos: { 'octo-org/public-app': 'ok' }
    },
    [REVOKED]: { login: 'old-bot', revoked: true, scopes: 'repo' },
    [LIMITED]: { login: 'busy-bot', scopes: 'repo', rateLimitRemaining: 0 },
    [ALMOST]: { login: 'almost-bot', scopes: 'repo', rateLimitRemaining: 1 }
  }
}

const BAD_CREDENTIALS = {
  message: 'Bad credentials',
  documentation_url: 'https://docs.github.com/rest',
  status: '401'
}

let servers: FakeGitHub[] = []

async function start(
  overrides: Partial<FakeGitHubScenario> = {},
  options: FakeGitHubOptions = {}
): Promise<FakeGitHub> {
  const server = await startFakeGitHub({ ...scenario, ...overrides }, options)
  servers.push(server)
  return server
}

afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()))
  servers = []
  jest.restoreAllMocks()
})

interface Answer {
  status: number
  headers: Headers
  body: Record<string, unknown>
}

async function get(url: string, authorization?: string): Promise<Answer> {
  const response = await fetch(url, {
    headers: {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      ...(authorization === undefined ? {} : { authorization })
    }
  })
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>
  }
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000)

function decodeJwt(jwt: string): {
  header: Record<string, unknown>
  payload: Record<string, unknown>
} {
  const parts = jwt.split('.')
  expect(parts).toHaveLength(3)
  for (const part of parts) expect(part).toMatch(/^[A-Za-z0-9_-]+$/)
  const decode = (part: string | undefined): Record<string, unknown> =>
    JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
  return { header: decode(parts[0]), payload: decode(parts[1]) }
}

describe('startFakeGitHub', () => {
  it('listens on 127.0.0.1 and stops on close()', async () => {
    const github = await startFakeGitHub(scenario)
    expect(github.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(github.oidcRequestUrl).toBe(`${github.url}/_oidc/token?api-version=2.0`)
    expect(github.oidcRequestToken.length).toBeGreaterThanOrEqual(20)
    // A keep-alive connection must not hold close() up.
    expect((await get(`${github.url}/user`, `token ${CLASSIC}`)).status).toBe(200)
    await github.close()
    await expect(fetch(`${github.url}/user`)).rejects.toThrow()
  })

  it('generates a new OIDC request token per server', async () => {
    const [a, b] = await Promise.all([start(), start()])
    expect(a?.oidcRequestToken).not.toBe(b?.oidcRequestToken)
  })
})

describe('GET /user', () => {
  it('answers a classic token with the user and GitHub’s headers', async () => {
    const github = await start()
    const before = nowSeconds()
    const { status, headers, body } = await get(`${github.url}/user`, `token ${CLASSIC}`)
    expect(status).toBe(200)
    expect(body).toEqual(
      expect.objectContaining({ login: 'octo-bot', id: expect.any(Number), type: 'User' })
    )
    expect(headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(headers.get('x-oauth-scopes')).toBe('repo, admin:repo_hook')
    expect(headers.get('x-accepted-oauth-scopes')).toBe('')
    expect(headers.get('github-authentication-token-expiration')).toBe('2026-12-01 10:00:00 UTC')
    expect(headers.get('x-github-media-type')).toBe('github.v3; format=json')
    expect(headers.get('x-github-api-version-selected')).toBe('2022-11-28')
    expect(headers.get('x-ratelimit-limit')).toBe('5000')
    expect(headers.get('x-ratelimit-remaining')).toBe('4999')
    expect(headers.get('x-ratelimit-used')).toBe('1')
    expect(headers.get('x-ratelimit-resource')).toBe('core')
    const reset = Number(headers.get('x-ratelimit-reset'))
    expect(Number.isInteger(reset)).toBe(true)
    expect(reset).toBeGreaterThan(before)
    expect(reset).toBeLessThanOrEqual(nowSeconds() + 3600)
    expect(headers.get('x-github-request-id')).toMatch(/^[0-9A-F]+(:[0-9A-F]+){4}$/)

    const again = await get(`${github.url}/user`, `token ${CLASSIC}`)
    expect(again.body['id']).toBe(body['id'])
    expect(again.headers.get('x-ratelimit-remaining')).toBe('4998')
    expect(again.headers.get('x-github-request-id')).not.toBe(headers.get('x-github-request-id'))
  })

  it('accepts the Bearer scheme and sends no X-OAuth-Scopes for a fine-grained token', async () => {
    const github = await start()
    const { status, headers, body } = await get(`${github.url}/user`, `Bearer ${FINE_GRAINED}`)
    expect(status).toBe(200)
    expect(body['login']).toBe('fine-bot')
    expect(headers.has('x-oauth-scopes')).toBe(false)
    expect(headers.get('github-authentication-token-expiration')).toBe('2026-12-01 10:00:00 +0900')
  })

  it('sends no expiration header for a token without expiry', async () => {
    const github = await start({ tokens: { [CLASSIC]: { scopes: 'repo', expiresAt: null } } })
    const { status, headers, body } = await get(`${github.url}/user`, `token ${CLASSIC}`)
    expect(status).toBe(200)
    expect(body['login']).toBe('rotation-bot')
    expect(headers.has('github-authentication-token-expiration')).toBe(false)
  })

  it.each([
    ['an unknown token', `token ${UNKNOWN}`],
    ['a revoked token', `token ${REVOKED}`],
    ['an unsupported scheme', `Basic ${Buffer.from(`x:${CLASSIC}`).toString('base64')}`],
    ['an empty token', 'token ']
  ])('answers %s with 401 Bad credentials', async (_, authorization) => {
    const github = await start()
    const { status, headers, body } = await get(`${github.url}/user`, authorization)
    expect(status).toBe(401)
    expect(body).toEqual(BAD_CREDENTIALS)
    expect(headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(headers.has('x-oauth-scopes')).toBe(false)
    expect(headers.has('github-authentication-token-expiration')).toBe(false)
  })

  it('answers a request without Authorization with 401', async () => {
    const github = await start()
    const { status, body } = await get(`${github.url}/user`)
    expect(status).toBe(401)
    expect(body).toEqual({
      message: 'Requires authentication',
      documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user',
      status: '401'
    })
  })
})

describe('GET /repos/{owner}/{repo}', () => {
  it('answers a reachable repository with its details', async () => {
    const github = await start()
    const { status, headers, body } = await get(
      `${github.url}/repos/octo-org/public-app`,
      `token ${CLASSIC}`
    )
    expect(status).toBe(200)
    expect(body).toEqual(
      expect.objectContaining({
        id: expect.any(Number),
        name: 'public-app',
        full_name: 'octo-org/public-app',
        private: false,
        owner: expect.objectContaining({ login: 'octo-org' }),
        permissions: expect.objectContaining({ admin: false, push: true, pull: true }),
        default_branch: 'main'
      })
    )
    expect(headers.get('x-oauth-scopes')).toBe('repo, admin:repo_hook')
    expect(headers.get('x-accepted-oauth-scopes')).toBe('repo')
    expect(headers.get('github-authentication-token-expiration')).toBe('2026-12-01 10:00:00 UTC')
    expect(headers.get('x-ratelimit-remaining')).toBe('4999')
  })

  it('finds a private repository case-insensitively, under its own spelling', async () => {
    const github = await start()
    const { status, body } = await get(
      `${github.url}/repos/OCTO-ORG/private-app`,
      `token ${CLASSIC}`
    )
    expect(status).toBe(200)
    expect(body).toEqual(
      expect.objectContaining({
        full_name: 'octo-org/Private-App',
        name: 'Private-App',
        private: true
      })
    )
  })

  it.each(['octo-org/gone', 'octo-org/never-listed'])('answers %s with 404', async (repo) => {
    const github = await start()
    const { status, headers, body } = await get(`${github.url}/repos/${repo}`, `token ${CLASSIC}`)
    expect(status).toBe(404)
    expect(body).toEqual({
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest/repos/repos#get-a-repository',
      status: '404'
    })
    expect(headers.get('x-oauth-scopes')).toBe('repo, admin:repo_hook')
  })

  it('answers a repository behind SAML SSO with 403 and X-GitHub-SSO', async () => {
    const github = await start()
    const { status, headers, body } = await get(
      `${github.url}/repos/sso-org/locked`,
      `token ${CLASSIC}`
    )
    expect(status).toBe(403)
    expect(headers.get('x-github-sso')).toMatch(
      /^required; url=https:\/\/github\.com\/orgs\/sso-org\/sso\?authorization_request=[A-Za-z0-9_-]+$/
    )
    expect(body).toEqual({
      message:
        'Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.',
      documentation_url:
        'https://docs.github.com/articles/authenticating-to-a-github-organization-with-saml-single-sign-on/',
      status: '403'
    })
  })

  it('answers 401 for bad tokens and 404 without any token', async () => {
    const github = await start()
    for (const token of [UNKNOWN, REVOKED]) {
      const { status, body } = await get(
        `${github.url}/repos/octo-org/public-app`,
        `token ${token}`
      )
      expect(status).toBe(401)
      expect(body).toEqual(BAD_CREDENTIALS)
    }
    expect((await get(`${github.url}/repos/octo-org/public-app`)).status).toBe(404)
  })

  it('keeps repositories per token', async () => {
    const github = await start()
    const url = `${github.url}/repos/octo-org/Private-App`
    expect((await get(url, `token ${CLASSIC}`)).status).toBe(200)
    expect((await get(url, `Bearer ${FINE_GRAINED}`)).status).toBe(404)
  })
})

describe('rate limiting', () => {
  it('refuses the first request of an exhausted token, then answers normally', async () => {
    const github = await start()
    const before = nowSeconds()
    const limited = await get(`${github.url}/user`, `token ${LIMITED}`)
    expect(limited.status).toBe(403)
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0')
    expect(limited.headers.get('x-ratelimit-limit')).toBe('5000')
    expect(limited.headers.get('x-ratelimit-used')).toBe('5000')
    const reset = Number(limited.headers.get('x-ratelimit-reset'))
    expect(reset).toBeGreaterThanOrEqual(before + 1)
    expect(reset).toBeLessThanOrEqual(nowSeconds() + 3)
    expect(limited.body['message']).toMatch(/^API rate limit exceeded for user ID \d+\. /)
    expect(limited.body).toEqual(
      expect.objectContaining({
        documentation_url:
          'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting',
        status: '403'
      })
    )

    const after = await get(`${github.url}/user`, `token ${LIMITED}`)
    expect(after.status).toBe(200)
    expect(after.body['login']).toBe('busy-bot')
    expect(Number(after.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0)
  })

  it('runs out after the requests that were left', async () => {
    const github = await start()
    const first = await get(`${github.url}/repos/any/repo`, `token ${ALMOST}`)
    expect(first.status).toBe(404)
    expect(first.headers.get('x-ratelimit-remaining')).toBe('0')
    expect((await get(`${github.url}/user`, `token ${ALMOST}`)).status).toBe(403)
    expect((await get(`${github.url}/user`, `token ${ALMOST}`)).status).toBe(200)
  })
})

describe('the OIDC token service', () => {
  it('issues a JWT for the requested audience', async () => {
    const github = await start()
    const before = nowSeconds()
    const response = await fetch(`${github.oidcRequestUrl}&audience=sts.amazonaws.com`, {
      headers: { authorization: `Bearer ${github.oidcRequestToken}`, accept: 'application/json' }
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
    const body = (await response.json()) as { value?: unknown }
    expect(typeof body.value).toBe('string')
    const { header, payload } = decodeJwt(String(body.value))
    expect(header).toEqual(expect.objectContaining({ typ: 'JWT', alg: 'RS256' }))
    expect(payload).toEqual(
      expect.objectContaining({
        iss: 'https://token.actions.githubusercontent.com',
        aud: 'sts.amazonaws.com',
        sub: 'repo:example-org/example-repo:environment:production',
        repository: 'example-org/example-repo',
        environment: 'production'
      })
    )
    expect(payload['iat']).toBeGreaterThanOrEqual(before)
    expect(payload['exp']).toBeGreaterThan(Number(payload['iat']))
  })

  it('uses the scenario’s subject, and the owner’s URL when no audience is asked for', async () => {
    const github = await start({ oidc: { subject: 'repo:acme/tools:ref:refs/heads/main' } })
    const response = await fetch(github.oidcRequestUrl, {
      headers: { authorization: `Bearer ${github.oidcRequestToken}` }
    })
    const { payload } = decodeJwt(String(((await response.json()) as { value?: unknown }).value))
    expect(payload).toEqual(
      expect.objectContaining({
        sub: 'repo:acme/tools:ref:refs/heads/main',
        aud: 'https://github.com/acme',
        repository: 'acme/tools'
      })
    )
    expect(payload).not.toHaveProperty('environment')
  })

  it.each([
    ['a wrong bearer token', 'Bearer not-the-request-token'],
    ['no Authorization', undefined],
    ['a GitHub token', `token ${CLASSIC}`]
  ])('refuses %s with 401', async (_, authorization) => {
    const github = await start()
    const response = await fetch(`${github.oidcRequestUrl}&audience=sts.amazonaws.com`, {
      headers: authorization === undefined ? {} : { authorization }
    })
    expect(response.status).toBe(401)
  })

  it('answers 500 when the scenario says it fails', async () => {
    const github = await start({ oidc: { fail: true } })
    const response = await fetch(`${github.oidcRequestUrl}&audience=sts.amazonaws.com`, {
      headers: { authorization: `Bearer ${github.oidcRequestToken}` }
    })
    expect(response.status).toBe(500)
  })

  describe('through @actions/core getIDToken()', () => {
    const saved = {
      url: process.env['ACTIONS_ID_TOKEN_REQUEST_URL'],
      token: process.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']
    }
    afterEach(() => {
      for (const [name, value] of [
        ['ACTIONS_ID_TOKEN_REQUEST_URL', saved.url],
        ['ACTIONS_ID_TOKEN_REQUEST_TOKEN', saved.token]
      ] as const) {
        if (value === undefined) delete process.env[name]
        else process.env[name] = value
      }
    })

    async function idTokenFrom(github: FakeGitHub): Promise<string> {
      process.env['ACTIONS_ID_TOKEN_REQUEST_URL'] = github.oidcRequestUrl
      process.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'] = github.oidcRequestToken
      // getIDToken masks the token with an ::add-mask:: command on stdout.
      jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
      return getIDToken('sts.amazonaws.com')
    }

    it('gets a token the way the action does', async () => {
      const github = await start()
      const { payload } = decodeJwt(await idTokenFrom(github))
      expect(payload['aud']).toBe('sts.amazonaws.com')
      expect(github.requests).toEqual([
        {
          method: 'GET',
          path: '/_oidc/token',
          authorization: true,
          audience: 'sts.amazonaws.com',
          status: 200
        }
      ])
    })

    it('fails when the service fails', async () => {
      const github = await start({ oidc: { fail: true } })
      await expect(idTokenFrom(github)).rejects.toThrow(/500/)
    })
  })
})

describe('anything else', () => {
  it.each([
    ['GET', '/nope'],
    ['GET', '/users/octo-bot/repos'],
    ['GET', '/repos/octo-org'],
    ['GET', '/repos/octo-org/public-app/branches'],
    ['POST', '/user'],
    ['DELETE', '/repos/octo-org/public-app']
  ])('answers %s %s with 404 Not Found', async (method, path) => {
    const github = await start()
    const response = await fetch(`${github.url}${path}`, {
      method,
      headers: { authorization: `token ${CLASSIC}` }
    })
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest',
      status: '404'
    })
  })
})

describe('requests', () => {
  it('records method, path, Authorization presence and status, and no token value', async () => {
    const github = await start()
    await get(`${github.url}/user`, `token ${CLASSIC}`)
    await get(`${github.url}/repos/octo-org/public-app?per_page=1`, `Bearer ${FINE_GRAINED}`)
    await get(`${github.url}/user`, `token ${UNKNOWN}`)
    await get(`${github.url}/user`, `token ${REVOKED}`)
    await get(`${github.url}/user`, `token ${LIMITED}`)
    await get(`${github.url}/user`)
    await fetch(`${github.oidcRequestUrl}&audience=sts.amazonaws.com`, {
      headers: { authorization: `Bearer ${github.oidcRequestToken}` }
    })

    expect(github.requests).toEqual([
      { method: 'GET', path: '/user', authorization: true, status: 200 },
      { method: 'GET', path: '/repos/octo-org/public-app', authorization: true, status: 200 },
      { method: 'GET', path: '/user', authorization: true, status: 401 },
      { method: 'GET', path: '/user', authorization: true, status: 401 },
      { method: 'GET', path: '/user', authorization: true, status: 403 },
      { method: 'GET', path: '/user', authorization: false, status: 401 },
      {
        method: 'GET',
        path: '/_oidc/token',
        authorization: true,
        audience: 'sts.amazonaws.com',
        status: 200
      }
    ])
    const recorded = JSON.stringify(github.requests)
    for (const secret of [
      CLASSIC,
      FINE_GRAINED,
      UNKNOWN,
      REVOKED,
      LIMITED,
      github.oidcRequestToken
    ]) {
      expect(recorded).not.toContain(secret)
    }
  })
})

describe('repos: "*"', () => {
  it('answers every repository 200, under the spelling asked for', async () => {
    const github = await start({ tokens: { [CLASSIC]: { scopes: 'repo', repos: '*' } } })
    for (const repo of ['example-org/bench-0001', 'Other-Org/Some.Repo']) {
      const { status, body } = await get(`${github.url}/repos/${repo}`, `token ${CLASSIC}`)
      expect(status).toBe(200)
      expect(body['full_name']).toBe(repo)
      expect(body['private']).toBe(false)
    }
  })
})

describe('the scenario is read on every request', () => {
  it('knows a token added after the start, and forgets one removed', async () => {
    const live: FakeGitHubScenario = { tokens: {} }
    const github = await startFakeGitHub(live)
    servers.push(github)
    expect((await get(`${github.url}/user`, `token ${UNKNOWN}`)).status).toBe(401)
    live.tokens[UNKNOWN] = { login: 'late-bot', scopes: 'repo' }
    const late = await get(`${github.url}/user`, `token ${UNKNOWN}`)
    expect(late.status).toBe(200)
    expect(late.body['login']).toBe('late-bot')
    delete live.tokens[UNKNOWN]
    expect((await get(`${github.url}/user`, `token ${UNKNOWN}`)).status).toBe(401)
  })

  it('takes no inherited member for a token', async () => {
    const github = await start({ tokens: {} })
    for (const name of ['constructor', 'toString', '__proto__']) {
      expect((await get(`${github.url}/user`, `token ${name}`)).status).toBe(401)
    }
  })
})

describe('delayMs: a slow GitHub', () => {
  const DELAY = 300
  const timed = async <T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> => {
    const started = performance.now()
    const value = await work()
    return { value, ms: performance.now() - started }
  }
  const oidc = (github: FakeGitHub) =>
    fetch(`${github.oidcRequestUrl}&audience=sts.amazonaws.com`, {
      headers: { authorization: `Bearer ${github.oidcRequestToken}` }
    })

  it('delays every REST answer, errors included', async () => {
    const github = await start({ delayMs: DELAY })
    const user = await timed(() => get(`${github.url}/user`, `token ${CLASSIC}`))
    expect(user.value.status).toBe(200)
    // Timers may fire a millisecond early.
    expect(user.ms).toBeGreaterThanOrEqual(DELAY - 5)
    const repo = await timed(() => get(`${github.url}/repos/octo-org/gone`, `token ${CLASSIC}`))
    expect(repo.value.status).toBe(404)
    expect(repo.ms).toBeGreaterThanOrEqual(DELAY - 5)
    const revoked = await timed(() => get(`${github.url}/user`, `token ${REVOKED}`))
    expect(revoked.value.status).toBe(401)
    expect(revoked.ms).toBeGreaterThanOrEqual(DELAY - 5)
  })

  it('does not delay the OIDC token service: it answers while a REST request still waits', async () => {
    const github = await start({ delayMs: DELAY })
    const done: string[] = []
    const rest = get(`${github.url}/user`, `token ${CLASSIC}`).then((answer) => {
      done.push('rest')
      return answer
    })
    // The REST request has long arrived when the OIDC one is sent; a delayed
    // OIDC answer would come after the REST one.
    await new Promise((resolve) => setTimeout(resolve, DELAY / 3))
    const token = await timed(() => oidc(github))
    done.push('oidc')
    expect(token.value.status).toBe(200)
    expect(token.ms).toBeLessThan(DELAY)
    expect((await rest).status).toBe(200)
    expect(done).toEqual(['oidc', 'rest'])
    // Records are kept as each answer is sent.
    expect(github.requests.map((r) => r.path)).toEqual(['/_oidc/token', '/user'])
  })

  it('is read on every request', async () => {
    const live: FakeGitHubScenario = { ...scenario, delayMs: DELAY }
    const github = await startFakeGitHub(live)
    servers.push(github)
    expect(
      (await timed(() => get(`${github.url}/user`, `token ${CLASSIC}`))).ms
    ).toBeGreaterThanOrEqual(DELAY - 5)
    live.delayMs = 0
    expect((await timed(() => get(`${github.url}/user`, `token ${CLASSIC}`))).ms).toBeLessThan(
      DELAY
    )
  })
})

describe('hostile answers', () => {
  const HOSTILE = 'fake-hostile-token-for-tests/+?&="\\ü'
  const MESSAGE = 'Bad things\n::error::happened %0A here\r\n::add-mask::nothing'

  it('uses the token’s message for every error answer', async () => {
    const github = await start({
      tokens: {
        [HOSTILE]: {
          message: MESSAGE,
          scopes: 'repo',
          repos: { 'a/missing': 'missing', 'a/sso': 'sso', 'a/broken': 'error' }
        },
        [REVOKED]: { revoked: true, message: MESSAGE },
        [LIMITED]: { rateLimitRemaining: 0, message: MESSAGE }
      }
    })
    const answers = [
      await get(`${github.url}/repos/a/missing`, `token ${HOSTILE}`),
      await get(`${github.url}/repos/a/never-listed`, `token ${HOSTILE}`),
      await get(`${github.url}/repos/a/sso`, `token ${HOSTILE}`),
      await get(`${github.url}/repos/a/broken`, `token ${HOSTILE}`),
      await get(`${github.url}/user`, `token ${REVOKED}`),
      await get(`${github.url}/user`, `token ${LIMITED}`)
    ]
    expect(answers.map((a) => a.status)).toEqual([404, 404, 403, 500, 401, 403])
    for (const answer of answers) expect(answer.body['message']).toBe(MESSAGE)
    // The rest of the body is GitHub's.
    expect(answers[2]?.body['documentation_url']).toMatch(/saml-single-sign-on/)
    expect(answers[3]?.body).toEqual({
      message: MESSAGE,
      documentation_url: 'https://docs.github.com/rest',
      status: '500'
    })
    // Success answers are untouched.
    expect((await get(`${github.url}/user`, `token ${HOSTILE}`)).status).toBe(200)
  })

  it('answers a repository marked error with 500 Server Error without a message', async () => {
    const github = await start({ tokens: { [CLASSIC]: { repos: { 'a/b': 'error' } } } })
    const { status, body } = await get(`${github.url}/repos/a/b`, `token ${CLASSIC}`)
    expect(status).toBe(500)
    expect(body).toEqual({
      message: 'Server Error',
      documentation_url: 'https://docs.github.com/rest',
      status: '500'
    })
  })

  it('echoes the token presented in every form asked for', async () => {
    const github = await start({
      tokens: {
        [HOSTILE]: { message: 'Nope', echo: ['raw', 'base64', 'basic', 'url', 'json'], repos: {} }
      }
    })
    const { status, body } = await get(`${github.url}/repos/a/b`, `Bearer ${HOSTILE}`)
    expect(status).toBe(404)
    expect(body['message']).toBe(
      [
        'Nope',
        HOSTILE,
        Buffer.from(HOSTILE).toString('base64'),
        Buffer.from(`x-access-token:${HOSTILE}`).toString('base64'),
        encodeURIComponent(HOSTILE),
        JSON.stringify(HOSTILE).slice(1, -1)
      ].join(' ')
    )
  })

  it('echoes after GitHub’s own message when the token has none', async () => {
    const github = await start({ tokens: { [REVOKED]: { revoked: true, echo: ['url'] } } })
    const { body } = await get(`${github.url}/user`, `token ${REVOKED}`)
    expect(body['message']).toBe(`Bad credentials ${encodeURIComponent(REVOKED)}`)
  })

  it('answers GET /user with userStatus and the message', async () => {
    const github = await start({
      tokens: {
        [CLASSIC]: { scopes: 'repo', userStatus: 503, message: MESSAGE },
        [FINE_GRAINED]: { userStatus: 403 }
      }
    })
    const failing = await get(`${github.url}/user`, `token ${CLASSIC}`)
    expect(failing.status).toBe(503)
    expect(failing.body).toEqual(expect.objectContaining({ message: MESSAGE, status: '503' }))
    expect(failing.headers.get('x-oauth-scopes')).toBe('repo')
    const forbidden = await get(`${github.url}/user`, `token ${FINE_GRAINED}`)
    expect(forbidden.status).toBe(403)
    expect(forbidden.body['message']).toBe('Forbidden')
  })

  it('returns any login verbatim', async () => {
    const login = 'evil\nlogin::warning::x %0A'
    const github = await start({
      tokens: { [CLASSIC]: { login, repos: { [`${login}/r`]: 'ok' } } }
    })
    const user = await get(`${github.url}/user`, `token ${CLASSIC}`)
    expect(user.body['login']).toBe(login)
    const repo = await get(`${github.url}/repos/${encodeURIComponent(login)}/r`, `token ${CLASSIC}`)
    expect(repo.status).toBe(200)
    expect((repo.body['owner'] as Record<string, unknown>)['type']).toBe('User')
  })

  it.each([
    'Tue, 01 Dec 2026 10:00:00 GMT',
    '2026-12-01',
    '2026-12-01T10:00:00Z',
    '2026-12-01T10:00:00.000+09:00',
    '2026-12-01 10:00:00 -0530'
  ])('sends the expiry %s verbatim', async (expiresAt) => {
    const github = await start({ tokens: { [CLASSIC]: { expiresAt } } })
    const { headers } = await get(`${github.url}/user`, `token ${CLASSIC}`)
    expect(headers.get('github-authentication-token-expiration')).toBe(expiresAt)
  })
})

async function revoke(
  github: FakeGitHub,
  body: unknown,
  authorization?: string
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(`${github.url}/credentials/revoke`, {
    method: 'POST',
    headers: {
      accept: 'application/vnd.github+json',
      'content-type': 'application/json',
      ...(authorization === undefined ? {} : { authorization })
    },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  })
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>
  }
}

const REVOKE_DOCS = 'https://docs.github.com/rest/credentials/revoke#revoke-a-list-of-credentials'

describe('POST /credentials/revoke (GitHub.com)', () => {
  it('accepts an anonymous list with 202, and the tokens it knows answer 401 from then on', async () => {
    const github = await start()
    expect(github.isRevoked(CLASSIC)).toBe(false)
    const answer = await revoke(github, { credentials: [CLASSIC, UNKNOWN] })
    expect(answer.status).toBe(202)
    expect(answer.body).toEqual({})
    expect(answer.headers.get('x-ratelimit-limit')).toBe('60')
    expect(answer.headers.get('x-ratelimit-remaining')).toBe('59')
    expect(answer.headers.get('x-ratelimit-resource')).toBe('core')
    expect(github.isRevoked(CLASSIC)).toBe(true)
    expect(github.isRevoked(UNKNOWN)).toBe(false)
    expect(github.isRevoked(FINE_GRAINED)).toBe(false)
    expect(github.isRevoked(REVOKED)).toBe(true)

    for (const path of ['/user', '/repos/octo-org/public-app']) {
      const after = await get(`${github.url}${path}`, `token ${CLASSIC}`)
      expect(after.status).toBe(401)
      expect(after.body).toEqual(BAD_CREDENTIALS)
    }
    expect((await get(`${github.url}/user`, `token ${FINE_GRAINED}`)).status).toBe(200)
  })

  it('refuses an authenticated request with 403, revoking nothing', async () => {
    const github = await start()
    for (const authorization of [`token ${CLASSIC}`, `Bearer ${UNKNOWN}`]) {
      const answer = await revoke(github, { credentials: [CLASSIC] }, authorization)
      expect(answer.status).toBe(403)
      expect(answer.body).toEqual({
        message: 'Forbidden',
        documentation_url: REVOKE_DOCS,
        status: '403'
      })
    }
    expect(github.isRevoked(CLASSIC)).toBe(false)
  })

  it.each<[string, unknown]>([
    ['not JSON', '{"credentials": ['],
    ['not an object', JSON.stringify([CLASSIC])],
    ['without credentials', {}],
    ['credentials not an array', { credentials: CLASSIC }],
    ['an empty list', { credentials: [] }],
    ['1001 credentials', { credentials: Array.from({ length: 1001 }, (_, i) => `fake-${i}`) }],
    ['a credential that is no string', { credentials: [CLASSIC, 42] }],
    ['an empty credential', { credentials: [''] }]
  ])('answers %s with 422, revoking nothing and echoing no credential', async (_, body) => {
    const github = await start()
    const answer = await revoke(github, body)
    expect(answer.status).toBe(422)
    expect(answer.body).toEqual({
      message: expect.stringMatching(/^Invalid request\.\n\n\S/),
      errors: [expect.any(String)],
      documentation_url: REVOKE_DOCS,
      status: '422'
    })
    expect(JSON.stringify(answer.body)).not.toContain(CLASSIC)
    expect(github.isRevoked(CLASSIC)).toBe(false)
  })

  it('takes up to 1000 credentials', async () => {
    const github = await start()
    const credentials = [...Array.from({ length: 999 }, (_, i) => `fake-${i}`), CLASSIC]
    expect((await revoke(github, { credentials })).status).toBe(202)
    expect(github.isRevoked(CLASSIC)).toBe(true)
  })

  it('allows 60 anonymous requests an hour', async () => {
    const github = await start()
    for (let i = 0; i < 60; i++) {
      expect((await revoke(github, { credentials: [UNKNOWN] })).status).toBe(202)
    }
    const refused = await revoke(github, { credentials: [CLASSIC] })
    expect(refused.status).toBe(403)
    expect(refused.body['message']).toMatch(/^API rate limit exceeded for /)
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0')
    expect(refused.headers.get('x-ratelimit-used')).toBe('60')
    expect(Number(refused.headers.get('x-ratelimit-reset'))).toBeGreaterThan(nowSeconds())
    expect(github.isRevoked(CLASSIC)).toBe(false)
  })

  it('does not exist for other methods', async () => {
    const github = await start()
    const response = await fetch(`${github.url}/credentials/revoke`)
    expect(response.status).toBe(404)
  })
})

describe('GitHub Enterprise Server', () => {
  const enterprise = (version: string): FakeGitHubOptions => ({ enterprise: { version } })

  it('serves the API under /api/v3 with x-github-enterprise-version on every answer', async () => {
    const github = await start({}, enterprise('3.18.0'))
    expect(github.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v3$/)
    const user = await get(`${github.url}/user`, `token ${CLASSIC}`)
    expect(user.status).toBe(200)
    expect(user.body['login']).toBe('octo-bot')
    expect(user.headers.get('x-github-enterprise-version')).toBe('3.18.0')
    expect(user.headers.get('x-oauth-scopes')).toBe('repo, admin:repo_hook')

    const repo = await get(`${github.url}/repos/octo-org/public-app`, `token ${CLASSIC}`)
    expect(repo.status).toBe(200)

    const origin = new URL(github.url).origin
    const outside = await get(`${origin}/user`, `token ${CLASSIC}`)
    expect(outside.status).toBe(404)
    expect(outside.headers.get('x-github-enterprise-version')).toBe('3.18.0')

    const bad = await get(`${github.url}/user`, `token ${UNKNOWN}`)
    expect(bad.status).toBe(401)
    expect(bad.body).toEqual({
      message: 'Bad credentials',
      documentation_url: 'https://docs.github.com/enterprise-server@3.18/rest',
      status: '401'
    })

    const oidc = await fetch(`${github.oidcRequestUrl}&audience=sts.amazonaws.com`, {
      headers: { authorization: `Bearer ${github.oidcRequestToken}` }
    })
    expect(oidc.status).toBe(200)
    expect(oidc.headers.get('x-github-enterprise-version')).toBe('3.18.0')
  })

  it.each(['3.18.0', '3.19.2', '4.0.0'])(
    '%s: revokes as an authenticated call',
    async (version) => {
      const github = await start({}, enterprise(version))
      const [major, minor] = version.split('.')
      const docs = `https://docs.github.com/enterprise-server@${major}.${minor}/rest/credentials/revoke#revoke-a-list-of-credentials`

      const anonymous = await revoke(github, { credentials: [CLASSIC] })
      expect(anonymous.status).toBe(401)
      expect(anonymous.body).toEqual(
        expect.objectContaining({ message: 'Requires authentication', documentation_url: docs })
      )
      expect((await revoke(github, { credentials: [CLASSIC] }, `token ${UNKNOWN}`)).status).toBe(
        401
      )
      expect((await revoke(github, { credentials: [CLASSIC] }, `token ${REVOKED}`)).status).toBe(
        401
      )
      const invalid = await revoke(github, { credentials: [] }, `token ${FINE_GRAINED}`)
      expect(invalid.status).toBe(422)
      expect(invalid.body['documentation_url']).toBe(docs)
      expect(github.isRevoked(CLASSIC)).toBe(false)

      const accepted = await revoke(github, { credentials: [CLASSIC] }, `Bearer ${FINE_GRAINED}`)
      expect(accepted.status).toBe(202)
      expect(accepted.headers.get('x-github-enterprise-version')).toBe(version)
      expect(accepted.headers.get('x-ratelimit-limit')).toBe('60')
      expect(accepted.headers.get('x-ratelimit-remaining')).toBe('58')
      expect(github.isRevoked(CLASSIC)).toBe(true)
      expect((await get(`${github.url}/user`, `token ${CLASSIC}`)).status).toBe(401)
      // A token may revoke itself.
      expect(
        (await revoke(github, { credentials: [FINE_GRAINED] }, `token ${FINE_GRAINED}`)).status
      ).toBe(202)
      expect((await get(`${github.url}/user`, `token ${FINE_GRAINED}`)).status).toBe(401)
    }
  )

  it('allows 60 revoke requests an hour per token', async () => {
    const github = await start({}, enterprise('3.18.0'))
    for (let i = 0; i < 60; i++) {
      expect((await revoke(github, { credentials: [UNKNOWN] }, `token ${CLASSIC}`)).status).toBe(
        202
      )
    }
    const refused = await revoke(github, { credentials: [UNKNOWN] }, `token ${CLASSIC}`)
    expect(refused.status).toBe(403)
    expect(refused.body['message']).toMatch(/^API rate limit exceeded for user ID \d+\./)
    // Another token has its own window.
    expect((await revoke(github, { credentials: [UNKNOWN] }, `token ${FINE_GRAINED}`)).status).toBe(
      202
    )
  })

  it.each(['3.17.5', '3.12.0'])('%s: has no revoke endpoint (404)', async (version) => {
    const github = await start({}, enterprise(version))
    for (const authorization of [undefined, `token ${CLASSIC}`]) {
      const answer = await revoke(github, { credentials: [CLASSIC] }, authorization)
      expect(answer.status).toBe(404)
      expect(answer.body).toEqual({
        message: 'Not Found',
        documentation_url: expect.stringMatching(
          /^https:\/\/docs\.github\.com\/enterprise-server@3\.\d+\/rest$/
        ),
        status: '404'
      })
    }
    expect(github.isRevoked(CLASSIC)).toBe(false)
  })

  it('refuses a version that is not MAJOR.MINOR', async () => {
    await expect(startFakeGitHub(scenario, enterprise('latest'))).rejects.toThrow(/MAJOR\.MINOR/)
  })
})

describe('recorded requests: time and credentials', () => {
  it('records when each request arrived, out of toEqual’s and JSON’s sight', async () => {
    const github = await start()
    const before = Date.now()
    await get(`${github.url}/user`, `token ${CLASSIC}`)
    await get(`${github.url}/repos/octo-org/public-app`, `token ${CLASSIC}`)
    const after = Date.now()
    const [first, second] = github.requests
    expect(first?.time).toBeGreaterThanOrEqual(before)
    expect(second?.time).toBeGreaterThanOrEqual(first?.time ?? Infinity)
    expect(second?.time).toBeLessThanOrEqual(after)
    expect(Object.keys(first ?? {})).not.toContain('time')
    expect(JSON.stringify(github.requests)).not.toContain('time')
  })

  it('records how many credentials a revoke listed, never which', async () => {
    const github = await start()
    await revoke(github, { credentials: [CLASSIC, FINE_GRAINED, UNKNOWN] })
    await revoke(github, { credentials: [] })
    await revoke(github, 'not json')
    await revoke(github, { credentials: [REVOKED] }, `token ${LIMITED}`)
    expect(github.requests).toEqual([
      {
        method: 'POST',
        path: '/credentials/revoke',
        authorization: false,
        credentials: 3,
        status: 202
      },
      {
        method: 'POST',
        path: '/credentials/revoke',
        authorization: false,
        credentials: 0,
        status: 422
      },
      { method: 'POST', path: '/credentials/revoke', authorization: false, status: 422 },
      {
        method: 'POST',
        path: '/credentials/revoke',
        authorization: true,
        credentials: 1,
        status: 403
      }
    ])
    const recorded = JSON.stringify(github.requests)
    for (const secret of [CLASSIC, FINE_GRAINED, UNKNOWN, REVOKED, LIMITED]) {
      expect(recorded).not.toContain(secret)
    }
  })

  it('records the full path on Enterprise Server', async () => {
    const github = await start({}, { enterprise: { version: '3.19.0' } })
    await get(`${github.url}/user`, `token ${CLASSIC}`)
    await revoke(github, { credentials: [UNKNOWN] }, `token ${CLASSIC}`)
    expect(github.requests).toEqual([
      { method: 'GET', path: '/api/v3/user', authorization: true, status: 200 },
      {
        method: 'POST',
        path: '/api/v3/credentials/revoke',
        authorization: true,
        credentials: 1,
        status: 202
      }
    ])
  })
})
