/** What the Parameter Store store plans, writes and reports. */
import type { ValueResult } from '../../core/value-store.js'
import type { ParameterMetadata } from './api.js'

/** One row of the report: a parameter (and key) in one region. */
export interface ParameterResult extends ValueResult {
  name: string
  type?: string
  versionBefore?: number
  versionAfter?: number
}

/** What a read of a parameter keeps besides its value: its settings and version. */
export interface ParameterMeta {
  metadata: ParameterMetadata
  version: number | undefined
}
