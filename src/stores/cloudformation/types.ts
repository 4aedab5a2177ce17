/** What following the stacks finds and reports. */
import type { ContributionLookup } from '../../core/refs.js'
import type { TokenSource } from './template.js'

/** The written row a followed reference stands for (a secret's or a parameter's). */
interface FollowedRow {
  status: string
  error?: string
  note?: string
}

/** One GitHub action of a stack-owned pipeline, and where its template takes the token. */
export interface StackFinding {
  region: string
  pipeline: string
  stack: string
  logicalId?: string
  action?: string
  source?: TokenSource
  /** Followed: the row of the secret or parameter rotated with it. */
  followed?: { what: string; row: ContributionLookup<FollowedRow> }
  /** Not followed: what the user must do (a warning), and why revocation waits. */
  problem?: string
}
