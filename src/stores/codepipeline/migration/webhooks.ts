/**
 * The GitHub (version 1) webhooks of a migrated action, and the write they
 * frame. DeregisterWebhookWithThirdParty is "Currently supported only for
 * webhooks that target an action type of GitHub" (CodePipeline API
 * reference), so the webhook leaves GitHub before UpdatePipeline replaces the
 * action, and is deleted after it; if the update does not happen, it is
 * registered again, so nothing is left half-done.
 */
import { describeAwsError } from '../../../aws/errors.js'
import type { PipelineWebhookApi, Webhook } from '../api.js'

/** The webhooks whose definition targets `pipeline` and one of `actions` (action names). */
export function webhooksFor(
  all: readonly Webhook[],
  pipeline: string,
  actions: readonly string[]
): Webhook[] {
  return all.filter((w) => w.targetPipeline === pipeline && actions.includes(w.targetAction))
}

/** What the write callback says it did. */
export interface WriteOutcome<T> {
  /** UpdatePipeline landed (even if what it answered then failed a check). */
  written: boolean
  value: T
}

/** What happened around the write, for the report. */
export interface FramedWrite<T> {
  /** The callback's outcome; undefined when it was not called or threw. */
  outcome: WriteOutcome<T> | undefined
  /** What the callback threw. */
  error?: unknown
  deregistered: string[]
  registeredAgain: string[]
  deleted: string[]
  /**
   * Sentences for the report: a webhook that could not be deregistered (so
   * nothing was written), registered again, or deleted.
   */
  problems: string[]
  /** Sentences for the report's note: what was done to the webhooks. */
  notes: string[]
}

type Calls = Pick<PipelineWebhookApi, 'deregisterWebhook' | 'registerWebhook' | 'deleteWebhook'>

async function registerAgain(
  api: Calls,
  names: string[],
  result: FramedWrite<unknown>
): Promise<void> {
  for (const name of names) {
    try {
      await api.registerWebhook(name)
      result.registeredAgain.push(name)
    } catch (error) {
      result.problems.push(
        `webhook ${name} was deregistered from GitHub and could not be registered again (${describeAwsError(error, 'codepipeline:RegisterWebhookWithThirdParty')}): pushes no longer start the pipeline — run aws codepipeline register-webhook-with-third-party --webhook-name ${name}`
      )
    }
  }
  if (result.registeredAgain.length > 0) {
    result.notes.push(
      `webhook(s) ${result.registeredAgain.join(', ')} registered with GitHub again, as before`
    )
  }
}

/**
 * Deregisters `webhooks` from GitHub, calls `write` (UpdatePipeline), then
 * deletes them; when a deregistration fails nothing is written, and when the
 * write fails (throws, or says it did not write) they are registered again.
 * Never throws: what the callback threw is in `error`.
 */
export async function writeWithWebhooks<T>(
  api: Calls,
  webhooks: readonly string[],
  write: () => Promise<WriteOutcome<T>>
): Promise<FramedWrite<T>> {
  const result: FramedWrite<T> = {
    outcome: undefined,
    deregistered: [],
    registeredAgain: [],
    deleted: [],
    problems: [],
    notes: []
  }
  for (const name of webhooks) {
    try {
      await api.deregisterWebhook(name)
      result.deregistered.push(name)
    } catch (error) {
      result.problems.push(
        `webhook ${name} could not be deregistered from GitHub (${describeAwsError(error, 'codepipeline:DeregisterWebhookWithThirdParty')}), and it cannot be once the action is replaced: the pipeline was not written`
      )
      await registerAgain(api, result.deregistered, result)
      return result
    }
  }
  try {
    result.outcome = await write()
  } catch (error) {
    result.error = error
  }
  if (!result.outcome?.written) {
    await registerAgain(api, result.deregistered, result)
    return result
  }
  for (const name of result.deregistered) {
    try {
      await api.deleteWebhook(name)
      result.deleted.push(name)
    } catch (error) {
      result.problems.push(
        `webhook ${name} was deregistered from GitHub but could not be deleted (${describeAwsError(error, 'codepipeline:DeleteWebhook')}): it starts nothing now — delete it with aws codepipeline delete-webhook --name ${name}`
      )
    }
  }
  if (result.deleted.length > 0) {
    result.notes.push(`webhook(s) ${result.deleted.join(', ')} deregistered and deleted`)
  }
  return result
}
