/**
 * The GitHub REST API, through @actions/github's Octokit (loaded on first
 * use: a run with verify-token false and no previous-token never asks
 * GitHub). Every retry here is ours — that Octokit has no retry or
 * throttling plugin — and there is at most one per request: a rate limit is
 * waited out when its reset is near, a network error or 5xx tried again once.
 * Errors carry a message built here, never the request (its headers hold
 * the token).
 */
import { clip } from '../core/clip.js'
import { once } from '../core/once.js'
import { messageOf } from '../core/errors.js'
import type { SealedToken } from '../core/sealed-token.js'

const loadGitHub = () => import(/* webpackMode: "eager" */ '@actions/github')
const loadAnonymous = () => import(/* webpackMode: "eager" */ '@actions/github/lib/utils')
type Octokit = ReturnType<Awaited<ReturnType<typeof loadGitHub>>['getOctokit']>
type Requester = Pick<Octokit, 'request'>

/** The authenticated user, as GET /user describes the token. */
export interface GitHubUser {
  login: string
  /** X-OAuth-Scopes of a classic token; null when GitHub sent none (a fine-grained token). */
  scopes: string[] | null
  /** GitHub-Authentication-Token-Expiration as GitHub sent it; null when the token never expires. */
  expiresAt: string | null
  /** X-GitHub-Enterprise-Version: set on GitHub Enterprise Server. */
  enterpriseVersion: string | null
}

interface GitHubRepo {
  fullName: string
  private: boolean
}

/** The calls made with one token. Each throws a GitHubError when GitHub refuses. */
export interface GitHubApi {
  getUser(): Promise<GitHubUser>
  getRepo(owner: string, repo: string): Promise<GitHubRepo>
  /** GET /repos/{owner}/{repo}/hooks: whether the token may manage the repository's webhooks. */
  getHooks(owner: string, repo: string): Promise<void>
  /** POST /credentials/revoke, authenticated (GitHub Enterprise Server 3.18 and later). */
  revoke(credentials: SealedToken[]): Promise<number>
}

/** Calls made without a token. */
interface AnonymousApi {
  /** POST /credentials/revoke as GitHub.com documents it: unauthenticated. */
  revoke(credentials: SealedToken[]): Promise<number>
}

export interface GitHubClient {
  as(token: SealedToken): GitHubApi
  anonymous(): AnonymousApi
}

/** A refusal from GitHub, with a message this module built itself. */
export class GitHubError extends Error {
  constructor(
    message: string,
    /** HTTP status; 0 when GitHub could not be reached. */
    readonly status: number,
    /** The X-GitHub-SSO header of a 403, e.g. `required; url=https://github.com/orgs/o/sso?...`. */
    readonly sso?: string,
    /** True when the request was refused by a rate limit we could not wait out. */
    readonly rateLimited = false,
    /** X-Accepted-GitHub-Permissions: the fine-grained permissions the call needs. */
    readonly acceptedPermissions?: string
  ) {
    super(message)
    this.name = 'GitHubError'
  }
}

/** Waits at most this long for a rate limit to reset before giving up. */
const MAX_RATE_LIMIT_WAIT_MS = 60_000
const GITHUB_REQUEST_TIMEOUT_MS = 20_000

export interface GitHubClientOptions {
  sleep?: (ms: number) => Promise<void>
  now?: () => number
  maxWaitMs?: number
  timeoutMs?: number
  /** Told about each wait for a rate limit, e.g. to log it. */
  onWait?: (ms: number, reason: string) => void
}

type Headers = Record<string, string | number | undefined>

interface OctokitLikeError {
  status?: number
  message?: string
  response?: { headers?: Headers; data?: unknown }
}

const header = (headers: Headers | undefined, name: string): string | undefined => {
  const value = headers?.[name]
  return value === undefined ? undefined : String(value)
}

/** What GitHub's error body says, e.g. "Bad credentials": redacted, then cut to 300 characters. */
function githubMessage(error: OctokitLikeError): string {
  const data = error.response?.data
  const message =
    typeof data === 'object' && data !== null && 'message' in data
      ? String((data as { message: unknown }).message)
      : (error.message ?? '')
  return clip(message, 300)
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * How long to wait before retrying a request GitHub refused for its rate
 * limit, or undefined when the refusal is not about rate limits. Retry-After
 * (secondary limits) wins; otherwise x-ratelimit-reset once remaining is 0.
 */
export function rateLimitWait(
  status: number,
  headers: Headers | undefined,
  now: number
): number | undefined {
  if (status !== 403 && status !== 429) return undefined
  const retryAfter = header(headers, 'retry-after')
  if (retryAfter !== undefined && /^\d+$/.test(retryAfter.trim())) {
    return Number(retryAfter.trim()) * 1000
  }
  if (header(headers, 'x-ratelimit-remaining') === '0') {
    const reset = Number(header(headers, 'x-ratelimit-reset'))
    // One extra second: the reset is a whole second and clocks drift.
    return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now) + 1000 : 60_000
  }
  // Secondary rate limits without Retry-After: GitHub says to wait at least a minute.
  if (status === 429) return 60_000
  return undefined
}

/** One token's (or no token's) requests, with the rate-limit state they share. */
function session(baseUrl: string, options: GitHubClientOptions, connect: () => Promise<Requester>) {
  const sleep = options.sleep ?? sleepFor
  const now = options.now ?? Date.now
  const maxWaitMs = options.maxWaitMs ?? MAX_RATE_LIMIT_WAIT_MS
  const timeoutMs = options.timeoutMs ?? GITHUB_REQUEST_TIMEOUT_MS
  /** Set when a response said the rate limit is spent: the epoch ms it resets. */
  let exhaustedUntil = 0

  function remember(headers: Headers | undefined): void {
    if (header(headers, 'x-ratelimit-remaining') !== '0') return
    const reset = Number(header(headers, 'x-ratelimit-reset'))
    if (Number.isFinite(reset) && reset > 0) exhaustedUntil = reset * 1000 + 1000
  }

  async function waitFor(ms: number, reason: string, what: string): Promise<void> {
    if (ms > maxWaitMs) {
      const until = new Date(now() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
      throw new GitHubError(
        `GitHub's API rate limit is spent until ${until} (${what}): re-run after that`,
        429,
        undefined,
        true
      )
    }
    options.onWait?.(ms, reason)
    await sleep(ms)
  }

  return async function request(
    route: string,
    params: Record<string, unknown>,
    what: string,
    redirect: 'follow' | 'manual' = 'follow'
  ): Promise<{ status: number; headers: Headers; data: unknown }> {
    for (let attempt = 1; ; attempt++) {
      const waitMs = exhaustedUntil - now()
      if (waitMs > 0) {
        await waitFor(waitMs, 'the rate limit is spent until it resets', what)
        exhaustedUntil = 0
      }
      try {
        const response = await (
          await connect()
        ).request(route, {
          ...params,
          request: { signal: AbortSignal.timeout(timeoutMs), redirect }
        })
        remember(response.headers as Headers)
        // A redirect the HTTP policy did not follow (github/fetch.ts) comes back as itself.
        if (response.status >= 300 && response.status < 400) {
          throw notFollowed(what, response.status, header(response.headers as Headers, 'location'))
        }
        return {
          status: response.status,
          headers: response.headers as Headers,
          data: response.data
        }
      } catch (caught) {
        if (caught instanceof GitHubError) throw caught
        const error = caught as OctokitLikeError
        const headers = error.response?.headers
        const status = error.response ? (error.status ?? 0) : 0
        if (status === 0) {
          if (attempt === 1) {
            await sleep(1000)
            continue
          }
          throw new GitHubError(
            `could not reach GitHub at ${baseUrl} (${what}): ${clip(messageOf(caught), 300)} — check github-api-url (GitHub Enterprise Server: https://HOST/api/v3)`,
            0
          )
        }
        remember(headers)
        const wait = rateLimitWait(status, headers, now())
        if (wait !== undefined) {
          if (attempt > 1) {
            throw new GitHubError(
              `GitHub's API rate limit refused ${what} again after waiting: re-run later`,
              status,
              undefined,
              true
            )
          }
          exhaustedUntil = 0
          await waitFor(wait, `GitHub's rate limit (${status}: ${githubMessage(error)})`, what)
          continue
        }
        if (status >= 500 && attempt === 1) {
          await sleep(1000)
          continue
        }
        throw new GitHubError(
          `GitHub answered ${what} with ${status}: ${githubMessage(error)}`,
          status,
          header(headers, 'x-github-sso'),
          false,
          header(headers, 'x-accepted-github-permissions')?.slice(0, 200)
        )
      }
    }
  }
}

/** A redirect not followed: a request that carries a token is never sent to another origin. */
function notFollowed(what: string, status: number, location: string | undefined): GitHubError {
  const to = location === undefined ? 'no Location' : `Location ${clip(location, 200)}`
  return new GitHubError(
    `GitHub answered ${what} with a redirect (${status}, ${to}), which was not followed: a request that carries a token is never sent to another origin, and POST /credentials/revoke follows no redirect at all — check github-api-url`,
    status
  )
}

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }
const USER_AGENT = 'rotate-github-token-aws'

function revoker(request: ReturnType<typeof session>) {
  return async (credentials: SealedToken[]) => {
    const { status } = await request(
      'POST /credentials/revoke',
      { credentials: credentials.map((c) => c.reveal()) },
      'POST /credentials/revoke',
      // It carries the token being revoked: not even a redirect within GitHub.
      'manual'
    )
    return status
  }
}

/** The GitHub REST API at `baseUrl`. */
export function createGitHubClient(
  baseUrl: string,
  options: GitHubClientOptions = {}
): GitHubClient {
  return {
    as(token) {
      const request = session(
        baseUrl,
        options,
        once(async () =>
          (await loadGitHub()).getOctokit(token.reveal(), {
            baseUrl,
            userAgent: USER_AGENT,
            log: quiet
          })
        )
      )
      return {
        async getUser() {
          const { headers, data } = await request('GET /user', {}, 'GET /user')
          const scopes = header(headers, 'x-oauth-scopes')
          const expiration = header(headers, 'github-authentication-token-expiration')
          return {
            login: String((data as { login?: unknown } | null)?.login ?? ''),
            scopes:
              scopes === undefined
                ? null
                : scopes
                    .split(',')
                    .map((s) => s.trim())
                    .filter(Boolean),
            expiresAt:
              expiration === undefined || expiration.trim() === '' ? null : expiration.trim(),
            enterpriseVersion: header(headers, 'x-github-enterprise-version') ?? null
          }
        },
        async getRepo(owner, repo) {
          const { data } = await request(
            'GET /repos/{owner}/{repo}',
            { owner, repo },
            `GET /repos/${owner}/${repo}`
          )
          const body = (data ?? {}) as { full_name?: unknown; private?: unknown }
          return {
            fullName: typeof body.full_name === 'string' ? body.full_name : `${owner}/${repo}`,
            private: body.private === true
          }
        },
        async getHooks(owner, repo) {
          await request(
            'GET /repos/{owner}/{repo}/hooks',
            { owner, repo, per_page: 1 },
            `GET /repos/${owner}/${repo}/hooks`
          )
        },
        revoke: revoker(request)
      }
    },
    anonymous() {
      const request = session(
        baseUrl,
        options,
        once(
          async () =>
            new (await loadAnonymous()).GitHub({ baseUrl, userAgent: USER_AGENT, log: quiet })
        )
      )
      return { revoke: revoker(request) }
    }
  }
}
