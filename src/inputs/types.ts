/** The inputs, parsed and validated (parse.ts): what every other module reads. */
import type { ConnectionArn } from './connection.js'

/** How a `pipelines` entry selects pipelines. */
export type PipelineSelector =
  | { kind: 'name'; entry: string; name: string }
  | { kind: 'glob'; entry: string; pattern: string }
  | { kind: 'arn'; entry: string; name: string; region: string; account: string; arn: string }

export type CodeBuildMode = 'off' | 'import' | 'disconnect'
export type CodeBuildServerType = 'GITHUB' | 'GITHUB_ENTERPRISE' | 'BITBUCKET'
export type CodeBuildAuthType = 'PERSONAL_ACCESS_TOKEN' | 'BASIC_AUTH'

export interface CodeBuildSettings {
  mode: CodeBuildMode
  serverType: CodeBuildServerType
  authType: CodeBuildAuthType
  username: string | undefined
}

/**
 * A `secrets` or `parameters` entry: a name or ARN, optionally `#key` for one
 * key of a JSON value.
 */
export interface ValueEntry {
  entry: string
  /** The name, or the ARN as given. */
  id: string
  key: string | undefined
  /** Set when the entry is an ARN: it lives in that region only. */
  region: string | undefined
  /** The ARN's account, when the entry is an ARN. */
  account: string | undefined
}

export type InProgressMode = 'wait' | 'skip' | 'proceed'

export interface InProgressSettings {
  mode: InProgressMode
  /** How long `wait` waits for a pipeline's runs to end, in seconds; 0: not at all. */
  timeoutSeconds: number
}

export interface Inputs {
  pipelines: PipelineSelector[]
  regions: string[]
  dryRun: boolean
  codebuild: CodeBuildSettings
  secrets: ValueEntry[]
  parameters: ValueEntry[]
  followStacks: boolean
  inProgress: InProgressSettings
  roleToAssume: string | undefined
  roleSessionName: string
  githubApiUrl: string
  /** `bitbucket-api-url`: Bitbucket Cloud's REST API, where a Bitbucket credential is checked. */
  bitbucketApiUrl: string
  verifyToken: boolean
  minDaysLeft: number
  maxConcurrency: number
  /** `aws-timeout`: seconds one AWS request attempt may take in all. */
  awsTimeoutSeconds: number
  /** Set when `previous-token` was given: the old token is retired after the run. */
  retirePrevious: boolean
  /**
   * `connection-arn`: when set, the selected pipelines' GitHub (version 1)
   * sources move to this connection instead of being rotated (issue 19).
   */
  connection?: ConnectionArn
}
