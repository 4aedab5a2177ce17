/** How the token check is shown: one line, and its table. */
import { counted, listAtMost } from '../core/text.js'
import type { Section } from '../core/report.js'
import type { TokenCheck } from './check.js'

/** A one-line description of the check's result, for the log and the summary. */
export function describeCheck(check: TokenCheck): string {
  if (check.skipped) return `Token: not checked (${check.skipped})`
  if (check.login === undefined) return `Token: not verified by ${check.service ?? 'GitHub'}`
  const repos = check.repositories.length
  const ok = check.repositories.filter((r) => r.status === 'ok').length
  const reach = repos === 0 ? 'no repositories to check' : `${ok}/${repos} repositories reachable`
  if (check.kind === 'bitbucket-api-token') {
    return `Token: Bitbucket API token of ${check.login}, accepted by GET /user, ${reach}`
  }
  if (check.kind === 'bitbucket-access-token') return `Token: Bitbucket access token, ${reach}`
  const kind =
    check.kind === 'classic'
      ? `classic token (scopes: ${check.scopes?.join(', ') || 'none'})`
      : 'fine-grained token'
  const expiry =
    check.expiresAt === null
      ? 'no expiry'
      : `expires ${check.expiresAt} (${counted(check.daysLeft ?? 0, 'day')} left)`
  return `Token: ${kind} of ${check.login}, ${expiry}, ${reach}`
}

export function tokenSection(check: TokenCheck): Section {
  // Problems with the token itself (rejected, scopes, expiry) come first.
  const repoErrors = new Set(check.repositories.map((r) => r.error))
  const tokenRows = check.failures
    .filter((f) => !repoErrors.has(f))
    .map((f) => ['(the token)', check.login ?? '–', `❌ ${f}`])
  return {
    title: check.service === 'Bitbucket' ? 'Bitbucket credential check' : 'GitHub token check',
    headers: ['Repository', 'Used by', 'Status'],
    rows: [
      ...tokenRows,
      ...check.repositories.map((r) => [
        r.repository,
        listAtMost(r.usedBy, 5),
        r.status === 'ok' ? '✅ reachable' : `❌ ${r.error ?? 'failed'}`
      ])
    ]
  }
}
