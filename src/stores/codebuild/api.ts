/** The CodeBuild source-credential calls of one region; the SDK package is loaded on first use. */
import { lazyClient, type AwsSettings } from '../../aws/client.js'
import type { CodeBuildAuthType, CodeBuildServerType } from '../../inputs/types.js'

/** One entry of ListSourceCredentials. */
export interface SourceCredential {
  arn: string
  serverType: string
  authType: string
  /** The connection or secret ARN of a CODECONNECTIONS / SECRETS_MANAGER credential. */
  resource?: string
}

export interface ImportRequest {
  serverType: CodeBuildServerType
  authType: CodeBuildAuthType
  token: string
  username?: string
  shouldOverwrite: boolean
}

/** What the rotation needs from CodeBuild in one region. */
export interface CodeBuildApi {
  /** ImportSourceCredentials; returns the credential's ARN. */
  importCredentials(request: ImportRequest): Promise<string | undefined>
  listCredentials(): Promise<SourceCredential[]>
  /** DeleteSourceCredentials; returns the ARN deleted. */
  deleteCredentials(arn: string): Promise<string | undefined>
}

export function createCodeBuildApi(settings: AwsSettings, region: string): CodeBuildApi {
  // Loaded on first use: most runs leave CodeBuild alone.
  const connect = lazyClient(
    settings,
    region,
    () => import(/* webpackMode: "eager" */ '@aws-sdk/client-codebuild'),
    (sdk, config) => new sdk.CodeBuildClient(config)
  )

  return {
    async importCredentials(request) {
      const { sdk, client } = await connect()
      const output = await client.send(new sdk.ImportSourceCredentialsCommand(request))
      return output.arn
    },

    async listCredentials() {
      // ListSourceCredentials is not paginated: one credential per server type at most.
      const { sdk, client } = await connect()
      const output = await client.send(new sdk.ListSourceCredentialsCommand({}))
      return (output.sourceCredentialsInfos ?? []).map((info) => ({
        arn: info.arn ?? '',
        serverType: info.serverType ?? '',
        authType: info.authType ?? '',
        ...(info.resource ? { resource: info.resource } : {})
      }))
    },

    async deleteCredentials(arn) {
      const { sdk, client } = await connect()
      const output = await client.send(new sdk.DeleteSourceCredentialsCommand({ arn }))
      return output.arn
    }
  }
}
