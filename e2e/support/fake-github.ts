/**
 * A local stand-in for the two GitHub services the action talks to:
 *
 * - the REST API (`github-api-url`): `GET /user` and `GET /repos/{owner}/{repo}`,
 *   answered with GitHub's status codes, headers and bodies for classic and
 *   fine-grained tokens, expiring tokens, revoked tokens, repositories behind
 *   SAML single sign-on and an exhausted rate limit;
 * - the Actions OIDC token service that `@actions/core`'s `getIDToken()` calls
 *   (ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN).
 *
 * Plain node:http on 127.0.0.1 and an ephemeral port. What it records of each
 * request is the method, the path and whether an Authorization header was
 * sent, never a header value, so a test can assert on `requests` without
 * holding a token.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** How the token sees a repository. Repositories not listed answer 404. */
export type RepoAccess = 'ok' | 'missing' | 'sso' | 'private-ok'

export interface TokenBehaviour {
  /** The account the token belongs to. Default: `rotation-bot`. */
  login?: string
  /** A revoked (or deleted) token: every request answers 401 Bad credentials. */
  revoked?: boolean
  /**
   * Classic token: the value of X-OAuth-Scopes, e.g. `repo, admin:repo_hook`.
   * `null` (or left out): a fine-grained token, which gets no X-OAuth-Scopes
   * header at all.
   */
  scopes?: string | null
  /**
   * Sent verbatim as GitHub-Authentication-Token-Expiration, e.g.
   * `2026-12-01 10:00:00 UTC` or `2026-12-01 10:00:00 +0900`.
   * `null` (or left out): no header, the token does not expire.
   */
  expiresAt?: string | null
  /** Keys are `owner/repo` (matched case-insensitively, as GitHub does). */
  repos?: Record<string, RepoAccess>
  /**
   * Requests left in the current rate-limit window (default 5000). At 0 the
   * next request answers 403 "API rate limit exceeded" with a reset a couple of
   * seconds ahead, and the window starts over: later requests succeed.
   */
  rateLimitRemaining?: number
}

export interface FakeGitHubScenario {
  /** Keyed by token value. A token not listed here is unknown to GitHub. */
  tokens: Record<string, TokenBehaviour>
  oidc?: {
    /** The `sub` claim. Default: `repo:example-org/example-repo:environment:production`. */
    subject?: string
    /** Answer every token request with 500. */
    fail?: boolean
  }
}

export interface RecordedRequest {
  method: string
  /** The path without the query string, e.g. `/repos/octo-org/app`. */
  path: string
  /** Whether an Authorization header was sent (its value is never kept). */
  authorization: boolean
  /** The `audience` query parameter of an OIDC token request. */
  audience?: string
  /** The status the fake answered with. */
  status: number
}

export interface FakeGitHub {
  /** Base URL of the REST API, e.g. `http://127.0.0.1:PORT`: the value for `github-api-url`. */
  url: string
  /** The value for ACTIONS_ID_TOKEN_REQUEST_URL (core appends `&audience=...`). */
  oidcRequestUrl: string
  /** The value for ACTIONS_ID_TOKEN_REQUEST_TOKEN, random per server. */
  oidcRequestToken: string
  requests: RecordedRequest[]
  close(): Promise<void>
}

const RATE_LIMIT = 5000
const ANONYMOUS_RATE_LIMIT = 60
const DEFAULT_LOGIN = 'rotation-bot'
const DEFAULT_SUBJECT = 'repo:example-org/example-repo:environment:production'
const OIDC_PATH = '/_oidc/token'
const OIDC_ISSUER = 'https://token.actions.githubusercontent.com'

const BAD_CREDENTIALS = {
  message: 'Bad credentials',
  documentation_url: 'https://docs.github.com/rest',
  status: '401'
}
const REQUIRES_AUTHENTICATION = {
  message: 'Requires authentication',
  documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user',
  status: '401'
}
const NOT_FOUND = {
  message: 'Not Found',
  documentation_url: 'https://docs.github.com/rest',
  status: '404'
}
const REPO_NOT_FOUND = {
  message: 'Not Found',
  documentation_url: 'https://docs.github.com/rest/repos/repos#get-a-repository',
  status: '404'
}
const SSO_REQUIRED = {
  message:
    'Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.',
  documentation_url:
    'https://docs.github.com/articles/authenticating-to-a-github-organization-with-saml-single-sign-on/',
  status: '403'
}

/** A stable positive id for a name, so the same login always gets the same id. */
function idFor(name: string): number {
  return (createHash('sha256').update(name).digest().readUInt32BE(0) % 900_000_000) + 1_000_000
}

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url')

/** A GitHub-style request id, e.g. `C3A1:2F0B7:1D44E2A:1E2F3B4:6650A1B2`. */
function requestId(): string {
  const hex = (bytes: number): string => randomBytes(bytes).toString('hex').toUpperCase()
  return [hex(2), hex(3), hex(4), hex(4), hex(4)].join(':')
}

/** The token of an `Authorization: token X` or `Authorization: Bearer X` header. */
function tokenOf(header: string | undefined): string | undefined {
  const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header ?? '')
  return match?.[1]
}

interface RateWindow {
  remaining: number
  resetAt: number // epoch seconds
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000)

export async function startFakeGitHub(scenario: FakeGitHubScenario): Promise<FakeGitHub> {
  const oidcRequestToken = randomBytes(24).toString('base64url')
  const requests: RecordedRequest[] = []
  // Rate-limit windows per token value (and one for anonymous requests).
  // Token values stay inside this closure; nothing exposes them.
  const windows = new Map<string, RateWindow>()
  const anonymous: RateWindow = { remaining: ANONYMOUS_RATE_LIMIT, resetAt: nowSeconds() + 3600 }

  function windowFor(token: string, behaviour: TokenBehaviour): RateWindow {
    let window = windows.get(token)
    if (!window) {
      window = {
        remaining: Math.max(0, behaviour.rateLimitRemaining ?? RATE_LIMIT),
        resetAt: nowSeconds() + 3600
      }
      windows.set(token, window)
    }
    return window
  }

  function sendJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string>
  ): void {
    const text = JSON.stringify(body)
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text).toString(),
      ...headers
    })
    res.end(text)
  }

  /** An answer of the REST API, with the headers GitHub puts on every one. */
  function send(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {}
  ): void {
    sendJson(res, status, body, {
      server: 'GitHub.com',
      'x-github-media-type': 'github.v3; format=json',
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': requestId(),
      ...headers
    })
  }

  const rateHeaders = (limit: number, window: RateWindow): Record<string, string> => ({
    'x-ratelimit-limit': String(limit),
    'x-ratelimit-remaining': String(window.remaining),
    'x-ratelimit-reset': String(window.resetAt),
    'x-ratelimit-used': String(limit - window.remaining),
    'x-ratelimit-resource': 'core'
  })

  /** Spends one request of an anonymous window (401s and anonymous calls). */
  function anonymousHeaders(): Record<string, string> {
    if (anonymous.resetAt <= nowSeconds()) {
      anonymous.remaining = ANONYMOUS_RATE_LIMIT
      anonymous.resetAt = nowSeconds() + 3600
    }
    anonymous.remaining = Math.max(0, anonymous.remaining - 1)
    return rateHeaders(ANONYMOUS_RATE_LIMIT, anonymous)
  }

  function userBody(login: string): Record<string, unknown> {
    const id = idFor(login)
    return {
      login,
      id,
      node_id: base64url(`04:User${id}`),
      avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
      gravatar_id: '',
      url: `https://api.github.com/users/${login}`,
      html_url: `https://github.com/${login}`,
      type: 'User',
      user_view_type: 'public',
      site_admin: false,
      name: null,
      company: null,
      blog: '',
      location: null,
      email: null,
      hireable: null,
      bio: null,
      twitter_username: null,
      public_repos: 0,
      public_gists: 0,
      followers: 0,
      following: 0,
      created_at: '2020-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z'
    }
  }

  function repoBody(fullName: string, access: RepoAccess, login: string): Record<string, unknown> {
    const [owner = '', name = ''] = fullName.split('/')
    const id = idFor(`repo:${fullName.toLowerCase()}`)
    const ownerId = idFor(owner)
    const isPrivate = access === 'private-ok'
    return {
      id,
      node_id: base64url(`010:Repository${id}`),
      name,
      full_name: fullName,
      private: isPrivate,
      owner: {
        login: owner,
        id: ownerId,
        node_id: base64url(`012:Organization${ownerId}`),
        url: `https://api.github.com/users/${owner}`,
        html_url: `https://github.com/${owner}`,
        type: owner.toLowerCase() === login.toLowerCase() ? 'User' : 'Organization',
        site_admin: false
      },
      html_url: `https://github.com/${fullName}`,
      description: null,
      fork: false,
      url: `https://api.github.com/repos/${fullName}`,
      clone_url: `https://github.com/${fullName}.git`,
      default_branch: 'main',
      visibility: isPrivate ? 'private' : 'public',
      archived: false,
      disabled: false,
      created_at: '2021-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
      pushed_at: '2026-01-01T00:00:00Z',
      permissions: { admin: false, maintain: false, push: true, triage: true, pull: true }
    }
  }

  /** GET /user and GET /repos/{owner}/{repo}. Returns the status sent. */
  function handleApi(req: IncomingMessage, res: ServerResponse, path: string): number {
    const repoMatch = /^\/repos\/([^/]+)\/([^/]+)$/.exec(path)
    const route = path === '/user' ? 'user' : repoMatch ? 'repo' : undefined
    if (req.method !== 'GET' || !route) {
      send(res, 404, NOT_FOUND)
      return 404
    }

    const header = req.headers.authorization
    if (header === undefined) {
      // Anonymous: /user needs authentication; a repository the fake knows
      // only through some token's eyes is not visible without one.
      if (route === 'user') {
        send(res, 401, REQUIRES_AUTHENTICATION, anonymousHeaders())
        return 401
      }
      send(res, 404, REPO_NOT_FOUND, anonymousHeaders())
      return 404
    }
    const token = tokenOf(header)
    const behaviour = token === undefined ? undefined : scenario.tokens[token]
    if (token === undefined || behaviour === undefined || behaviour.revoked) {
      send(res, 401, BAD_CREDENTIALS, anonymousHeaders())
      return 401
    }

    const login = behaviour.login ?? DEFAULT_LOGIN
    const window = windowFor(token, behaviour)
    const tokenHeaders: Record<string, string> = {}
    if (typeof behaviour.scopes === 'string') tokenHeaders['x-oauth-scopes'] = behaviour.scopes
    if (typeof behaviour.expiresAt === 'string') {
      tokenHeaders['github-authentication-token-expiration'] = behaviour.expiresAt
    }

    if (window.remaining <= 0) {
      // Exhausted: refuse this request, then start a new window that opens in
      // a couple of seconds (clients are expected to wait for x-ratelimit-reset).
      const resetAt = nowSeconds() + 2
      send(
        res,
        403,
        {
          message: `API rate limit exceeded for user ID ${idFor(login)}. If you reach out to GitHub Support for help, please include the request ID and timestamp ${new Date().toISOString()}.`,
          documentation_url:
            'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting',
          status: '403'
        },
        {
          ...tokenHeaders,
          'x-accepted-oauth-scopes': route === 'repo' ? 'repo' : '',
          ...rateHeaders(RATE_LIMIT, { remaining: 0, resetAt })
        }
      )
      window.remaining = RATE_LIMIT
      window.resetAt = resetAt + 3600
      return 403
    }
    window.remaining -= 1

    if (route === 'user') {
      send(res, 200, userBody(login), {
        ...tokenHeaders,
        'x-accepted-oauth-scopes': '',
        ...rateHeaders(RATE_LIMIT, window)
      })
      return 200
    }

    const requested = `${decodeURIComponent(repoMatch?.[1] ?? '')}/${decodeURIComponent(repoMatch?.[2] ?? '')}`
    const known = Object.entries(behaviour.repos ?? {}).find(
      ([fullName]) => fullName.toLowerCase() === requested.toLowerCase()
    )
    const repoHeaders = {
      ...tokenHeaders,
      'x-accepted-oauth-scopes': 'repo',
      ...rateHeaders(RATE_LIMIT, window)
    }
    if (!known || known[1] === 'missing') {
      send(res, 404, REPO_NOT_FOUND, repoHeaders)
      return 404
    }
    const [fullName, access] = known
    if (access === 'sso') {
      const owner = fullName.split('/')[0] ?? ''
      const authorizationRequest = randomBytes(30).toString('base64url')
      send(res, 403, SSO_REQUIRED, {
        ...repoHeaders,
        'x-github-sso': `required; url=https://github.com/orgs/${owner}/sso?authorization_request=${authorizationRequest}`
      })
      return 403
    }
    send(res, 200, repoBody(fullName, access, login), repoHeaders)
    return 200
  }

  /** The Actions OIDC token service. Returns the status sent. */
  function handleOidc(
    req: IncomingMessage,
    res: ServerResponse,
    audience: string | undefined
  ): number {
    if (req.method !== 'GET') {
      sendJson(res, 404, { message: 'Not Found' }, {})
      return 404
    }
    const bearer = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1]
    if (bearer !== oidcRequestToken) {
      sendJson(res, 401, { message: 'Unauthorized' }, {})
      return 401
    }
    if (scenario.oidc?.fail) {
      sendJson(res, 500, { message: 'Internal Server Error' }, {})
      return 500
    }
    sendJson(res, 200, { value: idToken(scenario.oidc?.subject ?? DEFAULT_SUBJECT, audience) }, {})
    return 200
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const isOidc = url.pathname === OIDC_PATH
    const audience = isOidc ? (url.searchParams.get('audience') ?? undefined) : undefined
    let status: number
    try {
      status = isOidc ? handleOidc(req, res, audience) : handleApi(req, res, url.pathname)
    } catch (error) {
      status = 500
      if (!res.headersSent) send(res, 500, { message: String(error) })
      else res.destroy()
    }
    requests.push({
      method: req.method ?? '',
      path: url.pathname,
      authorization: req.headers.authorization !== undefined,
      ...(audience === undefined ? {} : { audience }),
      status
    })
    // The fake never reads request bodies; drain them so keep-alive works.
    req.resume()
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`

  return {
    url,
    oidcRequestUrl: `${url}${OIDC_PATH}?api-version=2.0`,
    oidcRequestToken,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        // fetch and @actions/http-client keep connections alive; without this
        // close() would wait for them to time out.
        server.closeAllConnections()
      })
  }
}

/**
 * A JWT shaped like the ones token.actions.githubusercontent.com issues:
 * base64url header.payload.signature with GitHub's claims. The signature is
 * random bytes, so nothing can verify it; moto's STS does not try.
 */
function idToken(subject: string, audience: string | undefined): string {
  // repo:OWNER/REPO:... names the repository the claims describe.
  const repository = /^repo:([^/:]+\/[^:]+)/.exec(subject)?.[1] ?? 'example-org/example-repo'
  const owner = repository.split('/')[0] ?? 'example-org'
  const environment = /:environment:(.+)$/.exec(subject)?.[1]
  const iat = nowSeconds()
  const header = {
    typ: 'JWT',
    alg: 'RS256',
    x5t: base64url(randomBytes(20)),
    kid: randomBytes(20).toString('hex').toUpperCase()
  }
  const payload = {
    jti: randomUUID(),
    sub: subject,
    // Without an audience GitHub uses the URL of the repository owner.
    aud: audience ?? `https://github.com/${owner}`,
    ref: 'refs/heads/main',
    sha: randomBytes(20).toString('hex'),
    repository,
    repository_owner: owner,
    repository_id: String(idFor(`repo:${repository.toLowerCase()}`)),
    repository_owner_id: String(idFor(owner)),
    repository_visibility: 'private',
    run_id: String(idFor(`run:${iat}`)),
    run_number: '1',
    run_attempt: '1',
    actor: DEFAULT_LOGIN,
    actor_id: String(idFor(DEFAULT_LOGIN)),
    workflow: 'Rotate GitHub token',
    event_name: 'workflow_dispatch',
    ref_type: 'branch',
    ...(environment === undefined ? {} : { environment }),
    job_workflow_ref: `${repository}/.github/workflows/rotate.yml@refs/heads/main`,
    runner_environment: 'github-hosted',
    iss: OIDC_ISSUER,
    nbf: iat - 5,
    iat,
    exp: iat + 300
  }
  return [
    base64url(JSON.stringify(header)),
    base64url(JSON.stringify(payload)),
    base64url(randomBytes(256))
  ].join('.')
}
