/**
 * The migration's part of the plan (issue 19): once a region's pipelines are
 * read and their stack owners known, each target meets the checks
 * (checks.ts) and gets its verdict — to migrate (the exact new actions
 * shown), stack-owned (the template change shown instead), or refused (why,
 * and what to do). Nothing here writes.
 */
import type { Limit } from '../../../core/limit.js'
import type { ConnectionArn } from '../../../inputs/connection.js'
import type { PipelineResult, PipelineTarget } from '../types.js'
import { migrationChecks, type MigrationServices } from './checks.js'
import { describeMigratedAction } from './render.js'
import { describeTemplateChange } from './template.js'

/** `note` first, then whatever the plan noted already (runs in flight, say). */
function addNote(result: PipelineResult, note: string): void {
  result.note = [note, result.note].filter(Boolean).join('; ')
}

/**
 * Decides each planned target's migration: sets `target.migration` (to
 * write), or the result's status and reason (not to write), and
 * `target.readiness` for the readiness section.
 */
export async function planMigrations(
  targets: readonly PipelineTarget[],
  connection: ConnectionArn,
  githubApiUrl: string,
  services: MigrationServices,
  limit: Limit
): Promise<void> {
  const checks = migrationChecks(connection, githubApiUrl, services)
  await Promise.all(
    targets
      .filter((t) => t.result.status === 'planned')
      .map(async (target) => {
        const { result } = target
        const verdict = await limit(() =>
          checks.check({
            region: target.region,
            name: target.name,
            pipeline: target.pipeline,
            arn: result.arn,
            stack: result.stack,
            logicalId: target.logicalId
          })
        )
        const actions = target.actions.map((a) => `${a.stage}/${a.action}`)
        const base = { region: target.region, pipeline: target.name, actions }
        if (verdict.kind === 'migrate') {
          result.newActions = verdict.rewrite.actions.map(describeMigratedAction)
          addNote(result, `moves to ${connection.arn}: ${result.newActions.join('; ')}`)
          target.migration = {
            connectionArn: connection.arn,
            rewrite: verdict.rewrite,
            webhooks: verdict.webhooks,
            webhookApi: services.webhooks(target.region)
          }
          target.readiness = base
          return
        }
        if (verdict.kind === 'stack') {
          result.status = 'skipped'
          result.templateChange = verdict.change
          result.newActions = verdict.rewrite.actions.map(describeMigratedAction)
          addNote(result, describeTemplateChange(verdict.change))
          target.readiness = { ...base, blocker: { kind: 'stack', stack: verdict.change.stack } }
          return
        }
        target.readiness = { ...base, blocker: verdict.blocker }
        if (verdict.blocker.kind === 'region') {
          result.status = 'skipped'
          addNote(result, `not migrated: ${verdict.reason}`)
          return
        }
        result.status = 'failed'
        result.error = `not migrated: ${verdict.reason}`
      })
  )
}
