/**
 * Retiring the token being replaced, after the last write: identify it
 * (GET /user with it: it must belong to the same account as the new token),
 * revoke it with "Revoke a list of credentials" — unauthenticated on
 * GitHub.com ("Any authenticated requests will return a 403"), authenticated
 * on GitHub Enterprise Server from 3.18 — then confirm it is dead (GET /user
 * with it answers 401). A server without the endpoint, or a refusal, is a
 * warning: the rotation itself succeeded.
 */
import type { Outcome, Retire } from '../core/flow.js'
import * as log from '../core/log.js'
import { emptyReport, statusCell, type Report } from '../core/report.js'
import type { SealedToken } from '../core/sealed-token.js'
import { GitHubError, type GitHubClient } from '../github/api.js'
import { decide } from './decide.js'

export interface RetireOptions {
  client: GitHubClient
  token: SealedToken
  previous: SealedToken | undefined
  githubApiUrl: string
  /** The new token's account and server, from the gate's check. */
  checked: () => { login?: string; enterpriseVersion: string | null } | undefined
  sleep?: (ms: number) => Promise<void>
}

/** Waits between the checks that the revoked token is dead (GitHub revokes asynchronously). */
const CONFIRM_DELAYS_MS = [1_000, 2_000, 4_000, 8_000]
/** GitHub Enterprise Server documents the endpoint from this version on. */
const GHES_FIRST = [3, 18]

type Result = {
  status: 'revoked' | 'kept' | 'warned' | 'planned'
  detail: string
  warning?: string
  notice?: string
}

function olderThanFirst(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number)
  const [firstMajor = 0, firstMinor = 0] = GHES_FIRST
  return major < firstMajor || (major === firstMajor && minor < firstMinor)
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

async function isDead(client: GitHubClient, previous: SealedToken): Promise<boolean> {
  try {
    await client.as(previous).getUser()
    return false
  } catch (error) {
    if (error instanceof GitHubError && error.status === 401) return true
    throw error
  }
}

async function revoke(options: RetireOptions, previous: SealedToken): Promise<Result> {
  const { client } = options
  const checked = options.checked()
  let owner
  try {
    owner = await client.as(previous).getUser()
  } catch (error) {
    if (error instanceof GitHubError && error.status === 401) {
      return {
        status: 'kept',
        detail: 'it was already invalid (GET /user with it answered 401): nothing to revoke',
        notice: 'previous-token was already invalid (revoked or expired): nothing was revoked.'
      }
    }
    const message = error instanceof Error ? error.message : String(error)
    return {
      status: 'warned',
      detail: `not revoked: it could not be checked (${message})`,
      warning: `previous-token was not revoked: it could not be checked with GitHub (${message}); revoke it in GitHub's settings`
    }
  }
  if (checked?.login && owner.login.toLowerCase() !== checked.login.toLowerCase()) {
    const why = `previous-token belongs to ${owner.login}, but the new token to ${checked.login}: revoking it would end another account's access, so it was not revoked — check previous-token`
    return { status: 'warned', detail: why, warning: why }
  }
  const enterprise = checked?.enterpriseVersion ?? owner.enterpriseVersion
  if (enterprise && olderThanFirst(enterprise)) {
    const why = `GitHub Enterprise Server ${enterprise} has no credential revocation API (it arrived in ${GHES_FIRST.join('.')}): revoke the old token in its settings`
    return { status: 'warned', detail: why, warning: `previous-token was not revoked: ${why}` }
  }
  try {
    // GitHub.com takes it only unauthenticated; Enterprise Server only authenticated.
    if (enterprise || /\/api\/v3$/.test(options.githubApiUrl)) {
      await client.as(options.token).revoke([previous])
    } else {
      await client.anonymous().revoke([previous])
    }
  } catch (error) {
    const status = error instanceof GitHubError ? error.status : 0
    const message = error instanceof Error ? error.message : String(error)
    const why =
      status === 404
        ? `${options.githubApiUrl} has no POST /credentials/revoke (GitHub Enterprise Server before ${GHES_FIRST.join('.')}?): revoke the old token in GitHub's settings`
        : `GitHub refused to revoke it (${message}): revoke it in GitHub's settings`
    return { status: 'warned', detail: why, warning: `previous-token was not revoked: ${why}` }
  }
  const sleep = options.sleep ?? sleepFor
  for (const delay of [0, ...CONFIRM_DELAYS_MS]) {
    if (delay > 0) await sleep(delay)
    try {
      if (await isDead(client, previous)) {
        return {
          status: 'revoked',
          detail: `GET /user with it now answers 401 (account ${owner.login})`
        }
      }
    } catch {
      // A passing error: look again.
    }
  }
  const waited = CONFIRM_DELAYS_MS.reduce((a, b) => a + b, 0) / 1000
  const why = `GitHub accepted the revocation, but the token still authenticated ${waited} s later: check it in GitHub's settings`
  return { status: 'warned', detail: why, warning: `previous-token: ${why}` }
}

export function retireStep(options: RetireOptions): Retire {
  return {
    async run(outcome: Outcome): Promise<Report> {
      const previous = options.previous
      if (!previous) return emptyReport({ outputs: { 'previous-token-revoked': 'false' } })
      const decision = decide(outcome)
      let result: Result
      if (outcome.dryRun) {
        result =
          decision.reasons.length === 0
            ? {
                status: 'planned',
                detail: 'dry run: it would be revoked now (everything holds the new token)'
              }
            : {
                status: 'planned',
                detail: `dry run: it would not be revoked: ${decision.reasons.join('; ')}`
              }
      } else if (!decision.revoke) {
        result = {
          status: 'kept',
          detail: `not revoked: ${decision.reasons.join('; ')}`,
          warning: `previous-token was not revoked, because not everything holds the new token: ${decision.reasons.join('; ')}. Fix that and re-run with the same inputs; the old token is revoked once everything holds the new one.`
        }
      } else {
        result = await revoke(options, previous)
      }
      log.info(`Previous token: ${result.status === 'revoked' ? 'revoked; ' : ''}${result.detail}`)
      return emptyReport({
        sections: [
          {
            title: 'Previous token',
            headers: ['Status'],
            rows: [[statusCell(result.status, result.detail)]]
          }
        ],
        outputs: { 'previous-token-revoked': result.status === 'revoked' ? 'true' : 'false' },
        warnings: result.warning ? [result.warning] : [],
        notices: result.notice ? [result.notice] : [],
        headline: `Previous token: ${result.status}`
      })
    }
  }
}
