/**
 * The checks before a migration writes anything, as pure functions over what
 * AWS answered: the region has CodeConnections, the connection is usable
 * (AVAILABLE, the provider github-api-url points at, usable from the
 * pipeline's account), and the role that runs the source action may use it.
 * Each returns undefined when the check passes, else the sentence that says
 * what is wrong and what to do.
 */
import { describeAwsError, errorName, isAccessDenied } from '../../../aws/errors.js'
import type { ConnectionArn } from '../../../inputs/connection.js'
import { isObject, type JsonObject } from '../pipeline-json.js'

/**
 * The regions without CodeConnections. CodePipeline user guide, the
 * CodeStarSourceConnection action reference: "This feature is not available
 * in the Asia Pacific (Hong Kong), Asia Pacific (Hyderabad), Asia Pacific
 * (Jakarta), Asia Pacific (Melbourne), Asia Pacific (Osaka), Africa (Cape
 * Town), Middle East (Bahrain), Middle East (UAE), Europe (Spain), Europe
 * (Zurich), Israel (Tel Aviv), or AWS GovCloud (US-West) Regions."
 */
export const REGIONS_WITHOUT_CONNECTIONS: Readonly<Record<string, string>> = {
  'ap-east-1': 'Asia Pacific (Hong Kong)',
  'ap-south-2': 'Asia Pacific (Hyderabad)',
  'ap-southeast-3': 'Asia Pacific (Jakarta)',
  'ap-southeast-4': 'Asia Pacific (Melbourne)',
  'ap-northeast-3': 'Asia Pacific (Osaka)',
  'af-south-1': 'Africa (Cape Town)',
  'me-south-1': 'Middle East (Bahrain)',
  'me-central-1': 'Middle East (UAE)',
  'eu-south-2': 'Europe (Spain)',
  'eu-central-2': 'Europe (Zurich)',
  'il-central-1': 'Israel (Tel Aviv)',
  'us-gov-west-1': 'AWS GovCloud (US-West)'
}

/** Why a pipeline in `region` cannot use a connection; undefined when it can. */
export function regionProblem(region: string): string | undefined {
  const name = REGIONS_WITHOUT_CONNECTIONS[region]
  if (name === undefined) return undefined
  return `${region} (${name}) has no CodeConnections (the CodeStarSourceConnection action is not available there, per its action reference): the pipeline keeps its GitHub (version 1) source and its token`
}

export type GitHubProvider = 'GitHub' | 'GitHubEnterpriseServer'

/** The connection provider type that serves `github-api-url`: GitHub Enterprise Server for https://HOST/api/v3. */
export function expectedProvider(githubApiUrl: string): GitHubProvider {
  const url = new URL(githubApiUrl)
  return url.hostname !== 'api.github.com' && /\/api\/v3\/?$/.test(url.pathname)
    ? 'GitHubEnterpriseServer'
    : 'GitHub'
}

/** What GetConnection says of the connection. */
export interface ConnectionFacts {
  status: string
  providerType: string
  ownerAccountId: string | undefined
  hostArn: string | undefined
}

/** The console page where a connection is completed or updated. */
export function consoleUrl(connection: ConnectionArn): string {
  const host =
    connection.partition === 'aws-cn'
      ? 'console.amazonaws.cn'
      : connection.partition === 'aws-us-gov'
        ? 'console.amazonaws-us-gov.com'
        : 'console.aws.amazon.com'
  return `https://${host}/codesuite/settings/connections?region=${connection.region}`
}

/** Why the connection cannot take the pipelines of `pipelineAccount`; undefined when it can. */
export function connectionProblem(
  facts: ConnectionFacts,
  connection: ConnectionArn,
  pipelineAccount: string | undefined,
  expected: GitHubProvider
): string | undefined {
  const named = `connection ${connection.arn}`
  if (facts.status === 'PENDING') {
    return `${named} is PENDING: a connection created through the API, the CLI or CloudFormation stays PENDING until someone completes it in the console — open ${consoleUrl(connection)}, choose the connection, choose "Update pending connection" and install (or choose) the AWS Connector for GitHub app on the organization that owns the repositories; then re-run. Nothing was written`
  }
  if (facts.status === 'ERROR') {
    return `${named} is in ERROR (its GitHub App installation was removed, suspended or lost access): open ${consoleUrl(connection)}, choose the connection and update it; then re-run. Nothing was written`
  }
  if (facts.status !== 'AVAILABLE') {
    return `${named} is ${facts.status || 'in no known status'}, not AVAILABLE: nothing was written`
  }
  if (facts.providerType !== expected) {
    const why =
      expected === 'GitHub'
        ? 'github-api-url is GitHub.com'
        : 'github-api-url is a GitHub Enterprise Server (…/api/v3)'
    return `${named} is a ${facts.providerType || 'connection of no provider type'} connection, but ${why}, so the pipelines need a ${expected} connection: give one in connection-arn. Nothing was written`
  }
  const owner = facts.ownerAccountId ?? connection.account
  if (pipelineAccount !== undefined && owner !== pipelineAccount) {
    if (connection.service === 'codestar-connections') {
      return `${named} belongs to account ${owner}, and the pipeline is in ${pipelineAccount}: "Connection sharing is not supported for codestar-connections resources" — create a connection in ${pipelineAccount} (or a codeconnections one in ${owner} shared with ${pipelineAccount} through AWS RAM). Nothing was written`
    }
  }
  return undefined
}

/** Why GetConnection failed, and what to do. */
export function getConnectionFailure(
  error: unknown,
  connection: ConnectionArn,
  account: string | undefined
): string {
  const name = errorName(error)
  if (name === 'ResourceNotFoundException') {
    const from = account ? ` from account ${account}` : ''
    return `connection ${connection.arn} was not found${from}: check connection-arn; a connection of another account must be a codeconnections connection shared with this one through AWS RAM. Nothing was written`
  }
  return `${describeAwsError(error, 'codestar-connections:GetConnection')} (GetConnection of ${connection.arn}). Nothing was written`
}

/** The IAM action a role needs to use the connection: the service prefix is the ARN's. */
export function useConnectionAction(connection: ConnectionArn): string {
  return `${connection.service}:UseConnection`
}

/** The policy statement that lets a role use the connection. */
export function useConnectionStatement(connection: ConnectionArn): JsonObject {
  return { Effect: 'Allow', Action: useConnectionAction(connection), Resource: connection.arn }
}

/**
 * The role that runs a source action: the action's own roleArn when it has
 * one ("The ARN of the IAM service role that performs the declared action.
 * This is assumed through the roleArn for the pipeline."), else the
 * pipeline's service role.
 */
export function roleFor(pipeline: JsonObject, action: JsonObject): string | undefined {
  const own = action['roleArn']
  if (typeof own === 'string' && own) return own
  const role = pipeline['roleArn']
  return typeof role === 'string' && role ? role : undefined
}

/** What SimulatePrincipalPolicy decided for the action on the connection. */
export interface SimulationFacts {
  decision: string
  /** The policies whose statements decided it (the Deny ones when denied). */
  matched: string[]
  /** false: the role's permissions boundary does not allow it. */
  allowedByBoundary: boolean | undefined
  /** false: a service control policy does not allow it. */
  allowedByOrganizations: boolean | undefined
}

/** Why the role may not use the connection; undefined when it may. */
export function roleProblem(
  roleArn: string,
  connection: ConnectionArn,
  facts: SimulationFacts
): string | undefined {
  const action = useConnectionAction(connection)
  if (facts.decision === 'allowed') return undefined
  const statement = JSON.stringify(useConnectionStatement(connection))
  if (facts.decision === 'explicitDeny') {
    const by = facts.matched.length > 0 ? ` by ${facts.matched.join(', ')}` : ''
    return `role ${roleArn} is explicitly denied ${action} on the connection${by}: the pipeline could not fetch its source — narrow that Deny, then re-run. Nothing was written`
  }
  const also = [
    facts.allowedByBoundary === false ? 'its permissions boundary must allow it too' : '',
    facts.allowedByOrganizations === false ? 'a service control policy must allow it too' : ''
  ].filter(Boolean)
  return `role ${roleArn} may not use the connection (${action} is not allowed): the pipeline could not fetch its source — add this statement to one of its policies${also.length > 0 ? ` (${also.join('; ')})` : ''}: ${statement}. Nothing was written`
}

/** Why the simulation itself failed, and what to do. */
export function simulationFailure(error: unknown, roleArn: string): string {
  if (isAccessDenied(error) && errorName(error) !== 'UnrecognizedClientException') {
    return `${describeAwsError(error, 'iam:SimulatePrincipalPolicy')} — without it, whether role ${roleArn} may use the connection cannot be checked: grant the rotator role iam:SimulatePrincipalPolicy on ${roleArn}. Nothing was written`
  }
  if (errorName(error) === 'NoSuchEntityException' || errorName(error) === 'NoSuchEntity') {
    return `role ${roleArn} does not exist (or is in another account), so the pipeline cannot run its source: fix the pipeline's roleArn. Nothing was written`
  }
  return `${describeAwsError(error, 'iam:SimulatePrincipalPolicy')} (checking role ${roleArn}). Nothing was written`
}

/** The source actions' roles, each once: what to simulate for a pipeline. */
export function rolesToCheck(pipeline: JsonObject, actionNames: readonly string[]): string[] {
  const roles = new Set<string>()
  const stages = Array.isArray(pipeline['stages']) ? pipeline['stages'] : []
  for (const stage of stages.filter(isObject)) {
    const actions = Array.isArray(stage['actions']) ? stage['actions'] : []
    for (const action of actions.filter(isObject)) {
      const name = `${String(stage['name'])}/${String(action['name'])}`
      if (!actionNames.includes(name)) continue
      const role = roleFor(pipeline, action)
      if (role) roles.add(role)
    }
  }
  return [...roles]
}
