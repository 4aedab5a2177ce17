/** What the CodePipeline store plans, writes and reports. */
import type { Inputs } from '../../inputs/types.js'
import type { Execution, PipelineWebhookApi, Webhook } from './api.js'
import type { Restart } from './executions.js'
import type { Readiness } from './migration/render.js'
import type { Rewrite } from './migration/rewrite.js'
import type { TemplateChange } from './migration/template.js'
import type { GitHubSourceAction, JsonObject } from './pipeline-json.js'

/** The inputs the CodePipeline store reads (its descriptor gives it only these). */
export const PIPELINE_INPUTS = [
  'pipelines',
  'regions',
  'dryRun',
  'verifyToken',
  'followStacks',
  'inProgress',
  'maxConcurrency',
  'connection',
  'githubApiUrl'
] as const

export type PipelineInputs = Pick<Inputs, (typeof PIPELINE_INPUTS)[number]>

/** migrated: moved off GitHub (version 1) to `connection-arn` (issue 19). */
type PipelineStatus = 'updated' | 'migrated' | 'planned' | 'skipped' | 'failed'

/** What the rotation did about runs in flight (the `runs` member of a report entry). */
export interface RunsReport {
  /**
   * idle: written at once; busy: runs in flight (dry run); waited: written
   * once they ended; skipped: not written (in-progress: skip); timed-out:
   * still busy after in-progress-timeout; restarted: the write stopped runs,
   * started again.
   */
  outcome: 'idle' | 'busy' | 'waited' | 'skipped' | 'timed-out' | 'restarted'
  /** The runs found in flight, oldest first. */
  executions: string[]
  waitedSeconds?: number
  restarts?: Restart[]
}

/** One entry of the `report` output. */
export interface PipelineResult {
  region: string
  pipeline: string
  arn?: string
  status: PipelineStatus
  /** The GitHub source actions patched (or to patch), as "Stage/Action". */
  githubActions: string[]
  /** Owner/Repo of those actions. */
  repositories: string[]
  versionBefore?: number
  versionAfter?: number
  /** The CloudFormation stack that owns the pipeline (its aws:cloudformation:stack-name tag). */
  stack?: string
  runs?: RunsReport
  error?: string
  note?: string
  /** With connection-arn: each GitHub (version 1) action's new action, exactly (see describeMigratedAction). */
  newActions?: string[]
  /** With connection-arn, a stack-owned pipeline: the template change that would move it. */
  templateChange?: TemplateChange
}

/** A pipeline that passed every check of the migration (connection-arn): what its write needs. */
interface MigrationPlan {
  connectionArn: string
  /** The rewrite of the plan's read (the write rewrites a fresh read, which must match it). */
  rewrite: Rewrite
  /** The GitHub (version 1) webhooks that target the migrated actions. */
  webhooks: Webhook[]
  webhookApi: PipelineWebhookApi
}

/** A pipeline that holds a GitHub OAuth token and will be rotated. */
export interface PipelineTarget {
  region: string
  name: string
  pipeline: JsonObject
  actions: GitHubSourceAction[]
  result: PipelineResult
  /** The stack's logical ID of the pipeline, from its aws:cloudformation:logical-id tag. */
  logicalId?: string
  /** ListTagsForResource was refused: whether a stack owns it is not known. */
  ownerUnknown?: boolean
  /** When the plan read `pipeline` (absent: its age is not known, so it is read again before a write). */
  readAt?: number
  /** The runs the plan saw in flight, and when it looked (not the token check). */
  runsSeen?: { at: number; runs: Execution[] }
  /** With connection-arn, set when it passed every check: written by migration/write.ts. */
  migration?: MigrationPlan
  /** With connection-arn: whether it could move, or why not (the readiness section's row). */
  readiness?: Readiness
}

/** Time, injectable: the waits of `in-progress: wait` are minutes long. */
export interface Clock {
  now(): number
  sleep(ms: number): Promise<void>
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms))
}
