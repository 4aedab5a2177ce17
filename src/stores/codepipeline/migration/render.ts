/**
 * How the migration is shown: what a planned (or done) migration changes, in
 * one line, and the "Moving off GitHub version 1" section every run ends its
 * summary with — how many pipelines still hold a token, and for each whether
 * it could move to a connection, or why not.
 */
import type { Section } from '../../../core/report.js'
import type { MigratedAction } from './rewrite.js'

/** The exact new action, on one line: what a dry run shows and the report keeps. */
export function describeMigratedAction(action: MigratedAction): string {
  const config = Object.entries(action.configuration)
    .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
    .join(', ')
  const why = action.polled
    ? 'version 1 polled'
    : action.webhooks.length > 0
      ? `webhook ${action.webhooks.join(', ')} started it`
      : 'version 1 neither polled nor had a webhook'
  const hooks =
    action.webhooks.length > 0
      ? `; webhook ${action.webhooks.join(', ')} deregistered from GitHub and deleted`
      : ''
  return `${action.stage}/${action.action} → CodeStarSourceConnection {${config}} (DetectChanges ${String(action.configuration['DetectChanges'])}: ${why})${hooks}`
}

/** Why a pipeline that holds a token could not move to a connection. */
export type Blocker =
  | { kind: 'stack'; stack: string }
  | { kind: 'region' }
  /** Anything else that stopped it (a check before the write, a failed write): said as is. */
  | { kind: 'other'; reason: string }

/** One pipeline with GitHub (version 1) sources, as the run found it. */
export interface Readiness {
  region: string
  pipeline: string
  /** Its GitHub (version 1) source actions, as Stage/Action. */
  actions: string[]
  /** Moved to the connection in this run: it no longer holds a token. */
  migrated?: boolean
  /** undefined: it could move (connection-arn would move it). */
  blocker?: Blocker
}

function couldMove(fact: Readiness): string {
  if (fact.migrated) return 'moved to the connection in this run: no token any more'
  const blocker = fact.blocker
  if (!blocker) return 'yes: set connection-arn to move it to a CodeConnections connection'
  switch (blocker.kind) {
    case 'stack':
      return `not in place: stack ${blocker.stack} owns it — change its template (a run with connection-arn shows the change)`
    case 'region':
      return `no: ${fact.region} has no CodeConnections`
    case 'other':
      return `not yet: ${blocker.reason}`
  }
}

/** How many pipelines still hold a GitHub token, in a few words (a headline). */
export function readinessHeadline(facts: readonly Readiness[]): string {
  const holding = facts.filter((f) => !f.migrated)
  const movable = holding.filter((f) => !f.blocker).length
  const moved = facts.length - holding.length
  const parts = [
    `${holding.length} pipeline(s) still hold a GitHub token`,
    ...(holding.length > 0 ? [`${movable} could move to a connection`] : []),
    ...(moved > 0 ? [`${moved} moved in this run`] : [])
  ]
  return parts.join(', ')
}

/**
 * The "Moving off GitHub version 1" section: one row per pipeline that held
 * a token when the run started, in the order given.
 */
export function readinessSection(facts: readonly Readiness[]): Section {
  return {
    title: `Moving off GitHub version 1 — ${readinessHeadline(facts)}`,
    headers: ['Region', 'Pipeline', 'GitHub (version 1) actions', 'Could it move?'],
    rows:
      facts.length > 0
        ? facts.map((f) => [f.region, f.pipeline, f.actions.join(', ') || '–', couldMove(f)])
        : [['–', '–', '–', 'no selected pipeline holds a GitHub token']]
  }
}
