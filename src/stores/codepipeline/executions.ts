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
import type { Execution, PipelineApi, PipelineState, StageRun, StartRequest } from './api.js'
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
  state?: Promise<PipelineState>
): Promise<Execution[]> {
  if (mode !== 'PARALLEL') {
    let answer
    try {
      answer = await (state ?? api.pipelineState(name))
    } catch (error) {
      throw new LookFailed('codepipeline:GetPipelineState', error)
    }
    if (!stateShowsRuns(answer.stages)) return []
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

/**
 * The runs a write stopped, by proof rather than by time: a run that was
 * InProgress in the look made right before the write (a Stopping one is
 * someone else's stop) and is Cancelled after it — only UpdatePipeline
 * cancels ("Cancelled: The pipeline's definition was updated before the
 * pipeline execution could be completed"; a StopPipelineExecution ends it
 * Stopped). A run Cancelled at any other time, or Stopped, is not ours.
 */
export function stoppedBy(
  after: Execution[],
  /** The runs in flight in the look right before the write. */
  inFlightBefore: Execution[]
): Execution[] {
  const seen = new Set(inFlightBefore.filter((e) => e.status === 'InProgress').map((e) => e.id))
  return after.filter((e) => e.status === 'Cancelled' && seen.has(e.id))
}

/**
 * Cancelled runs the look before the write did not see (started in between),
 * newest first, at most `max`: candidates only. Each is ours only if it ran
 * on the very version the write replaced (see apply.ts).
 */
export function unseenCancelled(
  after: Execution[],
  inFlightBefore: Execution[],
  lookedAt: number,
  max = 5
): Execution[] {
  const seen = new Set(inFlightBefore.map((e) => e.id))
  return after
    .filter(
      (e) =>
        e.status === 'Cancelled' &&
        !seen.has(e.id) &&
        // Started after the look (AWS's clock may be a little off ours):
        // a run already in flight at the look would have been seen.
        (e.startTime?.getTime() ?? 0) >= lookedAt - CLOCK_SLACK_MS
    )
    .slice(0, max)
}

/** How far AWS's clock may be from ours. */
const CLOCK_SLACK_MS = 5_000

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

const HAND_START = 'start the pipeline by hand (Release change) to run it again'

function declaresVariables(pipeline: JsonObject): boolean {
  const variables = pipeline['variables']
  return Array.isArray(variables) && variables.length > 0
}

const named = (variables: { name: string; value: string }[]) =>
  variables.map((v) => `${v.name}=${JSON.stringify(v.value)}`).join(', ')

/**
 * Starts the stopped runs again, oldest first. A V2 pipeline runs each one
 * again with the same source revisions and variables (StartPipelineExecution
 * `sourceRevisions` and `variables`, V2 only), so what was being deployed is
 * deployed. If AWS refuses the revisions, the run starts on the latest
 * revisions with the same variables, and the report says so; a run whose
 * variables cannot be kept (refused, or not readable) is not started with
 * other values: it is reported stopped, naming the variables to start it
 * with. A V1 pipeline has neither option: one run starts on the latest
 * revisions.
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
  const ids = ordered.map((e) => e.id)
  if (pipelineType(pipeline) !== 'V2') {
    try {
      return [{ stopped: ids, started: await api.startExecution(name, {}), revisions: 'latest' }]
    } catch (error) {
      return [{ stopped: ids, revisions: 'latest', error: startFailed(error) }]
    }
  }
  const restarts: Restart[] = []
  for (const run of ordered) restarts.push(await restartOne(api, name, pipeline, run))
  return restarts
}

function startFailed(error: unknown): string {
  return `${describeAwsError(error, 'codepipeline:StartPipelineExecution')} — ${HAND_START}`
}

async function restartOne(
  api: PipelineApi,
  name: string,
  pipeline: JsonObject,
  run: Execution
): Promise<Restart> {
  const stopped = [run.id]
  const request: StartRequest = {}
  const sourceRevisions = revisionOverrides(pipeline, run)
  if (sourceRevisions.length > 0) request.sourceRevisions = sourceRevisions
  let variables: { name: string; value: string }[]
  try {
    variables = (await api.executionVariables(name, run.id)).filter((v) => v.value !== '')
  } catch (error) {
    if (declaresVariables(pipeline)) {
      return {
        stopped,
        revisions: 'same',
        error: `not started again: its variables could not be read (${describeAwsError(error, 'codepipeline:GetPipelineExecution')}), and a run with other values is not what was stopped — look them up in the pipeline's history of ${run.id}, then ${HAND_START} with them`
      }
    }
    variables = []
  }
  if (variables.length > 0) request.variables = variables
  try {
    return { stopped, started: await api.startExecution(name, request), revisions: 'same' }
  } catch (error) {
    if (!OVERRIDE_REFUSED.has(errorName(error))) {
      return { stopped, revisions: 'same', error: startFailed(error) }
    }
    return retryWithout(api, name, request, stopped, error)
  }
}

/**
 * AWS refused the overrides: drop only the source revisions (never the
 * variables) and try once more; if the variables themselves are what it
 * refuses, the run is not started with other values.
 */
async function retryWithout(
  api: PipelineApi,
  name: string,
  request: StartRequest,
  stopped: string[],
  refusal: unknown
): Promise<Restart> {
  let refused = describeAwsError(refusal, 'codepipeline:StartPipelineExecution')
  if (request.sourceRevisions) {
    const retry: StartRequest = request.variables ? { variables: request.variables } : {}
    try {
      return {
        stopped,
        started: await api.startExecution(name, retry),
        revisions: 'latest',
        note: `AWS refused to run the same revisions again (${refused}), so it runs the latest${request.variables ? ', with the same variables' : ''}`
      }
    } catch (error) {
      if (!request.variables || !OVERRIDE_REFUSED.has(errorName(error))) {
        return { stopped, revisions: 'latest', error: startFailed(error) }
      }
      refused = describeAwsError(error, 'codepipeline:StartPipelineExecution')
    }
  }
  const variables = request.variables
  if (!variables) return { stopped, revisions: 'same', error: startFailed(refusal) }
  return {
    stopped,
    revisions: 'same',
    error: `not started again: AWS refused its variables (${refused}), and a run with other values is not what was stopped — ${HAND_START} with ${named(variables)}`
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

/** A wait in words: "90 s", "2 min". */
export function describeSeconds(seconds: number): string {
  return seconds % 60 === 0 && seconds > 0 ? `${seconds / 60} min` : `${seconds} s`
}

/**
 * The next wait between checks of a busy pipeline: 5 s, growing to 60 s,
 * with jitter — and never more than a tenth of the time it may wait (at
 * least 1 s), so a short in-progress-timeout looks often enough to write
 * soon after a run ends.
 */
export function nextDelay(
  attempt: number,
  random: () => number = Math.random,
  timeoutMs = Infinity
): number {
  const base = Math.min(60_000, 5_000 * 1.5 ** attempt, Math.max(1_000, timeoutMs / 10))
  return Math.round(base * (0.8 + 0.4 * random()))
}
