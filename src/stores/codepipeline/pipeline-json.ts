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
