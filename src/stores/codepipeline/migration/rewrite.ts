/**
 * The migration's rewrite, a pure function over the pipeline JSON exactly as
 * GetPipeline returned it (never the SDK's typed shapes, which would drop
 * what they do not know): every GitHub (version 1) source action becomes a
 * CodeStarSourceConnection action on the same repository and branch, and
 * nothing else moves — not a member, not a key's place.
 *
 * What it follows (CodePipeline user guide, action structure reference):
 * - the GitHub version 1 action's configuration is Owner, Repo, Branch,
 *   OAuthToken and PollForSourceChanges ("If you omit PollForSourceChanges,
 *   CodePipeline defaults to polling");
 * - CodeStarSourceConnection takes ConnectionArn, FullRepositoryId ("The owner
 *   and name of the repository where source changes are to be detected", e.g.
 *   some-user/my-repo), BranchName, OutputArtifactFormat (CODE_ZIP, "the
 *   default", is what version 1 produced, so the actions that read the
 *   artifact need nothing new) and DetectChanges ("Controls automatically
 *   starting your pipeline when a new commit is made on the configured
 *   repository and branch");
 * - output variables: version 1 produces AuthorDate, BranchName, CommitId,
 *   CommitMessage, CommitterDate, CommitUrl and RepositoryName;
 *   CodeStarSourceConnection produces AuthorDate, BranchName, CommitId,
 *   CommitMessage, ConnectionArn and FullRepositoryName (variables
 *   reference). A pipeline that reads CommitterDate, CommitUrl or
 *   RepositoryName of the action would break, so it is not rewritten.
 */
import {
  PipelineShapeError,
  findGitHubSourceActions,
  isGitHubV1Source,
  isObject,
  type Json,
  type JsonObject
} from '../pipeline-json.js'

/** The new action's type. */
export const CONNECTION_ACTION_TYPE: JsonObject = {
  category: 'Source',
  owner: 'AWS',
  provider: 'CodeStarSourceConnection',
  version: '1'
}

/** What the GitHub version 1 action's configuration may hold. */
const V1_CONFIGURATION = new Set(['Owner', 'Repo', 'Branch', 'OAuthToken', 'PollForSourceChanges'])

/** Output variables of version 1 that CodeStarSourceConnection does not produce. */
const LOST_VARIABLES = ['CommitterDate', 'CommitUrl', 'RepositoryName'] as const

/** One GitHub (version 1) source action, as it is rewritten. */
export interface MigratedAction {
  stage: string
  action: string
  /** Owner/Repo: the new FullRepositoryId. */
  repository: string
  branch: string
  /** Whether version 1 polled (PollForSourceChanges absent or true). */
  polled: boolean
  /** The webhooks that target it (by name). */
  webhooks: string[]
  /** The new actionTypeId and configuration, exactly as written. */
  actionTypeId: JsonObject
  configuration: JsonObject
}

export interface Rewrite {
  /** The pipeline to send: a copy, the input untouched. */
  pipeline: JsonObject
  actions: MigratedAction[]
}

/** A webhook's target, as ListWebhooks defines it. */
export interface WebhookTarget {
  name: string
  targetAction: string
}

/** A string member, or '' for anything else. */
function str(value: Json | undefined): string {
  return typeof value === 'string' ? value : ''
}

/** Every string inside a JSON value. */
function* strings(value: Json | undefined): Generator<string> {
  if (typeof value === 'string') yield value
  else if (Array.isArray(value)) for (const v of value) yield* strings(v)
  else if (isObject(value)) for (const v of Object.values(value)) yield* strings(v)
}

/** Where the pipeline reads a variable of `namespace` that the new action will not produce. */
function lostVariableReaders(pipeline: JsonObject, namespace: string): string[] {
  const readers = new Set<string>()
  const escaped = namespace.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const pattern = new RegExp(`#\\{${escaped}\\.(${LOST_VARIABLES.join('|')})\\}`)
  const stages = Array.isArray(pipeline['stages']) ? pipeline['stages'] : []
  for (const stage of stages.filter(isObject)) {
    const actions = Array.isArray(stage['actions']) ? stage['actions'] : []
    for (const action of actions.filter(isObject)) {
      const where = `${str(stage['name'])}/${str(action['name'])}`
      for (const text of strings(action)) {
        const found = pattern.exec(text)
        if (found) readers.add(`${where} reads #{${namespace}.${found[1]}}`)
      }
    }
    const { actions: _actions, ...rest } = stage
    for (const text of strings(rest)) {
      const found = pattern.exec(text)
      if (found) readers.add(`stage ${str(stage['name'])} reads #{${namespace}.${found[1]}}`)
    }
  }
  return [...readers]
}

/** Why a GitHub version 1 action cannot be rewritten without losing something; undefined when it can. */
function refusal(pipeline: JsonObject, stage: string, action: JsonObject): string | undefined {
  const label = `the GitHub source action '${stage}/${str(action['name'])}'`
  const config = isObject(action['configuration']) ? action['configuration'] : {}
  const missing = ['Owner', 'Repo', 'Branch'].filter((k) => !str(config[k]).trim())
  if (missing.length > 0) {
    return `${label} has no ${missing.join(', ')}: its repository is not known, so it was not moved to the connection — fix the pipeline definition`
  }
  if ([config['Owner'], config['Repo']].some((v) => str(v).includes('/'))) {
    return `${label} has an Owner or Repo with a '/': FullRepositoryId would be ambiguous, so it was not moved to the connection`
  }
  const unknown = Object.keys(config).filter((k) => !V1_CONFIGURATION.has(k))
  if (unknown.length > 0) {
    return `${label} has configuration ${unknown.map((k) => `'${k}'`).join(', ')}, which the CodeStarSourceConnection action has no place for: it was not moved to the connection, so nothing is lost`
  }
  const namespace = str(action['namespace'])
  if (namespace) {
    const readers = lostVariableReaders(pipeline, namespace)
    if (readers.length > 0) {
      return `${label} has variables the CodeStarSourceConnection action does not produce (${LOST_VARIABLES.join(', ')}), and ${readers.join('; ')}: it was not moved to the connection — change those references first`
    }
  }
  return undefined
}

/**
 * The action with new values for members it has, each in its place: the
 * keys keep their order (an action that can move has both members).
 */
function withValues(object: JsonObject, values: Record<string, Json>): JsonObject {
  return Object.fromEntries(
    Object.entries(object).map(([key, value]) => [
      key,
      Object.hasOwn(values, key) ? values[key] : value
    ])
  ) as JsonObject
}

/**
 * The pipeline with each GitHub (version 1) source moved to `connectionArn`;
 * `webhooks` are those that target this pipeline. Throws PipelineShapeError
 * (nothing to write) when an action cannot move without losing something.
 */
export function rewritePipeline(
  pipeline: JsonObject,
  connectionArn: string,
  webhooks: readonly WebhookTarget[]
): Rewrite {
  // Refuses configurations that are not objects, as the rotation does.
  findGitHubSourceActions(pipeline)
  const copy = structuredClone(pipeline)
  const actions: MigratedAction[] = []
  const stages = Array.isArray(copy['stages']) ? copy['stages'] : []
  for (const stage of stages.filter(isObject)) {
    const stageName = str(stage['name'])
    const list = stage['actions']
    if (!Array.isArray(list)) continue
    for (const [i, action] of list.entries()) {
      if (!isObject(action) || !isGitHubV1Source(action)) continue
      const why = refusal(pipeline, stageName, action)
      if (why) throw new PipelineShapeError(why)
      const config = action['configuration'] as JsonObject
      const name = str(action['name'])
      const polled = str(config['PollForSourceChanges']).toLowerCase() !== 'false'
      const targeting = webhooks.filter((w) => w.targetAction === name).map((w) => w.name)
      const repository = `${str(config['Owner'])}/${str(config['Repo'])}`
      const configuration: JsonObject = {
        ConnectionArn: connectionArn,
        FullRepositoryId: repository,
        BranchName: str(config['Branch']),
        OutputArtifactFormat: 'CODE_ZIP',
        DetectChanges: polled || targeting.length > 0 ? 'true' : 'false'
      }
      const actionTypeId = { ...CONNECTION_ACTION_TYPE }
      list[i] = withValues(action, { actionTypeId, configuration })
      actions.push({
        stage: stageName,
        action: name,
        repository,
        branch: str(config['Branch']),
        polled,
        webhooks: targeting,
        actionTypeId,
        configuration
      })
    }
  }
  return { pipeline: copy, actions }
}
