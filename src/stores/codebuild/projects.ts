/**
 * The build projects of a region that the account's source credential
 * serves: every primary and secondary source of the server type being
 * imported that does not name its own credential in `source.auth` (a
 * Secrets Manager secret or a connection — those are reported, not checked).
 * Each source's `location` names the repository the token must reach.
 */
import { describeAwsError } from '../../aws/errors.js'
import type { Inputs } from '../../inputs/types.js'
import type { CodeBuildApi, Project, ProjectSource } from './api.js'

/** A project's sources that use the account credential, shaped as the token check's targets. */
export interface ProjectTarget {
  kind: 'codebuild'
  region: string
  /** The project's name. */
  name: string
  actions: {
    stage: string
    /** `primary`, or the secondary source's identifier. */
    action: string
    /** GitHub owner, or Bitbucket workspace. */
    owner: string
    /** GitHub repository, or Bitbucket repository slug. */
    repo: string
    /** false: a webhook starts the builds. */
    pollForSourceChanges: boolean
  }[]
}

/** One project source, as the summary lists it. */
export interface ProjectUse {
  region: string
  project: string
  source: string
  location: string
  /** `account` (the credential rotated), `own` (its own secret or connection), `unchecked`. */
  credential: 'account' | 'own' | 'unchecked'
  note?: string
}

export interface ProjectScan {
  targets: ProjectTarget[]
  uses: ProjectUse[]
  warnings: string[]
}

/** The CodeBuild source type of each server type (ProjectSource.type). */
const SOURCE_TYPE: Record<string, string> = {
  GITHUB: 'GITHUB',
  GITHUB_ENTERPRISE: 'GITHUB_ENTERPRISE',
  BITBUCKET: 'BITBUCKET'
}

/** Auth types that name the project's own credential (source.auth.resource). */
const OWN_CREDENTIAL = new Set(['CODECONNECTIONS', 'SECRETS_MANAGER'])

/**
 * OWNER/REPO of a source location: `https://github.com/OWNER/REPO(.git)`,
 * `https://HOST/OWNER/REPO(.git)` on the GitHub Enterprise Server host of
 * `github-api-url`, `https://bitbucket.org/WORKSPACE/REPO(.git)`; a string
 * on why not otherwise.
 */
export function parseLocation(
  serverType: string,
  location: string,
  githubApiUrl: string
): { owner: string; repo: string } | { problem: string } {
  let url: URL
  try {
    url = new URL(location.trim())
  } catch {
    return { problem: 'not a URL' }
  }
  const host = url.hostname.toLowerCase()
  const expected =
    serverType === 'BITBUCKET'
      ? ['bitbucket.org', 'www.bitbucket.org']
      : serverType === 'GITHUB'
        ? ['github.com', 'www.github.com']
        : [new URL(githubApiUrl).hostname.toLowerCase()]
  if (url.protocol !== 'https:' || !expected.includes(host)) {
    return {
      problem:
        serverType === 'GITHUB_ENTERPRISE'
          ? `not on ${expected[0] ?? ''}, the host of github-api-url`
          : `not an https://${expected[0] ?? ''}/ repository URL`
    }
  }
  const parts = url.pathname.replace(/\/+$/, '').split('/').slice(1)
  const [owner = '', rawRepo = ''] = parts
  const repo = rawRepo.replace(/\.git$/i, '')
  if (parts.length !== 2 || owner === '' || repo === '') {
    return { problem: 'not OWNER/REPOSITORY' }
  }
  return { owner: decodeURIComponent(owner), repo: decodeURIComponent(repo) }
}

function sourceUse(
  region: string,
  project: Project,
  source: ProjectSource,
  credential: ProjectUse['credential'],
  note?: string
): ProjectUse {
  return {
    region,
    project: project.name,
    source: source.id,
    location: source.location,
    credential,
    ...(note ? { note } : {})
  }
}

/** The region's projects the credential serves; a listing that fails is a warning. */
export async function scanProjects(
  region: string,
  inputs: Pick<Inputs, 'codebuild' | 'githubApiUrl'>,
  api: CodeBuildApi
): Promise<ProjectScan> {
  const scan: ProjectScan = { targets: [], uses: [], warnings: [] }
  const { serverType } = inputs.codebuild
  let projects: Project[]
  try {
    projects = await api.listProjects()
  } catch (error) {
    scan.warnings.push(
      `${region}: the build projects could not be listed, so the repositories they build were not checked with the token: ${describeAwsError(error, 'codebuild:ListProjects, codebuild:BatchGetProjects')}`
    )
    return scan
  }
  for (const project of [...projects].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const target: ProjectTarget = { kind: 'codebuild', region, name: project.name, actions: [] }
    for (const source of project.sources) {
      if (source.type !== SOURCE_TYPE[serverType]) continue
      if (source.auth && OWN_CREDENTIAL.has(source.auth.type) && source.auth.resource) {
        scan.uses.push(
          sourceUse(
            region,
            project,
            source,
            'own',
            `uses its own ${source.auth.type} credential ${source.auth.resource}: not rotated, not checked`
          )
        )
        continue
      }
      const parsed = parseLocation(serverType, source.location, inputs.githubApiUrl)
      if ('problem' in parsed) {
        const note = `its location is ${parsed.problem}: the token was not checked against it`
        scan.uses.push(sourceUse(region, project, source, 'unchecked', note))
        scan.warnings.push(
          `${region}: CodeBuild project '${project.name}' (${source.id} source) builds '${source.location.slice(0, 200)}', which is ${parsed.problem}: the token was not checked against it`
        )
        continue
      }
      scan.uses.push(sourceUse(region, project, source, 'account'))
      target.actions.push({
        stage: '',
        action: source.id,
        owner: parsed.owner,
        repo: parsed.repo,
        pollForSourceChanges: !project.webhook
      })
    }
    if (target.actions.length > 0) scan.targets.push(target)
  }
  return scan
}
