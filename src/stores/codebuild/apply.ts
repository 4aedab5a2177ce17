/** Writing one region's credential: import (or delete) it, then list again to verify. */
import { describeAwsError, isNotFound } from '../../aws/errors.js'
import type { SealedToken } from '../../core/sealed-token.js'
import type { CodeBuildSettings } from '../../inputs/types.js'
import type { CodeBuildApi, SourceCredential } from './api.js'
import { describeCredential } from './plan.js'
import type { CredentialPlan } from './types.js'

export async function applyImport(
  plan: CredentialPlan,
  settings: CodeBuildSettings,
  token: SealedToken,
  api: CodeBuildApi
): Promise<void> {
  const { result } = plan
  const { serverType, authType, username } = settings
  let arn: string | undefined
  try {
    arn = await api.importCredentials({
      serverType,
      authType,
      token: token.reveal(),
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

export async function applyDisconnect(plan: CredentialPlan, api: CodeBuildApi): Promise<void> {
  const { result } = plan
  const gone: string[] = []
  for (const credential of plan.deletes) {
    try {
      await api.deleteCredentials(credential.arn)
      gone.push(credential.arn)
    } catch (error) {
      if (isNotFound(error)) continue
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
