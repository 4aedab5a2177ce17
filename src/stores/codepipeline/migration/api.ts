/**
 * The two AWS calls of the migration's checks that are not CodePipeline's:
 * GetConnection and iam:SimulatePrincipalPolicy. Each SDK client is loaded
 * and built on first use (most runs migrate nothing).
 *
 * GetConnection goes through the CodeStar Connections client for both ARN
 * prefixes: the service was renamed ("Resources created with the previous
 * namespace codestar-connections will still be supported"), and the
 * CodeConnections SDK package is not one this action can install here.
 */
import { lazyClient, perRegion, type AwsSettings } from '../../../aws/client.js'
import { PAGINATION, boundedPages } from '../../../aws/pages.js'
import type { ConnectionArn } from '../../../inputs/connection.js'
import type { ConnectionFacts, SimulationFacts } from './preflight.js'

export interface ConnectionsApi {
  getConnection(connection: ConnectionArn): Promise<ConnectionFacts>
}

export interface PolicySimulatorApi {
  /** SimulatePrincipalPolicy of `roleArn` for `action` on `resource`. */
  simulate(roleArn: string, action: string, resource: string): Promise<SimulationFacts>
}

/** GetConnection, in the connection's own region (connections are global; it is where they live). */
export function createConnectionsApi(settings: AwsSettings): ConnectionsApi {
  const clientIn = perRegion((region) =>
    lazyClient(
      settings,
      region,
      () => import('@aws-sdk/client-codestar-connections'),
      (sdk, config) => new sdk.CodeStarConnectionsClient(config)
    )
  )
  return {
    async getConnection(connection) {
      const { sdk, client } = await clientIn(connection.region)()
      const output = await client.send(
        new sdk.GetConnectionCommand({ ConnectionArn: connection.arn })
      )
      const found = output.Connection
      return {
        status: found?.ConnectionStatus ?? '',
        providerType: found?.ProviderType ?? '',
        ownerAccountId: found?.OwnerAccountId,
        hostArn: found?.HostArn
      }
    }
  }
}

/** SimulatePrincipalPolicy; IAM is global, `region` only picks the partition's endpoint. */
export function createPolicySimulatorApi(
  settings: AwsSettings,
  region: string
): PolicySimulatorApi {
  const iam = lazyClient(
    settings,
    region,
    () => import('@aws-sdk/client-iam'),
    (sdk, config) => new sdk.IAMClient(config)
  )
  return {
    async simulate(roleArn, action, resource) {
      const { sdk, client } = await iam()
      const pages = boundedPages(
        'iam:SimulatePrincipalPolicy',
        sdk.paginateSimulatePrincipalPolicy(
          { client, ...PAGINATION },
          { PolicySourceArn: roleArn, ActionNames: [action], ResourceArns: [resource] }
        ),
        (page) => page.Marker
      )
      for await (const page of pages) {
        for (const result of page.EvaluationResults ?? []) {
          if (result.EvalActionName?.toLowerCase() !== action.toLowerCase()) continue
          return {
            decision: result.EvalDecision ?? '',
            matched: [
              ...new Set(
                (result.MatchedStatements ?? []).flatMap((s) =>
                  s.SourcePolicyId ? [s.SourcePolicyId] : []
                )
              )
            ],
            allowedByBoundary:
              result.PermissionsBoundaryDecisionDetail?.AllowedByPermissionsBoundary,
            allowedByOrganizations: result.OrganizationsDecisionDetail?.AllowedByOrganizations
          }
        }
      }
      throw new Error(
        `iam:SimulatePrincipalPolicy answered no result for ${action} on ${resource}: re-run`
      )
    }
  }
}
