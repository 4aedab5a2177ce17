/**
 * Pure functions over the pipeline JSON exactly as GetPipeline returned it.
 * They never go through the SDK's typed shapes, so members the bundled SDK
 * does not know (added by AWS after this action was released) survive.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
export type JsonObject = { [key: string]: Json }

export interface GitHubSourceAction {
  stage: string
  action: string
  owner: string
  repo: string
  branch: string
  /** false means webhooks: the token needs admin:repo_hook to manage them. */
  pollForSourceChanges: boolean
}

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function str(value: Json | undefined): string {
  return typeof value === 'string' ? value : ''
}

function objects(value: Json | undefined): JsonObject[] {
  return Array.isArray(value) ? value.filter(isObject) : []
}

/**
 * The GitHub (version 1) source action: the only kind that holds an
 * OAuthToken. Other versions of ThirdParty/GitHub are not it, and their
 * configuration is never touched.
 */
export function isGitHubV1Source(action: JsonObject): boolean {
  const type = action['actionTypeId']
  return (
    isObject(type) &&
    type['category'] === 'Source' &&
    type['owner'] === 'ThirdParty' &&
    type['provider'] === 'GitHub' &&
    type['version'] === '1'
  )
}

/** A pipeline whose GitHub action cannot be rewritten without losing something. */
export class PipelineShapeError extends Error {}

function* githubActions(pipeline: JsonObject): Generator<[JsonObject, JsonObject]> {
  for (const stage of objects(pipeline['stages'])) {
    for (const action of objects(stage['actions'])) {
      if (isGitHubV1Source(action)) yield [stage, action]
    }
  }
}

/** The GitHub v1 source actions; throws PipelineShapeError for one that cannot be patched. */
export function findGitHubSourceActions(pipeline: JsonObject): GitHubSourceAction[] {
  const found: GitHubSourceAction[] = []
  for (const [stage, action] of githubActions(pipeline)) {
    const config = action['configuration']
    if (config !== undefined && !isObject(config)) {
      throw new PipelineShapeError(
        `the GitHub source action '${str(stage['name'])}/${str(action['name'])}' has a configuration that is ${Array.isArray(config) ? 'an array' : `a ${config === null ? 'null' : typeof config}`}, not an object: it was not rewritten — fix the pipeline definition`
      )
    }
    const settings = config ?? {}
    found.push({
      stage: str(stage['name']),
      action: str(action['name']),
      owner: str(settings['Owner']),
      repo: str(settings['Repo']),
      branch: str(settings['Branch']),
      // CodePipeline's default for GitHub v1 is polling (true) when unset.
      pollForSourceChanges: str(settings['PollForSourceChanges']).toLowerCase() !== 'false'
    })
  }
  return found
}

/**
 * Returns a copy of the pipeline with `token` as the OAuthToken of every
 * GitHub v1 source action. Everything else — including `****` in other
 * actions' secret properties, which AWS keeps as stored when sent back
 * unchanged — is copied as it was.
 */
export function withGitHubToken(pipeline: JsonObject, token: string): JsonObject {
  const copy = structuredClone(pipeline)
  for (const [, action] of githubActions(copy)) {
    const config = action['configuration']
    if (config !== undefined && !isObject(config)) {
      throw new PipelineShapeError(
        'a GitHub source action has a configuration that is not an object'
      )
    }
    action['configuration'] = { ...(config ?? {}), OAuthToken: token }
  }
  return copy
}

export function versionOf(pipeline: JsonObject): number | undefined {
  const version = pipeline['version']
  return typeof version === 'number' ? version : undefined
}

/** V1 or V2 (CodePipeline: a pipeline without pipelineType is V1). */
export function pipelineType(pipeline: JsonObject): string {
  return str(pipeline['pipelineType']) || 'V1'
}

/** SUPERSEDED, QUEUED or PARALLEL (the default is SUPERSEDED). */
export function executionMode(pipeline: JsonObject): string {
  return str(pipeline['executionMode']) || 'SUPERSEDED'
}

/** Each source action's name and provider: what a restart may pin to a revision. */
export function sourceActions(pipeline: JsonObject): { name: string; provider: string }[] {
  const found: { name: string; provider: string }[] = []
  for (const stage of objects(pipeline['stages'])) {
    for (const action of objects(stage['actions'])) {
      const type = action['actionTypeId']
      if (isObject(type) && type['category'] === 'Source') {
        found.push({ name: str(action['name']), provider: str(type['provider']) })
      }
    }
  }
  return found
}

/** Two JSON values, compared member by member (the order of an object's keys does not count). */
function sameJson(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => sameJson(item, b[i]))
  }
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    return [...keys].every((key) => sameJson(a[key], b[key]))
  }
  return false
}

function named(items: JsonObject[]): Map<string, JsonObject> {
  return new Map(items.map((item) => [str(item['name']), item]))
}

const MAX_CHANGES = 8

/**
 * What another change moved between two reads of a pipeline, in words: the
 * stages and actions added, removed or changed, and the other settings
 * changed (`version` aside). Names only, never values; at most a few.
 */
export function describeChanges(before: JsonObject, after: JsonObject): string[] {
  const changes: string[] = []
  const stagesBefore = named(objects(before['stages']))
  const stagesAfter = named(objects(after['stages']))
  for (const [name, stage] of stagesAfter) {
    const old = stagesBefore.get(name)
    if (!old) {
      changes.push(`stage '${name}' added`)
      continue
    }
    const actionsBefore = named(objects(old['actions']))
    const actionsAfter = named(objects(stage['actions']))
    for (const [action, value] of actionsAfter) {
      const was = actionsBefore.get(action)
      if (!was) changes.push(`action '${name}/${action}' added`)
      else if (!sameJson(was, value)) changes.push(`action '${name}/${action}' changed`)
    }
    for (const action of actionsBefore.keys()) {
      if (!actionsAfter.has(action)) changes.push(`action '${name}/${action}' removed`)
    }
    const rest = (s: JsonObject) => ({ ...s, actions: null })
    if (!sameJson(rest(old), rest(stage))) changes.push(`stage '${name}' settings changed`)
  }
  for (const name of stagesBefore.keys()) {
    if (!stagesAfter.has(name)) changes.push(`stage '${name}' removed`)
  }
  const order = (p: JsonObject) => [...named(objects(p['stages'])).keys()].join('\u0000')
  if (changes.length === 0 && order(before) !== order(after)) changes.push('stages reordered')
  const keys = new Set([...Object.keys(before), ...Object.keys(after)])
  for (const key of [...keys].sort()) {
    if (key === 'stages' || key === 'version') continue
    if (!sameJson(before[key], after[key])) changes.push(`${key} changed`)
  }
  if (changes.length > MAX_CHANGES) {
    return [...changes.slice(0, MAX_CHANGES), `${changes.length - MAX_CHANGES} more`]
  }
  return changes
}
