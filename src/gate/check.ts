/**
 * The token check (read-only): does GitHub accept the token, with the scopes
 * the pipelines and CodeBuild need, for every repository the pipelines
 * build, far enough from its expiry? CodePipeline accepts any string as an
 * OAuthToken, so a bad token would only show at each pipeline's next run.
 * Never throws for a bad token: every problem is a failure in the result.
 */
import { clip } from '../core/clip.js'
import { messageOf } from '../core/errors.js'
import type { Limit } from '../core/limit.js'
import { counted, listAtMost } from '../core/text.js'
import { registerToken } from '../core/redact.js'
import type { SealedToken } from '../core/sealed-token.js'
import type { Inputs } from '../inputs/types.js'
import { GitHubError, type GitHubApi, type GitHubUser } from '../github/api.js'
import { daysUntil, parseExpiration } from './expiry.js'
import {
  REJECTED,
  describeRepoError,
  invalidName,
  repositoriesOf,
  useOf,
  type RepoCheck,
  type TokenTarget
} from './repos.js'

export interface TokenCheck {
  /** Who was asked: GitHub (the default) or Bitbucket. */
  service?: 'GitHub' | 'Bitbucket'
  /** Why the token was not checked at all (verify-token false). */
  skipped?: string
  login?: string
  kind?: 'classic' | 'fine-grained' | 'bitbucket-api-token' | 'bitbucket-access-token'
  scopes: string[] | null
  /** ISO 8601 UTC, null when the token does not expire or the expiry is unknown. */
  expiresAt: string | null
  daysLeft: number | null
  /** X-GitHub-Enterprise-Version, when GitHub Enterprise Server answered. */
  enterpriseVersion: string | null
  repositories: RepoCheck[]
  warnings: string[]
  notices: string[]
  /** Each one refuses the token: nothing may be written. */
  failures: string[]
  /**
   * Per region, why the token must not be imported into CodeBuild there (a
   * repository only that region's projects build, which the token cannot reach).
   */
  codebuildRefusals: Record<string, string[]>
}

/** A check with nothing found yet. */
export function emptyCheck(): TokenCheck {
  return {
    scopes: null,
    expiresAt: null,
    daysLeft: null,
    enterpriseVersion: null,
    repositories: [],
    warnings: [],
    notices: [],
    failures: [],
    codebuildRefusals: {}
  }
}

type CheckInputs = Pick<Inputs, 'verifyToken' | 'minDaysLeft' | 'githubApiUrl' | 'codebuild'>

function refusal(error: unknown, apiUrl: string): string {
  if (error instanceof GitHubError && error.status === 401) {
    return `${REJECTED}: revoked, expired or mistyped (GET ${apiUrl}/user answered 401): create a new token and update the secret`
  }
  if (error instanceof GitHubError && error.status === 403 && !error.rateLimited) {
    return `the token could not be checked with GitHub: ${error.message} — is it a GitHub App or GITHUB_TOKEN? The pipelines need a personal access token`
  }
  return `the token could not be checked with GitHub: ${error instanceof GitHubError ? error.message : messageOf(error)}`
}

function checkScopes(
  check: TokenCheck,
  user: GitHubUser,
  targets: TokenTarget[],
  inputs: CheckInputs
) {
  // Only classic tokens report scopes. A fine-grained token's access is per
  // repository, which the repository checks prove.
  if (user.scopes === null) return
  const scopes = new Set(user.scopes)
  const writesGitHubToken = targets.length > 0 || inputs.codebuild.mode === 'import'
  if (!scopes.has('repo')) {
    const has = user.scopes.length > 0 ? user.scopes.join(', ') : 'none'
    const problem = `the classic token lacks the \`repo\` scope (it has: ${has}): CodePipeline and CodeBuild need \`repo\` to read the repositories — create a token with \`repo\` (and \`admin:repo_hook\` for webhooks)`
    if (writesGitHubToken) check.failures.push(problem)
    else check.warnings.push(problem)
  }
  const webhooks = targets.flatMap((t) =>
    t.actions.filter((a) => !a.pollForSourceChanges).map((a) => useOf(t, a))
  )
  // GitHub's scope reference: `repo` grants "read and write access to …
  // repository webhooks"; admin:repo_hook and write:repo_hook manage them too.
  const hooks = ['repo', 'admin:repo_hook', 'write:repo_hook']
  if (webhooks.length > 0 && !hooks.some((scope) => scopes.has(scope))) {
    check.warnings.push(
      `the classic token has none of the scopes that manage repository webhooks (repo, admin:repo_hook, write:repo_hook), but ${counted(webhooks.length, 'GitHub source')} rel${webhooks.length === 1 ? 'ies' : 'y'} on webhooks: ${listAtMost(webhooks)} — CodePipeline and CodeBuild need one of them to register or re-register the webhook; add \`repo\` (or \`admin:repo_hook\`) to the token`
    )
  }
}

/**
 * The expiry. A header that is there but in no known form is not read as "no
 * expiry": with min-days-left set, the token is refused (fail closed).
 */
function checkExpiry(check: TokenCheck, user: GitHubUser, inputs: CheckInputs, now: Date) {
  const min = inputs.minDaysLeft
  if (user.expiresAt === null) {
    check.notices.push(
      'The token never expires. GitHub recommends giving personal access tokens an expiration (the Expiration drop-down when creating one), and RFC 6819 §5.1.5.3 recommends short-lived tokens so that a leaked one stops working on its own; with an expiry set, a scheduled dry run of this action warns before it lapses.'
    )
    return
  }
  const expiresAt = parseExpiration(user.expiresAt)
  const header = `'${clip(user.expiresAt, 80)}'`
  if (expiresAt === undefined) {
    if (min > 0) {
      check.failures.push(
        `GitHub sent a token expiry this action cannot read (GitHub-Authentication-Token-Expiration: ${header}), so it cannot tell whether the token lasts min-days-left (${min}) more days: refused. Set min-days-left: 0 to rotate it without the expiry check`
      )
    } else {
      check.warnings.push(
        `GitHub sent a token expiry this action cannot read (GitHub-Authentication-Token-Expiration: ${header}): the expiry was not checked (min-days-left is 0)`
      )
    }
    return
  }
  check.expiresAt = expiresAt
  check.daysLeft = daysUntil(expiresAt, now)
  const left = `the token expires in ${counted(check.daysLeft, 'day')}, on ${expiresAt}`
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

/** Each repository asked about once (GitHub names are case-insensitive), as soon as it is known. */
type RepoLookup = (owner: string, repo: string) => Promise<{ error?: unknown }>

async function checkRepositories(check: TokenCheck, targets: TokenTarget[], lookup: RepoLookup) {
  check.repositories = repositoriesOf(targets)
  await Promise.all(
    check.repositories.map(async (repo) => {
      const invalid = invalidName(repo)
      if (invalid) {
        repo.status = 'failed'
        repo.error = invalid
        return
      }
      const answer = await lookup(repo.owner, repo.repo)
      if ('error' in answer) {
        repo.status = 'failed'
        repo.error = describeRepoError(repo, answer.error)
      }
    })
  )
  // A token revoked mid-check fails every repository the same way: say it once.
  const rejected = (r: RepoCheck) => r.error?.startsWith(REJECTED) ?? false
  if (check.repositories.some(rejected)) {
    check.failures.push(
      `${REJECTED}: revoked, expired or mistyped (during the repository checks): create a new token and update the secret`
    )
  }
  recordRepoFailures(check, (repo) => rejected(repo))
}

/**
 * A repository a pipeline builds refuses the token everywhere; one only
 * CodeBuild projects build refuses the import in those projects' regions.
 */
export function recordRepoFailures(check: TokenCheck, skip: (repo: RepoCheck) => boolean): void {
  for (const repo of check.repositories) {
    if (!repo.error || skip(repo)) continue
    if (repo.pipelines) {
      check.failures.push(repo.error)
      continue
    }
    for (const region of repo.codebuildRegions) {
      ;(check.codebuildRefusals[region] ??= []).push(repo.error)
    }
    check.warnings.push(`${repo.error} — the CodeBuild credential is not imported there`)
  }
}

/**
 * A fine-grained token shows no scopes: for each repository whose pipelines
 * or projects rely on webhooks, GET /repos/{owner}/{repo}/hooks says whether
 * it may manage them (403 "Resource not accessible by personal access token").
 */
async function checkHooks(
  check: TokenCheck,
  probe: (owner: string, repo: string) => Promise<unknown>
) {
  const denied: { repo: RepoCheck; permissions?: string }[] = []
  await Promise.all(
    check.repositories
      .filter((r) => r.status === 'ok' && r.webhooks)
      .map(async (repo) => {
        try {
          await probe(repo.owner, repo.repo)
        } catch (error) {
          if (error instanceof GitHubError && error.status === 403 && !error.rateLimited) {
            denied.push({
              repo,
              ...(error.acceptedPermissions ? { permissions: error.acceptedPermissions } : {})
            })
          }
        }
      })
  )
  if (denied.length === 0) return
  denied.sort((a, b) => (a.repo.repository < b.repo.repository ? -1 : 1))
  const names = denied.map((d) => d.repo.repository)
  const accepted = [...new Set(denied.flatMap((d) => (d.permissions ? [d.permissions] : [])))]
  const quoted =
    accepted.length > 0 ? ` (GitHub: X-Accepted-GitHub-Permissions: ${accepted.join('; ')})` : ''
  check.warnings.push(
    `the fine-grained token cannot manage the webhooks of ${listAtMost(names)}, which sources built on webhooks use${quoted}: GET /repos/{owner}/{repo}/hooks answered 403 — add the repository permission "Webhooks: Read and write" to the token, or CodePipeline and CodeBuild cannot register or re-register those webhooks`
  )
}

/** A check under way: started before the plan, fed each planned pipeline, finished after. */
export interface CheckInProgress {
  /** A planned pipeline: its repositories are asked about now. */
  consider(target: TokenTarget): void
  /** Every planned pipeline: the result, once GitHub has answered for all of them. */
  finish(targets: TokenTarget[], now: Date): Promise<TokenCheck>
  /**
   * One pipeline, on its own: what would refuse the token for it — the token
   * itself (rejected, scopes, expiry) or a repository it builds — [] when
   * nothing does. For a pipeline written as soon as its own checks pass, and
   * one re-planned after the check (another change re-pointed it).
   */
  recheck(target: TokenTarget, now: Date): Promise<string[]>
}

/**
 * Starts the check: GET /user at once, and GET /repos for each repository
 * as soon as a planned pipeline names it (once GET /user accepted the token),
 * so GitHub's answers come in while AWS is still being read. Only reads.
 */
export function startCheck(
  inputs: CheckInputs,
  api: GitHubApi,
  token: SealedToken,
  limit: Limit
): CheckInProgress {
  const skipped = !inputs.verifyToken
    ? 'verify-token is false: the token was not checked with GitHub'
    : undefined
  const user: Promise<{ user: GitHubUser } | { error: unknown }> | undefined = skipped
    ? undefined
    : api.getUser().then(
        (found) => {
          // `login:token` is how Basic auth would carry it: masked before any write can start.
          if (found.login) registerToken(token.reveal(), [found.login])
          return { user: found }
        },
        (error: unknown) => ({ error })
      )
  const lookups = new Map<string, Promise<{ error?: unknown }>>()
  const lookup: RepoLookup = (owner, repo) => {
    const key = `${owner}/${repo}`.toLowerCase()
    let answer = lookups.get(key)
    if (!answer) {
      answer = (user ?? Promise.resolve({ error: undefined })).then(async (me) =>
        'user' in me
          ? limit(() => api.getRepo(owner, repo)).then(
              () => ({}),
              (error: unknown) => ({ error })
            )
          : {}
      )
      lookups.set(key, answer)
    }
    return answer
  }

  return {
    consider(target) {
      if (skipped) return
      for (const check of repositoriesOf([target]))
        if (!invalidName(check)) void lookup(check.owner, check.repo)
    },

    async recheck(target, now) {
      if (skipped || !user) return []
      const me = await user
      if ('error' in me) return [refusal(me.error, inputs.githubApiUrl)]
      // What would refuse the token for this target alone: the token itself
      // (scopes, expiry), then each repository it builds.
      const check = emptyCheck()
      checkScopes(check, me.user, [target], inputs)
      checkExpiry(check, me.user, inputs, now)
      if (check.failures.length > 0) return check.failures
      await checkRepositories(check, [target], lookup)
      return check.failures
    },

    async finish(targets, now) {
      const check = emptyCheck()
      if (skipped || !user) {
        check.skipped = skipped
        return check
      }
      const me = await user
      if ('error' in me) {
        check.failures.push(refusal(me.error, inputs.githubApiUrl))
        return check
      }
      const found = me.user
      check.login = found.login
      check.scopes = found.scopes
      check.kind = found.scopes === null ? 'fine-grained' : 'classic'
      check.enterpriseVersion = found.enterpriseVersion
      checkScopes(check, found, targets, inputs)
      checkExpiry(check, found, inputs, now)
      await checkRepositories(check, targets, lookup)
      if (check.kind === 'fine-grained') {
        await checkHooks(check, (owner, repo) => limit(() => api.getHooks(owner, repo)))
      }
      return check
    }
  }
}
