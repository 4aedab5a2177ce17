/**
 * The migration's write, for one pipeline that passed every check (issue 19):
 * a fresh read right before the write, rewritten (it must move the same
 * actions the plan showed), framed by its webhooks — deregistered from GitHub
 * before UpdatePipeline, deleted after it, registered again when it fails —
 * then read back and verified: the version up by one, the new actions as
 * planned, nothing else changed, the webhooks gone.
 *
 * Called from the rotation's write (apply.ts) once its look at runs in flight
 * allows the write, inside the same slot: the in-progress rules are the
 * rotation's.
 */
import { describeAwsError } from '../../../aws/errors.js'
import { messageOf } from '../../../core/errors.js'
import type { PipelineApi } from '../api.js'
import { versionOf } from '../pipeline-json.js'
import type { Clock, PipelineResult, PipelineTarget } from '../types.js'
import { describeMigratedAction } from './render.js'
import { rewritePipeline, type Rewrite } from './rewrite.js'
import { verifyMigration } from './verify.js'
import { writeWithWebhooks } from './webhooks.js'

/** The Date header has whole seconds. */
const DATE_RESOLUTION_MS = 1_000

/** When the write was being answered (see apply.ts's Step). */
export interface WriteWindow {
  from: number
  to: number
}

function failed(result: PipelineResult, error: string): undefined {
  result.status = 'failed'
  result.error = error
  return undefined
}

const described = (rewrite: Rewrite) => rewrite.actions.map(describeMigratedAction)

/**
 * Migrates `target` as `plan` (its migration) says. Returns when the write
 * was answered, or undefined when nothing was written; `target.result` says
 * what happened either way.
 */
export async function writeMigration(
  target: PipelineTarget,
  plan: NonNullable<PipelineTarget['migration']>,
  api: PipelineApi,
  clock: Clock
): Promise<WriteWindow | undefined> {
  const { result } = target

  // The pipeline as it is now: another actor may have changed it since the plan.
  let fresh
  try {
    fresh = await api.getPipeline(target.name)
  } catch (error) {
    return failed(
      result,
      `${describeAwsError(error, 'codepipeline:GetPipeline')} — the pipeline could not be read again right before the write, so nothing was written`
    )
  }
  let rewrite: Rewrite
  try {
    rewrite = rewritePipeline(fresh.pipeline, plan.connectionArn, plan.webhooks)
  } catch (error) {
    // A PipelineShapeError: the pipeline changed since the plan into one that cannot move.
    return failed(result, `${messageOf(error)} (it changed since the plan); nothing was written`)
  }
  const planned = described(plan.rewrite)
  const now = described(rewrite)
  if (now.join('\n') !== planned.join('\n')) {
    return failed(
      result,
      `its GitHub (version 1) source actions changed between the plan and the write (planned: ${planned.join('; ')}; now: ${now.join('; ') || 'none'}): nothing was written — re-run to plan again`
    )
  }
  const version = versionOf(fresh.pipeline)
  if (version === undefined) delete result.versionBefore
  else result.versionBefore = version

  let sent = 0
  const framed = await writeWithWebhooks(
    plan.webhookApi,
    plan.webhooks.map((w) => w.name),
    async () => {
      sent = clock.now()
      const update = await api.updatePipeline(rewrite.pipeline)
      return { written: true, value: update }
    }
  )
  const notes = framed.notes
  if (!framed.outcome) {
    const why =
      framed.error === undefined
        ? ''
        : `${describeAwsError(framed.error, 'codepipeline:UpdatePipeline')}: the pipeline was not changed`
    return failed(result, [why, ...framed.problems, ...notes].filter(Boolean).join('; '))
  }
  const update = framed.outcome.value
  const took = clock.now() - sent
  const to = update.answeredAt ? update.answeredAt.getTime() + DATE_RESOLUTION_MS : clock.now()
  const window = { from: to - took - DATE_RESOLUTION_MS, to }
  if (update.version !== undefined) result.versionAfter = update.version

  // Read back: the version up by one, the new actions as planned, nothing else changed.
  const problems = [...framed.problems]
  try {
    const back = await api.getPipeline(target.name)
    const check = verifyMigration(rewrite.pipeline, back.pipeline, rewrite.actions, update.attempts)
    if (check.versionAfter !== undefined) result.versionAfter = check.versionAfter
    problems.push(...check.problems)
  } catch (error) {
    problems.push(
      `it could not be read back to verify it (${describeAwsError(error, 'codepipeline:GetPipeline')}) — check the pipeline`
    )
  }
  // And the webhooks gone.
  if (plan.webhooks.length > 0) {
    try {
      const names = new Set(plan.webhooks.map((w) => w.name))
      const left = (await plan.webhookApi.listWebhooks()).filter((w) => names.has(w.name))
      if (left.length > 0 && framed.deleted.length === plan.webhooks.length) {
        problems.push(
          `webhook(s) ${left.map((w) => w.name).join(', ')} still listed after DeleteWebhook — delete them with aws codepipeline delete-webhook`
        )
      }
    } catch (error) {
      problems.push(
        `whether its webhooks are gone could not be checked (${describeAwsError(error, 'codepipeline:ListWebhooks')})`
      )
    }
  }
  result.note = [result.note, ...notes].filter(Boolean).join('; ')
  if (problems.length > 0) {
    failed(
      result,
      `moved to the connection (the pipeline no longer holds a token), but ${problems.join('; ')}`
    )
    return window
  }
  result.status = 'migrated'
  // The plan's "moves to …", now done.
  result.note = result.note.replace(/^moves to /, 'moved to ')
  return window
}
