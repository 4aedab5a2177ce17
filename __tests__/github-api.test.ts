// createGitHubClient through the real Octokit, against a local server.
import { jest, describe, it, expect, afterEach } from '@jest/globals'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  GitHubError,
  createGitHubClient,
  rateLimitWait,
  type GitHubClientOptions
} from '../src/github/api.js'
import { SealedToken } from '../src/core/sealed-token.js'

const TOKEN = 'unit-token-0123456789abcdef'
const OLD = 'unit-old-token-9876543210fedcba'

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void
interface Seen {
  method: string
  path: string
  authorization: string | undefined
  body: string
}
let server: Server | undefined
let seen: Seen[] = []

async function serve(...handlers: Handler[]): Promise<string> {
  let call = 0
  seen = []
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      seen.push({
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization,
        body
      })
      const handler = handlers[Math.min(call++, handlers.length - 1)]
      handler?.(req, res, body)
    })
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3`
}

async function stop(): Promise<void> {
  const closing = server
  server = undefined
  if (closing) {
    closing.closeAllConnections()
    await new Promise((resolve) => closing.close(resolve))
  }
}

afterEach(stop)

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify(body))
  }

function options(now = () => 1_800_000_000_000) {
  const sleeps: number[] = []
  const options: GitHubClientOptions = {
    now,
    sleep: async (ms: number) => {
      sleeps.push(ms)
    },
    timeoutMs: 5_000
  }
  return { sleeps, options }
}

const as = (url: string, opts = options().options, token = TOKEN) =>
  createGitHubClient(url, opts).as(new SealedToken(token))

async function caught(promise: Promise<unknown>): Promise<InstanceType<typeof GitHubError>> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(GitHubError)
    return error as InstanceType<typeof GitHubError>
  }
  throw new Error('expected a rejection')
}

describe('GET /user', () => {
  it('reads the login, the scopes, the raw expiry and the Enterprise version under the base URL', async () => {
    const url = await serve(
      json(
        200,
        { login: 'octocat' },
        {
          'x-oauth-scopes': 'repo, admin:repo_hook,  read:org',
          'github-authentication-token-expiration': '2026-12-01 10:00:00 +0900',
          'x-github-enterprise-version': '3.18.1'
        }
      )
    )
    expect(await as(url).getUser()).toEqual({
      login: 'octocat',
      scopes: ['repo', 'admin:repo_hook', 'read:org'],
      expiresAt: '2026-12-01 10:00:00 +0900',
      enterpriseVersion: '3.18.1'
    })
    expect(seen).toEqual([
      { method: 'GET', path: '/api/v3/user', authorization: `token ${TOKEN}`, body: '' }
    ])
  })

  it('tells a fine-grained token (no scopes header) from a classic one with no scopes', async () => {
    const url = await serve(
      json(200, { login: 'a' }),
      json(200, { login: 'a' }, { 'x-oauth-scopes': '' })
    )
    const api = as(url)
    expect(await api.getUser()).toMatchObject({ scopes: null, enterpriseVersion: null })
    expect((await api.getUser()).scopes).toEqual([])
  })

  it('reads a blank expiry header as no expiry, and trims one that is there', async () => {
    const url = await serve(
      json(200, { login: 'a' }, { 'github-authentication-token-expiration': '  ' }),
      json(200, { login: 'a' }, { 'github-authentication-token-expiration': ' soon ' })
    )
    const api = as(url)
    expect((await api.getUser()).expiresAt).toBeNull()
    expect((await api.getUser()).expiresAt).toBe('soon')
  })

  it('falls back to what it asked for when GitHub answers with an empty body', async () => {
    const url = await serve(json(200, null))
    const api = as(url)
    expect(await api.getUser()).toEqual({
      login: '',
      scopes: null,
      expiresAt: null,
      enterpriseVersion: null
    })
    expect(await api.getRepo('Octo-Org', 'App')).toEqual({
      fullName: 'Octo-Org/App',
      private: false
    })
  })
})

describe('GET /repos', () => {
  it('reads the full name and visibility', async () => {
    const url = await serve(json(200, { full_name: 'Octo-Org/App', private: true }))
    expect(await as(url).getRepo('octo-org', 'app')).toEqual({
      fullName: 'Octo-Org/App',
      private: true
    })
    expect(seen.map((s) => [s.method, s.path])).toEqual([['GET', '/api/v3/repos/octo-org/app']])
  })

  it('only counts a repository as private when GitHub says exactly that', async () => {
    const url = await serve(json(200, { full_name: 42, private: 'yes' }))
    expect(await as(url).getRepo('o', 'r')).toEqual({ fullName: 'o/r', private: false })
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
    const error = await caught(as(url).getRepo('o', 'r'))
    expect(error).toMatchObject({ status: 403, sso, rateLimited: false })
    expect(error.message).toBe(
      'GitHub answered GET /repos/o/r with 403: Resource protected by organization SAML enforcement.'
    )
    expect(seen.map((s) => s.path)).toEqual(['/api/v3/repos/o/r'])
  })
})

describe('errors', () => {
  it('turns a 401 into a GitHubError that carries no part of the request', async () => {
    const url = await serve(json(401, { message: 'Bad credentials' }))
    const error = await caught(as(url).getUser())
    expect(error.status).toBe(401)
    expect(error.sso).toBeUndefined()
    expect(error.rateLimited).toBe(false)
    expect(error.message).toBe('GitHub answered GET /user with 401: Bad credentials')
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain(
      TOKEN
    )
  })

  // Changed: the whole body is kept (redacted, then cut to 300 characters, then on one line: core/clip.ts).
  it('reports an error body that is not JSON, cut at 300 characters', async () => {
    const url = await serve(
      (_req, res) => {
        res.writeHead(400, { 'content-type': 'text/plain' })
        res.end('Bad request from the proxy\nTrace: internal details')
      },
      (_req, res) => {
        res.writeHead(400, { 'content-type': 'text/plain' })
        res.end(`${'x'.repeat(299)}yz`)
      }
    )
    const api = as(url)
    const error = await caught(api.getRepo('o', 'r'))
    expect(error).toMatchObject({ status: 400, rateLimited: false })
    expect(error.message).toBe(
      'GitHub answered GET /repos/o/r with 400: Bad request from the proxy\\nTrace: internal details'
    )
    const long = await caught(api.getRepo('o', 'r'))
    expect(long.message).toBe(`GitHub answered GET /repos/o/r with 400: ${'x'.repeat(299)}y`)
  })

  it('retries a server error once', async () => {
    const url = await serve(json(502, { message: 'Bad gateway' }), json(200, { login: 'a' }))
    const { sleeps, options: opts } = options()
    expect((await as(url, opts).getUser()).login).toBe('a')
    expect(sleeps).toEqual([1_000])
    expect(seen).toHaveLength(2)
  })

  it('gives up after a second server error', async () => {
    const url = await serve(json(502, { message: 'Bad gateway' }), json(503, { message: 'Down' }))
    const { sleeps, options: opts } = options()
    const error = await caught(as(url, opts).getUser())
    expect(error).toMatchObject({ status: 503, rateLimited: false })
    expect(error.message).toBe('GitHub answered GET /user with 503: Down')
    expect(sleeps).toEqual([1_000])
    expect(seen).toHaveLength(2)
  })

  it('does not retry a client error', async () => {
    const url = await serve(json(404, { message: 'Not Found' }), json(200, {}))
    const { sleeps, options: opts } = options()
    expect(await caught(as(url, opts).getRepo('o', 'r'))).toMatchObject({ status: 404 })
    expect(sleeps).toEqual([])
    expect(seen).toHaveLength(1)
  })

  it('retries a network error once', async () => {
    const url = await serve((req) => req.socket.destroy(), json(200, { login: 'after-reset' }))
    const { sleeps, options: opts } = options()
    expect((await as(url, opts).getUser()).login).toBe('after-reset')
    expect(sleeps).toEqual([1_000])
    expect(seen).toHaveLength(2)
  })

  it('explains an unreachable API without the token, after trying twice', async () => {
    const url = await serve(json(200, {}))
    await stop()
    const { sleeps, options: opts } = options()
    const error = await caught(as(url, opts).getUser())
    expect(error).toMatchObject({ status: 0, rateLimited: false })
    expect(error.message).toMatch(
      /^could not reach GitHub at http:\/\/127\.0\.0\.1:\d+\/api\/v3 \(GET \/user\): .+ — check github-api-url \(GitHub Enterprise Server: https:\/\/HOST\/api\/v3\)$/
    )
    expect(error.message).not.toContain(TOKEN)
    expect(sleeps).toEqual([1_000])
  })

  it('gives up on a request that takes longer than the timeout, retrying it once', async () => {
    const url = await serve(() => {
      // never answers
    })
    const { sleeps, options: opts } = options()
    const error = await caught(as(url, { ...opts, timeoutMs: 100 }).getUser())
    expect(error.status).toBe(0)
    expect(error.message).toMatch(/^could not reach GitHub at .* \(GET \/user\)/)
    expect(seen).toHaveLength(2)
    expect(sleeps).toEqual([1_000])
  })
})

describe('rate limits', () => {
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
    expect(await as(url, { ...opts, onWait }).getRepo('o', 'r')).toEqual({
      fullName: 'o/r',
      private: true
    })
    expect(sleeps).toEqual([21_000])
    expect(onWait).toHaveBeenCalledWith(
      21_000,
      "GitHub's rate limit (403: API rate limit exceeded)"
    )
    expect(seen).toHaveLength(2)
  })

  it('honours Retry-After on a secondary rate limit', async () => {
    const url = await serve(
      json(429, { message: 'You have exceeded a secondary rate limit' }, { 'retry-after': '3' }),
      json(200, { login: 'a' })
    )
    const { sleeps, options: opts } = options()
    await as(url, opts).getUser()
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
    const error = await caught(as(url, opts).getUser())
    expect(error).toMatchObject({ status: 429, rateLimited: true })
    // Changed wording: "for this token" is gone (an anonymous request has a limit too).
    expect(error.message).toBe(
      "GitHub's API rate limit is spent until 2027-01-15T09:00:01Z (GET /user): re-run after that"
    )
    expect(sleeps).toEqual([])
    expect(seen).toHaveLength(1)
  })

  it('waits longer when told to', async () => {
    const url = await serve(
      json(429, { message: 'slow down' }, { 'retry-after': '90' }),
      json(200, { login: 'a' })
    )
    const { sleeps, options: opts } = options()
    await as(url, { ...opts, maxWaitMs: 120_000 }).getUser()
    expect(sleeps).toEqual([90_000])
  })

  it('retries a rate limit only once', async () => {
    const url = await serve(json(429, { message: 'slow down' }, { 'retry-after': '1' }))
    const { sleeps, options: opts } = options()
    const error = await caught(as(url, opts).getUser())
    expect(error).toMatchObject({ status: 429, rateLimited: true })
    expect(error.message).toBe(
      "GitHub's API rate limit refused GET /user again after waiting: re-run later"
    )
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
    const onWait = jest.fn()
    const api = as(url, { ...opts, onWait })
    await api.getUser()
    await api.getRepo('o', 'r')
    expect(sleeps).toEqual([6_000])
    expect(onWait).toHaveBeenCalledWith(6_000, 'the rate limit is spent until it resets')
    expect(seen).toHaveLength(2)
  })

  it('refuses at once when the spent limit resets too late', async () => {
    const now = 1_800_000_000_000
    const url = await serve(
      json(
        200,
        { login: 'a' },
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 600) }
      )
    )
    const { sleeps, options: opts } = options(() => now)
    const api = as(url, opts)
    await api.getUser()
    const error = await caught(api.getRepo('o', 'r'))
    expect(error).toMatchObject({ rateLimited: true })
    expect(error.message).toMatch(/spent until 2027-01-15T08:10:01Z \(GET \/repos\/o\/r\)/)
    expect(sleeps).toEqual([])
    expect(seen).toHaveLength(1)
  })

  it('does not hold requests back when a spent limit names no reset time', async () => {
    const url = await serve(
      json(200, { login: 'a' }, { 'x-ratelimit-remaining': '0' }),
      json(200, { full_name: 'o/r' })
    )
    const { sleeps, options: opts } = options()
    const api = as(url, opts)
    await api.getUser()
    expect(await api.getRepo('o', 'r')).toEqual({ fullName: 'o/r', private: false })
    expect(sleeps).toEqual([])
    expect(seen).toHaveLength(2)
  })

  it('keeps the rate-limit state of one token to itself', async () => {
    const now = 1_800_000_000_000
    const url = await serve(
      json(
        200,
        { login: 'a' },
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 5) }
      ),
      json(200, { login: 'b' })
    )
    const { sleeps, options: opts } = options(() => now)
    const client = createGitHubClient(url, opts)
    await client.as(new SealedToken(TOKEN)).getUser()
    await client.as(new SealedToken(OLD)).getUser()
    expect(sleeps).toEqual([])
  })

  it('uses the real clock and timer by default, and names itself in the User-Agent', async () => {
    const agents: (string | undefined)[] = []
    const url = await serve(
      (req, res, body) => {
        agents.push(req.headers['user-agent'])
        json(429, { message: 'slow down' }, { 'retry-after': '0' })(req, res, body)
      },
      (req, res, body) => {
        agents.push(req.headers['user-agent'])
        json(200, { login: 'octocat' })(req, res, body)
      }
    )
    expect((await createGitHubClient(url).as(new SealedToken(TOKEN)).getUser()).login).toBe(
      'octocat'
    )
    expect(seen).toHaveLength(2)
    expect(agents).toEqual([
      expect.stringMatching(/^rotate-github-token-aws /),
      expect.stringMatching(/^rotate-github-token-aws /)
    ])
  })
})

describe('POST /credentials/revoke', () => {
  it('sends the credentials with the token (Enterprise Server), and returns the status', async () => {
    const url = await serve(json(202, {}))
    const status = await as(url).revoke([new SealedToken(OLD)])
    expect(status).toBe(202)
    expect(seen).toEqual([
      {
        method: 'POST',
        path: '/api/v3/credentials/revoke',
        authorization: `token ${TOKEN}`,
        body: JSON.stringify({ credentials: [OLD] })
      }
    ])
  })

  it('sends them without any Authorization header when anonymous (GitHub.com)', async () => {
    const headers: Record<string, string | string[] | undefined>[] = []
    const url = await serve((req, res, body) => {
      headers.push(req.headers)
      json(202, {})(req, res, body)
    })
    const status = await createGitHubClient(url, options().options)
      .anonymous()
      .revoke([new SealedToken(OLD), new SealedToken(TOKEN)])
    expect(status).toBe(202)
    expect(seen).toEqual([
      {
        method: 'POST',
        path: '/api/v3/credentials/revoke',
        authorization: undefined,
        body: JSON.stringify({ credentials: [OLD, TOKEN] })
      }
    ])
    expect(headers[0]?.['content-type']).toMatch(/^application\/json/)
    expect(headers[0]?.['user-agent']).toMatch(/^rotate-github-token-aws /)
  })

  it('turns a refusal into a GitHubError', async () => {
    const url = await serve(json(422, { message: 'Validation Failed' }))
    const error = await caught(createGitHubClient(url, options().options).anonymous().revoke([]))
    expect(error).toMatchObject({ status: 422 })
    expect(error.message).toBe(
      'GitHub answered POST /credentials/revoke with 422: Validation Failed'
    )
  })
  it.each([307, 308])('follows no %i, not even within GitHub, and names it', async (status) => {
    const url = await serve((_req, res) => {
      res.writeHead(status, { location: '/api/v3/credentials/revoke-again' })
      res.end()
    })
    const error = await caught(as(url).revoke([new SealedToken(OLD)]))
    expect(error).toMatchObject({ status, rateLimited: false })
    expect(error.message).toBe(
      `GitHub answered POST /credentials/revoke with a redirect (${status}, Location /api/v3/credentials/revoke-again), which was not followed: a request that carries a token is never sent to another origin, and POST /credentials/revoke follows no redirect at all — check github-api-url`
    )
    expect(seen.map((s) => s.path)).toEqual(['/api/v3/credentials/revoke'])
  })
})

describe('redirects the HTTP policy did not follow', () => {
  it('are refused with their status, never retried', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(300)
      res.end()
    })
    const error = await caught(as(url).getUser())
    expect(error).toMatchObject({ status: 300 })
    expect(error.message).toMatch(
      /^GitHub answered GET \/user with a redirect \(300, no Location\)/
    )
    expect(seen).toHaveLength(1)
  })
})

describe('rateLimitWait', () => {
  const now = 1_800_000_000_000
  it('waits for Retry-After first', () => {
    expect(rateLimitWait(403, { 'retry-after': '30', 'x-ratelimit-remaining': '0' }, now)).toBe(
      30_000
    )
    expect(rateLimitWait(429, { 'retry-after': '5' }, now)).toBe(5_000)
    expect(rateLimitWait(429, { 'retry-after': ' 7 ' }, now)).toBe(7_000)
  })
  it('ignores a Retry-After that is not a number of seconds', () => {
    expect(rateLimitWait(429, { 'retry-after': 'Wed, 21 Oct 2026 07:28:00 GMT' }, now)).toBe(60_000)
  })
  it('waits until x-ratelimit-reset (plus a second) when the limit is spent', () => {
    const reset = String(now / 1000 + 10)
    expect(
      rateLimitWait(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }, now)
    ).toBe(11_000)
    // a reset already past: just the extra second
    expect(
      rateLimitWait(
        403,
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 - 5) },
        now
      )
    ).toBe(1_000)
  })
  it('does not treat other 403s as rate limits', () => {
    expect(rateLimitWait(403, { 'x-ratelimit-remaining': '4999' }, now)).toBeUndefined()
    expect(rateLimitWait(403, {}, now)).toBeUndefined()
    expect(rateLimitWait(403, undefined, now)).toBeUndefined()
    expect(rateLimitWait(404, { 'x-ratelimit-remaining': '0' }, now)).toBeUndefined()
    expect(rateLimitWait(500, { 'retry-after': '1' }, now)).toBeUndefined()
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
