/**
 * A local stand-in for the GitHub services the action talks to, for the e2e
 * tests, the demo, the local harness and the benchmark:
 *
 * - the REST API (`github-api-url`): `GET /user`, `GET /repos/{owner}/{repo}`
 *   and `POST /credentials/revoke` ("Revoke a list of credentials"),
 *   answered with GitHub's status codes, headers and bodies for classic and
 *   fine-grained tokens, expiring tokens, revoked tokens, repositories behind
 *   SAML single sign-on and an exhausted rate limit — and, on request,
 *   hostile answers (error messages with newlines and `::`, error messages
 *   that echo the token presented in encoded forms);
 * - GitHub.com (the API at the root) or GitHub Enterprise Server (the API
 *   under /api/v3, with `x-github-enterprise-version` on every answer);
 * - the Actions OIDC token service that `@actions/core`'s `getIDToken()` calls
 *   (ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN).
 *
 * Plain node:http on 127.0.0.1 and an ephemeral port. The scenario is read on
 * every request, so a caller may add tokens after the start. What it records
 * of each request is the method, the path, whether an Authorization header
 * was sent, the status, the time and (revoke) how many credentials were
 * listed, never a header value or a credential, so a test can assert on
 * `requests` without holding a token.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'

/**
 * How the token sees a repository. Repositories not listed answer 404;
 * `error` answers 500 (with the token's `message`, if it has one).
 */
type RepoAccess = 'ok' | 'missing' | 'sso' | 'private-ok' | 'error'

/**
 * The forms in which an error answer echoes the token presented: as is;
 * base64; base64 of `x-access-token:TOKEN` (HTTP Basic as git uses it);
 * encodeURIComponent; escaped as inside a JSON string (no quotes).
 */
type EchoForm = 'raw' | 'base64' | 'basic' | 'url' | 'json'

export interface TokenBehaviour {
  /** The account the token belongs to, any string. Default: `rotation-bot`. */
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
  /**
   * Keys are `owner/repo` (matched case-insensitively, as GitHub does).
   * `'*'`: every repository answers 200.
   */
  repos?: Record<string, RepoAccess> | '*'
  /**
   * Requests left in the current rate-limit window (default 5000). At 0 the
   * next request answers 403 "API rate limit exceeded" with a reset a couple of
   * seconds ahead, and the window starts over: later requests succeed.
   */
  rateLimitRemaining?: number
  /** The message of every error answer to this token (may hold newlines and `::`). */
  message?: string
  /** Error answers to this token append the token presented, in these forms. */
  echo?: EchoForm[]
  /** GET /user answers this status (with `message`) instead of 200. */
  userStatus?: number
  /**
   * `denied`: GET /repos/{owner}/{repo}/hooks answers 403 "Resource not
   * accessible by personal access token" with X-Accepted-GitHub-Permissions,
   * as for a fine-grained token without the Webhooks permission. Otherwise
   * a reachable repository's hooks answer 200 with an empty list.
   */
  hooks?: 'denied'
}

export interface FakeGitHubScenario {
  /** Keyed by token value. A token not listed here is unknown to GitHub. Read on every request. */
  tokens: Record<string, TokenBehaviour>
  /** Every REST API answer waits this long (a slow GitHub). Read on every request. */
  delayMs?: number
  /**
   * REST API requests answered with a redirect instead: `path` relative to the
   * API root (e.g. `/credentials/revoke`), `method` any when left out,
   * `location` sent as is (another server's URL, to test where a client goes).
   * Read on every request.
   */
  redirects?: {
    path: string
    method?: string
    status: 301 | 302 | 303 | 307 | 308
    location: string
  }[]
  /**
   * REST API requests to `path` (relative to the API root, e.g.
   * `/repos/example-org/lib`) are answered only once `until` settles: a
   * GitHub answer the test holds back, then lets go. Read on every request.
   */
  holds?: { path: string; until: Promise<void> }[]
  oidc?: {
    /** The `sub` claim. Default: `repo:example-org/example-repo:environment:production`. */
    subject?: string
    /** Answer every token request with 500. */
    fail?: boolean
  }
}

export interface FakeGitHubOptions {
  /**
   * Be a GitHub Enterprise Server of this version (e.g. `3.18.0`): the REST API
   * under /api/v3, `x-github-enterprise-version` on every answer, and the
   * revoke endpoint (from 3.18 on) as an authenticated call.
   */
  enterprise?: { version: string }
  /** The port to listen on (on 127.0.0.1); 0, the default, picks a free one. */
  port?: number
  /** Serve HTTPS with this key and certificate (PEM), as GitHub does; `url` then starts https://. */
  tls?: { key: string; cert: string }
}

interface RecordedRequest {
  method: string
  /** The path as requested, without the query string, e.g. `/repos/octo-org/app`. */
  path: string
  /** Whether an Authorization header was sent (its value is never kept). */
  authorization: boolean
  /** The `audience` query parameter of an OIDC token request. */
  audience?: string
  /** POST /credentials/revoke: how many credentials the body listed (never their values). */
  credentials?: number
  /** The status the fake answered with. */
  status: number
  /**
   * When the request arrived (epoch ms). Not enumerable, so `toEqual` on
   * records and JSON.stringify leave it out; read it as `request.time`.
   */
  time: number
}

export interface FakeGitHub {
  /**
   * Base URL of the REST API: the value for `github-api-url`, e.g.
   * `http://127.0.0.1:PORT` (GitHub.com) or `http://127.0.0.1:PORT/api/v3`
   * (Enterprise Server).
   */
  url: string
  /** The value for ACTIONS_ID_TOKEN_REQUEST_URL (core appends `&audience=...`). */
  oidcRequestUrl: string
  /** The value for ACTIONS_ID_TOKEN_REQUEST_TOKEN, random per server. */
  oidcRequestToken: string
  requests: RecordedRequest[]
  /** Whether the token is revoked: by the scenario, or through POST /credentials/revoke. */
  isRevoked(token: string): boolean
  close(): Promise<void>
}

/**
 * A time as GitHub writes it in GitHub-Authentication-Token-Expiration:
 * `2026-12-01 10:00:00 UTC`, or with an offset such as `+0900`.
 */
export function expirationHeader(at: Date, offsetHours = 0): string {
  const local = new Date(at.getTime() + offsetHours * 3_600_000).toISOString()
  const zone =
    offsetHours === 0
      ? 'UTC'
      : `${offsetHours > 0 ? '+' : '-'}${String(Math.abs(offsetHours)).padStart(2, '0')}00`
  return `${local.slice(0, 10)} ${local.slice(11, 19)} ${zone}`
}

const RATE_LIMIT = 5000
const ANONYMOUS_RATE_LIMIT = 60
/** "Revoke a list of credentials": 60 requests an hour, at most 1000 credentials a request. */
const REVOKE_RATE_LIMIT = 60
const REVOKE_MAX_CREDENTIALS = 1000
/** The Enterprise Server release that added POST /credentials/revoke. */
const REVOKE_SINCE: [number, number] = [3, 18]
const ENTERPRISE_PREFIX = '/api/v3'
const DEFAULT_LOGIN = 'rotation-bot'
const DEFAULT_SUBJECT = 'repo:example-org/example-repo:environment:production'
const OIDC_PATH = '/_oidc/token'
const OIDC_ISSUER = 'https://token.actions.githubusercontent.com'
const MAX_BODY_BYTES = 1 << 20

interface ErrorBody {
  message: string
  documentation_url: string
  status: string
  errors?: string[]
}

/** The error bodies GitHub sends, with documentation links under `docs` (GitHub.com's or a GHES version's). */
function errorBodies(docs: string) {
  return {
    badCredentials: {
      message: 'Bad credentials',
      documentation_url: `${docs}/rest`,
      status: '401'
    },
    requiresAuthentication: {
      message: 'Requires authentication',
      documentation_url: `${docs}/rest/users/users#get-the-authenticated-user`,
      status: '401'
    },
    notFound: { message: 'Not Found', documentation_url: `${docs}/rest`, status: '404' },
    repoNotFound: {
      message: 'Not Found',
      documentation_url: `${docs}/rest/repos/repos#get-a-repository`,
      status: '404'
    },
    ssoRequired: {
      message:
        'Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.',
      documentation_url: `${docs}/articles/authenticating-to-a-github-organization-with-saml-single-sign-on/`,
      status: '403'
    },
    revokeDocs: `${docs}/rest/credentials/revoke#revoke-a-list-of-credentials`,
    rateLimitDocs: `${docs}/rest/overview/resources-in-the-rest-api#rate-limiting`
  }
}

/** A message GitHub could send with `status`, for a scenario that names the status only. */
function defaultMessage(status: number): string {
  if (status === 401) return 'Bad credentials'
  if (status === 403) return 'Forbidden'
  if (status === 404) return 'Not Found'
  if (status === 422) return 'Validation Failed'
  if (status >= 500) return 'Server Error'
  return 'Error'
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

/** The token as an error answer echoes it, in each form asked for. */
function echoed(token: string, forms: EchoForm[]): string[] {
  return forms.map((form) => {
    switch (form) {
      case 'raw':
        return token
      case 'base64':
        return Buffer.from(token).toString('base64')
      case 'basic':
        return Buffer.from(`x-access-token:${token}`).toString('base64')
      case 'url':
        return encodeURIComponent(token)
      case 'json':
        return JSON.stringify(token).slice(1, -1)
    }
  })
}

/** `3.18.0` → [3, 18]. */
function majorMinor(version: string): [number, number] {
  const match = /^(\d+)\.(\d+)/.exec(version)
  if (!match) throw new Error(`enterprise version '${version}' is not MAJOR.MINOR[.PATCH]`)
  return [Number(match[1]), Number(match[2])]
}

const atLeast = (version: [number, number], floor: [number, number]): boolean =>
  version[0] > floor[0] || (version[0] === floor[0] && version[1] >= floor[1])

interface RateWindow {
  remaining: number
  resetAt: number // epoch seconds
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000)

/** What a revoke request body says: the credentials, or why it is invalid (never echoing a value). */
function parseRevokeBody(
  text: string
): { credentials: string[] } | { count?: number; problem: string } {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return { problem: 'Problems parsing JSON' }
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { problem: 'Body should be a JSON object' }
  }
  const credentials = (body as Record<string, unknown>)['credentials']
  if (credentials === undefined) return { problem: '"credentials" wasn\'t supplied.' }
  if (!Array.isArray(credentials)) {
    return { problem: `For 'properties/credentials', a ${typeof credentials} is not an array.` }
  }
  const count = credentials.length
  if (count < 1) {
    return { count, problem: "For 'properties/credentials', [] is too short (minimum is 1 items)." }
  }
  if (count > REVOKE_MAX_CREDENTIALS) {
    return {
      count,
      problem: `For 'properties/credentials', ${count} items are too many (maximum is ${REVOKE_MAX_CREDENTIALS} items).`
    }
  }
  const bad = credentials.findIndex((item) => typeof item !== 'string' || item === '')
  if (bad >= 0) {
    return { count, problem: `For 'items', credential ${bad} is not a non-empty string.` }
  }
  return { credentials: credentials as string[] }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_BODY_BYTES) chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

export async function startFakeGitHub(
  scenario: FakeGitHubScenario,
  options: FakeGitHubOptions = {}
): Promise<FakeGitHub> {
  const enterprise = options.enterprise
  const enterpriseVersion = enterprise === undefined ? undefined : majorMinor(enterprise.version)
  const docs =
    enterpriseVersion === undefined
      ? 'https://docs.github.com'
      : `https://docs.github.com/enterprise-server@${enterpriseVersion.join('.')}`
  const bodies = errorBodies(docs)
  const oidcRequestToken = randomBytes(24).toString('base64url')
  const requests: RecordedRequest[] = []
  // Rate-limit windows per token value (and one for anonymous requests), and
  // the tokens revoked through the API. Token values stay inside this
  // closure; nothing exposes them.
  const windows = new Map<string, RateWindow>()
  const revokeWindows = new Map<string, RateWindow>()
  const revokedByApi = new Set<string>()
  const anonymous: RateWindow = { remaining: ANONYMOUS_RATE_LIMIT, resetAt: nowSeconds() + 3600 }

  /** The scenario's entry for a token (own keys only: `constructor` is no token). */
  const behaviourOf = (token: string | undefined): TokenBehaviour | undefined =>
    token !== undefined && Object.hasOwn(scenario.tokens, token)
      ? scenario.tokens[token]
      : undefined
  const isRevoked = (token: string): boolean =>
    behaviourOf(token)?.revoked === true || revokedByApi.has(token)

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
      ...(enterprise === undefined ? {} : { 'x-github-enterprise-version': enterprise.version }),
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

  /** An error body as this token gets it: its own message, and the token echoed if asked. */
  function hostile(
    body: ErrorBody,
    behaviour: TokenBehaviour | undefined,
    token: string | undefined
  ): ErrorBody {
    if (behaviour === undefined) return body
    let message = behaviour.message ?? body.message
    if (token !== undefined && behaviour.echo !== undefined && behaviour.echo.length > 0) {
      message = [message, ...echoed(token, behaviour.echo)].join(' ')
    }
    return { ...body, message }
  }

  const rateHeaders = (limit: number, window: RateWindow): Record<string, string> => ({
    'x-ratelimit-limit': String(limit),
    'x-ratelimit-remaining': String(window.remaining),
    'x-ratelimit-reset': String(window.resetAt),
    'x-ratelimit-used': String(limit - window.remaining),
    'x-ratelimit-resource': 'core'
  })

  /** Spends one request of the anonymous window, if one is left. */
  function spendAnonymous(): { ok: boolean; headers: Record<string, string> } {
    if (anonymous.resetAt <= nowSeconds()) {
      anonymous.remaining = ANONYMOUS_RATE_LIMIT
      anonymous.resetAt = nowSeconds() + 3600
    }
    const ok = anonymous.remaining > 0
    if (ok) anonymous.remaining -= 1
    return { ok, headers: rateHeaders(ANONYMOUS_RATE_LIMIT, anonymous) }
  }

  /** The headers of an answer to a bad token or an anonymous call (which spend the anonymous window). */
  const anonymousHeaders = (): Record<string, string> => spendAnonymous().headers

  function rateLimitExceeded(who: string): ErrorBody {
    return {
      message: `API rate limit exceeded for ${who}. If you reach out to GitHub Support for help, please include the request ID and timestamp ${new Date().toISOString()}.`,
      documentation_url: bodies.rateLimitDocs,
      status: '403'
    }
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

  /** GET /user and GET /repos/{owner}/{repo} (`path` relative to the API root). Returns the status sent. */
  function handleApi(req: IncomingMessage, res: ServerResponse, path: string): number {
    const hooksMatch = /^\/repos\/([^/]+)\/([^/]+)\/hooks$/.exec(path)
    const repoMatch = /^\/repos\/([^/]+)\/([^/]+)$/.exec(path) ?? hooksMatch
    const route = path === '/user' ? 'user' : repoMatch ? 'repo' : undefined
    if (req.method !== 'GET' || !route) {
      send(res, 404, bodies.notFound)
      return 404
    }

    const header = req.headers.authorization
    if (header === undefined) {
      // Anonymous: /user needs authentication; a repository the fake knows
      // only through some token's eyes is not visible without one.
      if (route === 'user') {
        send(res, 401, bodies.requiresAuthentication, anonymousHeaders())
        return 401
      }
      send(res, 404, bodies.repoNotFound, anonymousHeaders())
      return 404
    }
    const token = tokenOf(header)
    const behaviour = behaviourOf(token)
    if (token === undefined || behaviour === undefined || isRevoked(token)) {
      send(res, 401, hostile(bodies.badCredentials, behaviour, token), anonymousHeaders())
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
      send(res, 403, hostile(rateLimitExceeded(`user ID ${idFor(login)}`), behaviour, token), {
        ...tokenHeaders,
        'x-accepted-oauth-scopes': route === 'repo' ? 'repo' : '',
        ...rateHeaders(RATE_LIMIT, { remaining: 0, resetAt })
      })
      window.remaining = RATE_LIMIT
      window.resetAt = resetAt + 3600
      return 403
    }
    window.remaining -= 1

    if (route === 'user') {
      const userHeaders = {
        ...tokenHeaders,
        'x-accepted-oauth-scopes': '',
        ...rateHeaders(RATE_LIMIT, window)
      }
      const status = behaviour.userStatus
      if (status !== undefined && status !== 200) {
        const body: ErrorBody = {
          message: defaultMessage(status),
          documentation_url: bodies.requiresAuthentication.documentation_url,
          status: String(status)
        }
        send(res, status, hostile(body, behaviour, token), userHeaders)
        return status
      }
      send(res, 200, userBody(login), userHeaders)
      return 200
    }

    const requested = `${decodeURIComponent(repoMatch?.[1] ?? '')}/${decodeURIComponent(repoMatch?.[2] ?? '')}`
    const repos = behaviour.repos ?? {}
    const known: [string, RepoAccess] | undefined =
      repos === '*'
        ? [requested, 'ok']
        : Object.entries(repos).find(
            ([fullName]) => fullName.toLowerCase() === requested.toLowerCase()
          )
    const repoHeaders = {
      ...tokenHeaders,
      'x-accepted-oauth-scopes': 'repo',
      ...rateHeaders(RATE_LIMIT, window)
    }
    if (!known || known[1] === 'missing') {
      send(res, 404, hostile(bodies.repoNotFound, behaviour, token), repoHeaders)
      return 404
    }
    const [fullName, access] = known
    if (access === 'error') {
      const body = {
        message: defaultMessage(500),
        documentation_url: `${docs}/rest`,
        status: '500'
      }
      send(res, 500, hostile(body, behaviour, token), repoHeaders)
      return 500
    }
    if (access === 'sso') {
      const owner = fullName.split('/')[0] ?? ''
      const authorizationRequest = randomBytes(30).toString('base64url')
      send(res, 403, hostile(bodies.ssoRequired, behaviour, token), {
        ...repoHeaders,
        'x-github-sso': `required; url=https://github.com/orgs/${owner}/sso?authorization_request=${authorizationRequest}`
      })
      return 403
    }
    if (hooksMatch) {
      if (behaviour.hooks === 'denied') {
        send(
          res,
          403,
          hostile(
            {
              message: 'Resource not accessible by personal access token',
              documentation_url: `${docs}/rest/repos/webhooks#list-repository-webhooks`,
              status: '403'
            },
            behaviour,
            token
          ),
          { ...repoHeaders, 'x-accepted-github-permissions': 'repository_hooks=read' }
        )
        return 403
      }
      send(res, 200, [], repoHeaders)
      return 200
    }
    send(res, 200, repoBody(fullName, access, login), repoHeaders)
    return 200
  }

  /**
   * POST /credentials/revoke. GitHub.com: anonymous only (an authenticated
   * request answers 403), 60 an hour. Enterprise Server 3.18+: authenticated
   * only, 60 an hour per token; earlier versions don't have it (404).
   * Returns the status sent and how many credentials the body listed.
   */
  function handleRevoke(
    req: IncomingMessage,
    res: ServerResponse,
    text: string
  ): { status: number; credentials?: number } {
    if (enterpriseVersion !== undefined && !atLeast(enterpriseVersion, REVOKE_SINCE)) {
      send(res, 404, bodies.notFound)
      return { status: 404 }
    }
    const parsed = parseRevokeBody(text)
    const count = 'credentials' in parsed ? parsed.credentials.length : parsed.count
    const answered = (status: number) => ({
      status,
      ...(count === undefined ? {} : { credentials: count })
    })
    const header = req.headers.authorization
    let headers: Record<string, string>

    if (enterpriseVersion === undefined) {
      if (header !== undefined) {
        send(res, 403, {
          message: 'Forbidden',
          documentation_url: bodies.revokeDocs,
          status: '403'
        })
        return answered(403)
      }
      const spent = spendAnonymous()
      if (!spent.ok) {
        send(res, 403, rateLimitExceeded(req.socket.remoteAddress ?? '127.0.0.1'), spent.headers)
        return answered(403)
      }
      headers = spent.headers
    } else {
      if (header === undefined) {
        send(
          res,
          401,
          { ...bodies.requiresAuthentication, documentation_url: bodies.revokeDocs },
          anonymousHeaders()
        )
        return answered(401)
      }
      const token = tokenOf(header)
      const behaviour = behaviourOf(token)
      if (token === undefined || behaviour === undefined || isRevoked(token)) {
        send(res, 401, hostile(bodies.badCredentials, behaviour, token), anonymousHeaders())
        return answered(401)
      }
      let window = revokeWindows.get(token)
      if (window === undefined || window.resetAt <= nowSeconds()) {
        window = { remaining: REVOKE_RATE_LIMIT, resetAt: nowSeconds() + 3600 }
        revokeWindows.set(token, window)
      }
      if (window.remaining <= 0) {
        const login = behaviour.login ?? DEFAULT_LOGIN
        send(
          res,
          403,
          hostile(rateLimitExceeded(`user ID ${idFor(login)}`), behaviour, token),
          rateHeaders(REVOKE_RATE_LIMIT, window)
        )
        return answered(403)
      }
      window.remaining -= 1
      headers = rateHeaders(REVOKE_RATE_LIMIT, window)
    }

    if ('problem' in parsed) {
      send(
        res,
        422,
        {
          message: `Invalid request.\n\n${parsed.problem}`,
          errors: [parsed.problem],
          documentation_url: bodies.revokeDocs,
          status: '422'
        },
        headers
      )
      return answered(422)
    }
    // Accepted: every credential the fake knows is revoked from now on.
    for (const credential of parsed.credentials) {
      if (behaviourOf(credential) !== undefined) revokedByApi.add(credential)
    }
    send(res, 202, {}, headers)
    return answered(202)
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

  /** The path relative to the REST API root, or undefined outside it (Enterprise Server: /api/v3). */
  function apiPathOf(path: string): string | undefined {
    if (enterprise === undefined) return path
    if (path === ENTERPRISE_PREFIX) return '/'
    return path.startsWith(`${ENTERPRISE_PREFIX}/`)
      ? path.slice(ENTERPRISE_PREFIX.length)
      : undefined
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const time = Date.now()
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const isOidc = url.pathname === OIDC_PATH
    const delay = scenario.delayMs ?? 0
    if (delay > 0 && !isOidc) await new Promise((resolve) => setTimeout(resolve, delay))
    const audience = isOidc ? (url.searchParams.get('audience') ?? undefined) : undefined
    const apiPath = isOidc ? undefined : apiPathOf(url.pathname)
    const held = scenario.holds?.find((h) => h.path === apiPath)
    if (held) await held.until
    const redirect = scenario.redirects?.find(
      (r) => r.path === apiPath && (r.method === undefined || r.method === req.method)
    )
    let status: number
    let credentials: number | undefined
    try {
      if (isOidc) {
        status = handleOidc(req, res, audience)
      } else if (redirect) {
        res.writeHead(redirect.status, { location: redirect.location, 'content-length': '0' })
        res.end()
        status = redirect.status
      } else if (apiPath === '/credentials/revoke' && req.method === 'POST') {
        ;({ status, credentials } = handleRevoke(req, res, await readBody(req)))
      } else if (apiPath === undefined) {
        send(res, 404, bodies.notFound)
        status = 404
      } else {
        status = handleApi(req, res, apiPath)
      }
    } catch (error) {
      status = 500
      if (!res.headersSent) send(res, 500, { message: String(error) })
      else res.destroy()
    }
    const record = {
      method: req.method ?? '',
      path: url.pathname,
      authorization: req.headers.authorization !== undefined,
      ...(audience === undefined ? {} : { audience }),
      ...(credentials === undefined ? {} : { credentials }),
      status
    } as RecordedRequest
    Object.defineProperty(record, 'time', { value: time, enumerable: false })
    requests.push(record)
    // Only the revoke endpoint reads bodies; drain the others so keep-alive works.
    req.resume()
  }

  const server = options.tls
    ? createHttpsServer(options.tls, (req, res) => void handle(req, res))
    : createServer((req, res) => void handle(req, res))

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const origin = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`

  return {
    url: enterprise === undefined ? origin : `${origin}${ENTERPRISE_PREFIX}`,
    oidcRequestUrl: `${origin}${OIDC_PATH}?api-version=2.0`,
    oidcRequestToken,
    requests,
    isRevoked,
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
