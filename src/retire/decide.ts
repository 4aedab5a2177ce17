/**
 * Whether the token being replaced may be revoked: only once everything
 * holds the new one. Revocation is final — it ends every use of the old
 * token, in AWS or anywhere else — so any doubt keeps it.
 */
import type { Outcome } from '../core/flow.js'
import { counted } from '../core/text.js'

export interface Decision {
  revoke: boolean
  /** Why not, one line each (empty when it may). */
  reasons: string[]
}

export function decide(outcome: Outcome): Decision {
  const reasons: string[] = []
  if (!outcome.confirmed) {
    reasons.push(
      'GitHub did not confirm the new token (verify-token is false, or the check was skipped)'
    )
  }
  if (outcome.failures.length > 0) {
    reasons.push(`${counted(outcome.failures.length, 'target')} failed`)
  }
  for (const holdout of outcome.holdouts) reasons.push(holdout)
  return { revoke: reasons.length === 0 && !outcome.dryRun, reasons }
}
