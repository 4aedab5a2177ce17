/** CodePipeline as a store: GitHub (version 1) source actions' OAuthToken, in every region. */
import type { Store } from '../../core/flow.js'
import { createLimit, type Limit } from '../../core/limit.js'
import { sortByRegion } from '../../core/order.js'
import { messageOf } from '../../core/errors.js'
import { counted } from '../../core/text.js'
import { countStatuses, emptyReport, type Report } from '../../core/report.js'
import type { SealedToken } from '../../core/sealed-token.js'
import { describeStore } from '../descriptor.js'
import { createPipelineApi, type PipelineApi } from './api.js'
import { rotateTarget, type Recheck, type WriteContext } from './apply.js'
import { describeSeconds, runningFor } from './executions.js'
import { readinessOf, type MigrationServices } from './migration/checks.js'
import { planMigrations } from './migration/plan.js'
import { readinessSection } from './migration/render.js'
import { templateChangeLines } from './migration/template.js'
import { forgiveMissingNames, pipelineRegions, planRegionPipelines } from './plan.js'
import { pipelineLines, pipelineSection } from './render.js'
import {
  PIPELINE_INPUTS,
  realClock,
  type Clock,
  type PipelineInputs,
  type PipelineResult,
  type PipelineTarget
} from './types.js'

export interface PipelineStoreOptions {
  apiFor: (region: string) => PipelineApi
  limit: Limit
  token: SealedToken
  /**
   * Write each pipeline as soon as it has been read, in plan(), instead of
   * waiting in apply() for every read. Only for runs where nothing is checked
   * between the two (no dry run, no token check): AWS throttles each API on
   * its own, so reads and writes side by side rotate a throttled fleet in
   * about half the time.
   */
  writeOnRead: boolean
  clock?: Clock
  /** See WriteContext.freshMs. */
  freshMs?: number
  /** See WriteContext.copyFreshMs. */
  copyFreshMs?: number
  /** The calls of a migration (connection-arn, issue 19). */
  migration?: MigrationServices
}

/** A pipeline a CloudFormation stack owns, for the stack store to follow. */
export interface OwnedPipeline {
  region: string
  pipeline: string
  stack: string
  logicalId: string | undefined
  result: PipelineResult
}

export interface PipelineStore extends Store {
  /** The targets, once planned: what the token check reads. */
  targets(): PipelineTarget[]
  /** The planned pipelines a stack owns. */
  owned(): OwnedPipeline[]
  /** Tells `listener` about each target as soon as it is planned (the token check starts on it). */
  onPlanned(listener: (target: PipelineTarget) => void): void
  /** See WriteContext.recheck: the token check, for repositories a moved pipeline builds now. */
  recheckWith(recheck: Recheck): void
  /**
   * The token check for one pipeline on its own: with it, each pipeline is
   * written as soon as it is read and its own checks pass (the token, and
   * every repository it builds), instead of after the whole check.
   */
  clearWith(clearance: Clearance): void
}

/** What would refuse the token for one pipeline: [] when nothing does. */
type Clearance = (target: PipelineTarget) => Promise<string[]>

function stackWarning(result: PipelineResult): string {
  return `Pipeline '${result.pipeline}' in ${result.region} belongs to CloudFormation stack '${result.stack}': update the template's token source too (a NoEcho parameter or a {{resolve:secretsmanager:...}} dynamic reference — see the secrets input), or the next stack update brings the old token back.`
}

function busyNote(inputs: PipelineInputs, target: PipelineTarget, now: number): void {
  const runs = target.runsSeen?.runs ?? []
  const { result } = target
  if (runs.length === 0) {
    result.runs = { outcome: 'idle', executions: [] }
    return
  }
  const { mode, timeoutSeconds } = inputs.inProgress
  const described = runs.map((r) => `${r.id} (${r.status} ${runningFor(r, now)})`).join(', ')
  const choices = {
    wait:
      timeoutSeconds === 0
        ? 'wait would fail it at once (in-progress-timeout 0)'
        : `wait would write it once that ends (up to ${describeSeconds(timeoutSeconds)})`,
    skip: 'skip would leave it for a later run',
    proceed: 'proceed would write now, which stops that run, then start it again'
  }
  const others = (Object.keys(choices) as (keyof typeof choices)[]).filter((m) => m !== mode)
  result.runs = { outcome: 'busy', executions: runs.map((r) => r.id) }
  result.note = `${described} in flight: in-progress ${choices[mode]} (this run); ${others.map((m) => choices[m]).join('; ')}`
}

/**
 * A look of the plan younger than this counts as "right before" the write
 * (see WriteContext.freshMs): a pipeline written as soon as it is read.
 */
const FRESH_MS = 1_000
/** The plan's copy is written without reading it again only while this young (and its version unmoved). */
const COPY_FRESH_MS = 2_000

/**
 * Writes a pipeline once the token check passes for it; one it refuses is
 * left unwritten (the check's failures say why, and refuse the run).
 */
async function writeOnceCleared(
  target: PipelineTarget,
  clearance: Clearance,
  ctx: WriteContext,
  held: Map<PipelineTarget, string>
): Promise<void> {
  let refused: string[]
  try {
    refused = await clearance(target)
  } catch (error) {
    refused = [`the token check broke: ${messageOf(error)}`]
  }
  if (refused.length === 0) await rotateTarget(target, ctx)
  // The whole check refuses the run too, and says why; should it pass all
  // the same (an expiry crossed between the two), the pipeline fails in apply().
  else held.set(target, refused.join('; '))
}

export function pipelineStore(
  inputs: PipelineInputs,
  options: PipelineStoreOptions
): PipelineStore {
  const clock = options.clock ?? realClock
  // Writes have slots of their own: a pipeline read while the others are
  // still queued for their reads is written without queueing behind them.
  const writeSlots = createLimit(inputs.maxConcurrency)
  const followUps = createLimit(inputs.maxConcurrency)
  const looks = createLimit(inputs.maxConcurrency)
  let recheck: Recheck | undefined
  let clearance: Clearance | undefined
  /** Pipelines the token check refused on their own: why. */
  const held = new Map<PipelineTarget, string>()
  const contextFor = (region: string): WriteContext => ({
    api: options.apiFor(region),
    limit: writeSlots,
    followUps,
    looks,
    token: options.token,
    inProgress: inputs.inProgress,
    clock,
    freshMs: options.freshMs ?? FRESH_MS,
    copyFreshMs: options.copyFreshMs ?? COPY_FRESH_MS,
    ...(recheck && { recheck })
  })
  let targets: PipelineTarget[] = []
  let results: PipelineResult[] = []
  const warnings: string[] = []
  const writes: Promise<void>[] = []
  const listeners: ((target: PipelineTarget) => void)[] = []
  const sorted = () => sortByRegion(results, inputs.regions, (r) => r.pipeline)

  return {
    async plan() {
      if (inputs.pipelines.length === 0) return
      const plans = await Promise.all(
        pipelineRegions(inputs).map((region) =>
          planRegionPipelines(region, inputs, options.apiFor(region), options.limit, {
            now: () => clock.now(),
            planned: async (target) => {
              // A migration writes no token: the token check need not reach its repositories.
              if (!inputs.connection) for (const listener of listeners) listener(target)
              if (inputs.dryRun) busyNote(inputs, target, clock.now())
              // Each pipeline is written as soon as it is read — once the
              // token check passes for it, when there is one — so reads and
              // writes run side by side (each on its own API quota), and the
              // write takes the look the plan just made.
              if (inputs.dryRun || inputs.connection) return
              if (clearance)
                writes.push(writeOnceCleared(target, clearance, contextFor(region), held))
              else if (options.writeOnRead) writes.push(rotateTarget(target, contextFor(region)))
            }
          })
        )
      )
      targets = plans.flatMap((p) => p.targets)
      results = plans.flatMap((p) => p.results)
      forgiveMissingNames(
        inputs,
        plans.flatMap((p) => p.missing),
        results
      )
      for (const plan of plans) warnings.push(...plan.warnings)
      if (inputs.connection) {
        if (!options.migration) throw new Error('connection-arn is set, but no migration services')
        await planMigrations(
          targets,
          inputs.connection,
          inputs.githubApiUrl,
          options.migration,
          options.limit
        )
        return
      }
      if (!inputs.followStacks) {
        for (const target of sortByRegion(targets, inputs.regions, (t) => t.name)) {
          if (target.result.stack) warnings.push(stackWarning(target.result))
        }
      }
    },

    async apply() {
      if ((options.writeOnRead || clearance) && !inputs.connection) {
        await Promise.all(writes)
        // The run's check passed, yet this pipeline's own did not: never left quietly planned.
        for (const [target, why] of held) {
          if (target.result.status !== 'planned') continue
          target.result.status = 'failed'
          target.result.error = `not written: the token check refused it: ${why}`
        }
        return
      }
      await Promise.all(
        targets
          .filter((t) => t.result.status === 'planned')
          .map((t) => rotateTarget(t, contextFor(t.region)))
      )
    },

    // A migration writes no token to a pipeline: nothing for the token check to reach.
    targets: () => (inputs.connection ? [] : targets.filter((t) => t.result.status !== 'failed')),

    onPlanned: (listener) => {
      listeners.push(listener)
    },

    recheckWith: (check) => {
      recheck = check
    },

    clearWith: (check) => {
      clearance = check
    },

    // The token check refused the run: the writes of pipelines whose own
    // checks passed, already started, end (and are reported); no other starts.
    async settle() {
      await Promise.all(writes)
      const written = results.filter((r) => r.status === 'updated').length
      return written > 0
        ? `${counted(written, 'pipeline')} whose own repositories the token reaches`
        : undefined
    },

    // With connection-arn no pipeline is rotated: its stack's token source is not followed
    // (a stack-owned pipeline gets the template change instead).
    owned: () =>
      (inputs.connection ? [] : targets).flatMap((t) =>
        t.result.stack
          ? [
              {
                region: t.region,
                pipeline: t.name,
                stack: t.result.stack,
                logicalId: t.logicalId,
                result: t.result
              }
            ]
          : []
      ),

    report(): Report {
      const all = sorted()
      const readiness = readinessSection(
        sortByRegion(targets, inputs.regions, (t) => t.name).map((t) => ({
          ...(t.readiness ??
            readinessOf({
              region: t.region,
              name: t.name,
              pipeline: t.pipeline,
              stack: t.result.stack
            })),
          ...(t.result.status === 'migrated' ? { migrated: true } : {})
        }))
      )
      if (inputs.pipelines.length === 0)
        return emptyReport({
          outputs: { report: [], updated: [], migrated: [] },
          closing: [readiness]
        })
      // With connection-arn: stack-owned pipelines and regions without CodeConnections, left as they were.
      const blocked = new Set(
        targets
          .filter((t) => t.readiness?.blocker && t.result.status === 'skipped')
          .map((t) => t.result)
      )
      const notMigrated = all.filter((r) => blocked.has(r))
      const holdouts = [
        ...all
          .filter((r) => r.status === 'skipped' && r.runs?.outcome === 'skipped')
          .map(
            (r) =>
              `pipeline ${r.pipeline} in ${r.region} was skipped while a run was in flight and still holds the old token`
          ),
        ...targets
          .filter((t) => t.result.stack && !inputs.followStacks && !inputs.connection)
          .map(
            (t) =>
              `pipeline ${t.name} in ${t.region} belongs to stack ${t.result.stack}, whose template was not followed (follow-stacks: false) and may bring the old token back`
          ),
        ...targets
          .filter((t) => t.ownerUnknown)
          .map(
            (t) =>
              `whether a CloudFormation stack owns pipeline ${t.name} in ${t.region} is not known (its tags could not be read)`
          ),
        ...notMigrated.map(
          (r) =>
            `pipeline ${r.pipeline} in ${r.region} was not moved to the connection and still holds the old token`
        )
      ]
      const templateLines = all.flatMap((r) =>
        r.templateChange
          ? templateChangeLines(r.templateChange).map((line) => ({ region: r.region, line }))
          : []
      )
      return emptyReport({
        sections: [pipelineSection(all)],
        lines: [...pipelineLines(all), ...templateLines],
        outputs: {
          report: all,
          updated: all.filter((r) => r.status === 'updated').map((r) => r.arn ?? r.pipeline),
          migrated: all.filter((r) => r.status === 'migrated').map((r) => r.arn ?? r.pipeline)
        },
        failures: all
          .filter((r) => r.status === 'failed')
          .map((r) => `${r.region} pipeline ${r.pipeline}: ${r.error}`),
        warnings: [
          ...warnings,
          ...all
            .filter((r) => r.runs?.outcome === 'skipped')
            .map((r) => `${r.region} pipeline ${r.pipeline}: ${r.note}`),
          ...notMigrated.map((r) => `${r.region} pipeline ${r.pipeline}: ${r.note}`)
        ],
        headline: `Pipelines: ${countStatuses(all)}`,
        holdouts,
        closing: [readiness]
      })
    }
  }
}

export const pipelines = describeStore({
  api: createPipelineApi,
  inputs: PIPELINE_INPUTS,
  regions: pipelineRegions,
  create: (inputs, { apiFor, limit, token, clock, migration }) =>
    pipelineStore(inputs, {
      apiFor,
      limit,
      token,
      // With nothing checked between reading and writing, each pipeline is
      // written as soon as it is read (a migration checks first).
      writeOnRead: !inputs.dryRun && !inputs.verifyToken && !inputs.connection,
      ...(migration && { migration }),
      ...(clock && { clock })
    })
})
