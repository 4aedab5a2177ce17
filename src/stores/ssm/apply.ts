/**
 * Writing one parameter, as the value-store cycle asks: read it again (a JSON
 * edit must start from the latest value), PutParameter with everything but
 * the value as it was, then read the value, version and settings back.
 */
import { describeAwsError } from '../../aws/errors.js'
import type { Limit } from '../../core/limit.js'
import { registerJsonValues } from '../../core/redact.js'
import type { StoredValue, ValueWrite } from '../../core/value-store.js'
import type { ParameterMetadata, ParametersApi } from './api.js'
import { keptSettings } from './plan.js'
import type { ParameterMeta, ParameterResult } from './types.js'

type Write = ValueWrite<ParameterResult, ParameterMeta>

export interface WriteContext {
  api: ParametersApi
  limit: Limit
}

/** The settings a write must not change, as text to compare. */
function settingsOf(m: ParameterMetadata): string {
  return JSON.stringify([m.type, m.keyId, m.tier, m.allowedPattern, m.dataType, m.policies])
}

export async function rereadParameter(
  write: Write,
  ctx: WriteContext
): Promise<StoredValue<ParameterMeta>> {
  const current = await ctx.limit(() => ctx.api.getParameter(write.stored.id))
  registerJsonValues(current.value)
  return {
    ...write.stored,
    text: current.value,
    meta: { ...write.stored.meta, version: current.version }
  }
}

export function putParameter(
  write: Write,
  text: string,
  ctx: WriteContext
): Promise<number | undefined> {
  const { metadata } = write.stored.meta
  return ctx.limit(() =>
    ctx.api.putParameter({
      name: write.stored.id,
      value: text,
      type: metadata.type,
      keyId: metadata.keyId,
      tier: metadata.tier,
      allowedPattern: metadata.allowedPattern,
      dataType: metadata.dataType,
      description: metadata.description
    })
  )
}

/** Verify: the value reads back, one version higher, every setting as it was. */
export async function verifyParameter(
  write: Write,
  current: StoredValue<ParameterMeta>,
  text: string,
  version: number | undefined,
  ctx: WriteContext
): Promise<string | undefined> {
  const { metadata } = write.stored.meta
  try {
    const [check, after] = await Promise.all([
      ctx.limit(() => ctx.api.getParameter(write.stored.id)),
      ctx.limit(() => ctx.api.describeParameter(write.stored.id))
    ])
    const expected = (current.meta.version ?? 0) + 1
    if (check.value !== text || check.version !== version || version !== expected) {
      return `the token was written, but the parameter reads back as version ${check.version ?? 'unknown'} (expected ${expected}) ${check.value === text ? 'holding the new value' : 'holding another value'}: another write landed at the same time — check its history, then re-run`
    }
    if (!after || settingsOf(after) !== settingsOf(metadata)) {
      return `the token was written, but the parameter's settings changed (before: ${keptSettings(metadata)}; after: ${after ? keptSettings(after) : 'not listed'}): check it, then re-run`
    }
    return undefined
  } catch (error) {
    return `version ${version ?? ''} was written, but could not be read back to verify it: ${describeAwsError(error, 'ssm:GetParameter')}`
  }
}
