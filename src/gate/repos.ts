/**
 * The repositories the pipelines build, which the token must reach. Owner
 * and Repo come from the pipeline, so they are checked against GitHub's
 * name rules before they become a URL path: `..` as an Owner would turn
 * GET /repos/../user into GET /user and "prove" a repository reachable.
 */
import { messageOf } from '../core/errors.js'
import { byText } from '../core/order.js'
import { listAtMost } from '../core/text.js'
import { GitHubError } from '../github/api.js'

/** What the check needs of a planned pipeline's GitHub source actions. */
export interface TokenTarget {
  /** A pipeline (the default) or a CodeBuild project (`action` is then the source's identifier). */
  kind?: 'pipeline' | 'codebuild'
  region: string
  name: string
  actions: {
    stage: string
    action: string
    owner: string
    repo: string
    /** false means webhooks: the token needs admin:repo_hook to manage them. */
    pollForSourceChanges: boolean
  }[]
}

/** One repository the targets build, with every pipeline that builds it. */
export interface RepoCheck {
  /** Owner/Repo as the first pipeline spells it. */
  repository: string
  owner: string
  repo: string
  /** "pipeline 'name' in region (Stage/Action)", one per pipeline. */
  usedBy: string[]
  /** Some pipeline builds it (a failure then refuses the token everywhere). */
  pipelines: boolean
  /** The regions whose CodeBuild projects build it (a failure refuses the import there). */
  codebuildRegions: string[]
  /** Some user relies on webhooks (PollForSourceChanges false; a CodeBuild webhook). */
  webhooks: boolean
  status: 'ok' | 'failed'
  error?: string
}

/** How a use of a repository is named: a pipeline's action, or a project's source. */
export function useOf(target: TokenTarget, action: TokenTarget['actions'][number]): string {
  return target.kind === 'codebuild'
    ? `CodeBuild project '${target.name}' in ${target.region} (${action.action} source)`
    : `pipeline '${target.name}' in ${target.region} (${action.stage}/${action.action})`
}

// GitHub: an account name is letters, digits and hyphens (and _ in Enterprise
// Managed Users' names); a repository name is letters, digits, '.', '-', '_'.
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,98}[A-Za-z0-9_])?$/
const REPO = /^[A-Za-z0-9._-]{1,100}$/

export const REJECTED = 'GitHub rejected the token'

/** Why an Owner/Repo cannot be asked about; undefined when it can. */
export function invalidName(check: RepoCheck): string | undefined {
  const users = listAtMost(check.usedBy)
  if (check.owner === '' || check.repo === '') {
    return `${users} has no Owner or Repo in its configuration: fix the pipeline`
  }
  if (!OWNER.test(check.owner) || !REPO.test(check.repo) || /^\.+$/.test(check.repo)) {
    return `${users} builds '${check.owner}/${check.repo}', which is not a GitHub repository name (Owner: letters, digits and -; Repo: letters, digits, '.', '-' and '_'): fix Owner/Repo in the pipeline`
  }
  return undefined
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
          pipelines: false,
          codebuildRegions: [],
          webhooks: false,
          status: 'ok'
        }
        byKey.set(key, check)
      }
      const use = useOf(target, action)
      if (!check.usedBy.includes(use)) check.usedBy.push(use)
      if (!action.pollForSourceChanges) check.webhooks = true
      if (target.kind !== 'codebuild') check.pipelines = true
      else if (!check.codebuildRegions.includes(target.region))
        check.codebuildRegions.push(target.region)
    }
  }
  for (const check of byKey.values()) check.usedBy.sort(byText)
  return [...byKey.values()].sort((a, b) => byText(a.repository, b.repository))
}

/**
 * The organization policy a 403 names: organizations can forbid classic
 * tokens, or tokens whose lifetime exceeds their maximum ("… forbids access
 * via a personal access token (classic)", "… forbids access via a
 * fine-grained personal access tokens if the token's lifetime is greater
 * than 366 days").
 */
function orgPolicy(message: string): string | undefined {
  if (!/forbids access via/i.test(message)) return undefined
  const days = /lifetime is greater than (\d+) days?/i.exec(message)?.[1]
  const classic = /\(classic\)/i.test(message)
  if (days !== undefined) {
    return `its maximum lifetime for ${classic ? 'classic' : 'fine-grained'} personal access tokens is ${days} days, and this token's is longer — create a token that expires within ${days} days`
  }
  if (classic) {
    return 'it forbids classic personal access tokens — use a fine-grained personal access token the organization has approved'
  }
  return `${message.replace(/^GitHub answered [^:]*: /, '').slice(0, 300)}`
}

/** Explains why the token cannot use a repository. */
export function describeRepoError(check: RepoCheck, error: unknown): string {
  const users = listAtMost(check.usedBy)
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
    if (error.status === 403) {
      const policy = orgPolicy(error.message)
      if (policy) {
        return `${users} builds ${repo}, but organization ${check.owner} refuses this token by policy (GitHub answered 403): ${policy}`
      }
    }
    if (error.status === 401) return `${REJECTED} while reading ${repo}`
    return `${users} builds ${repo}, which the token cannot read: ${error.message}`
  }
  return `${users} builds ${repo}, which could not be checked: ${messageOf(error)}`
}
