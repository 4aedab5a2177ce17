/** The CodeBuild source-credential calls of one region; the SDK package is loaded on first use. */
import { lazyClient, type AwsSettings } from '../../aws/client.js'
import { boundedPages, PAGINATION } from '../../aws/pages.js'
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

/** One primary or secondary source of a build project. */
export interface ProjectSource {
  /** `primary`, or the secondary source's sourceIdentifier. */
  id: string
  type: string
  location: string
  /** source.auth: a CODECONNECTIONS or SECRETS_MANAGER resource means the project's own credential. */
  auth?: { type: string; resource?: string }
}

/** A build project, as far as the credential check needs it. */
export interface Project {
  name: string
  sources: ProjectSource[]
  /** A webhook starts the project's builds (the token must manage repository webhooks). */
  webhook: boolean
}

/** BatchGetProjects: "names … Maximum number of 100 items" (CodeBuild API reference). */
const BATCH_GET_PROJECTS_MAX = 100

/** What the rotation needs from CodeBuild in one region. */
export interface CodeBuildApi {
  /** ImportSourceCredentials; returns the credential's ARN. */
  importCredentials(request: ImportRequest): Promise<string | undefined>
  listCredentials(): Promise<SourceCredential[]>
  /** DeleteSourceCredentials; returns the ARN deleted. */
  deleteCredentials(arn: string): Promise<string | undefined>
  /** ListProjects (every page, bounded), then BatchGetProjects at most 100 names a call. */
  listProjects(): Promise<Project[]>
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
    },

    async listProjects() {
      const { sdk, client } = await connect()
      const names: string[] = []
      for await (const page of boundedPages(
        'codebuild:ListProjects',
        sdk.paginateListProjects({ client, ...PAGINATION }, { sortBy: 'NAME' }),
        (page) => page.nextToken
      )) {
        names.push(...(page.projects ?? []))
      }
      const unique = [...new Set(names)]
      const projects: Project[] = []
      for (let i = 0; i < unique.length; i += BATCH_GET_PROJECTS_MAX) {
        const output = await client.send(
          new sdk.BatchGetProjectsCommand({ names: unique.slice(i, i + BATCH_GET_PROJECTS_MAX) })
        )
        for (const project of output.projects ?? []) {
          const sources = [
            ...(project.source ? [{ ...project.source, sourceIdentifier: 'primary' }] : []),
            ...(project.secondarySources ?? [])
          ]
          projects.push({
            name: project.name ?? '',
            webhook: project.webhook !== undefined && project.webhook !== null,
            sources: sources.map((source) => ({
              id: source.sourceIdentifier ?? '',
              type: source.type ?? '',
              location: source.location ?? '',
              ...(source.auth?.type
                ? {
                    auth: {
                      type: source.auth.type,
                      ...(source.auth.resource ? { resource: source.auth.resource } : {})
                    }
                  }
                : {})
            }))
          })
        }
      }
      return projects
    }
  }
}
