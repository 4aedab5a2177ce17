/**
 * Planning (read-only): which pipelines the inputs select in each region,
 * what each holds, whether it may be written (account, partition, shape),
 * who owns it (CloudFormation) and which runs are in flight.
 */
import { describeAwsError, isNotFound } from '../../aws/errors.js'
import { globMatches } from '../../core/glob.js'
import type { Limit } from '../../core/limit.js'
import { byText } from '../../core/order.js'
import { partitionOf, splitArn } from '../../inputs/arn.js'
import type { PipelineSelector } from '../../inputs/types.js'
import {
  STACK_TAG,
  LOGICAL_ID_TAG,
  type PipelineApi,
  type StackOwner,
  type PipelineState
} from './api.js'
import { runsInFlight } from './executions.js'
import {
  PipelineShapeError,
  executionMode,
  findGitHubSourceActions,
  versionOf,
  type GitHubSourceAction
} from './pipeline-json.js'
import type { PipelineInputs, PipelineResult, PipelineTarget } from './types.js'

interface Candidate {
  name: string
  /** Named (by name or ARN) rather than matched by a pattern. */
  explicit: boolean
  /** The ARN it was named by. */
  arn?: string
  account?: string
}

export interface RegionPipelines {
  targets: PipelineTarget[]
  results: PipelineResult[]
  warnings: string[]
  /** Named pipelines GetPipeline did not find. */
  missing: { name: string; result: PipelineResult }[]
}

/** The regions the run touches for pipelines: those listed, plus any an ARN names. */
export function pipelineRegions(inputs: PipelineInputs): string[] {
  const regions = new Set<string>()
  if (inputs.pipelines.some((s) => s.kind !== 'arn')) for (const r of inputs.regions) regions.add(r)
  for (const s of inputs.pipelines) if (s.kind === 'arn') regions.add(s.region)
  return [...regions]
}

function selectorsFor(region: string, inputs: PipelineInputs): PipelineSelector[] {
  return inputs.pipelines.filter((s) =>
    s.kind === 'arn' ? s.region === region : inputs.regions.includes(region)
  )
}

/** Which pipelines of a region the selectors pick; names and ARNs win over patterns. */
export function selectCandidates(
  selectors: PipelineSelector[],
  listed: string[] | undefined
): Candidate[] {
  const byName = new Map<string, Candidate>()
  for (const s of selectors) {
    if (s.kind === 'name') byName.set(s.name, { name: s.name, explicit: true })
    if (s.kind === 'arn') {
      byName.set(s.name, { name: s.name, explicit: true, arn: s.arn, account: s.account })
    }
  }
  for (const s of selectors) {
    if (s.kind !== 'glob') continue
    for (const name of listed ?? []) {
      if (globMatches(s.pattern, name) && !byName.has(name))
        byName.set(name, { name, explicit: false })
    }
  }
  return [...byName.values()].sort((a, b) => byText(a.name, b.name))
}

function failed(region: string, pipeline: string, error: string): PipelineResult {
  return { region, pipeline, status: 'failed', githubActions: [], repositories: [], error }
}

/**
 * The ARN GetPipeline answered with must name the pipeline asked for, in
 * this region and partition; for a pipeline named by ARN, in its account —
 * and an account that cannot be checked is never written.
 */
function checkArn(
  region: string,
  candidate: Candidate,
  arn: string | undefined
): string | undefined {
  if (arn === undefined) {
    return candidate.account
      ? `GetPipeline answered without the pipeline's ARN, so its account cannot be checked against ${candidate.account} from ${candidate.arn}: nothing was written`
      : undefined
  }
  const parsed = splitArn(arn)
  const partition = partitionOf(region)
  if (
    !parsed ||
    parsed.partition !== partition ||
    parsed.region !== region ||
    parsed.resource !== candidate.name
  ) {
    return `GetPipeline for '${candidate.name}' in ${region} answered for ${arn}, not arn:${partition}:codepipeline:${region}:…:${candidate.name}: nothing was written — check AWS_ENDPOINT_URL and the regions input`
  }
  if (candidate.account && parsed.account !== candidate.account) {
    return `the ARN names account ${candidate.account}, but the credentials are for account ${parsed.account}: run this entry with a role in ${candidate.account} (role-to-assume)`
  }
  return undefined
}

/**
 * The runs in flight, from the GetPipelineState started beside GetPipeline
 * (see executions.ts), and ListPipelineExecutions when that shows any.
 */
async function lookForRuns(
  api: PipelineApi,
  target: PipelineTarget,
  state: Promise<PipelineState>,
  now: () => number
): Promise<void> {
  try {
    // A PARALLEL pipeline's runs are always listed (GetPipelineState does not
    // show them), so its state is not needed, nor is its failure a failure.
    const runs = await runsInFlight(api, target.name, executionMode(target.pipeline), state)
    target.runsSeen = { at: now(), runs }
  } catch (error) {
    target.result.status = 'failed'
    target.result.error = error instanceof Error ? error.message : String(error)
  }
}

interface Planned {
  result: PipelineResult
  target?: PipelineTarget
  missing?: boolean
  /** The target's GetPipelineState, in flight (see lookForRuns). */
  state?: Promise<PipelineState>
}

async function planOne(region: string, candidate: Candidate, api: PipelineApi): Promise<Planned> {
  // The look for runs in flight starts beside the read (one round trip for
  // both, each on its own API quota); a pipeline that is no target drops it.
  const state = api.pipelineState(candidate.name)
  state.catch(() => undefined)
  let raw
  try {
    raw = await api.getPipeline(candidate.name)
  } catch (error) {
    if (isNotFound(error)) {
      if (!candidate.explicit) {
        return {
          result: {
            ...failed(region, candidate.name, ''),
            status: 'skipped',
            error: undefined,
            note: 'deleted after it was listed'
          }
        }
      }
      return {
        missing: true,
        result: failed(
          region,
          candidate.name,
          `pipeline '${candidate.name}' does not exist in ${region}: check the name and the regions input`
        )
      }
    }
    return {
      result: failed(region, candidate.name, describeAwsError(error, 'codepipeline:GetPipeline'))
    }
  }

  const result: PipelineResult = {
    region,
    pipeline: candidate.name,
    status: 'planned',
    githubActions: [],
    repositories: []
  }
  if (raw.arn) result.arn = raw.arn
  const version = versionOf(raw.pipeline)
  if (version !== undefined) result.versionBefore = version

  const arnProblem = checkArn(region, candidate, raw.arn)
  if (arnProblem) return { result: { ...result, status: 'failed', error: arnProblem } }

  let actions: GitHubSourceAction[]
  try {
    actions = findGitHubSourceActions(raw.pipeline)
  } catch (error) {
    const message = error instanceof PipelineShapeError ? error.message : String(error)
    return { result: { ...result, status: 'failed', error: message } }
  }
  result.githubActions = actions.map((a) => `${a.stage}/${a.action}`)
  result.repositories = [...new Set(actions.map((a) => `${a.owner}/${a.repo}`))]
  if (actions.length === 0) {
    return {
      result: {
        ...result,
        status: 'skipped',
        note: `pipeline '${candidate.name}' in ${region} holds no GitHub OAuth token: it has no GitHub (version 1) source action (a CodeConnections source, for example, keeps no token in the pipeline)`
      }
    }
  }
  const target: PipelineTarget = {
    region,
    name: candidate.name,
    pipeline: raw.pipeline,
    actions,
    result
  }
  return { result, target, state }
}

export interface PlanHooks {
  /**
   * Called for each target once it is read and its runs looked at, after its
   * read slot is free: the next read does not wait for whatever it does
   * (the write, when the pipeline is written as soon as it is read).
   */
  planned(target: PipelineTarget): Promise<void>
  now(): number
}

/**
 * Reads the selected pipelines of one region. A failure here fails that
 * pipeline only. `hooks.planned` runs for each target as soon as it is read.
 */
export async function planRegionPipelines(
  region: string,
  inputs: PipelineInputs,
  api: PipelineApi,
  limit: Limit,
  hooks: PlanHooks
): Promise<RegionPipelines> {
  const plan: RegionPipelines = { targets: [], results: [], warnings: [], missing: [] }
  const selectors = selectorsFor(region, inputs)
  const globs = selectors.filter((s) => s.kind === 'glob')
  let listed: string[] | undefined
  if (globs.length > 0) {
    try {
      listed = await limit(() => api.listPipelineNames())
    } catch (error) {
      for (const glob of globs) {
        plan.results.push(
          failed(region, glob.entry, describeAwsError(error, 'codepipeline:ListPipelines'))
        )
      }
    }
    for (const glob of globs) {
      if (listed && !listed.some((name) => globMatches(glob.pattern, name))) {
        plan.warnings.push(`pipelines: '${glob.entry}' matched no pipeline in ${region}`)
      }
    }
  }

  // One call for the region's stack owners, started once the listing is in
  // (so it does not delay it) and awaited only after the reads: it never
  // holds back a pipeline.
  const owners = api.stackOwners().catch(() => undefined)

  const skippedByPattern: string[] = []
  await Promise.all(
    selectCandidates(selectors, listed).map(async (candidate) => {
      // The slot holds the read only. The look for runs in flight, started
      // beside it, is awaited outside: each API has its own quota (and its
      // own adaptive rate limit in the SDK), so under throttling a slot
      // waiting for the slower of the two answers would pace the reads by
      // whichever API AWS slowed down last.
      const outcome = await limit(() => planOne(region, candidate, api))
      const { target } = outcome
      if (target) target.readAt = hooks.now()
      if (target && outcome.state) await lookForRuns(api, target, outcome.state, hooks.now)
      if (target && target.result.status === 'planned') await hooks.planned(target)
      if (outcome.missing) plan.missing.push({ name: candidate.name, result: outcome.result })
      plan.results.push(outcome.result)
      if (outcome.target) plan.targets.push(outcome.target)
      if (outcome.result.status === 'skipped') {
        if (candidate.explicit) plan.warnings.push(outcome.result.note ?? '')
        else skippedByPattern.push(candidate.name)
      }
    })
  )
  await findStacks(plan.targets, api, owners, limit)
  if (skippedByPattern.length > 0) {
    const shown = skippedByPattern.sort(byText).slice(0, 20).join(', ')
    const more = skippedByPattern.length > 20 ? ` and ${skippedByPattern.length - 20} more` : ''
    plan.warnings.push(
      `${region}: skipped ${skippedByPattern.length} matching pipeline(s) with no GitHub (version 1) source action, so no OAuth token to rotate: ${shown}${more}`
    )
  }
  return plan
}

/**
 * Which targets a CloudFormation stack owns: from the region's one lookup
 * or, when that was refused, from each pipeline's own tags.
 */
async function findStacks(
  targets: PipelineTarget[],
  api: PipelineApi,
  owners: Promise<Map<string, StackOwner> | undefined>,
  limit: Limit
): Promise<void> {
  const known = await owners
  await Promise.all(
    targets.map(async (target) => {
      const arn = target.result.arn
      if (arn === undefined) return
      if (known) {
        const owner = known.get(arn)
        if (owner) {
          target.result.stack = owner.stack
          if (owner.logicalId) target.logicalId = owner.logicalId
        }
        return
      }
      await limit(async () => {
        try {
          const tags = await api.listTags(arn)
          if (tags[STACK_TAG]) target.result.stack = tags[STACK_TAG]
          if (tags[LOGICAL_ID_TAG]) target.logicalId = tags[LOGICAL_ID_TAG]
        } catch (error) {
          const note = `CloudFormation ownership not checked: ${describeAwsError(error, 'codepipeline:ListTagsForResource')}`
          target.result.note = target.result.note ? `${target.result.note}; ${note}` : note
          target.ownerUnknown = true
        }
      })
    })
  )
}

/**
 * Names apply in every listed region, but a fleet rarely has every pipeline
 * everywhere: a name found in at least one listed region is skipped where it
 * is absent. A name found nowhere (a typo, a deleted pipeline) fails.
 */
export function forgiveMissingNames(
  inputs: PipelineInputs,
  missing: { name: string; result: PipelineResult }[],
  results: PipelineResult[]
): void {
  const named = new Set(inputs.pipelines.filter((s) => s.kind === 'name').map((s) => s.name))
  for (const { name, result } of missing) {
    if (!named.has(name)) continue // an ARN names one region: absent there is a failure
    const foundIn = results
      .filter((r) => r.pipeline === name && !missing.some((m) => m.result === r))
      .map((r) => r.region)
    if (foundIn.length === 0) continue
    result.status = 'skipped'
    result.note = `not in ${result.region} (found in ${[...new Set(foundIn)].join(', ')})`
    delete result.error
  }
}
