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

/** A GitHub (version 1) source action: the only kind that holds an OAuthToken. */
export function isGitHubV1Source(action: JsonObject): boolean {
  const type = action['actionTypeId']
  return (
    isObject(type) &&
    type['category'] === 'Source' &&
    type['owner'] === 'ThirdParty' &&
    type['provider'] === 'GitHub'
  )
}

export function findGitHubSourceActions(pipeline: JsonObject): GitHubSourceAction[] {
  const found: GitHubSourceAction[] = []
  for (const stage of objects(pipeline['stages'])) {
    for (const action of objects(stage['actions'])) {
      if (!isGitHubV1Source(action)) continue
      const config = isObject(action['configuration']) ? action['configuration'] : {}
      found.push({
        stage: str(stage['name']),
        action: str(action['name']),
        owner: str(config['Owner']),
        repo: str(config['Repo']),
        branch: str(config['Branch']),
        // CodePipeline's default for GitHub v1 is polling (true) when unset.
        pollForSourceChanges: str(config['PollForSourceChanges']).toLowerCase() !== 'false'
      })
    }
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
  for (const stage of objects(copy['stages'])) {
    for (const action of objects(stage['actions'])) {
      if (!isGitHubV1Source(action)) continue
      const config = isObject(action['configuration']) ? action['configuration'] : {}
      config['OAuthToken'] = token
      action['configuration'] = config
    }
  }
  return copy
}

export function versionOf(pipeline: JsonObject): number | undefined {
  const version = pipeline['version']
  return typeof version === 'number' ? version : undefined
}
