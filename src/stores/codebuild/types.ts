/** What the CodeBuild store plans, writes and reports. */
import type { ContributionLookup } from '../../core/refs.js'
import type { CodeBuildServerType, Inputs } from '../../inputs/types.js'
import type { SecretResult } from '../secrets-manager/types.js'
import type { SourceCredential } from './api.js'

/** The inputs the CodeBuild store reads (its descriptor gives it only these). */
export const CODEBUILD_INPUTS = ['codebuild', 'regions', 'dryRun', 'githubApiUrl'] as const

export type CodeBuildInputs = Pick<Inputs, (typeof CODEBUILD_INPUTS)[number]>

type CodeBuildStatus =
  'imported' | 'updated' | 'planned' | 'removed' | 'absent' | 'skipped' | 'failed'

/** One entry of the `codebuild-credentials` output. */
export interface CodeBuildResult {
  region: string
  serverType: CodeBuildServerType
  /** The auth type imported, or that of the credential removed or kept. */
  authType: string
  arn?: string
  status: CodeBuildStatus
  /** The secret CodeBuild reads the token from (authType SECRETS_MANAGER). */
  secretArn?: string
  error?: string
  note?: string
}

export interface CredentialPlan {
  /** status 'planned': apply writes; anything else is final. */
  result: CodeBuildResult
  /** disconnect: the credentials to delete. */
  deletes: SourceCredential[]
  /** SECRETS_MANAGER: the secret row the Secrets Manager store writes. */
  secret?: ContributionLookup<SecretResult>
}
