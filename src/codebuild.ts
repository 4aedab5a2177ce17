import { lazyClient, type AwsSettings } from './aws.js'
import { describeAwsError, errorName } from './errors.js'
import type { CodeBuildAuthType, CodeBuildServerType, Inputs } from './inputs.js'
import type { Limit } from './pipelines.js'
import { statusCell, type RegionLine, type SummarySection } from './report.js'
import { countStatuses, type Store } from './store.js'

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

export type CodeBuildStatus = 'imported' | 'planned' | 'removed' | 'absent' | 'failed'

/** One entry of the `codebuild-credentials` output. */
export interface CodeBuildResult {
  region: string
  serverType: CodeBuildServerType
  /** The auth type imported, or that of the credential removed. */
  authType: string
  arn?: string
  status: CodeBuildStatus
  error?: string
  note?: string
}

/** Auth types this action writes; a credential of any other type is never replaced. */
const TOKEN_AUTH_TYPES = new Set<string>(['PERSONAL_ACCESS_TOKEN', 'BASIC_AUTH'])
const NOT_FOUND = new Set(['ResourceNotFoundException'])

interface RegionPlan {
  /** status 'planned': apply writes; anything else is final. */
  result: CodeBuildResult
  /** disconnect: the credentials to delete. */
  deletes: SourceCredential[]
}

function describeCredential(credential: SourceCredential): string {
  const resource = credential.resource ? ` (${credential.resource})` : ''
  return `${credential.authType} credential ${credential.arn}${resource}`
}

function conflictMessage(serverType: string, other: SourceCredential): string {
  const keep =
    other.authType === 'CODECONNECTIONS'
      ? 'Projects authenticate through that connection and need no token: to keep it, drop `codebuild` from this step'
      : other.authType === 'SECRETS_MANAGER'
        ? 'CodeBuild reads the token from that secret: to keep it, rotate the secret instead (the `secrets` input) and drop `codebuild` from this step'
        : 'It was authorised in the CodeBuild console: to keep it, drop `codebuild` from this step'
  return (
    `this region already holds a ${serverType} ${describeCredential(other)}, and CodeBuild keeps one credential per server type, so importing the token would replace it: nothing was written. ` +
    `${keep}; to replace it with this token, run once with \`codebuild: disconnect\` (projects that use it lose access until the import), then with \`codebuild: import\`.`
  )
}

async function planRegion(
  region: string,
  inputs: Inputs,
  api: CodeBuildApi,
  warnings: string[]
): Promise<RegionPlan> {
  const { mode, serverType, authType } = inputs.codebuild
  const result: CodeBuildResult = {
    region,
    serverType,
    authType,
    status: 'planned'
  }
  const plan: RegionPlan = { result, deletes: [] }

  let listed: SourceCredential[]
  try {
    listed = await api.listCredentials()
  } catch (error) {
    result.status = 'failed'
    result.error = describeAwsError(error, 'codebuild:ListSourceCredentials')
    return plan
  }
  const own = listed.filter((c) => c.serverType === serverType)

  if (mode === 'disconnect') {
    if (own.length === 0) {
      result.status = 'absent'
      result.note = `no ${serverType} source credential in ${region}`
      return plan
    }
    plan.deletes = own
    result.authType = own.map((c) => c.authType).join(', ')
    result.arn = own.map((c) => c.arn).join(', ')
    return plan
  }

  const conflict = own.find((c) => !TOKEN_AUTH_TYPES.has(c.authType))
  if (conflict) {
    result.status = 'failed'
    result.arn = conflict.arn
    result.error = conflictMessage(serverType, conflict)
    return plan
  }
  const same = own.find((c) => c.authType === authType)
  const switched = own.find((c) => c.authType !== authType)
  if (same) {
    result.arn = same.arn
    result.note = 'replaces the token of the existing credential'
  } else if (switched) {
    result.arn = switched.arn
    result.note = `replaces the ${switched.authType} credential`
    warnings.push(
      `${region}: the ${serverType} ${describeCredential(switched)} ${inputs.dryRun ? 'would be' : 'is'} replaced by a ${authType} credential (CodeBuild keeps one per server type)`
    )
  } else {
    result.note = `no ${serverType} credential yet: creates one`
  }
  return plan
}

async function applyImport(plan: RegionPlan, inputs: Inputs, token: string, api: CodeBuildApi) {
  const { result } = plan
  const { serverType, authType, username } = inputs.codebuild
  let arn: string | undefined
  try {
    arn = await api.importCredentials({
      serverType,
      authType,
      token,
      ...(authType === 'BASIC_AUTH' && username ? { username } : {}),
      shouldOverwrite: true
    })
  } catch (error) {
    result.status = 'failed'
    result.error = describeAwsError(error, 'codebuild:ImportSourceCredentials')
    return
  }
  if (arn) result.arn = arn
  delete result.note

  let listed: SourceCredential[]
  try {
    listed = await api.listCredentials()
  } catch (error) {
    result.status = 'failed'
    result.error = `imported, but not verified: ${describeAwsError(error, 'codebuild:ListSourceCredentials')}`
    return
  }
  const match = listed.find(
    (c) => c.arn === arn && c.serverType === serverType && c.authType === authType
  )
  if (!arn || !match) {
    const own = listed.filter((c) => c.serverType === serverType)
    const found = own.length > 0 ? own.map(describeCredential).join('; ') : 'none'
    result.status = 'failed'
    result.error =
      `ImportSourceCredentials answered ${arn ? `with ${arn}` : 'without an ARN'}, but ListSourceCredentials shows no ${serverType} ${authType} credential with that ARN (${serverType} credentials found: ${found}): ` +
      'the token may not have been stored — check CodeBuild › Settings › Source credentials in this region, then re-run'
    return
  }
  result.status = 'imported'
}

async function applyDisconnect(plan: RegionPlan, api: CodeBuildApi) {
  const { result } = plan
  const gone: string[] = []
  for (const credential of plan.deletes) {
    try {
      await api.deleteCredentials(credential.arn)
      gone.push(credential.arn)
    } catch (error) {
      if (NOT_FOUND.has(errorName(error))) continue
      result.status = 'failed'
      result.error = describeAwsError(error, 'codebuild:DeleteSourceCredentials')
      return
    }
  }
  let listed: SourceCredential[]
  try {
    listed = await api.listCredentials()
  } catch (error) {
    result.status = 'failed'
    result.error = `deleted, but not verified: ${describeAwsError(error, 'codebuild:ListSourceCredentials')}`
    return
  }
  const left = listed.filter((c) => plan.deletes.some((d) => d.arn === c.arn))
  if (left.length > 0) {
    result.status = 'failed'
    result.error = `DeleteSourceCredentials answered, but ListSourceCredentials still shows ${left.map(describeCredential).join('; ')}: check CodeBuild › Settings › Source credentials in this region, then re-run`
    return
  }
  if (gone.length === 0) {
    result.status = 'absent'
    result.note = 'already deleted by the time it was removed'
    return
  }
  result.status = 'removed'
}

export function codebuildSection(results: CodeBuildResult[]): SummarySection {
  return {
    title: 'CodeBuild source credentials',
    headers: ['Region', 'Server type', 'Auth type', 'Credential', 'Status'],
    rows: results.map((r) => [
      r.region,
      r.serverType,
      r.authType,
      r.arn ?? '–',
      [statusCell(r.status), r.error ?? r.note ?? ''].filter(Boolean).join(': ')
    ])
  }
}

export function codebuildLines(results: CodeBuildResult[]): RegionLine[] {
  return results.map((r) => {
    const arn = r.arn ? ` ${r.arn}` : ''
    const detail = r.error ?? r.note
    return {
      region: r.region,
      line: `${r.status.padEnd(8)} codebuild ${r.serverType} ${r.authType}${arn}${detail ? ` — ${detail}` : ''}`
    }
  })
}

/** The `codebuild-credentials` output: the documented fields only. */
function outputEntry(r: CodeBuildResult) {
  const { region, serverType, authType, arn, status, error } = r
  return { region, serverType, authType, arn, status, error }
}

/** CodeBuild source credentials as a Store: one credential per region of `regions`. */
export function codebuildStore(
  inputs: Inputs,
  apiFor: (region: string) => CodeBuildApi,
  limit: Limit
): Store {
  let plans: RegionPlan[] = []
  const warnings: string[] = []
  const results = () => plans.map((p) => p.result)
  return {
    async plan() {
      if (inputs.codebuild.mode === 'off') return
      plans = await Promise.all(
        inputs.regions.map((region) =>
          limit(() => planRegion(region, inputs, apiFor(region), warnings))
        )
      )
    },
    async apply(token) {
      await Promise.all(
        plans
          .filter((p) => p.result.status === 'planned')
          .map((p) =>
            limit(() =>
              inputs.codebuild.mode === 'disconnect'
                ? applyDisconnect(p, apiFor(p.result.region))
                : applyImport(p, inputs, token, apiFor(p.result.region))
            )
          )
      )
    },
    sections: () => [codebuildSection(results())],
    lines: () => codebuildLines(results()),
    outputs: () =>
      inputs.codebuild.mode === 'off'
        ? {}
        : { 'codebuild-credentials': results().map(outputEntry) },
    failures: () =>
      results()
        .filter((r) => r.status === 'failed')
        .map((r) => `${r.region} codebuild: ${r.error}`),
    warnings: () => warnings,
    headline: () =>
      inputs.codebuild.mode === 'off' ? undefined : `CodeBuild: ${countStatuses(results())}`
  }
}
