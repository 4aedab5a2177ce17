/**
 * The check of a Bitbucket credential before CodeBuild gets it (read-only).
 * An API token (BASIC_AUTH, with the Atlassian account email): GET /user
 * must answer 200. An access token (PERSONAL_ACCESS_TOKEN: a repository,
 * project or workspace access token, which has no user): each repository a
 * CodeBuild project builds with the account credential must answer 200 to
 * GET /repositories/{workspace}/{repo_slug} — asked with an API token too.
 * Never throws: every problem is a failure, a refusal for a region, or a warning.
 */
import { messageOf } from '../core/errors.js'
import type { Limit } from '../core/limit.js'
import { listAtMost } from '../core/text.js'
import type { Inputs } from '../inputs/types.js'
import { BitbucketError, type BitbucketApi, type BitbucketUser } from '../github/bitbucket.js'
import { emptyCheck, recordRepoFailures, type CheckInProgress, type TokenCheck } from './check.js'
import { repositoriesOf, type RepoCheck } from './repos.js'

const BITBUCKET_REJECTED = 'Bitbucket rejected the credential'

// Bitbucket: a workspace ID is lower-case letters, digits, '-' and '_'; a
// repository slug is letters, digits, '.', '-' and '_' (never only dots).
const WORKSPACE = /^[A-Za-z0-9_-]{1,62}$/
const SLUG = /^[A-Za-z0-9._-]{1,128}$/

const APP_PASSWORDS_GONE =
  'Bitbucket app passwords stopped working on 2026-07-28: create an API token (Atlassian account settings › Security › API tokens) with codebuild-auth-type BASIC_AUTH and codebuild-username set to your Atlassian account email, or a repository, project or workspace access token with PERSONAL_ACCESS_TOKEN'

type CheckInputs = Pick<Inputs, 'bitbucketApiUrl' | 'codebuild'>

/** Why Bitbucket refused the credential as a whole. */
function refusal(error: unknown, inputs: CheckInputs): string {
  const apiToken = inputs.codebuild.authType === 'BASIC_AUTH'
  const what = apiToken ? `the API token of ${inputs.codebuild.username ?? ''}` : 'the access token'
  if (error instanceof BitbucketError && error.status === 401) {
    const appPassword = /app.?password/i.test(error.detail) ? ` — ${APP_PASSWORDS_GONE}` : ''
    return `${BITBUCKET_REJECTED}: ${what} is revoked, expired or mistyped${apiToken ? ', or codebuild-username is not the email address of its Atlassian account' : ''} (GET ${inputs.bitbucketApiUrl}/user answered 401${error.detail ? `: ${error.detail}` : ''})${appPassword}`
  }
  return `${what} could not be checked with Bitbucket: ${error instanceof BitbucketError ? error.message : messageOf(error)}`
}

function invalidSlug(check: RepoCheck): string | undefined {
  if (!WORKSPACE.test(check.owner) || !SLUG.test(check.repo) || /^\.+$/.test(check.repo)) {
    return `${listAtMost(check.usedBy)} builds '${check.owner}/${check.repo}', which is not a Bitbucket workspace/repository: fix the project's source location`
  }
  return undefined
}

function describeError(check: RepoCheck, error: unknown): string {
  const users = listAtMost(check.usedBy)
  const repo = check.repository
  if (error instanceof BitbucketError) {
    if (error.status === 401) return `${BITBUCKET_REJECTED} while reading ${repo}`
    if (error.status === 403 || error.status === 404) {
      return `${users} builds ${repo}, which the token cannot read (GET /repositories/${repo} answered ${error.status}${error.detail ? `: ${error.detail}` : ''}): give the token read access to ${repo} (an access token of that repository, its project or its workspace; an API token with the read:repository:bitbucket scope and an account that can see it), or fix the project's source location`
    }
    return `${users} builds ${repo}, which could not be checked: ${error.message}`
  }
  return `${users} builds ${repo}, which could not be checked: ${messageOf(error)}`
}

export function startBitbucketCheck(
  inputs: CheckInputs,
  api: BitbucketApi,
  limit: Limit
): CheckInProgress {
  const apiToken = inputs.codebuild.authType === 'BASIC_AUTH'
  const user: Promise<{ user: BitbucketUser } | { error: unknown }> = apiToken
    ? api.getUser().then(
        (found) => ({ user: found }),
        (error: unknown) => ({ error })
      )
    : Promise.resolve({ user: { name: '' } })
  const lookups = new Map<string, Promise<{ error?: unknown }>>()
  const lookup = (workspace: string, slug: string) => {
    const key = `${workspace}/${slug}`.toLowerCase()
    let answer = lookups.get(key)
    if (!answer) {
      answer = user.then((me) =>
        'user' in me
          ? limit(() => api.getRepository(workspace, slug)).then(
              () => ({}),
              (error: unknown) => ({ error })
            )
          : {}
      )
      lookups.set(key, answer)
    }
    return answer
  }

  const progress: CheckInProgress = {
    consider(target) {
      for (const repo of repositoriesOf([target]))
        if (!invalidSlug(repo)) void lookup(repo.owner, repo.repo)
    },

    // A pipeline re-planned while writing: the same questions, for its repositories only.
    recheck: async (target, now) => (await progress.finish([target], now)).failures,

    async finish(targets): Promise<TokenCheck> {
      const check = emptyCheck()
      check.service = 'Bitbucket'
      check.kind = apiToken ? 'bitbucket-api-token' : 'bitbucket-access-token'
      const me = await user
      if ('error' in me) {
        check.failures.push(refusal(me.error, inputs))
        return check
      }
      check.login = apiToken ? (inputs.codebuild.username ?? '') : 'access token'
      check.repositories = repositoriesOf(targets)
      await Promise.all(
        check.repositories.map(async (repo) => {
          const invalid = invalidSlug(repo)
          const answer = invalid ? { error: invalid } : await lookup(repo.owner, repo.repo)
          if ('error' in answer) {
            repo.status = 'failed'
            repo.error =
              typeof answer.error === 'string' ? answer.error : describeError(repo, answer.error)
          }
        })
      )
      const rejected = (r: RepoCheck) => r.error?.startsWith(BITBUCKET_REJECTED) ?? false
      if (check.repositories.some(rejected)) {
        const first = check.repositories.find(rejected)
        check.failures.push(
          `${BITBUCKET_REJECTED}: GET /repositories/${first?.repository ?? ''} answered 401 — the token is revoked, expired or mistyped${apiToken ? ', or codebuild-username is not its Atlassian account email' : ''}: create a new one and update the secret`
        )
      }
      recordRepoFailures(check, rejected)
      if (!apiToken && check.repositories.length === 0) {
        check.warnings.push(
          'no CodeBuild project in these regions builds a Bitbucket repository with the account credential, so the access token could not be checked (an access token is checked against the repositories it must reach)'
        )
      }
      return check
    }
  }
  return progress
}
