/** What the Secrets Manager store plans, writes and reports. */
import type { ValueResult } from '../../core/value-store.js'

/** One row of the report: a secret (and key) in one region. */
export interface SecretResult extends ValueResult {
  secretId: string
  versionBefore?: string
  versionAfter?: string
}

/** What a read of a secret keeps besides its text: the version it read. */
export interface SecretMeta {
  versionId: string | undefined
}
