/**
 * What a stack-owned pipeline gets instead of a migration in place (the next
 * stack update would put GitHub version 1 back): the change to make in the
 * stack's template. AWS::CodePipeline::Pipeline's ActionDeclaration names
 * the members ActionTypeId (Category, Owner, Provider, Version) and
 * Configuration; the webhook is an AWS::CodePipeline::Webhook with
 * TargetPipeline and TargetAction.
 */
import { dump } from 'js-yaml'
import type { Webhook } from '../api.js'
import type { MigratedAction } from './rewrite.js'

export interface TemplateChange {
  stack: string
  /** The pipeline's logical ID in the template, when its tags say it. */
  logicalId: string | undefined
  pipeline: string
  actions: {
    /** Where the action is: Stages → Name → Actions → Name. */
    stage: string
    action: string
    ActionTypeId: { Category: string; Owner: string; Provider: string; Version: string }
    Configuration: Record<string, string>
  }[]
  /** AWS::CodePipeline::Webhook resources to remove (by the webhook's name and target). */
  removeWebhooks: { name: string; targetAction: string }[]
}

const text = (value: unknown) => String(value)

/** The template change for a stack-owned pipeline whose `actions` would move. */
export function templateChange(
  stack: string,
  logicalId: string | undefined,
  pipeline: string,
  actions: readonly MigratedAction[],
  webhooks: readonly Webhook[]
): TemplateChange {
  return {
    stack,
    logicalId,
    pipeline,
    actions: actions.map((a) => ({
      stage: a.stage,
      action: a.action,
      ActionTypeId: {
        Category: text(a.actionTypeId['category']),
        Owner: text(a.actionTypeId['owner']),
        Provider: text(a.actionTypeId['provider']),
        Version: text(a.actionTypeId['version'])
      },
      Configuration: Object.fromEntries(
        Object.entries(a.configuration).map(([key, value]) => [key, text(value)])
      )
    })),
    removeWebhooks: webhooks.map((w) => ({ name: w.name, targetAction: w.targetAction }))
  }
}

const where = (change: TemplateChange) =>
  `stack ${change.stack}${change.logicalId ? `, resource ${change.logicalId}` : ''}`

/** The change on one line (a report note or a summary cell). */
export function describeTemplateChange(change: TemplateChange): string {
  const actions = change.actions.map(
    (a) =>
      `in Stages ${a.stage} → Actions ${a.action} set ActionTypeId ${dump(a.ActionTypeId, { flowLevel: 0, quotingType: '"' }).trim()} and Configuration ${dump(a.Configuration, { flowLevel: 0, lineWidth: -1, quotingType: '"' }).trim()} (OAuthToken and PollForSourceChanges go)`
  )
  const webhooks = change.removeWebhooks.map(
    (w) => `remove the AWS::CodePipeline::Webhook ${w.name} (TargetAction ${w.targetAction})`
  )
  return `not migrated in place — ${where(change)} would put GitHub version 1 back on its next update; change the template: ${[...actions, ...webhooks].join('; ')}`
}

/** The change as YAML lines, one per line (the log). */
export function templateChangeLines(change: TemplateChange): string[] {
  const lines = [`# ${where(change)}: pipeline ${change.pipeline}`]
  for (const a of change.actions) {
    lines.push(
      `# Stages → ${a.stage} → Actions → ${a.action}: replace ActionTypeId and Configuration`
    )
    const yaml = dump(
      { Name: a.action, ActionTypeId: a.ActionTypeId, Configuration: a.Configuration },
      { lineWidth: -1, quotingType: '"', forceQuotes: false }
    )
    lines.push(...yaml.trimEnd().split('\n'))
  }
  for (const w of change.removeWebhooks) {
    lines.push(
      `# remove the AWS::CodePipeline::Webhook resource of webhook ${w.name} (TargetPipeline ${change.pipeline}, TargetAction ${w.targetAction})`
    )
  }
  return lines
}
