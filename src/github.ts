/**
 * Everything the action asks GitHub: is the token alive, what can it do, and
 * when does it expire. CodePipeline accepts any string as an OAuthToken, so a
 * bad token would only show up at each pipeline's next run; these checks run
 * after the plan and before the first write, and a refusal writes nothing.
 */
import * as core from '@actions/core'
import pLimit from 'p-limit'
import { loadOnce } from './aws.js'
import { messageOf, redact } from './errors.js'
import type { Inputs } from './inputs.js'
import type { GitHubSourceAction } from './pipeline-json.js'
import type { Limit } from './pipelines.js'
import type { SummarySection } from './report.js'
import { byText, type Store } from './store.js'

// Octokit is loaded on first use (see loadOnce in aws.ts): a run with
// verify-token: false never asks GitHub.
const loadGitHub = () => import(/* webpackMode: "eager" */ '@actions/github')
type Octokit = ReturnType<Awaited<ReturnType<typeof loadGitHub>>['getOctokit']>

/** The authenticated user, as GET /user describes the token. */
export interface GitHubUser {
  login: string
  /** X-OAuth-Scopes of a classic token; null when GitHub sent none (a fine-grained token). */
  scopes: string[] | null
  /** GitHub-Authentication-Token-Expiration as GitHub sent it; null when the token never expires. */
  expiresAt: string | null
}

export interface GitHubRepo {
  fullName: string
  private: boolean
}

/** The two calls the check makes. Both throw a GitHubError when GitHub refuses. */
export interface GitHubApi {
  getUser(): Promise<GitHubUser>
  getRepo(owner: string, repo: string): Promise<GitHubRepo>
}

/**
 * A refusal from GitHub, with a message this module built itself: never the
 * request (whose headers carry the token), only the status and what GitHub said.
 */
export class GitHubError extends Error {
  constructor(
    message: string,
    /** HTTP status; 0 when GitHub could not be reached. */
    readonly status: number,
    /** The X-GitHub-SSO header of a 403, e.g. `required; url=https://github.com/orgs/o/sso?...`. */
    readonly sso?: string,
    /** True when the request was refused by a rate limit we could not wait out. */
    readonly rateLimited = false
  ) {
    super(message)
    this.name = 'GitHubError'
  }
}

// ---------------------------------------------------------------------------
// Octokit

/** Waits at most this long for a rate limit to reset before giving up. */
export const MAX_RATE_LIMIT_WAIT_MS = 60_000
export const GITHUB_REQUEST_TIMEOUT_MS = 20_000
/** GitHub asks integrations not to fire many requests at once (secondary rate limits). */
export const GITHUB_CONCURRENCY = 4

export interface GitHubApiOptions {
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
  name?: string
  message?: string
  response?: { headers?: Headers; data?: unknown }
}

const header = (headers: Headers | undefined, name: string): string | undefined => {
  const value = headers?.[name]
  return value === undefined ? undefined : String(value)
}

/** What GitHub's error body says, e.g. "Bad credentials"; never more than a line. */
function githubMessage(error: OctokitLikeError): string {
  const data = error.response?.data
  const message =
    typeof data === 'object' && data !== null && 'message' in data
      ? String((data as { message: unknown }).message)
      : (error.message ?? '')
  return redact(message.split(/\r?\n/)[0] ?? '').slice(0, 300)
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

/** The GitHub REST API through `@actions/github`'s Octokit. */
export function createGitHubApi(
  token: string,
  baseUrl: string,
  options: GitHubApiOptions = {}
): GitHubApi {
  const sleep = options.sleep ?? sleepFor
  const now = options.now ?? Date.now
  const maxWaitMs = options.maxWaitMs ?? MAX_RATE_LIMIT_WAIT_MS
  const timeoutMs = options.timeoutMs ?? GITHUB_REQUEST_TIMEOUT_MS
  // @actions/github's Octokit has no retry or throttling plugin: every retry
  // below is ours, and there is exactly one per request at most.
  const client = loadOnce<Octokit>(() =>
    loadGitHub().then(({ getOctokit }) =>
      getOctokit(token, {
        baseUrl,
        userAgent: 'rotate-github-token-aws',
        log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }
      })
    )
  )
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
        `GitHub's API rate limit for this token is spent until ${until} (${what}): re-run after that`,
        429,
        undefined,
        true
      )
    }
    options.onWait?.(ms, reason)
    await sleep(ms)
  }

  async function request(
    route: string,
    params: Record<string, string>,
    what: string
  ): Promise<{ headers: Headers; data: unknown }> {
    for (let attempt = 1; ; attempt++) {
      const waitMs = exhaustedUntil - now()
      if (waitMs > 0) {
        await waitFor(waitMs, 'the rate limit is spent until it resets', what)
        exhaustedUntil = 0
      }
      try {
        const response = await (
          await client()
        ).request(route, {
          ...params,
          request: { signal: AbortSignal.timeout(timeoutMs) }
        })
        remember(response.headers as Headers)
        return { headers: response.headers as Headers, data: response.data }
      } catch (caught) {
        const error = caught as OctokitLikeError
        const headers = error.response?.headers
        const status = error.response ? (error.status ?? 0) : 0
        if (status === 0) {
          if (attempt === 1) {
            await sleep(1000)
            continue
          }
          throw new GitHubError(
            `could not reach GitHub at ${baseUrl} (${what}): ${redact(messageOf(caught)).slice(0, 300)} — check github-api-url (GitHub Enterprise Server: https://HOST/api/v3)`,
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
          header(headers, 'x-github-sso')
        )
      }
    }
  }

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
        expiresAt: expiration === undefined || expiration.trim() === '' ? null : expiration.trim()
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
    }
  }
}

// ---------------------------------------------------------------------------
// Pure logic

const MONTH_DAY_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(UTC|GMT|Z|[+-]\d{2}:?\d{2})?$/i

/**
 * Parses GitHub-Authentication-Token-Expiration (`2026-12-01 10:00:00 UTC`,
 * `2026-12-01 10:00:00 +0900`) or an ISO 8601 time into ISO 8601 UTC
 * (`2026-12-01T10:00:00Z`). Undefined when it is not such a time.
 */
export function parseExpiration(value: string): string | undefined {
  const match = MONTH_DAY_TIME.exec(value.trim())
  if (!match) return undefined
  const [, y, mo, d, h, mi, s = '0', zone = 'UTC'] = match
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number
  ]
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    return undefined
  }
  let offsetMinutes = 0
  if (/^[+-]/.test(zone)) {
    const digits = zone.replace(':', '')
    const sign = digits.startsWith('-') ? -1 : 1
    const hh = Number(digits.slice(1, 3))
    const mm = Number(digits.slice(3, 5))
    if (hh > 14 || mm > 59) return undefined
    offsetMinutes = sign * (hh * 60 + mm)
  }
  const local = Date.UTC(year, month - 1, day, hour, minute, second)
  // Date.UTC rolls 31 February over into March: refuse dates that do not exist.
  if (new Date(local).getUTCDate() !== day) return undefined
  return new Date(local - offsetMinutes * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** Whole days from now until the expiry (negative once expired). */
export function daysUntil(expiresAt: string, now: Date): number {
  return Math.floor((Date.parse(expiresAt) - now.getTime()) / 86_400_000)
}

/** One repository the targets build, with every pipeline that builds it. */
export interface RepoCheck {
  /** Owner/Repo as the first pipeline spells it. */
  repository: string
  owner: string
  repo: string
  /** "pipeline 'name' in region (Stage/Action)", one per pipeline. */
  usedBy: string[]
  status: 'ok' | 'failed'
  error?: string
}

export interface TokenCheck {
  /** Why GitHub was not asked at all (verify-token false, Bitbucket). */
  skipped?: string
  login?: string
  kind?: 'classic' | 'fine-grained'
  scopes: string[] | null
  /** ISO 8601 UTC, null when the token does not expire or the expiry is unknown. */
  expiresAt: string | null
  daysLeft: number | null
  repositories: RepoCheck[]
  warnings: string[]
  notices: string[]
  /** Each one refuses the token: nothing may be written. */
  failures: string[]
}

/** What the check needs of a planned pipeline. */
export interface TokenTarget {
  region: string
  name: string
  actions: GitHubSourceAction[]
}

type CheckInputs = Pick<Inputs, 'verifyToken' | 'minDaysLeft' | 'githubApiUrl' | 'codebuild'>

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

function listed(items: string[], max = 10): string {
  const shown = items.slice(0, max).join(', ')
  return items.length > max ? `${shown} and ${items.length - max} more` : shown
}

/** The distinct repositories of the targets' GitHub actions (GitHub names are case-insensitive). */
export function repositoriesOf(targets: TokenTarget[]): RepoCheck[] {
  const byKey = new Map<string, RepoCheck>()
  for (const target of targets) {
    for (const action of target.actions) {
      const key = `${action.owner}/${action.repo}`.toLowerCase()
      let check = byKey.get(key)
      if (!check) {
        check = {
          repository: `${action.owner}/${action.repo}`,
          owner: action.owner,
          repo: action.repo,
          usedBy: [],
          status: 'ok'
        }
        byKey.set(key, check)
      }
      const use = `pipeline '${target.name}' in ${target.region} (${action.stage}/${action.action})`
      if (!check.usedBy.includes(use)) check.usedBy.push(use)
    }
  }
  for (const check of byKey.values()) check.usedBy.sort()
  return [...byKey.values()].sort((a, b) => byText(a.repository, b.repository))
}

const REJECTED = 'GitHub rejected the token'

/** Explains why the token cannot use a repository. */
export function describeRepoError(check: RepoCheck, error: unknown): string {
  const users = listed(check.usedBy)
  const repo = check.repository
  if (error instanceof GitHubError) {
    if (error.status === 404) {
      return `${users} builds ${repo}, which the token cannot see (GitHub answered 404): give the token access to ${repo} (a fine-grained token: add it under Repository access; a classic token: its user needs access), or fix Owner/Repo in the pipeline`
    }
    if (error.status === 403 && error.sso !== undefined) {
      const url = /url=(\S+)/.exec(error.sso)?.[1]?.replace(/[;,]$/, '')
      const where = url
        ? `authorize it at ${url}`
        : `authorize it under Settings → Developer settings → Personal access tokens → Configure SSO`
      return `${users} builds ${repo}, but the token is not authorized for the SAML single sign-on of organization ${check.owner}: ${where}, then re-run`
    }
    if (error.status === 401) return `${REJECTED} while reading ${repo}`
    return `${users} builds ${repo}, which the token cannot read: ${error.message}`
  }
  return `${users} builds ${repo}, which could not be checked: ${redact(messageOf(error))}`
}

/**
 * Asks GitHub whether the token will work for every repository the targets
 * build and whether it expires too soon. Only reads; never throws for a bad
 * token: every problem found is a failure in the result.
 */
export async function checkToken(
  inputs: CheckInputs,
  targets: TokenTarget[],
  api: GitHubApi,
  now: Date,
  limit: Limit
): Promise<TokenCheck> {
  const check: TokenCheck = {
    scopes: null,
    expiresAt: null,
    daysLeft: null,
    repositories: [],
    warnings: [],
    notices: [],
    failures: []
  }
  if (!inputs.verifyToken) {
    check.skipped = 'verify-token is false: the token was not checked with GitHub'
    return check
  }
  if (inputs.codebuild.serverType === 'BITBUCKET') {
    check.skipped =
      'codebuild-server-type is BITBUCKET: the token is a Bitbucket app password, so the GitHub checks are skipped'
    if (targets.length > 0) {
      check.warnings.push(
        `codebuild-server-type is BITBUCKET, yet ${plural(targets.length, 'pipeline')} with a GitHub source will receive the same token (${listed(targets.map((t) => `${t.name} in ${t.region}`))}): a Bitbucket app password does not work for GitHub`
      )
    }
    return check
  }

  let user: GitHubUser
  try {
    user = await api.getUser()
  } catch (error) {
    if (error instanceof GitHubError && error.status === 401) {
      check.failures.push(
        `${REJECTED}: revoked, expired or mistyped (GET ${inputs.githubApiUrl}/user answered 401): create a new token and update the secret`
      )
    } else if (error instanceof GitHubError && error.status === 403 && !error.rateLimited) {
      check.failures.push(
        `the token could not be checked with GitHub: ${error.message} — is it a GitHub App or GITHUB_TOKEN? The pipelines need a personal access token`
      )
    } else {
      check.failures.push(
        `the token could not be checked with GitHub: ${error instanceof GitHubError ? error.message : redact(messageOf(error))}`
      )
    }
    return check
  }
  check.login = user.login
  check.scopes = user.scopes
  check.kind = user.scopes === null ? 'fine-grained' : 'classic'

  // Scopes: only classic tokens report them. A fine-grained token's access is
  // per repository, which the repository checks below prove.
  if (user.scopes !== null) {
    const scopes = new Set(user.scopes)
    const writesGitHubToken = targets.length > 0 || inputs.codebuild.mode === 'import'
    if (!scopes.has('repo')) {
      const has = user.scopes.length > 0 ? user.scopes.join(', ') : 'none'
      const problem = `the classic token lacks the \`repo\` scope (it has: ${has}): CodePipeline and CodeBuild need \`repo\` to read the repositories — create a token with \`repo\` (and \`admin:repo_hook\` for webhooks)`
      if (writesGitHubToken) check.failures.push(problem)
      else check.warnings.push(problem)
    }
    const webhooks = targets.flatMap((t) =>
      t.actions
        .filter((a) => !a.pollForSourceChanges)
        .map((a) => `${t.name} in ${t.region} (${a.stage}/${a.action})`)
    )
    if (!scopes.has('admin:repo_hook') && webhooks.length > 0) {
      check.warnings.push(
        `the classic token lacks the \`admin:repo_hook\` scope, but ${plural(webhooks.length, 'GitHub action')} rel${webhooks.length === 1 ? 'ies' : 'y'} on webhooks (PollForSourceChanges: false): ${listed(webhooks)} — CodePipeline needs that scope to register or re-register the webhook; add it to the token`
      )
    }
  }

  // Expiry.
  if (user.expiresAt !== null) {
    const expiresAt = parseExpiration(user.expiresAt)
    if (expiresAt === undefined) {
      check.warnings.push(
        `GitHub sent a token expiry this action cannot read ('${redact(user.expiresAt).slice(0, 60)}'): the expiry was not checked`
      )
    } else {
      check.expiresAt = expiresAt
      check.daysLeft = daysUntil(expiresAt, now)
      const min = inputs.minDaysLeft
      const left = `the token expires in ${plural(check.daysLeft, 'day')}, on ${expiresAt}`
      if (min > 0 && check.daysLeft < min) {
        check.failures.push(
          `${left}: fewer than min-days-left (${min}). Create a token with a later expiry and rotate that one instead`
        )
      } else if (min > 0 && check.daysLeft < 2 * min) {
        check.warnings.push(
          `${left}: fewer than twice min-days-left (${2 * min}). Plan its replacement now: once under ${min} days this action refuses it`
        )
      }
    }
  } else {
    check.notices.push(
      'The token never expires. GitHub recommends giving personal access tokens an expiration (the Expiration drop-down when creating one), and RFC 6819 §5.1.5.3 recommends short-lived tokens so that a leaked one stops working on its own; with an expiry set, a scheduled dry run of this action warns before it lapses.'
    )
  }

  // Repositories: every distinct Owner/Repo must be readable with the token.
  check.repositories = repositoriesOf(targets)
  await Promise.all(
    check.repositories.map((repo) =>
      limit(async () => {
        if (repo.owner === '' || repo.repo === '') {
          repo.status = 'failed'
          repo.error = `${listed(repo.usedBy)} has no Owner or Repo in its configuration: fix the pipeline`
          return
        }
        try {
          await api.getRepo(repo.owner, repo.repo)
        } catch (error) {
          repo.status = 'failed'
          repo.error = describeRepoError(repo, error)
        }
      })
    )
  )
  // A token revoked mid-check fails every repository the same way: say it once.
  const rejected = (r: RepoCheck) => r.error?.startsWith(REJECTED) ?? false
  if (check.repositories.some(rejected)) {
    check.failures.push(
      `${REJECTED}: revoked, expired or mistyped (during the repository checks): create a new token and update the secret`
    )
  }
  for (const repo of check.repositories) {
    if (repo.error && !rejected(repo)) check.failures.push(repo.error)
  }
  return check
}

// ---------------------------------------------------------------------------
// The check as a step of the run

/** A one-line description of the check's result, for the log and the summary. */
export function describeCheck(check: TokenCheck): string {
  if (check.skipped) return `Token: not checked (${check.skipped})`
  if (check.login === undefined) return 'Token: not verified by GitHub'
  const kind =
    check.kind === 'classic'
      ? `classic token (scopes: ${check.scopes?.join(', ') || 'none'})`
      : 'fine-grained token'
  const expiry =
    check.expiresAt === null
      ? 'no expiry'
      : `expires ${check.expiresAt} (${plural(check.daysLeft ?? 0, 'day')} left)`
  const repos = check.repositories.length
  const ok = check.repositories.filter((r) => r.status === 'ok').length
  const reach = repos === 0 ? 'no repositories to check' : `${ok}/${repos} repositories reachable`
  return `Token: ${kind} of ${check.login}, ${expiry}, ${reach}`
}

export function tokenSection(check: TokenCheck): SummarySection {
  // Problems with the token itself (rejected, scopes, expiry) come first.
  const repoErrors = new Set(check.repositories.map((r) => r.error))
  const tokenRows = check.failures
    .filter((f) => !repoErrors.has(f))
    .map((f) => ['(the token)', check.login ?? '–', `❌ ${f}`])
  return {
    title: 'GitHub token check',
    headers: ['Repository', 'Used by', 'Status'],
    rows: [
      ...tokenRows,
      ...check.repositories.map((r) => [
        r.repository,
        listed(r.usedBy, 5),
        r.status === 'ok' ? '✅ reachable' : `❌ ${r.error ?? 'failed'}`
      ])
    ]
  }
}

export interface TokenStoreOptions {
  /** Builds the GitHub client; tests pass a fake. */
  github?: (token: string, baseUrl: string) => GitHubApi
  now?: () => Date
  limit?: Limit
}

/**
 * The token check as a Store, so the report shows it like the other steps:
 * `plan()` asks GitHub (read-only) and sets the token-* outputs; `apply()`
 * writes nothing; `failures()` refuse the token.
 */
export function tokenStore(
  inputs: CheckInputs & Pick<Inputs, 'token' | 'maxConcurrency'>,
  targets: () => TokenTarget[],
  options: TokenStoreOptions = {}
): Store & { check(): TokenCheck | undefined } {
  let result: TokenCheck | undefined
  return {
    async plan() {
      const create =
        options.github ??
        ((token: string, baseUrl: string) =>
          createGitHubApi(token, baseUrl, {
            onWait: (ms, reason) =>
              core.info(`Waiting ${Math.ceil(ms / 1000)} s for GitHub: ${redact(reason)}`)
          }))
      const limit =
        options.limit ?? pLimit(Math.max(1, Math.min(inputs.maxConcurrency, GITHUB_CONCURRENCY)))
      result = await checkToken(
        inputs,
        targets(),
        create(inputs.token, inputs.githubApiUrl),
        (options.now ?? (() => new Date()))(),
        limit
      )
      core.setOutput('token-expires-at', result.expiresAt ?? '')
      core.setOutput('token-days-left', result.daysLeft === null ? '' : String(result.daysLeft))
      core.info(redact(describeCheck(result)))
      for (const notice of result.notices) core.notice(redact(notice))
    },
    apply: async () => {},
    check: () => result,
    sections: () => (result ? [tokenSection(result)] : []),
    lines: () => [],
    outputs: () => ({}),
    failures: () => (result?.failures ?? []).map((f) => `GitHub token: ${f}`),
    warnings: () => (result?.warnings ?? []).map((w) => `GitHub token: ${w}`),
    headline: () => (result ? describeCheck(result) : undefined)
  }
}
