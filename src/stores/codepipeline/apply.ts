/**
 * Writing one pipeline: look for runs in flight right before the write,
 * wait for them, skip the pipeline or write anyway (in-progress), send the
 * pipeline back exactly as GetPipeline returned it with the new OAuthToken,
 * check the version went up by one; then, outside the concurrency slot, look
 * whether the write stopped a run and start it again.
 */
import { describeAwsError } from '../../aws/errors.js'
import type { Limit } from '../../core/limit.js'
import type { SealedToken } from '../../core/sealed-token.js'
import type { InProgressSettings } from '../../inputs/types.js'
import type { Execution, PipelineApi } from './api.js'
import {
  describeSeconds,
  nextDelay,
  restartRuns,
  runningFor,
  runsInFlight,
  stillStopping,
  stoppedBy,
  unseenCancelled,
  type Restart
} from './executions.js'
import { writeMigration } from './migration/write.js'
import {
  PipelineShapeError,
  describeChanges,
  executionMode,
  findGitHubSourceActions,
  versionOf,
  withGitHubToken,
  type GitHubSourceAction,
  type JsonObject
} from './pipeline-json.js'
import type { Clock, PipelineResult, PipelineTarget } from './types.js'

export interface WriteContext {
  api: PipelineApi
  /** The slots writes take (max-concurrency). */
  limit: Limit
  /** The slots the looks after a write take, so they never hold back a write. */
  followUps: Limit
  /** The slots the looks right before a write take (then the write takes one of `limit`). */
  looks: Limit
  token: SealedToken
  inProgress: InProgressSettings
  clock: Clock
  /**
   * A look (and read) of the plan at most this old counts as "right before"
   * the write (a pipeline written as soon as it is read); an older one is
   * taken again: GetPipelineState, and GetPipeline when the plan's copy is
   * older than `copyFreshMs` or its version moved.
   */
  freshMs: number
  /** The plan's copy of the pipeline is written only while this young and its version unmoved. */
  copyFreshMs: number
  /**
   * Asks the token check about repositories a pipeline builds since another
   * change re-pointed it: the failures, [] when the token reaches them.
   * Absent: such a pipeline is not written.
   */
  recheck?: Recheck
}

/** Asks the token check about a pipeline's (newly built) repositories: the failures. */
export type Recheck = (target: {
  region: string
  name: string
  actions: GitHubSourceAction[]
}) => Promise<string[]>

/** How often, and how far apart, to look again at runs AWS is still stopping. */
const SETTLE_CHECKS = 3
const SETTLE_DELAY_MS = 2_000

export type Step =
  | { kind: 'busy'; busy: Execution[] }
  | {
      kind: 'written'
      /** The runs in flight in the look right before the write. */
      busy: Execution[]
      /** When that look was made (our clock). */
      lookedAt: number
      /** The version the write replaced. */
      replaced: number | undefined
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
    result.error = `the token was written, but the version went from ${before} to ${after} instead of ${before + 1}: another change to this pipeline landed in the instant between our last read and our write and may have been overwritten — review the pipeline's history, then re-run`
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

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

const repoKey = (a: GitHubSourceAction) => `${a.owner}/${a.repo}`.toLowerCase()

/**
 * The pipeline moved since the plan read it (another change landed): plan
 * it again on the fresh copy — its GitHub actions, and the token check for
 * any repository it builds now that the check did not see. Returns the
 * failure that keeps it unwritten, if any.
 */
async function replan(
  target: PipelineTarget,
  fresh: { pipeline: JsonObject; arn: string | undefined },
  ctx: WriteContext
): Promise<Step | undefined> {
  const { result } = target
  if (fresh.arn !== undefined && result.arn !== undefined && fresh.arn !== result.arn) {
    return fail(
      result,
      `not written: GetPipeline answered for ${fresh.arn}, not ${result.arn} as the plan read it — check AWS_ENDPOINT_URL and the regions input`
    )
  }
  const before = versionOf(target.pipeline)
  const after = versionOf(fresh.pipeline)
  if (after !== undefined && after === before) {
    target.pipeline = fresh.pipeline
    target.readAt = ctx.clock.now()
    return undefined
  }
  const changes = describeChanges(target.pipeline, fresh.pipeline)
  const moved = `the pipeline changed while the rotation ran (version ${before ?? 'unknown'} → ${after ?? 'unknown'}${changes.length > 0 ? `: ${changes.join(', ')}` : ''})`
  if (after === undefined) {
    return fail(result, `not written: ${moved}, and its version cannot be read — re-run`)
  }
  let actions: GitHubSourceAction[]
  try {
    actions = findGitHubSourceActions(fresh.pipeline)
  } catch (error) {
    return fail(result, `not written: ${moved}, and ${messageOf(error)}`)
  }
  const known = new Set(target.actions.map(repoKey))
  const added = actions.filter((a) => !known.has(repoKey(a)))
  const replanned: PipelineTarget = { ...target, pipeline: fresh.pipeline, actions }
  if (added.length > 0) {
    const repos = [...new Set(added.map((a) => `${a.owner}/${a.repo}`))].join(', ')
    const problems = ctx.recheck
      ? await ctx.recheck({ region: target.region, name: target.name, actions: added })
      : [`the token check was not asked about ${repos}`]
    if (problems.length > 0) {
      return fail(
        result,
        `not written: ${moved}; it now builds ${repos}, which the token cannot be shown to reach: ${problems.join('; ')}`
      )
    }
  }
  target.pipeline = replanned.pipeline
  target.readAt = ctx.clock.now()
  target.actions = actions
  result.versionBefore = after
  result.githubActions = actions.map((a) => `${a.stage}/${a.action}`)
  result.repositories = [...new Set(actions.map((a) => `${a.owner}/${a.repo}`))]
  if (actions.length === 0) {
    result.status = 'skipped'
    addNote(result, `not written: ${moved}, and it holds no GitHub (version 1) source action now`)
    return { kind: 'failed' }
  }
  addNote(
    result,
    `re-planned: ${moved}; the token was written into the pipeline as it is now, keeping that change`
  )
  return undefined
}

/**
 * Right before the write: the runs in flight (GetPipelineState, and
 * ListPipelineExecutions when it shows any) and the pipeline as it is now —
 * GetPipeline again, beside the look, when the plan's copy is older than a
 * moment, or after the look when its version moved. Returns the runs in
 * flight, or the step that ends the attempt.
 */
async function lookAndRead(target: PipelineTarget, ctx: WriteContext): Promise<Execution[] | Step> {
  const { result } = target
  const copyFresh =
    target.readAt !== undefined && ctx.clock.now() - target.readAt <= ctx.copyFreshMs
  const state = ctx.api.pipelineState(target.name)
  state.catch(() => undefined)
  let reread = copyFresh ? undefined : ctx.api.getPipeline(target.name)
  reread?.catch(() => undefined)
  const looked = await state.then(
    (s) => s,
    () => undefined
  )
  const mode = executionMode(target.pipeline)
  if (!looked && mode !== 'PARALLEL') {
    try {
      await runsInFlight(ctx.api, target.name, mode, state)
    } catch (error) {
      return fail(result, messageOf(error))
    }
  }
  const version = looked?.version
  if (!reread && version !== versionOf(target.pipeline)) reread = ctx.api.getPipeline(target.name)
  if (reread) {
    let fresh
    try {
      fresh = await reread
    } catch (error) {
      return fail(
        result,
        `not written: the pipeline could not be read again right before the write: ${describeAwsError(error, 'codepipeline:GetPipeline')}`
      )
    }
    const stop = await replan(target, fresh, ctx)
    if (stop) return stop
  }
  try {
    return await runsInFlight(ctx.api, target.name, executionMode(target.pipeline), state)
  } catch (error) {
    return fail(result, messageOf(error))
  }
}

/**
 * Other writes landed between our last look and our write (the version went
 * up by more than one): ours replaced the last of them, which holds every
 * change made before it (each write replaces the whole pipeline). GetPipeline
 * keeps every version, so that one is read back and written again with the
 * token — unless yet another write has landed since, which would then be
 * undone: then it stays failed, as verifyVersion said.
 */
async function restoreOverwritten(
  target: PipelineTarget,
  ctx: WriteContext,
  ours: number,
  replaced: number
): Promise<void> {
  const { result } = target
  const theirs = ours - 1
  const landed =
    theirs - 1 === replaced
      ? `another change (version ${theirs}`
      : `other changes (versions ${replaced + 1}–${theirs}`
  try {
    const [state, overwritten] = await Promise.all([
      ctx.api.pipelineState(target.name),
      ctx.api.getPipeline(target.name, theirs)
    ])
    if (state.version !== ours) return
    const changes = describeChanges(target.pipeline, overwritten.pipeline)
    const { version } = await ctx.api.updatePipeline(
      withGitHubToken({ ...overwritten.pipeline, version: ours }, ctx.token.reveal())
    )
    if (version !== ours + 1) return
    const known = new Set(target.actions.map(repoKey))
    target.pipeline = { ...overwritten.pipeline, version: ours }
    target.actions = findGitHubSourceActions(overwritten.pipeline)
    result.versionAfter = version
    const added = target.actions.filter((a) => !known.has(repoKey(a)))
    const problems =
      added.length === 0
        ? []
        : ctx.recheck
          ? await ctx.recheck({ region: target.region, name: target.name, actions: added })
          : ['the token check was not asked about them']
    if (problems.length > 0) {
      result.error = `${landed}) landed in the instant between our last read and our write; it was written again with the token (version ${version}) so it is kept, but it builds ${added.map((a) => `${a.owner}/${a.repo}`).join(', ')}, which the token cannot be shown to reach: ${problems.join('; ')}`
      return
    }
    result.status = 'updated'
    delete result.error
    addNote(
      result,
      `${landed}${changes.length > 0 ? `: ${changes.join(', ')}` : ''}) landed in the instant between our last read and our write, which replaced it: it was written again with the token (version ${version}), so it is kept`
    )
  } catch (error) {
    result.error = `${result.error ?? ''} (restoring version ${theirs} failed: ${messageOf(error)})`
  }
}

/**
 * One attempt, inside a slot: look for runs and read the pipeline again
 * (or take the plan's, if just made) and, unless a run is in flight (and
 * in-progress is not proceed), write the token into that copy.
 */
export async function attempt(
  target: PipelineTarget,
  ctx: WriteContext,
  reusePlanCheck: boolean,
  /** A look (and read) made just before the slot was taken, outside it. */
  ahead?: { busy: Execution[]; at: number }
): Promise<Step> {
  const { result } = target
  let busy: Execution[]
  const planned = target.runsSeen
  let lookedAt = ctx.clock.now()
  if (reusePlanCheck && planned && lookedAt - planned.at <= ctx.freshMs) {
    busy = planned.runs
  } else if (ahead && lookedAt - ahead.at <= ctx.freshMs) {
    busy = ahead.busy
    lookedAt = ahead.at
  } else {
    const looked = await lookAndRead(target, ctx)
    if (!Array.isArray(looked)) return looked
    busy = looked
  }
  if (busy.length > 0 && ctx.inProgress.mode !== 'proceed') return { kind: 'busy', busy }
  // connection-arn: the action moves to the connection instead (issue 19).
  if (target.migration) {
    const replacing = result.versionBefore
    const written = await writeMigration(target, target.migration, ctx.api, ctx.clock)
    return written ? { kind: 'written', busy, lookedAt, replaced: replacing } : { kind: 'failed' }
  }

  let body
  try {
    body = withGitHubToken(target.pipeline, ctx.token.reveal())
  } catch (error) {
    return fail(result, error instanceof PipelineShapeError ? error.message : String(error))
  }
  const replaced = result.versionBefore
  try {
    const update = await ctx.api.updatePipeline(body)
    verifyVersion(result, update.version, update.attempts)
    if (
      result.status === 'failed' &&
      replaced !== undefined &&
      update.version !== undefined &&
      update.version > replaced + 1
    ) {
      await restoreOverwritten(target, ctx, update.version, replaced)
    }
    return {
      kind: 'written',
      busy,
      lookedAt: planned && busy === planned.runs ? planned.at : lookedAt,
      replaced
    }
  } catch (error) {
    return fail(result, describeAwsError(error, 'codepipeline:UpdatePipeline'))
  }
}

interface Stopped {
  /** Runs the write stopped: started again. */
  ours: Execution[]
  /** Why some Cancelled runs are not started again, if any. */
  note?: string
}

/**
 * After the write: which runs it stopped (waiting a little for AWS to mark
 * them). A run in the look right before the write and Cancelled now is
 * ours. So is one started between that look and the write — it ran on the
 * very version the write replaced, and nothing else wrote the pipeline
 * (the version moved by exactly one): only UpdatePipeline cancels, and
 * every run in flight at another actor's update ran on an older version.
 */
async function runsStopped(
  target: PipelineTarget,
  ctx: WriteContext,
  step: Extract<Step, { kind: 'written' }>
): Promise<Stopped> {
  let after = await ctx.api.listExecutions(target.name)
  for (let i = 0; i < SETTLE_CHECKS && stillStopping(step.busy, after).length > 0; i++) {
    await ctx.clock.sleep(SETTLE_DELAY_MS)
    after = await ctx.api.listExecutions(target.name)
  }
  const { result } = target
  const seen = stoppedBy(after, step.busy)
  const alone =
    (result.status === 'updated' || result.status === 'migrated') &&
    step.replaced !== undefined &&
    result.versionAfter === step.replaced + 1
  if (!alone) {
    if (seen.length === 0) return { ours: [] }
    return {
      ours: [],
      note: `${seen.map((e) => e.id).join(', ')} ended Cancelled, but another change landed at the same time as the write, so whether the write stopped it is not known: it was not started again — start it by hand if it should run`
    }
  }
  const raced: Execution[] = []
  for (const run of unseenCancelled(after, step.busy, step.lookedAt)) {
    if ((await ctx.api.runVersion(target.name, run.id)) === step.replaced) raced.push(run)
  }
  return { ours: [...seen, ...raced] }
}

/** Outside the write's slot: the runs the write stopped, started again. */
async function followUp(
  target: PipelineTarget,
  ctx: WriteContext,
  step: Extract<Step, { kind: 'written' }>
): Promise<Restart[] | undefined> {
  return ctx.followUps(async () => {
    let stopped: Stopped
    try {
      stopped = await runsStopped(target, ctx, step)
    } catch (error) {
      addNote(
        target.result,
        `written, but whether it stopped a run could not be checked: ${describeAwsError(error, 'codepipeline:ListPipelineExecutions')} — look at the pipeline's history and start it again if a run was cancelled`
      )
      return undefined
    }
    if (stopped.note) addNote(target.result, stopped.note)
    return stopped.ours.length > 0
      ? restartRuns(ctx.api, target.name, target.pipeline, stopped.ours)
      : []
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

async function lookThenWrite(
  target: PipelineTarget,
  ctx: WriteContext,
  first: boolean
): Promise<Step> {
  const planned = target.runsSeen
  if (first && planned && ctx.clock.now() - planned.at <= ctx.freshMs) {
    return ctx.limit(() => attempt(target, ctx, true))
  }
  const at = ctx.clock.now()
  const looked = await ctx.looks(() => lookAndRead(target, ctx))
  if (!Array.isArray(looked)) return looked
  if (looked.length > 0 && ctx.inProgress.mode !== 'proceed') return { kind: 'busy', busy: looked }
  return ctx.limit(() => attempt(target, ctx, false, { busy: looked, at }))
}

/** Writes one target, around its runs in flight as `in-progress` says. */
export async function rotateTarget(target: PipelineTarget, ctx: WriteContext): Promise<void> {
  const { result } = target
  const { mode, timeoutSeconds } = ctx.inProgress
  const timeoutMs = timeoutSeconds * 1000
  let busySince: number | undefined
  let firstBusy: Execution[] = []
  let step: Step | undefined
  for (let n = 0; ; n++) {
    // The look is made in a slot of its own, right before the write's slot
    // is taken (a look that waited too long for it is made again inside it),
    // so a write slot holds one round trip; the waits between hold none.
    step ??= await lookThenWrite(target, ctx, n === 0)
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
      busySince = target.runsSeen && target.runsSeen.runs.length > 0 ? target.runsSeen.at : now
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
          : `not written: ${describeBusy(step.busy, now)} was still in flight after ${describeSeconds(timeoutSeconds)} (in-progress-timeout) — re-run once it ends, raise in-progress-timeout, or use in-progress: proceed`
      return
    }
    await ctx.clock.sleep(Math.min(nextDelay(n, Math.random, timeoutMs), timeoutMs - waited))
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
  // A run already Stopping at the look was being stopped by someone else: not ours to start.
  const theirs = oldestFirst(step.busy.filter((e) => e.status === 'Stopping')).map((e) => e.id)
  if (theirs.length > 0) {
    addNote(
      result,
      `written while ${theirs.join(', ')} was already being stopped by someone else (Stopping): not started again, as whoever stopped it chose`
    )
  }
  const running = oldestFirst(step.busy.filter((e) => e.status !== 'Stopping')).map((e) => e.id)
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
    if (looked && running.length > 0) {
      addNote(
        result,
        `written while ${running.join(', ')} ran; AWS had not marked it stopped, so it was not started again — look at the pipeline's history`
      )
    }
  } else if (busy.length > 0) {
    result.runs = { outcome: 'waited', executions, waitedSeconds }
  } else {
    result.runs = { outcome: 'idle', executions: [] }
  }
}
