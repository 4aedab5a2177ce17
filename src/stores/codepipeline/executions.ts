/**
 * Runs in flight. UpdatePipeline stops the pipeline: "If a revision is being
 * run through the pipeline when you run the update-pipeline command, that run
 * is stopped" (CodePipeline user guide), and the run ends Cancelled. So a
 * pipeline is written only when no run is in flight (`wait`, the default), or
 * not at all (`skip`), or written anyway and its runs started again
 * (`proceed`); and after every write the rotation looks whether it stopped a
 * run that started in between, and starts that one again too.
 *
 * The check is GetPipelineState: in a SUPERSEDED or QUEUED pipeline every
 * run in flight is the latest run of the stage it is in, or waits at a
 * stage's inbound transition, so one call per pipeline tells "idle" — and it
 * has its own API quota, beside GetPipeline's and UpdatePipeline's. When it
 * shows a run, or the pipeline is PARALLEL (whose side-by-side runs
 * GetPipelineState does not list), ListPipelineExecutions (its first page,
 * the newest 100) names every run with its start time, for the report, and
 * its source revisions, for a restart. "In flight" means InProgress
 * (running, or queued behind another) or Stopping (a stop still finishing
 * its actions), in every mode: UpdatePipeline stops them all. After a write,
 * ListPipelineExecutions shows the runs it stopped: Cancelled, at the time
 * UpdatePipeline answered.
 */
import { describeAwsError, errorName } from '../../aws/errors.js'
import type { Execution, PipelineApi, StageRun, StartRequest } from './api.js'
import { pipelineType, sourceActions, type JsonObject } from './pipeline-json.js'

const IN_FLIGHT = new Set(['InProgress', 'Stopping'])

export function inFlight(executions: Execution[]): Execution[] {
  return executions.filter((e) => IN_FLIGHT.has(e.status))
}

/** Whether GetPipelineState shows any run in flight (latest in a stage, or waiting to enter one). */
export function stateShowsRuns(stages: StageRun[]): boolean {
  return stages.some((s) => (s.latest && IN_FLIGHT.has(s.latest.status)) || s.inbound.length > 0)
}

/**
 * The runs in flight now, with their details: [] when the pipeline is idle.
 * One GetPipelineState for an idle SUPERSEDED or QUEUED pipeline; a
 * ListPipelineExecutions as well when it shows a run, or for PARALLEL.
 */
export async function runsInFlight(
  api: PipelineApi,
  name: string,
  mode: string,
  /** The GetPipelineState already asked for (beside the plan's GetPipeline). */
  state?: Promise<StageRun[]>
): Promise<Execution[]> {
  if (mode !== 'PARALLEL') {
    let stages
    try {
      stages = await (state ?? api.pipelineState(name))
    } catch (error) {
      throw new LookFailed('codepipeline:GetPipelineState', error)
    }
    if (!stateShowsRuns(stages)) return []
  }
  try {
    return inFlight(await api.listExecutions(name))
  } catch (error) {
    throw new LookFailed('codepipeline:ListPipelineExecutions', error)
  }
}

/** A look for runs in flight that failed: AWS's error, described with the call that failed. */
class LookFailed extends Error {
  constructor(
    readonly call: string,
    readonly awsError: unknown
  ) {
    super(describeAwsError(awsError, call))
    this.name = 'LookFailed'
  }
}

/** How far AWS's clock may be from the one that timed the write. */
const CLOCK_SLACK_MS = 2_000

/**
 * The runs a write stopped: Cancelled — which only an UpdatePipeline does
 * ("Cancelled: The pipeline's definition was updated before the pipeline
 * execution could be completed") — at the time the write was being answered.
 * `window` is from just before the request to the answer's Date header (AWS's
 * clock), widened by a little slack; an older cancellation is not this run's.
 */
export function stoppedBy(
  after: Execution[],
  window: { from: number; to: number },
  /** Runs known to be in flight when the write was sent: Cancelled since, whenever AWS stamped it. */
  inFlightBefore: Execution[] = []
): Execution[] {
  const known = new Set(inFlightBefore.map((e) => e.id))
  return after.filter((e) => {
    if (e.status !== 'Cancelled') return false
    if (known.has(e.id)) return true
    const at = e.lastUpdateTime?.getTime()
    return (
      at !== undefined && at >= window.from - CLOCK_SLACK_MS && at <= window.to + CLOCK_SLACK_MS
    )
  })
}

/** Runs in flight before the write that AWS has not marked stopped yet. */
export function stillStopping(before: Execution[], after: Execution[]): Execution[] {
  const wasInFlight = new Set(inFlight(before).map((e) => e.id))
  return inFlight(after).filter((e) => wasInFlight.has(e.id))
}

const REVISION_TYPE: Record<string, 'COMMIT_ID' | 'S3_OBJECT_VERSION_ID' | 'IMAGE_DIGEST'> = {
  GitHub: 'COMMIT_ID',
  CodeCommit: 'COMMIT_ID',
  CodeStarSourceConnection: 'COMMIT_ID',
  S3: 'S3_OBJECT_VERSION_ID',
  ECR: 'IMAGE_DIGEST'
}

/** The source revisions a V2 restart pins: each source action's revision in the stopped run. */
export function revisionOverrides(
  pipeline: JsonObject,
  run: Execution
): NonNullable<StartRequest['sourceRevisions']> {
  const providers = new Map(sourceActions(pipeline).map((a) => [a.name, a.provider]))
  return run.sourceRevisions.flatMap(({ actionName, revisionId }) => {
    const revisionType = REVISION_TYPE[providers.get(actionName) ?? '']
    return revisionType ? [{ actionName, revisionType, revisionValue: revisionId }] : []
  })
}

export interface Restart {
  /** The run the write stopped (undefined: one restart for several, V1). */
  stopped: string[]
  /** The run started again, when StartPipelineExecution answered. */
  started?: string
  /** What it runs: the stopped run's revisions and variables, or the latest. */
  revisions: 'same' | 'latest'
  note?: string
  error?: string
}

// StartPipelineExecution's answers when an override cannot apply (a source
// action type without revision overrides, a variable the pipeline lacks).
const OVERRIDE_REFUSED = new Set(['ValidationException', 'InvalidParameterException'])

/**
 * Starts the stopped runs again, oldest first. A V2 pipeline runs each one
 * again with the same source revisions and variables (StartPipelineExecution
 * `sourceRevisions` and `variables`, V2 only), so what was being deployed is
 * deployed; if AWS refuses the overrides, the run starts on the latest
 * revisions instead, and the report says so. A V1 pipeline has neither
 * option: one run starts on the latest revisions.
 */
export async function restartRuns(
  api: PipelineApi,
  name: string,
  pipeline: JsonObject,
  stopped: Execution[]
): Promise<Restart[]> {
  const ordered = [...stopped].sort(
    (a, b) => (a.startTime?.getTime() ?? 0) - (b.startTime?.getTime() ?? 0)
  )
  if (pipelineType(pipeline) !== 'V2') {
    return [
      await startOnce(
        api,
        name,
        {},
        ordered.map((e) => e.id),
        'latest'
      )
    ]
  }
  const restarts: Restart[] = []
  for (const run of ordered) {
    const request: StartRequest = {}
    const sourceRevisions = revisionOverrides(pipeline, run)
    if (sourceRevisions.length > 0) request.sourceRevisions = sourceRevisions
    try {
      const variables = (await api.executionVariables(name, run.id)).filter((v) => v.value !== '')
      if (variables.length > 0) request.variables = variables
    } catch {
      // Without its variables the run still starts with the pipeline's defaults.
    }
    restarts.push(await startOnce(api, name, request, [run.id], 'same'))
  }
  return restarts
}

async function startOnce(
  api: PipelineApi,
  name: string,
  request: StartRequest,
  stopped: string[],
  revisions: Restart['revisions']
): Promise<Restart> {
  try {
    return { stopped, started: await api.startExecution(name, request), revisions }
  } catch (error) {
    if (revisions === 'same' && OVERRIDE_REFUSED.has(errorName(error))) {
      const retry = await startOnce(api, name, {}, stopped, 'latest')
      return {
        ...retry,
        note: `AWS refused to run the same revisions again (${describeAwsError(error, 'codepipeline:StartPipelineExecution')}), so it runs the latest`
      }
    }
    return {
      stopped,
      revisions,
      error: `${describeAwsError(error, 'codepipeline:StartPipelineExecution')} — start the pipeline by hand (Release change) to run it again`
    }
  }
}

/** How long a run has been going, for the report ("12 min"). */
export function runningFor(run: Execution, now: number): string {
  if (!run.startTime) return 'for an unknown time'
  const seconds = Math.max(0, Math.round((now - run.startTime.getTime()) / 1000))
  if (seconds < 120) return `for ${seconds} s`
  const minutes = Math.round(seconds / 60)
  return minutes < 120 ? `for ${minutes} min` : `for ${Math.round(minutes / 60)} h`
}

/** The next wait between checks of a busy pipeline: 5 s, growing to 60 s, with jitter. */
export function nextDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(60_000, 5_000 * 1.5 ** attempt)
  return Math.round(base * (0.8 + 0.4 * random()))
}
