/**
 * Planning (read-only): each region's source credential for the server
 * type. CodeBuild keeps one per server type, so an import replaces whatever
 * is there — refused for a credential of another kind (a CodeConnections
 * connection, an OAuth app). A credential kept in Secrets Manager is rotated
 * in its secret instead ("Create and store a token in a Secrets Manager
 * secret", CodeBuild user guide: the secret's JSON has ServerType, AuthType
 * and Token).
 */
import { describeAwsError } from '../../aws/errors.js'
import type { ValueRef } from '../../core/refs.js'
import { splitArn } from '../../inputs/arn.js'
import type { SecretsStore } from '../secrets-manager/store.js'
import type { CodeBuildApi, SourceCredential } from './api.js'
import type { CodeBuildInputs, CodeBuildResult, CredentialPlan } from './types.js'

/** Auth types this action imports; a credential of any other type is never replaced. */
const TOKEN_AUTH_TYPES = new Set<string>(['PERSONAL_ACCESS_TOKEN', 'BASIC_AUTH'])

export function describeCredential(credential: SourceCredential): string {
  const resource = credential.resource ? ` (${credential.resource})` : ''
  return `${credential.authType} credential ${credential.arn}${resource}`
}

function conflictMessage(serverType: string, other: SourceCredential): string {
  const keep =
    other.authType === 'CODECONNECTIONS'
      ? 'Projects authenticate through that connection and need no token: to keep it, drop `codebuild` from this step'
      : 'It was authorised in the CodeBuild console: to keep it, drop `codebuild` from this step'
  return (
    `this region already holds a ${serverType} ${describeCredential(other)}, and CodeBuild keeps one credential per server type, so importing the token would replace it: nothing was written. ` +
    `${keep}; to replace it with this token, run once with \`codebuild: disconnect\` (projects that use it lose access until the import), then with \`codebuild: import\`.`
  )
}

/** The credential's secret, for the Secrets Manager store to rotate (its `Token` key). */
function secretRef(region: string, credential: SourceCredential): ValueRef | undefined {
  const arn = credential.resource ? splitArn(credential.resource) : undefined
  if (!credential.resource || !arn || arn.service !== 'secretsmanager') return undefined
  return {
    entry: `${credential.resource}#Token`,
    id: credential.resource,
    key: 'Token',
    region: arn.region,
    account: arn.account,
    origin: `CodeBuild credential in ${region}`
  }
}

export async function planCredential(
  region: string,
  inputs: CodeBuildInputs,
  api: CodeBuildApi,
  secrets: SecretsStore,
  warnings: string[]
): Promise<CredentialPlan> {
  const { mode, serverType, authType } = inputs.codebuild
  const result: CodeBuildResult = { region, serverType, authType, status: 'planned' }
  const plan: CredentialPlan = { result, deletes: [] }

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

  const kept = own.find((c) => c.authType === 'SECRETS_MANAGER')
  if (kept) {
    result.authType = kept.authType
    result.arn = kept.arn
    const ref = secretRef(region, kept)
    if (!ref) {
      result.status = 'failed'
      result.error = `the ${serverType} ${describeCredential(kept)} names no Secrets Manager secret ARN: check CodeBuild › Settings › Source credentials in this region`
      return plan
    }
    result.secretArn = kept.resource
    result.note = `via secret ${kept.resource}: its Token key is rotated; the credential itself is not touched`
    plan.secret = secrets.contribute(ref)
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
