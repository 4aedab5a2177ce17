/** What the Secrets Manager store plans, writes and reports. */
import type { ValueRef } from '../../core/refs.js'
import type { SecretValue } from './api.js'

type SecretStatus = 'updated' | 'planned' | 'skipped' | 'failed'

/** One row of the report: a secret (and key) in one region. */
export interface SecretResult {
  region: string
  /** The entry as given, e.g. ci/github#token. */
  entry: string
  secretId: string
  key?: string
  arn?: string
  status: SecretStatus
  /** Where it was named besides the secrets input, e.g. "stack ci-stack". */
  from?: string[]
  versionBefore?: string
  versionAfter?: string
  error?: string
  note?: string
}

/** A planned row, with what its plan read. */
export interface Planned {
  ref: ValueRef
  result: SecretResult
  value?: SecretValue
  warning?: string
}

/** One PutSecretValue: every row that names the same secret in a region. */
export interface SecretWrite {
  region: string
  arn: string
  keys: string[] | 'whole'
  /** The AWSCURRENT version the plan read. */
  versionId: string | undefined
  /** A name to show in hints (#key examples). */
  name: string
  results: SecretResult[]
}
