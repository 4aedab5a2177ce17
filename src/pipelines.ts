import picomatch from 'picomatch'
import type { PipelineApi } from './codepipeline.js'
import { describeAwsError, errorName } from './errors.js'
import type { Inputs, PipelineSelector } from './inputs.js'
import { pipelineLines, pipelineSection } from './report.js'
import { byText, countStatuses, sortByRegion, type Store } from './store.js'
import { STACK_TAG } from './tagging.js'
import {
  findGitHubSourceActions,
  versionOf,
  withGitHubToken,
  type GitHubSourceAction,
  type JsonObject
} from './pipeline-json.js'

export type PipelineStatus = 'updated' | 'planned' | 'skipped' | 'failed'

/** One entry of the `report` output. */
export interface PipelineResult {
  region: string
  pipeline: string
  arn?: string
  status: PipelineStatus
  /** The GitHub source actions patched (or to patch), as "Stage/Action". */
  githubActions: string[]
  /** Owner/Repo of those actions. */
  repositories: string[]
  versionBefore?: number
  versionAfter?: number
  /** The CloudFormation stack that owns the pipeline, from its aws:cloudformation:stack-name tag. */
  stack?: string
  error?: string
  note?: string
}

/** A pipeline that holds a GitHub OAuth token and will be rotated. */
export interface PipelineTarget {
  region: string
  name: string
  pipeline: JsonObject
  actions: GitHubSourceAction[]
  result: PipelineResult
  /** UpdatePipeline was sent (whatever its outcome): never send it twice in a run. */
  written?: boolean
}

export interface PipelinePlan {
  targets: PipelineTarget[]
  results: PipelineResult[]
  warnings: string[]
}

export type Limit = <T>(task: () => Promise<T>) => Promise<T>

const NOT_FOUND = new Set(['PipelineNotFoundException', 'ResourceNotFoundException'])

interface Candidate {
  name: string
  /** Named (by name or ARN) rather than matched by a pattern. */
  explicit: boolean
  account?: string
}

/** The regions the run touches: those listed, plus any an ARN names. */
export function pipelineRegions(inputs: Inputs): string[] {
  const regions = new Set<string>()
  if (inputs.pipelines.some((s) => s.kind !== 'arn')) for (const r of inputs.regions) regions.add(r)
  for (const s of inputs.pipelines) if (s.kind === 'arn') regions.add(s.region)
  return [...regions]
}

function selectorsFor(region: string, inputs: Inputs): PipelineSelector[] {
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
    if (s.kind === 'arn') byName.set(s.name, { name: s.name, explicit: true, account: s.account })
  }
  for (const s of selectors) {
    if (s.kind !== 'glob') continue
    const matches = picomatch(s.pattern, { dot: true })
    for (const name of listed ?? []) {
      if (matches(name) && !byName.has(name)) byName.set(name, { name, explicit: false })
    }
  }
  return [...byName.values()].sort((a, b) => byText(a.name, b.name))
}

function accountOf(arn: string | undefined): string | undefined {
  return arn?.split(':')[4]
}

/**
 * Reads every selected pipeline (read-only) and decides what will be rotated.
 * A failure here fails that pipeline only. Given `writeOnRead`, each target is
 * also written as soon as it has been read (see pipelineStore).
 */
export async function planPipelines(
  inputs: Inputs,
  apiFor: (region: string) => PipelineApi,
  limit: Limit,
  writeOnRead?: string
): Promise<PipelinePlan> {
  const plan: PipelinePlan = { targets: [], results: [], warnings: [] }
  /** Named pipelines GetPipeline did not find, per region. */
  const missing: { name: string; result: PipelineResult }[] = []

  await Promise.all(
    pipelineRegions(inputs).map(async (region) => {
      const api = apiFor(region)
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
          const matcher = picomatch(glob.pattern, { dot: true })
          if (listed && !listed.some((name) => matcher(name))) {
            plan.warnings.push(`pipelines: '${glob.entry}' matched no pipeline in ${region}`)
          }
        }
      }

      // One call for the region's stack owners, started once the listing is
      // in (so it does not delay it) and awaited only after the reads and
      // writes: it adds warnings, and never holds back a pipeline.
      const owners = api.stackOwners?.().catch(() => undefined)

      const skippedByPattern: string[] = []
      const regionTargets: PipelineTarget[] = []
      await Promise.all(
        selectCandidates(selectors, listed).map((candidate) =>
          limit(async () => {
            const outcome = await planOne(region, candidate, api)
            if (outcome.missing) missing.push({ name: candidate.name, result: outcome.result })
            if (outcome.target) {
              plan.targets.push(outcome.target)
              regionTargets.push(outcome.target)
            }
            if (outcome.target && writeOnRead !== undefined) {
              await writeTarget(outcome.target, writeOnRead, api)
            }
            plan.results.push(outcome.result)
            if (outcome.result.status === 'skipped') {
              if (candidate.explicit) plan.warnings.push(outcome.result.note ?? '')
              else skippedByPattern.push(candidate.name)
            }
          })
        )
      )
      await findStacks(regionTargets, api, owners, limit)
      for (const { result } of regionTargets.sort((a, b) => byText(a.name, b.name))) {
        if (result.stack) plan.warnings.push(stackWarning(result))
      }
      if (skippedByPattern.length > 0) {
        const shown = skippedByPattern.sort().slice(0, 20).join(', ')
        const more = skippedByPattern.length > 20 ? ` and ${skippedByPattern.length - 20} more` : ''
        plan.warnings.push(
          `${region}: skipped ${skippedByPattern.length} matching pipeline(s) with no GitHub (version 1) source action, so no OAuth token to rotate: ${shown}${more}`
        )
      }
    })
  )
  forgiveMissingNames(inputs, missing, plan.results)
  return plan
}

/**
 * Names apply in every listed region, but a fleet rarely has every pipeline
 * everywhere: a name found in at least one listed region is skipped where it
 * is absent. A name found nowhere (a typo, a deleted pipeline) fails.
 */
function forgiveMissingNames(
  inputs: Inputs,
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

function failed(region: string, pipeline: string, error: string): PipelineResult {
  return { region, pipeline, status: 'failed', githubActions: [], repositories: [], error }
}

async function planOne(
  region: string,
  candidate: Candidate,
  api: PipelineApi
): Promise<{ result: PipelineResult; target?: PipelineTarget; missing?: boolean }> {
  let raw
  try {
    raw = await api.getPipeline(candidate.name)
  } catch (error) {
    if (NOT_FOUND.has(errorName(error))) {
      if (!candidate.explicit) {
        const note = 'deleted after it was listed'
        return {
          result: {
            ...failed(region, candidate.name, ''),
            status: 'skipped',
            error: undefined,
            note
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

  const actions = findGitHubSourceActions(raw.pipeline)
  const result: PipelineResult = {
    region,
    pipeline: candidate.name,
    status: 'planned',
    githubActions: actions.map((a) => `${a.stage}/${a.action}`),
    repositories: [...new Set(actions.map((a) => `${a.owner}/${a.repo}`))]
  }
  if (raw.arn) result.arn = raw.arn
  const version = versionOf(raw.pipeline)
  if (version !== undefined) result.versionBefore = version

  const callerAccount = accountOf(raw.arn)
  if (candidate.account && callerAccount && candidate.account !== callerAccount) {
    return {
      result: {
        ...result,
        status: 'failed',
        error: `the ARN names account ${candidate.account}, but the credentials are for account ${callerAccount}: run this entry with a role in ${candidate.account} (role-to-assume)`
      }
    }
  }

  if (actions.length === 0) {
    return {
      result: {
        ...result,
        status: 'skipped',
        note: `pipeline '${candidate.name}' in ${region} holds no GitHub OAuth token: it has no GitHub (version 1) source action (a CodeConnections source, for example, keeps no token in the pipeline)`
      }
    }
  }

  return {
    result,
    target: { region, name: candidate.name, pipeline: raw.pipeline, actions, result }
  }
}

/**
 * Which targets a CloudFormation stack owns (the stack would bring the old
 * token back): from the region's one lookup or, when that was refused, from
 * each pipeline's own tags.
 */
async function findStacks(
  targets: PipelineTarget[],
  api: PipelineApi,
  owners: Promise<Map<string, string> | undefined> | undefined,
  limit: Limit
): Promise<void> {
  const known = await owners
  await Promise.all(
    targets.map(async ({ result }) => {
      const arn = result.arn
      if (arn === undefined) return
      if (known) {
        const stack = known.get(arn)
        if (stack) result.stack = stack
        return
      }
      await limit(async () => {
        try {
          const stack = (await api.listTags(arn))[STACK_TAG]
          if (stack) result.stack = stack
        } catch (error) {
          const note = `CloudFormation ownership not checked: ${describeAwsError(error, 'codepipeline:ListTagsForResource')}`
          result.note = result.note ? `${result.note}; ${note}` : note
        }
      })
    })
  )
}

function stackWarning(result: PipelineResult): string {
  return `Pipeline '${result.pipeline}' in ${result.region} belongs to CloudFormation stack '${result.stack}': update the template's token source too (a NoEcho parameter or a {{resolve:secretsmanager:...}} dynamic reference — see the secrets input), or the next stack update brings the old token back.`
}

/**
 * Writes the token into every target: UpdatePipeline with the pipeline as
 * GetPipeline returned it, patched; then checks the version went up by one.
 */
export async function applyPipelines(
  targets: PipelineTarget[],
  token: string,
  apiFor: (region: string) => PipelineApi,
  limit: Limit
): Promise<void> {
  await Promise.all(
    targets.map((target) => limit(() => writeTarget(target, token, apiFor(target.region))))
  )
}

async function writeTarget(target: PipelineTarget, token: string, api: PipelineApi): Promise<void> {
  const { result } = target
  target.written = true
  try {
    const update = await api.updatePipeline(withGitHubToken(target.pipeline, token))
    verifyVersion(result, update.version, update.attempts)
  } catch (error) {
    result.status = 'failed'
    result.error = describeAwsError(error, 'codepipeline:UpdatePipeline')
  }
}

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
    result.note = `the SDK retried UpdatePipeline (${attempts} attempts); the version went from ${before} to ${after}`
  } else {
    result.status = 'failed'
    result.error = `the token was written, but the version went from ${before} to ${after} instead of ${before + 1}: another change to this pipeline landed at the same time and may have been overwritten — review the pipeline's history, then re-run`
  }
}

export interface PipelineStoreOptions {
  /**
   * Write each pipeline as soon as it has been read, in plan(), instead of
   * waiting in apply() for every read to finish. Only for runs where nothing
   * is checked between the two (no dry run, no token check): AWS throttles
   * each API on its own, so GetPipeline and UpdatePipeline running side by
   * side rotate a throttled fleet in about half the time.
   */
  writeOnRead?: boolean
}

/** CodePipeline as a Store; `plan()` exposes the targets for the token check. */
export function pipelineStore(
  inputs: Inputs,
  apiFor: (region: string) => PipelineApi,
  limit: Limit,
  options: PipelineStoreOptions = {}
): Store & { targets(): PipelineTarget[] } {
  let plan: PipelinePlan = { targets: [], results: [], warnings: [] }
  const results = () => sortByRegion(plan.results, inputs.regions, (r) => r.pipeline)
  const writeOnRead = options.writeOnRead ? inputs.token : undefined
  return {
    async plan() {
      if (inputs.pipelines.length > 0) {
        plan = await planPipelines(inputs, apiFor, limit, writeOnRead)
      }
    },
    apply: (token) =>
      applyPipelines(
        plan.targets.filter((t) => !t.written),
        token,
        apiFor,
        limit
      ),
    targets: () => plan.targets,
    sections: () => [pipelineSection(results())],
    lines: () => pipelineLines(results()),
    outputs: () => ({
      report: results(),
      updated: results()
        .filter((r) => r.status === 'updated')
        .map((r) => r.arn ?? r.pipeline)
    }),
    failures: () =>
      results()
        .filter((r) => r.status === 'failed')
        .map((r) => `${r.region} pipeline ${r.pipeline}: ${r.error}`),
    warnings: () => plan.warnings,
    headline: () =>
      inputs.pipelines.length > 0 ? `Pipelines: ${countStatuses(results())}` : undefined
  }
}
