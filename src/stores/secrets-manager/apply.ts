/**
 * Writing one secret: read it again (a JSON edit must start from the latest
 * value), write a new AWSCURRENT version, read it back to verify.
 */
import { describeAwsError } from '../../aws/errors.js'
import { newValueText, ValueShapeError } from '../../core/json-edit.js'
import type { Limit } from '../../core/limit.js'
import type { Secret } from '../../core/secret.js'
import type { PutResult, SecretsApi, SecretValue } from './api.js'
import { describeChange, textOf } from './plan.js'
import type { SecretResult, SecretWrite } from './types.js'

export async function applyWrite(
  write: SecretWrite,
  token: Secret,
  api: SecretsApi,
  limit: Limit
): Promise<void> {
  const setAll = (patch: Partial<SecretResult>) => {
    for (const result of write.results) Object.assign(result, patch)
  }

  let current: SecretValue
  let before: string
  let edit: { text: string; added: string[] }
  try {
    current = await limit(() => api.getSecretString(write.arn))
    before = textOf(current)
    edit = newValueText(before, write.keys, token.reveal(), write.name)
  } catch (error) {
    const message =
      error instanceof ValueShapeError
        ? `changed since it was planned and now ${error.message}`
        : describeAwsError(error, 'secretsmanager:GetSecretValue')
    return setAll({ status: 'failed', error: message })
  }
  const changedSincePlan = current.versionId !== write.versionId
  if (edit.text === before) {
    return setAll({
      status: 'skipped',
      note: 'already holds this token (written by someone else meanwhile)'
    })
  }

  let put: PutResult
  try {
    put = await limit(() => api.putSecretString(write.arn, edit.text))
  } catch (error) {
    return setAll({
      status: 'failed',
      error: describeAwsError(error, 'secretsmanager:PutSecretValue')
    })
  }
  if (put.versionId) setAll({ versionAfter: put.versionId })

  // Verify: the version we wrote is AWSCURRENT and holds what we wrote.
  let check: SecretValue
  try {
    check = await limit(() => api.getSecretString(write.arn))
  } catch (error) {
    return setAll({
      status: 'failed',
      error: `the new version ${put.versionId ?? ''} was written, but could not be read back to verify it: ${describeAwsError(error, 'secretsmanager:GetSecretValue')}`
    })
  }
  if (put.versionId === undefined || check.versionId !== put.versionId) {
    return setAll({
      status: 'failed',
      error: `the token was written as version ${put.versionId ?? 'unknown'}, but AWSCURRENT is now version ${check.versionId ?? 'unknown'}: another write landed right after ours — check the secret's versions, then re-run`
    })
  }
  if (check.text !== edit.text) {
    return setAll({
      status: 'failed',
      error: `version ${put.versionId} does not read back as written: check the secret, then re-run`
    })
  }
  setAll({
    status: 'updated',
    arn: put.arn,
    note:
      describeChange(write, edit.added, false) +
      (changedSincePlan
        ? ' (the secret changed after it was planned; the latest value was edited)'
        : '')
  })
}
