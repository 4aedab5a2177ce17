/**
 * Writing one pipeline: look for runs in flight right before the write,
 * wait for them, skip the pipeline or write anyway (in-progress), send the
 * pipeline back exactly as GetPipeline returned it with the new OAuthToken,
 * check the version went up by one; then, outside the concurrency slot, look
 * whether the write stopped a run and start it again.
 */
import { describeAwsError } from '../../aws/errors.js'
import type { Limit } from '../../core/limit.js'
import type { Secret } from '../../core/secret.js'
import type { InProgressSettings } from '../../inputs/types.js'
import type { Execution, PipelineApi } from './api.js'
import {
  nextDelay,
  restartRuns,
  runningFor,
  runsInFlight,
  stillStopping,
  stoppedBy,
  type Restart
} from './executions.js'
import { writeMigration } from './migration/write.js'
import { PipelineShapeError, executionMode, withGitHubToken } from './pipeline-json.js'
import type { Clock, PipelineResult, PipelineTarget } from './types.js'

export interface WriteContext {
  api: PipelineApi
  /** The slots writes take (max-concurrency). */
  limit: Limit
  /** The slots the looks after a write take, so they never hold back a write. */
  followUps: Limit
  token: Secret
  inProgress: InProgressSettings
  clock: Clock
  /**
   * A look of the plan younger than this counts as "right before" the
   * write; an older one is taken again. A run that starts in between is
   * stopped by the write and started again by the look after it.
   */
  freshMs: number
}

/** How often, and how far apart, to look again at runs AWS is still stopping. */
const SETTLE_CHECKS = 3
const SETTLE_DELAY_MS = 2_000
/** The Date header has whole seconds. */
const DATE_RESOLUTION_MS = 1_000

export type Step =
  | { kind: 'busy'; busy: Execution[] }
  | {
      kind: 'written'
      /** The runs in flight when it was written (in-progress: proceed). */
      busy: Execution[]
      /** When the write was being answered, on AWS's clock where it said. */
      window: { from: number; to: number }
    }
  | { kind: 'failed' }

/**
 * UpdatePipeline raises the version by exactly one. More than that means
 * another write landed between our read and our write — unless the SDK
 * itself retried an attempt that had already landed (e.g. a timed-out
 * response), which we can tell from the attempt count.
 */
export function verifyVersion(
  result: PipelineResult,
  after: number | undefined,
  attempts: number
): void {
  const before = result.versionBefore
  if (after !== undefined) result.versionAfter = after
  if (before === undefined || after === undefined) {
    result.status = 'failed'
    result.error = `UpdatePipeline answered, but the version could not be compared (before: ${before ?? 'unknown'}, after: ${after ?? 'unknown'}): check the pipeline and re-run`
    return
  }
  const delta = after - before
  if (delta === 1) {
    result.status = 'updated'
  } else if (delta > 1 && delta <= attempts) {
    result.status = 'updated'
    addNote(
      result,
      `the SDK retried UpdatePipeline (${attempts} attempts); the version went from ${before} to ${after}`
    )
  } else {
    result.status = 'failed'
    result.error = `the token was written, but the version went from ${before} to ${after} instead of ${before + 1}: another change to this pipeline landed at the same time and may have been overwritten — review the pipeline's history, then re-run`
  }
}

function addNote(result: PipelineResult, note: string): void {
  result.note = result.note ? `${result.note}; ${note}` : note
}

function fail(result: PipelineResult, error: string): Step {
  result.status = 'failed'
  result.error = error
  return { kind: 'failed' }
}

/**
 * One attempt, inside a slot: look for runs (or take the plan's look, if
 * fresh) and, unless one is in flight (and in-progress is not proceed), write.
 */
export async function attempt(
  target: PipelineTarget,
  ctx: WriteContext,
  reusePlanCheck: boolean
): Promise<Step> {
  const { result } = target
  let busy: Execution[]
  const planned = target.check
  if (reusePlanCheck && planned && ctx.clock.now() - planned.at <= ctx.freshMs) {
    busy = planned.runs
  } else {
    try {
      busy = await runsInFlight(ctx.api, target.name, executionMode(target.pipeline))
    } catch (error) {
      return fail(result, error instanceof Error ? error.message : String(error))
    }
  }
  if (busy.length > 0 && ctx.inProgress.mode !== 'proceed') return { kind: 'busy', busy }
  // connection-arn: the action moves to the connection instead (issue 19).
  if (target.migration) {
    const window = await writeMigration(target, target.migration, ctx.api, ctx.clock)
    return window ? { kind: 'written', busy, window } : { kind: 'failed' }
  }

  let body
  try {
    body = withGitHubToken(target.pipeline, ctx.token.reveal())
  } catch (error) {
    return fail(result, error instanceof PipelineShapeError ? error.message : String(error))
  }
  const sent = ctx.clock.now()
  try {
    const update = await ctx.api.updatePipeline(body)
    const took = ctx.clock.now() - sent
    verifyVersion(result, update.version, update.attempts)
    const to = update.answeredAt
      ? update.answeredAt.getTime() + DATE_RESOLUTION_MS
      : ctx.clock.now()
    return { kind: 'written', busy, window: { from: to - took - DATE_RESOLUTION_MS, to } }
  } catch (error) {
    return fail(result, describeAwsError(error, 'codepipeline:UpdatePipeline'))
  }
}

/** After the write: which runs it stopped (waiting a little for AWS to mark them). */
async function runsStopped(
  target: PipelineTarget,
  ctx: WriteContext,
  step: Extract<Step, { kind: 'written' }>
): Promise<Execution[]> {
  let after = await ctx.api.listExecutions(target.name)
  for (let i = 0; i < SETTLE_CHECKS && stillStopping(step.busy, after).length > 0; i++) {
    await ctx.clock.sleep(SETTLE_DELAY_MS)
    after = await ctx.api.listExecutions(target.name)
  }
  return stoppedBy(after, step.window, step.busy)
}

/** Outside the write's slot: the runs the write stopped, started again. */
async function followUp(
  target: PipelineTarget,
  ctx: WriteContext,
  step: Extract<Step, { kind: 'written' }>
): Promise<Restart[] | undefined> {
  return ctx.followUps(async () => {
    let stopped: Execution[]
    try {
      stopped = await runsStopped(target, ctx, step)
    } catch (error) {
      addNote(
        target.result,
        `written, but whether it stopped a run could not be checked: ${describeAwsError(error, 'codepipeline:ListPipelineExecutions')} — look at the pipeline's history and start it again if a run was cancelled`
      )
      return undefined
    }
    return stopped.length > 0 ? restartRuns(ctx.api, target.name, target.pipeline, stopped) : []
  })
}

/**
 * Oldest run first. ListPipelineExecutions lists newest first, so runs started in the
 * same millisecond (the SDK reads startTime to the millisecond) keep that order reversed.
 */
const oldestFirst = (runs: Execution[]) =>
  [...runs].reverse().sort((a, b) => (a.startTime?.getTime() ?? 0) - (b.startTime?.getTime() ?? 0))

function describeBusy(runs: Execution[], now: number): string {
  return oldestFirst(runs)
    .map((run) => `${run.id} (${run.status} ${runningFor(run, now)})`)
    .join(', ')
}

/** Writes one target, around its runs in flight as `in-progress` says. */
export async function rotateTarget(target: PipelineTarget, ctx: WriteContext): Promise<void> {
  const { result } = target
  const { mode, timeoutMinutes } = ctx.inProgress
  const timeoutMs = timeoutMinutes * 60_000
  let busySince: number | undefined
  let firstBusy: Execution[] = []
  let step: Step | undefined
  for (let n = 0; ; n++) {
    // The look and the write share one slot; the waits between hold none.
    step ??= await ctx.limit(() => attempt(target, ctx, n === 0))
    if (step.kind === 'failed') return
    if (step.kind === 'written') {
      const written = step
      const waited = busySince === undefined ? 0 : Math.round((ctx.clock.now() - busySince) / 1000)
      // Even when the version check failed, the write landed and stopped any run in flight.
      const restarts = await followUp(target, ctx, written)
      finishRuns(result, written, restarts ?? [], restarts !== undefined, firstBusy, waited)
      return
    }
    const now = ctx.clock.now()
    if (busySince === undefined) {
      busySince = target.check && target.check.runs.length > 0 ? target.check.at : now
      firstBusy = oldestFirst(step.busy)
    }
    const ids = oldestFirst(step.busy).map((e) => e.id)
    if (mode === 'skip') {
      result.status = 'skipped'
      result.runs = { outcome: 'skipped', executions: ids }
      addNote(
        result,
        `not written: ${describeBusy(step.busy, now)} was running (in-progress: skip); a later run rotates it`
      )
      return
    }
    const waited = now - busySince
    if (waited >= timeoutMs) {
      result.status = 'failed'
      result.runs = {
        outcome: 'timed-out',
        executions: ids,
        waitedSeconds: Math.round(waited / 1000)
      }
      result.error =
        timeoutMs === 0
          ? `not written: ${describeBusy(step.busy, now)} is in flight and in-progress-timeout is 0 — re-run once it ends, or use in-progress: proceed to stop it and start it again`
          : `not written: ${describeBusy(step.busy, now)} was still in flight after ${timeoutMinutes} min (in-progress-timeout) — re-run once it ends, raise in-progress-timeout, or use in-progress: proceed`
      return
    }
    await ctx.clock.sleep(Math.min(nextDelay(n), timeoutMs - waited))
    step = undefined
  }
}

function finishRuns(
  result: PipelineResult,
  step: Extract<Step, { kind: 'written' }>,
  restarts: Restart[],
  /** Whether the look after the write was made. */
  looked: boolean,
  firstBusy: Execution[],
  waitedSeconds: number
): void {
  const busy = firstBusy.length > 0 ? firstBusy : oldestFirst(step.busy)
  const executions = busy.map((e) => e.id)
  if (restarts.length > 0) {
    result.runs = { outcome: 'restarted', executions, restarts }
    const failedRestarts = restarts.filter((r) => r.error)
    if (
      failedRestarts.length > 0 &&
      (result.status === 'updated' || result.status === 'migrated')
    ) {
      result.status = 'failed'
      result.error = `the token was written, but the write stopped ${failedRestarts.flatMap((r) => r.stopped).join(', ')} and it could not be started again: ${failedRestarts.map((r) => r.error).join('; ')}`
    }
  } else if (step.busy.length > 0) {
    // proceed, yet AWS did not report the runs stopped within the settle time.
    result.runs = { outcome: 'restarted', executions, restarts: [] }
    if (looked) {
      addNote(
        result,
        `written while ${executions.join(', ')} ran; AWS had not marked it stopped, so it was not started again — look at the pipeline's history`
      )
    }
  } else if (busy.length > 0) {
    result.runs = { outcome: 'waited', executions, waitedSeconds }
  } else {
    result.runs = { outcome: 'idle', executions: [] }
  }
}
