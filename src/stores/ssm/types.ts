/** What the Parameter Store store plans, writes and reports. */
import type { ValueRef } from '../../core/refs.js'
import type { ParameterMetadata, ParameterValue } from './api.js'

type ParameterStatus = 'updated' | 'planned' | 'skipped' | 'failed'

/** One row of the report: a parameter (and key) in one region. */
export interface ParameterResult {
  region: string
  entry: string
  name: string
  key?: string
  arn?: string
  type?: string
  status: ParameterStatus
  /** Where it was named besides the parameters input, e.g. "stack ci-stack". */
  from?: string[]
  versionBefore?: number
  versionAfter?: number
  error?: string
  note?: string
}

export interface PlannedParameter {
  ref: ValueRef
  result: ParameterResult
  value?: ParameterValue
  metadata?: ParameterMetadata
}

/** One PutParameter: every row that names the same parameter in a region. */
export interface ParameterWrite {
  region: string
  name: string
  keys: string[] | 'whole'
  value: ParameterValue
  metadata: ParameterMetadata
  results: ParameterResult[]
}
