/**
 * The checks of one run's migration, in the order a pipeline meets them:
 * region → shape (the lossless rewrite) → stack ownership → connection (one
 * GetConnection for the run) → the roles that run the source actions (one
 * SimulatePrincipalPolicy per role) → its webhooks (one ListWebhooks per
 * region). The first that fails decides; nothing here writes.
 */
import { describeAwsError } from '../../../aws/errors.js'
import { once } from '../../../core/once.js'
import { splitArn } from '../../../inputs/arn.js'
import type { ConnectionArn } from '../../../inputs/connection.js'
import type { PipelineWebhookApi, Webhook } from '../api.js'
import { PipelineShapeError, findGitHubSourceActions, type JsonObject } from '../pipeline-json.js'
import type { ConnectionsApi, PolicySimulatorApi } from './api.js'
import {
  connectionProblem,
  expectedProvider,
  getConnectionFailure,
  regionProblem,
  roleProblem,
  rolesToCheck,
  simulationFailure,
  useConnectionAction
} from './preflight.js'
import type { Blocker, Readiness } from './render.js'
import { rewritePipeline, type Rewrite } from './rewrite.js'
import { templateChange, type TemplateChange } from './template.js'
import { webhooksFor } from './webhooks.js'

export interface MigrationServices {
  connections: ConnectionsApi
  simulator: (region: string) => PolicySimulatorApi
  webhooks: (region: string) => PipelineWebhookApi
}

/** A pipeline as the plan read it. */
export interface MigrationCandidate {
  region: string
  name: string
  /** GetPipeline's pipeline, as returned. */
  pipeline: JsonObject
  /** Its ARN (the account comes from it). */
  arn: string | undefined
  /** The stack that owns it, from its aws:cloudformation:stack-name tag. */
  stack: string | undefined
  logicalId: string | undefined
}

type MigrationVerdict =
  /** Every check passed: write `rewrite.pipeline`, framed by `webhooks`. */
  | { kind: 'migrate'; rewrite: Rewrite; webhooks: Webhook[] }
  /** Stack-owned: not migrated in place; the template change instead. */
  | { kind: 'stack'; rewrite: Rewrite; webhooks: Webhook[]; change: TemplateChange }
  /** Not migrated: why, and the blocker for the readiness section. */
  | { kind: 'refused'; reason: string; blocker: Blocker }

export interface MigrationChecks {
  check(candidate: MigrationCandidate): Promise<MigrationVerdict>
  /** The webhooks of a region, listed once (they are read again after the write). */
  webhooks(region: string): Promise<Webhook[]>
}

const refused = (reason: string, blocker?: Blocker): MigrationVerdict => ({
  kind: 'refused',
  reason,
  blocker: blocker ?? { kind: 'other', reason }
})

export function migrationChecks(
  connection: ConnectionArn,
  githubApiUrl: string,
  services: MigrationServices
): MigrationChecks {
  const facts = once(() => services.connections.getConnection(connection))
  const listed = new Map<string, Promise<Webhook[]>>()
  const webhooks = (region: string) => {
    let found = listed.get(region)
    if (found === undefined) {
      found = services.webhooks(region).listWebhooks()
      listed.set(region, found)
    }
    return found
  }
  const provider = expectedProvider(githubApiUrl)

  return {
    webhooks,
    async check(candidate) {
      const region = regionProblem(candidate.region)
      if (region) return refused(region, { kind: 'region' })

      let all: Webhook[]
      try {
        all = await webhooks(candidate.region)
      } catch (error) {
        return refused(
          `${describeAwsError(error, 'codepipeline:ListWebhooks')} — the pipeline's GitHub webhooks could not be listed, so it was not migrated`
        )
      }
      const targeting = all.filter((w) => w.targetPipeline === candidate.name)
      let rewrite: Rewrite
      try {
        rewrite = rewritePipeline(candidate.pipeline, connection.arn, targeting)
      } catch (error) {
        if (error instanceof PipelineShapeError) return refused(error.message)
        throw error
      }
      if (rewrite.actions.length === 0) {
        return refused(
          'it has no GitHub (version 1) source action, so it holds no token and there is nothing to move'
        )
      }
      const framing = webhooksFor(
        all,
        candidate.name,
        rewrite.actions.map((a) => a.action)
      )
      if (candidate.stack) {
        const change = templateChange(
          candidate.stack,
          candidate.logicalId,
          candidate.name,
          rewrite.actions,
          framing
        )
        return { kind: 'stack', rewrite, webhooks: framing, change }
      }

      const account = candidate.arn ? splitArn(candidate.arn)?.account : undefined
      let found
      try {
        found = await facts()
      } catch (error) {
        return refused(getConnectionFailure(error, connection, account))
      }
      const problem = connectionProblem(found, connection, account, provider)
      if (problem) return refused(problem)

      const names = rewrite.actions.map((a) => `${a.stage}/${a.action}`)
      for (const role of rolesToCheck(candidate.pipeline, names)) {
        let decided
        try {
          decided = await services
            .simulator(candidate.region)
            .simulate(role, useConnectionAction(connection), connection.arn)
        } catch (error) {
          return refused(simulationFailure(error, role))
        }
        const denied = roleProblem(role, connection, decided)
        if (denied) return refused(denied)
      }
      return { kind: 'migrate', rewrite, webhooks: framing }
    }
  }
}

/** A placeholder connection for the shape check of a run without connection-arn. */
const ANY_CONNECTION = 'arn:aws:codeconnections:us-east-1:000000000000:connection/readiness-check'

/**
 * What any run can tell of a pipeline that holds a token, without
 * connection-arn and without a call: its GitHub (version 1) actions, and
 * whether it could move (the region, stack ownership, the rewrite's shape
 * rules) — the row of the "Moving off GitHub version 1" section.
 */
export function readinessOf(
  candidate: Pick<MigrationCandidate, 'region' | 'name' | 'pipeline' | 'stack'>
): Readiness {
  const base = { region: candidate.region, pipeline: candidate.name }
  let actions: string[] = []
  try {
    const rewrite = rewritePipeline(candidate.pipeline, ANY_CONNECTION, [])
    actions = rewrite.actions.map((a) => `${a.stage}/${a.action}`)
  } catch (error) {
    if (!(error instanceof PipelineShapeError)) throw error
    const found = (() => {
      try {
        return findGitHubSourceActions(candidate.pipeline).map((a) => `${a.stage}/${a.action}`)
      } catch {
        return []
      }
    })()
    return { ...base, actions: found, blocker: { kind: 'other', reason: error.message } }
  }
  if (regionProblem(candidate.region)) return { ...base, actions, blocker: { kind: 'region' } }
  if (candidate.stack)
    return { ...base, actions, blocker: { kind: 'stack', stack: candidate.stack } }
  return { ...base, actions }
}
