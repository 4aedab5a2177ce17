/**
 * Writing one parameter: read it again (a JSON edit must start from the
 * latest value), PutParameter with everything but the value as it was, then
 * read the value, version and settings back.
 */
import { describeAwsError } from '../../aws/errors.js'
import { newValueText, ValueShapeError } from '../../core/json-edit.js'
import type { Limit } from '../../core/limit.js'
import { registerJsonValues } from '../../core/redact.js'
import type { Secret } from '../../core/secret.js'
import type { ParameterMetadata, ParametersApi } from './api.js'
import { keptSettings, matchesPattern } from './plan.js'
import type { ParameterResult, ParameterWrite } from './types.js'

/** The settings a write must not change, as text to compare. */
function settingsOf(m: ParameterMetadata): string {
  return JSON.stringify([m.type, m.keyId, m.tier, m.allowedPattern, m.dataType, m.policies])
}

export async function applyParameterWrite(
  write: ParameterWrite,
  token: Secret,
  api: ParametersApi,
  limit: Limit
): Promise<void> {
  const setAll = (patch: Partial<ParameterResult>) => {
    for (const result of write.results) Object.assign(result, patch)
  }
  const { metadata } = write

  let current
  let text: string
  try {
    current = await limit(() => api.getParameter(write.name))
    registerJsonValues(current.value)
    text = newValueText(current.value, write.keys, token.reveal(), write.name).text
  } catch (error) {
    const message =
      error instanceof ValueShapeError
        ? `changed since it was planned and now ${error.message}`
        : describeAwsError(error, 'ssm:GetParameter')
    return setAll({ status: 'failed', error: message })
  }
  if (text === current.value) {
    return setAll({
      status: 'skipped',
      note: 'already holds this token (written by someone else meanwhile)'
    })
  }
  if (metadata.allowedPattern && matchesPattern(metadata.allowedPattern, text) === false) {
    return setAll({
      status: 'failed',
      error: `its AllowedPattern ${metadata.allowedPattern} does not accept the new value — nothing was written to it`
    })
  }

  let version: number | undefined
  try {
    version = await limit(() =>
      api.putParameter({
        name: write.name,
        value: text,
        type: metadata.type,
        keyId: metadata.keyId,
        tier: metadata.tier,
        allowedPattern: metadata.allowedPattern,
        dataType: metadata.dataType,
        description: metadata.description
      })
    )
  } catch (error) {
    return setAll({ status: 'failed', error: describeAwsError(error, 'ssm:PutParameter') })
  }
  if (version !== undefined) setAll({ versionAfter: version })

  // Verify: the value reads back, one version higher, every setting as it was.
  try {
    const [check, after] = await Promise.all([
      limit(() => api.getParameter(write.name)),
      limit(() => api.describeParameter(write.name))
    ])
    const expected = (current.version ?? 0) + 1
    if (check.value !== text || check.version !== version || version !== expected) {
      return setAll({
        status: 'failed',
        error: `the token was written, but the parameter reads back as version ${check.version ?? 'unknown'} (expected ${expected}) ${check.value === text ? 'holding the new value' : 'holding another value'}: another write landed at the same time — check its history, then re-run`
      })
    }
    if (!after || settingsOf(after) !== settingsOf(metadata)) {
      return setAll({
        status: 'failed',
        error: `the token was written, but the parameter's settings changed (before: ${keptSettings(metadata)}; after: ${after ? keptSettings(after) : 'not listed'}): check it, then re-run`
      })
    }
  } catch (error) {
    return setAll({
      status: 'failed',
      error: `version ${version ?? ''} was written, but could not be read back to verify it: ${describeAwsError(error, 'ssm:GetParameter')}`
    })
  }
  setAll({ status: 'updated', note: `wrote version ${version}; kept ${keptSettings(metadata)}` })
}
