import { jest, describe, it, expect, beforeEach, afterEach } from '@jest/globals'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as core from '../__fixtures__/core.js'
import type { GitHubSourceAction } from '../src/pipeline-json.js'

jest.unstable_mockModule('@actions/core', () => core)
const {
  GitHubError,
  checkToken,
  createGitHubApi,
  daysUntil,
  describeCheck,
  parseExpiration,
  rateLimitWait,
  repositoriesOf,
  tokenStore
} = await import('../src/github.js')
const { registerSecret } = await import('../src/errors.js')
type GitHubApi = import('../src/github.js').GitHubApi
type GitHubUser = import('../src/github.js').GitHubUser
type TokenTarget = import('../src/github.js').TokenTarget

const TOKEN = 'unit-token-0123456789abcdef'
const NOW = new Date('2026-11-21T12:00:00Z')
const serial = <T>(task: () => Promise<T>) => task()

function inputs(overrides: Record<string, unknown> = {}) {
  return {
    verifyToken: true,
    minDaysLeft: 7,
    githubApiUrl: 'https://api.github.com',
    codebuild: {
      mode: 'off' as const,
      serverType: 'GITHUB' as const,
      authType: 'PERSONAL_ACCESS_TOKEN' as const,
      username: undefined
    },
    ...overrides
  }
}

function action(owner: string, repo: string, poll = true, name = 'Source'): GitHubSourceAction {
  return { stage: 'Source', action: name, owner, repo, branch: 'main', pollForSourceChanges: poll }
}

function target(name: string, actions: GitHubSourceAction[], region = 'us-east-1'): TokenTarget {
  return { name, region, actions }
}

/** A GitHubApi that answers from tables; records every repository asked for. */
function fakeApi(
  user: Partial<GitHubUser> | Error = {},
  repos: Record<string, Error | undefined> = {}
) {
  const asked: string[] = []
  const api: GitHubApi = {
    getUser: jest.fn(async () => {
      if (user instanceof Error) throw user
      return {
        login: 'rotation-bot',
        scopes: ['repo', 'admin:repo_hook'],
        expiresAt: null,
        ...user
      }
    }),
    getRepo: jest.fn(async (owner: string, repo: string) => {
      asked.push(`${owner}/${repo}`)
      const error = repos[`${owner}/${repo}`.toLowerCase()]
      if (error) throw error
      return { fullName: `${owner}/${repo}`, private: true }
    })
  }
  return { api, asked }
}

const app = [target('app', [action('octo-org', 'app')])]

beforeEach(() => core.resetCore())

describe('parseExpiration', () => {
  it.each([
    ['2026-12-01 10:00:00 UTC', '2026-12-01T10:00:00Z'],
    ['2026-12-01 10:00:00 +0900', '2026-12-01T01:00:00Z'],
    ['2026-12-01 10:00:00 -0500', '2026-12-01T15:00:00Z'],
    ['2026-12-01 10:00:00 +05:30', '2026-12-01T04:30:00Z'],
    ['2026-12-01 02:00:00 +0900', '2026-11-30T17:00:00Z'],
    ['2026-12-01T10:00:00Z', '2026-12-01T10:00:00Z'],
    ['2026-12-01T10:00:00.123Z', '2026-12-01T10:00:00Z'],
    ['  2026-12-01 10:00:00 utc  ', '2026-12-01T10:00:00Z'],
    ['2026-12-01 10:00 UTC', '2026-12-01T10:00:00Z'],
    ['2026-12-01 10:00:00', '2026-12-01T10:00:00Z']
  ])('reads %s as %s', (value, expected) => {
    expect(parseExpiration(value)).toBe(expected)
  })

  it.each([
    [''],
    ['never'],
    ['2026-13-01 10:00:00 UTC'],
    ['2026-02-31 10:00:00 UTC'],
    ['2026-12-01 25:00:00 UTC'],
    ['2026-12-01 10:00:00 +2500'],
    ['2026-12-01 10:00:00 PST'],
    ['1764583200'],
    ['Tue, 01 Dec 2026 10:00:00 GMT']
  ])('refuses %p', (value) => {
    expect(parseExpiration(value)).toBeUndefined()
  })
})

describe('daysUntil', () => {
  it('counts whole days, rounding down', () => {
    expect(daysUntil('2026-11-28T12:00:00Z', NOW)).toBe(7)
    expect(daysUntil('2026-11-28T11:59:59Z', NOW)).toBe(6)
    expect(daysUntil('2026-11-21T13:00:00Z', NOW)).toBe(0)
    expect(daysUntil('2026-11-20T12:00:00Z', NOW)).toBe(-1)
  })
})

describe('checkToken: expiry', () => {
  const expiring = (at: string) => fakeApi({ expiresAt: at }).api

  it('refuses a token that expires in fewer than min-days-left days and reports the expiry', async () => {
    const check = await checkToken(inputs(), app, expiring('2026-11-24 12:00:00 UTC'), NOW, serial)
    expect(check.expiresAt).toBe('2026-11-24T12:00:00Z')
    expect(check.daysLeft).toBe(3)
    expect(check.failures).toEqual([
      expect.stringMatching(
        /expires in 3 days, on 2026-11-24T12:00:00Z: fewer than min-days-left \(7\)/
      )
    ])
  })

  it('accepts exactly min-days-left days, with a warning under twice that', async () => {
    const check = await checkToken(inputs(), app, expiring('2026-11-28 12:00:00 UTC'), NOW, serial)
    expect(check.daysLeft).toBe(7)
    expect(check.failures).toEqual([])
    expect(check.warnings).toEqual([expect.stringMatching(/fewer than twice min-days-left \(14\)/)])
  })

  it('says nothing at twice min-days-left or more', async () => {
    const check = await checkToken(inputs(), app, expiring('2026-12-05 12:00:00 UTC'), NOW, serial)
    expect(check.daysLeft).toBe(14)
    expect(check).toMatchObject({ failures: [], warnings: [], notices: [] })
  })

  it('converts an offset expiry to UTC before counting', async () => {
    // 2026-11-28 20:00 +0900 is 11:00 UTC: 6 days and 23 hours away.
    const check = await checkToken(
      inputs(),
      app,
      expiring('2026-11-28 20:00:00 +0900'),
      NOW,
      serial
    )
    expect(check.expiresAt).toBe('2026-11-28T11:00:00Z')
    expect(check.daysLeft).toBe(6)
    expect(check.failures).toHaveLength(1)
  })

  it('min-days-left 0 turns the check off but still reports the expiry', async () => {
    const check = await checkToken(
      inputs({ minDaysLeft: 0 }),
      app,
      expiring('2026-11-22 12:00:00 UTC'),
      NOW,
      serial
    )
    expect(check).toMatchObject({ daysLeft: 1, failures: [], warnings: [] })
  })

  it('recommends an expiry for a token without one', async () => {
    const check = await checkToken(inputs(), app, fakeApi({ expiresAt: null }).api, NOW, serial)
    expect(check).toMatchObject({ expiresAt: null, daysLeft: null, failures: [] })
    expect(check.notices).toEqual([expect.stringMatching(/never expires.*RFC 6819 §5\.1\.5\.3/)])
  })

  it('warns, without refusing, when the expiry cannot be read', async () => {
    const check = await checkToken(inputs(), app, expiring('soon-ish'), NOW, serial)
    expect(check).toMatchObject({ expiresAt: null, daysLeft: null, failures: [] })
    expect(check.warnings).toEqual([expect.stringMatching(/cannot read \('soon-ish'\)/)])
  })
})

describe('checkToken: the token and its scopes', () => {
  it('refuses a token GitHub rejects with 401, without asking for repositories', async () => {
    const { api } = fakeApi(
      new GitHubError('GitHub answered GET /user with 401: Bad credentials', 401)
    )
    const check = await checkToken(inputs(), app, api, NOW, serial)
    expect(check.failures).toEqual([
      expect.stringMatching(/^GitHub rejected the token: revoked, expired or mistyped/)
    ])
    expect(api.getRepo).not.toHaveBeenCalled()
    expect(describeCheck(check)).toBe('Token: not verified by GitHub')
  })

  it('explains a 403 on /user (not a personal access token)', async () => {
    const { api } = fakeApi(
      new GitHubError(
        'GitHub answered GET /user with 403: Resource not accessible by integration',
        403
      )
    )
    const check = await checkToken(inputs(), app, api, NOW, serial)
    expect(check.failures).toEqual([expect.stringMatching(/GitHub App or GITHUB_TOKEN/)])
  })

  it.each([
    [
      'a rate limit it could not wait out',
      new GitHubError(
        'GitHub API rate limit is spent until 2026-11-21T13:00:00Z',
        403,
        undefined,
        true
      ),
      'the token could not be checked with GitHub: GitHub API rate limit is spent until 2026-11-21T13:00:00Z'
    ],
    [
      'a server error',
      new GitHubError('GitHub answered GET /user with 503: Service Unavailable', 503),
      'the token could not be checked with GitHub: GitHub answered GET /user with 503: Service Unavailable'
    ],
    [
      'an error that is not from GitHub',
      new TypeError('fetch failed'),
      'the token could not be checked with GitHub: fetch failed'
    ]
  ])(
    'fails, without blaming the token, when GET /user fails with %s',
    async (_, error, failure) => {
      const { api } = fakeApi(error)
      const check = await checkToken(inputs(), app, api, NOW, serial)
      expect(check.failures).toEqual([failure])
      expect(check.login).toBeUndefined()
      expect(api.getRepo).not.toHaveBeenCalled()
    }
  )

  it('redacts registered secrets from an unexpected GET /user error', async () => {
    registerSecret('leaked-secret-value')
    const { api } = fakeApi(new Error('proxy refused leaked-secret-value'))
    const check = await checkToken(inputs(), app, api, NOW, serial)
    expect(check.failures).toEqual([
      'the token could not be checked with GitHub: proxy refused ***'
    ])
  })

  it('refuses a classic token without repo, naming the scopes it has', async () => {
    const { api } = fakeApi({ scopes: ['read:user', 'public_repo'] })
    const check = await checkToken(inputs(), app, api, NOW, serial)
    expect(check.kind).toBe('classic')
    expect(check.failures).toEqual([
      expect.stringMatching(/lacks the `repo` scope \(it has: read:user, public_repo\)/)
    ])
  })

  it('says "none" for a classic token with no scopes', async () => {
    const check = await checkToken(inputs(), app, fakeApi({ scopes: [] }).api, NOW, serial)
    expect(check.failures).toEqual([expect.stringMatching(/\(it has: none\)/)])
  })

  it('only warns about a missing repo scope when no GitHub source or CodeBuild receives the token', async () => {
    const check = await checkToken(inputs(), [], fakeApi({ scopes: ['gist'] }).api, NOW, serial)
    expect(check.failures).toEqual([])
    expect(check.warnings).toEqual([expect.stringMatching(/lacks the `repo` scope/)])
  })

  it('warns about admin:repo_hook only when an action relies on webhooks', async () => {
    const polling = [target('poll', [action('o', 'r', true)])]
    const webhook = [target('hook', [action('o', 'r', false, 'Checkout')], 'eu-west-1')]
    const scopes = ['repo']
    expect(
      (await checkToken(inputs(), polling, fakeApi({ scopes }).api, NOW, serial)).warnings
    ).toEqual([])
    const check = await checkToken(inputs(), webhook, fakeApi({ scopes }).api, NOW, serial)
    expect(check.failures).toEqual([])
    expect(check.warnings).toEqual([
      expect.stringMatching(
        /lacks the `admin:repo_hook` scope, but 1 GitHub action relies on webhooks \(PollForSourceChanges: false\): hook in eu-west-1 \(Source\/Checkout\)/
      )
    ])
    const full = ['repo', 'admin:repo_hook']
    expect(
      (await checkToken(inputs(), webhook, fakeApi({ scopes: full }).api, NOW, serial)).warnings
    ).toEqual([])
  })

  it('counts the webhook actions in the admin:repo_hook warning', async () => {
    const webhooks = [
      target('a', [action('o', 'r', false), action('o', 's', false, 'Other')]),
      target('b', [action('o', 'r', true)])
    ]
    const check = await checkToken(
      inputs(),
      webhooks,
      fakeApi({ scopes: ['repo'] }).api,
      NOW,
      serial
    )
    expect(check.warnings).toEqual([
      expect.stringContaining(
        'but 2 GitHub actions rely on webhooks (PollForSourceChanges: false): a in us-east-1 (Source/Source), a in us-east-1 (Source/Other) —'
      )
    ])
  })

  it('describes a classic token with no scopes and no repositories to check', async () => {
    const check = await checkToken(inputs(), [], fakeApi({ scopes: [] }).api, NOW, serial)
    expect(describeCheck(check)).toBe(
      'Token: classic token (scopes: none) of rotation-bot, no expiry, no repositories to check'
    )
  })

  it('treats a token without X-OAuth-Scopes as fine-grained and relies on the repository checks', async () => {
    const webhook = [target('hook', [action('o', 'r', false)])]
    const { api, asked } = fakeApi({ scopes: null })
    const check = await checkToken(inputs(), webhook, api, NOW, serial)
    expect(check).toMatchObject({ kind: 'fine-grained', failures: [], warnings: [] })
    expect(asked).toEqual(['o/r'])
    expect(describeCheck(check)).toMatch(
      /^Token: fine-grained token of rotation-bot, no expiry, 1\/1 repositories reachable$/
    )
  })
})

describe('checkToken: repositories', () => {
  it('asks once per repository, whatever the case or the number of pipelines using it', async () => {
    const targets = [
      target('a', [action('Octo-Org', 'App'), action('octo-org', 'lib', true, 'Lib')]),
      target('b', [action('octo-org', 'app')]),
      target('a', [action('octo-org', 'APP')], 'eu-west-1')
    ]
    const { api, asked } = fakeApi()
    const check = await checkToken(inputs(), targets, api, NOW, serial)
    expect(asked.sort()).toEqual(['Octo-Org/App', 'octo-org/lib'])
    expect(check.repositories.find((r) => r.repository === 'Octo-Org/App')?.usedBy).toEqual([
      "pipeline 'a' in eu-west-1 (Source/Source)",
      "pipeline 'a' in us-east-1 (Source/Source)",
      "pipeline 'b' in us-east-1 (Source/Source)"
    ])
  })

  it('bounds the concurrency with the limit it is given', async () => {
    const targets = Array.from({ length: 12 }, (_, i) => target(`p${i}`, [action('o', `r${i}`)]))
    let running = 0
    let peak = 0
    const api: GitHubApi = {
      getUser: async () => ({ login: 'x', scopes: null, expiresAt: null }),
      getRepo: async (owner, repo) => {
        running++
        peak = Math.max(peak, running)
        await new Promise((resolve) => setTimeout(resolve, 5))
        running--
        return { fullName: `${owner}/${repo}`, private: false }
      }
    }
    const { default: pLimit } = await import('p-limit')
    await checkToken(inputs(), targets, api, NOW, pLimit(3))
    expect(peak).toBe(3)
  })

  it('names the pipeline and the repository the token cannot see (404)', async () => {
    const { api } = fakeApi({}, { 'octo-org/secret': new GitHubError('404', 404) })
    const targets = [
      target('app', [action('octo-org', 'app'), action('octo-org', 'secret', true, 'Secret')])
    ]
    const check = await checkToken(inputs(), targets, api, NOW, serial)
    expect(check.failures).toEqual([
      "pipeline 'app' in us-east-1 (Source/Secret) builds octo-org/secret, which the token cannot see (GitHub answered 404): give the token access to octo-org/secret (a fine-grained token: add it under Repository access; a classic token: its user needs access), or fix Owner/Repo in the pipeline"
    ])
    expect(check.repositories.map((r) => r.status)).toEqual(['ok', 'failed'])
  })

  it('explains SAML SSO with the URL GitHub gives', async () => {
    const sso = 'required; url=https://github.com/orgs/octo-org/sso?authorization_request=abc123'
    const { api } = fakeApi({}, { 'octo-org/app': new GitHubError('403', 403, sso) })
    const check = await checkToken(inputs(), app, api, NOW, serial)
    expect(check.failures).toEqual([
      "pipeline 'app' in us-east-1 (Source/Source) builds octo-org/app, but the token is not authorized for the SAML single sign-on of organization octo-org: authorize it at https://github.com/orgs/octo-org/sso?authorization_request=abc123, then re-run"
    ])
  })

  it('points to the SSO settings when GitHub names no authorization URL', async () => {
    const error = new GitHubError('403', 403, 'partial-results; organizations=21955855')
    const check = await checkToken(
      inputs(),
      app,
      fakeApi({}, { 'octo-org/app': error }).api,
      NOW,
      serial
    )
    expect(check.failures).toEqual([
      "pipeline 'app' in us-east-1 (Source/Source) builds octo-org/app, but the token is not authorized for the SAML single sign-on of organization octo-org: authorize it under Settings → Developer settings → Personal access tokens → Configure SSO, then re-run"
    ])
  })

  it('fails a repository it could not check for another reason, naming the reason', async () => {
    const check = await checkToken(
      inputs(),
      [target('p', [action('o', 'r')])],
      fakeApi({}, { 'o/r': new TypeError('fetch failed') }).api,
      NOW,
      serial
    )
    expect(check.failures).toEqual([
      "pipeline 'p' in us-east-1 (Source/Source) builds o/r, which could not be checked: fetch failed"
    ])
    expect(check.repositories[0]?.status).toBe('failed')
  })

  it('names at most ten pipelines per repository, then counts the rest', async () => {
    const many = Array.from({ length: 12 }, (_, i) =>
      target(`p${String(i).padStart(2, '0')}`, [action('o', 'r')])
    )
    const check = await checkToken(
      inputs(),
      many,
      fakeApi({}, { 'o/r': new GitHubError('404', 404) }).api,
      NOW,
      serial
    )
    const first10 = many
      .slice(0, 10)
      .map((t) => `pipeline '${t.name}' in us-east-1 (Source/Source)`)
    expect(check.failures).toEqual([
      expect.stringMatching(/^pipeline 'p00' .* builds o\/r, which the token cannot see/)
    ])
    expect(check.failures[0]).toContain(`${first10.join(', ')} and 2 more builds o/r,`)
    expect(check.failures[0]).not.toContain("'p10'")
  })

  it('passes on other refusals with what GitHub said', async () => {
    const error = new GitHubError(
      'GitHub answered GET /repos/o/r with 403: Forbidden by policy',
      403
    )
    const check = await checkToken(
      inputs(),
      [target('p', [action('o', 'r')])],
      fakeApi({}, { 'o/r': error }).api,
      NOW,
      serial
    )
    expect(check.failures).toEqual([
      expect.stringMatching(/builds o\/r, which the token cannot read: .*Forbidden by policy/)
    ])
  })

  it('reports a token revoked during the repository checks once', async () => {
    const revoked = new GitHubError('401', 401)
    const targets = [target('a', [action('o', 'a')]), target('b', [action('o', 'b')])]
    const check = await checkToken(
      inputs(),
      targets,
      fakeApi({}, { 'o/a': revoked, 'o/b': revoked }).api,
      NOW,
      serial
    )
    expect(check.failures).toEqual([
      expect.stringMatching(/^GitHub rejected the token: revoked, expired or mistyped/)
    ])
  })

  it('refuses an action without Owner or Repo', async () => {
    const { api, asked } = fakeApi()
    const check = await checkToken(inputs(), [target('p', [action('o', '')])], api, NOW, serial)
    expect(asked).toEqual([])
    expect(check.failures).toEqual([expect.stringMatching(/has no Owner or Repo/)])
  })

  it('lists every problem at once', async () => {
    const { api } = fakeApi(
      { scopes: ['gist'], expiresAt: '2026-11-22 12:00:00 UTC' },
      { 'o/a': new GitHubError('404', 404) }
    )
    const check = await checkToken(inputs(), [target('a', [action('o', 'a')])], api, NOW, serial)
    expect(check.failures).toHaveLength(3)
  })
})

describe('checkToken: skipped', () => {
  it('skips every GitHub call for a Bitbucket app password, and says so', async () => {
    const { api } = fakeApi()
    const bitbucket = inputs({
      codebuild: { mode: 'import', serverType: 'BITBUCKET', authType: 'BASIC_AUTH', username: 'u' }
    })
    const check = await checkToken(bitbucket, [], api, NOW, serial)
    expect(check.skipped).toMatch(
      /BITBUCKET: the token is a Bitbucket app password, so the GitHub checks are skipped/
    )
    expect(check).toMatchObject({ failures: [], warnings: [], expiresAt: null, daysLeft: null })
    expect(api.getUser).not.toHaveBeenCalled()
    // GitHub pipelines would receive the app password too: that deserves a warning.
    const mixed = await checkToken(bitbucket, app, api, NOW, serial)
    expect(mixed.warnings).toEqual([
      expect.stringMatching(/Bitbucket app password does not work for GitHub/)
    ])
  })

  it('skips when verify-token is false', async () => {
    const { api } = fakeApi()
    const check = await checkToken(inputs({ verifyToken: false }), app, api, NOW, serial)
    expect(check.skipped).toMatch(/verify-token is false/)
    expect(api.getUser).not.toHaveBeenCalled()
  })
})

describe('repositoriesOf', () => {
  it('sorts and deduplicates', () => {
    expect(
      repositoriesOf([target('x', [action('b', 'r'), action('a', 'r'), action('B', 'R')])]).map(
        (r) => r.repository
      )
    ).toEqual(['a/r', 'b/r'])
  })
})

describe('rateLimitWait', () => {
  const now = 1_800_000_000_000
  it('waits for Retry-After first', () => {
    expect(rateLimitWait(403, { 'retry-after': '30', 'x-ratelimit-remaining': '0' }, now)).toBe(
      30_000
    )
    expect(rateLimitWait(429, { 'retry-after': '5' }, now)).toBe(5_000)
  })
  it('waits until x-ratelimit-reset (plus a second) when the limit is spent', () => {
    const reset = String(now / 1000 + 10)
    expect(
      rateLimitWait(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }, now)
    ).toBe(11_000)
  })
  it('does not treat other 403s as rate limits', () => {
    expect(rateLimitWait(403, { 'x-ratelimit-remaining': '4999' }, now)).toBeUndefined()
    expect(rateLimitWait(404, { 'x-ratelimit-remaining': '0' }, now)).toBeUndefined()
  })
  it('waits a minute when the spent limit names no usable reset time', () => {
    expect(rateLimitWait(403, { 'x-ratelimit-remaining': '0' }, now)).toBe(60_000)
    expect(
      rateLimitWait(403, { 'x-ratelimit-remaining': 0, 'x-ratelimit-reset': 'soon' }, now)
    ).toBe(60_000)
  })
  it('waits a minute on a 429 without headers', () => {
    expect(rateLimitWait(429, {}, now)).toBe(60_000)
  })
})

// ---------------------------------------------------------------------------
// createGitHubApi through the real Octokit, against a local server.

type Handler = (req: IncomingMessage, res: ServerResponse) => void
let server: Server | undefined
let seen: { path: string; authorization: string | undefined }[] = []

async function serve(...handlers: Handler[]): Promise<string> {
  let call = 0
  seen = []
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization })
    const handler = handlers[Math.min(call++, handlers.length - 1)]
    handler?.(req, res)
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3`
}

afterEach(async () => {
  const closing = server
  server = undefined
  if (closing) {
    closing.closeAllConnections()
    await new Promise((resolve) => closing.close(resolve))
  }
})

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify(body))
  }

function options(now = () => 1_800_000_000_000) {
  const sleeps: number[] = []
  return {
    sleeps,
    options: {
      now,
      sleep: async (ms: number) => {
        sleeps.push(ms)
      },
      timeoutMs: 5_000
    }
  }
}

async function caught(promise: Promise<unknown>): Promise<InstanceType<typeof GitHubError>> {
  try {
    await promise
  } catch (error) {
    return error as InstanceType<typeof GitHubError>
  }
  throw new Error('expected a rejection')
}

describe('createGitHubApi', () => {
  it('reads the login, the scopes and the raw expiry from GET /user under the base URL', async () => {
    const url = await serve(
      json(
        200,
        { login: 'octocat' },
        {
          'x-oauth-scopes': 'repo, admin:repo_hook,  read:org',
          'github-authentication-token-expiration': '2026-12-01 10:00:00 +0900'
        }
      )
    )
    const api = createGitHubApi(TOKEN, url, options().options)
    expect(await api.getUser()).toEqual({
      login: 'octocat',
      scopes: ['repo', 'admin:repo_hook', 'read:org'],
      expiresAt: '2026-12-01 10:00:00 +0900'
    })
    expect(seen).toEqual([{ path: '/api/v3/user', authorization: `token ${TOKEN}` }])
  })

  it('tells a fine-grained token (no scopes header) from a classic one with no scopes', async () => {
    const url = await serve(
      json(200, { login: 'a' }),
      json(200, { login: 'a' }, { 'x-oauth-scopes': '' })
    )
    const api = createGitHubApi(TOKEN, url, options().options)
    expect((await api.getUser()).scopes).toBeNull()
    expect((await api.getUser()).scopes).toEqual([])
  })

  it('turns a 401 into a GitHubError that carries no part of the request', async () => {
    const url = await serve(json(401, { message: 'Bad credentials' }))
    const error = await caught(createGitHubApi(TOKEN, url, options().options).getUser())
    expect(error).toBeInstanceOf(GitHubError)
    expect(error.status).toBe(401)
    expect(error.message).toBe('GitHub answered GET /user with 401: Bad credentials')
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain(
      TOKEN
    )
  })

  it('keeps the X-GitHub-SSO header of a 403', async () => {
    const sso = 'required; url=https://github.com/orgs/o/sso?authorization_request=x'
    const url = await serve(
      json(
        403,
        { message: 'Resource protected by organization SAML enforcement.' },
        { 'x-github-sso': sso }
      )
    )
    const error = await caught(createGitHubApi(TOKEN, url, options().options).getRepo('o', 'r'))
    expect(error).toMatchObject({ status: 403, sso, rateLimited: false })
    expect(seen.map((s) => s.path)).toEqual(['/api/v3/repos/o/r'])
  })

  it('waits for the rate limit to reset, then retries once', async () => {
    const now = 1_800_000_000_000
    const url = await serve(
      json(
        403,
        { message: 'API rate limit exceeded' },
        {
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(now / 1000 + 20)
        }
      ),
      json(200, { full_name: 'o/r', private: true })
    )
    const { sleeps, options: opts } = options(() => now)
    const onWait = jest.fn()
    const api = createGitHubApi(TOKEN, url, { ...opts, onWait })
    expect(await api.getRepo('o', 'r')).toEqual({ fullName: 'o/r', private: true })
    expect(sleeps).toEqual([21_000])
    expect(onWait).toHaveBeenCalledWith(21_000, expect.stringContaining('API rate limit exceeded'))
    expect(seen).toHaveLength(2)
  })

  it('honours Retry-After on a secondary rate limit', async () => {
    const url = await serve(
      json(429, { message: 'You have exceeded a secondary rate limit' }, { 'retry-after': '3' }),
      json(200, { login: 'a' })
    )
    const { sleeps, options: opts } = options()
    await createGitHubApi(TOKEN, url, opts).getUser()
    expect(sleeps).toEqual([3_000])
  })

  it('gives up when the reset is further away than it will wait', async () => {
    const now = 1_800_000_000_000
    const url = await serve(
      json(
        403,
        { message: 'API rate limit exceeded' },
        {
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(now / 1000 + 3600)
        }
      )
    )
    const { sleeps, options: opts } = options(() => now)
    const error = await caught(createGitHubApi(TOKEN, url, opts).getUser())
    expect(error).toMatchObject({ rateLimited: true })
    expect(error.message).toMatch(/rate limit for this token is spent until 2027-01-15T09:00:01Z/)
    expect(sleeps).toEqual([])
    expect(seen).toHaveLength(1)
  })

  it('retries a rate limit only once', async () => {
    const url = await serve(json(429, { message: 'slow down' }, { 'retry-after': '1' }))
    const { sleeps, options: opts } = options()
    const error = await caught(createGitHubApi(TOKEN, url, opts).getUser())
    expect(error).toMatchObject({ status: 429, rateLimited: true })
    expect(sleeps).toEqual([1_000])
    expect(seen).toHaveLength(2)
  })

  it('does not send a request it knows the spent rate limit will refuse', async () => {
    const now = 1_800_000_000_000
    const url = await serve(
      json(
        200,
        { login: 'a' },
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 5) }
      ),
      json(200, { full_name: 'o/r' })
    )
    const { sleeps, options: opts } = options(() => now)
    const api = createGitHubApi(TOKEN, url, opts)
    await api.getUser()
    await api.getRepo('o', 'r')
    expect(sleeps).toEqual([6_000])
  })

  it('retries a server error once', async () => {
    const url = await serve(json(502, { message: 'Bad gateway' }), json(200, { login: 'a' }))
    const { sleeps, options: opts } = options()
    expect((await createGitHubApi(TOKEN, url, opts).getUser()).login).toBe('a')
    expect(sleeps).toEqual([1_000])
  })

  it('reports the first line of an error body that is not JSON', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' })
      res.end('Bad request from the proxy\nTrace: internal details')
    })
    const error = await caught(createGitHubApi(TOKEN, url, options().options).getRepo('o', 'r'))
    expect(error).toMatchObject({ status: 400, rateLimited: false })
    expect(error.message).toBe(
      'GitHub answered GET /repos/o/r with 400: Bad request from the proxy'
    )
  })

  it('does not hold requests back when a spent limit names no reset time', async () => {
    const url = await serve(
      json(200, { login: 'a' }, { 'x-ratelimit-remaining': '0' }),
      json(200, { full_name: 'o/r' })
    )
    const { sleeps, options: opts } = options()
    const api = createGitHubApi(TOKEN, url, opts)
    await api.getUser()
    expect(await api.getRepo('o', 'r')).toEqual({ fullName: 'o/r', private: false })
    expect(sleeps).toEqual([])
    expect(seen).toHaveLength(2)
  })

  it('falls back to what it asked for when GitHub answers with an empty body', async () => {
    const url = await serve(json(200, null))
    const api = createGitHubApi(TOKEN, url, options().options)
    expect(await api.getUser()).toEqual({ login: '', scopes: null, expiresAt: null })
    expect(await api.getRepo('Octo-Org', 'App')).toEqual({
      fullName: 'Octo-Org/App',
      private: false
    })
  })

  it('only counts a repository as private when GitHub says exactly that', async () => {
    const url = await serve(json(200, { full_name: 42, private: 'yes' }))
    expect(await createGitHubApi(TOKEN, url, options().options).getRepo('o', 'r')).toEqual({
      fullName: 'o/r',
      private: false
    })
  })

  it('uses the real clock and timer by default, and names itself in the User-Agent', async () => {
    const agents: (string | undefined)[] = []
    const url = await serve(
      (req, res) => {
        agents.push(req.headers['user-agent'])
        json(429, { message: 'slow down' }, { 'retry-after': '0' })(req, res)
      },
      (req, res) => {
        agents.push(req.headers['user-agent'])
        json(200, { login: 'octocat' })(req, res)
      }
    )
    expect((await createGitHubApi(TOKEN, url).getUser()).login).toBe('octocat')
    expect(seen).toHaveLength(2)
    expect(agents).toEqual([
      expect.stringMatching(/^rotate-github-token-aws /),
      expect.stringMatching(/^rotate-github-token-aws /)
    ])
  })

  it('explains an unreachable API without the token', async () => {
    const url = await serve(json(200, {}))
    const closing = server
    server = undefined
    closing?.closeAllConnections()
    await new Promise((resolve) => closing?.close(resolve))
    const error = await caught(createGitHubApi(TOKEN, url, options().options).getUser())
    expect(error).toMatchObject({ status: 0 })
    expect(error.message).toMatch(
      /could not reach GitHub at http:\/\/127\.0\.0\.1:\d+\/api\/v3 \(GET \/user\)/
    )
    expect(error.message).not.toContain(TOKEN)
  })
})

describe('tokenStore', () => {
  const storeInputs = (overrides: Record<string, unknown> = {}) => ({
    ...inputs(overrides),
    token: TOKEN,
    maxConcurrency: 8
  })

  it('sets the outputs, logs the result and puts failures in the report', async () => {
    const { api } = fakeApi({ expiresAt: '2026-11-24 12:00:00 UTC' })
    const store = tokenStore(storeInputs(), () => app, { github: () => api, now: () => NOW })
    await store.plan()
    expect(core.setOutput).toHaveBeenCalledWith('token-expires-at', '2026-11-24T12:00:00Z')
    expect(core.setOutput).toHaveBeenCalledWith('token-days-left', '3')
    expect(store.failures()).toEqual([
      expect.stringMatching(/^GitHub token: the token expires in 3 days/)
    ])
    expect(store.headline()).toMatch(
      /expires 2026-11-24T12:00:00Z \(3 days left\), 1\/1 repositories reachable/
    )
    expect(store.sections()[0]?.rows).toEqual([
      ['(the token)', 'rotation-bot', expect.stringMatching(/^❌ the token expires in 3 days/)],
      ['octo-org/app', "pipeline 'app' in us-east-1 (Source/Source)", '✅ reachable']
    ])
    await store.apply(TOKEN)
  })

  it('lists problems with the token itself in its summary section', async () => {
    const { api } = fakeApi(new GitHubError('401', 401))
    const store = tokenStore(storeInputs(), () => app, { github: () => api, now: () => NOW })
    await store.plan()
    expect(store.sections()[0]?.rows).toEqual([
      ['(the token)', '–', expect.stringMatching(/^❌ GitHub rejected the token/)]
    ])
  })

  it('sets empty outputs when the token has no expiry, with a notice', async () => {
    const store = tokenStore(storeInputs(), () => app, {
      github: () => fakeApi().api,
      now: () => NOW
    })
    await store.plan()
    expect(core.setOutput).toHaveBeenCalledWith('token-expires-at', '')
    expect(core.setOutput).toHaveBeenCalledWith('token-days-left', '')
    expect(core.notice).toHaveBeenCalledWith(expect.stringMatching(/never expires/))
    expect(store.failures()).toEqual([])
  })

  it('passes the token and github-api-url to the client it builds', async () => {
    const create = jest.fn((_token: string, _baseUrl: string) => fakeApi().api)
    await tokenStore(storeInputs({ githubApiUrl: 'https://ghe.example.com/api/v3' }), () => app, {
      github: create
    }).plan()
    expect(create).toHaveBeenCalledWith(TOKEN, 'https://ghe.example.com/api/v3')
  })

  it('reports nothing before it has planned', () => {
    const store = tokenStore(storeInputs(), () => app, { github: () => fakeApi().api })
    expect(store.check()).toBeUndefined()
    expect(store.sections()).toEqual([])
    expect(store.failures()).toEqual([])
    expect(store.warnings()).toEqual([])
    expect(store.headline()).toBeUndefined()
  })

  it('exposes the check, prefixes its warnings, and shows each unreachable repository once', async () => {
    const { api } = fakeApi(
      { expiresAt: '2026-12-01 12:00:00 UTC' },
      { 'octo-org/app': new GitHubError('404', 404) }
    )
    const store = tokenStore(storeInputs(), () => app, { github: () => api, now: () => NOW })
    await store.plan()
    expect(store.check()).toMatchObject({ login: 'rotation-bot', daysLeft: 10 })
    expect(store.warnings()).toEqual([
      expect.stringMatching(/^GitHub token: the token expires in 10 days, on 2026-12-01T12:00:00Z/)
    ])
    expect(store.failures()).toEqual([
      expect.stringMatching(/^GitHub token: pipeline 'app' .* which the token cannot see/)
    ])
    // The repository's failure is its own row, not repeated as a token row.
    expect(store.sections()[0]?.rows).toEqual([
      [
        'octo-org/app',
        "pipeline 'app' in us-east-1 (Source/Source)",
        expect.stringMatching(
          /^❌ pipeline 'app' .* which the token cannot see \(GitHub answered 404\)/
        )
      ]
    ])
  })

  it('asks GitHub at github-api-url by default, logging each wait for a rate limit', async () => {
    const url = await serve(
      json(429, { message: 'You have exceeded a secondary rate limit' }, { 'retry-after': '0' }),
      json(200, { login: 'octocat' }, { 'x-oauth-scopes': 'repo' })
    )
    const store = tokenStore(storeInputs({ githubApiUrl: url }), () => [])
    await store.plan()
    expect(seen).toEqual([
      { path: '/api/v3/user', authorization: `token ${TOKEN}` },
      { path: '/api/v3/user', authorization: `token ${TOKEN}` }
    ])
    expect(core.info).toHaveBeenCalledWith(
      "Waiting 0 s for GitHub: GitHub's rate limit (429: You have exceeded a secondary rate limit)"
    )
    expect(store.headline()).toBe(
      'Token: classic token (scopes: repo) of octocat, no expiry, no repositories to check'
    )
  })

  it('logs why it skipped', async () => {
    const store = tokenStore(storeInputs({ verifyToken: false }), () => app, {
      github: () => fakeApi().api
    })
    await store.plan()
    expect(core.info).toHaveBeenCalledWith(
      expect.stringMatching(/not checked \(verify-token is false/)
    )
    expect(core.setOutput).toHaveBeenCalledWith('token-days-left', '')
  })
})
