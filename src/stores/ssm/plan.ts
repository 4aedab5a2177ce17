/**
 * Planning (read-only): each parameter named in the inputs or found in a
 * stack's template is read with decryption (GetParameter) and described
 * (DescribeParameters: type, KMS key, tier, allowed pattern, data type,
 * policies), and what would be written decided. Every value read is
 * registered as a secret first.
 */
import { describeAwsError, isNotFound } from '../../aws/errors.js'
import { messageOf } from '../../core/errors.js'
import { newValueText, ValueShapeError } from '../../core/json-edit.js'
import type { Limit } from '../../core/limit.js'
import { registerJsonValues } from '../../core/redact.js'
import { addKey, type ValueRef } from '../../core/refs.js'
import type { Secret } from '../../core/secret.js'
import { misplacedArn } from '../../inputs/arn.js'
import type { ParameterMetadata, ParametersApi, ParameterValue } from './api.js'
import type { ParameterResult, ParameterWrite, PlannedParameter } from './types.js'

export interface PlanContext {
  api: ParametersApi
  limit: Limit
  token: Secret
}

/**
 * Whether a value matches the parameter's AllowedPattern, as AWS would judge
 * it; undefined when the pattern is not one JavaScript can read (AWS still
 * checks it when the value is written).
 */
export function matchesPattern(pattern: string, value: string): boolean | undefined {
  try {
    return new RegExp(pattern).test(value)
  } catch {
    return undefined
  }
}

/** Why the token cannot be written to this parameter; undefined when it can. */
function refusal(metadata: ParameterMetadata): string | undefined {
  if (metadata.type === 'StringList') {
    return 'is a StringList, which readers split at commas: a token does not belong in one — nothing was written to it; store the token in a SecureString parameter'
  }
  if (metadata.dataType && metadata.dataType !== 'text') {
    return `has data type ${metadata.dataType}, which a token is not — nothing was written to it`
  }
  return undefined
}

export async function planParameter(ref: ValueRef, ctx: PlanContext): Promise<PlannedParameter> {
  const result: ParameterResult = {
    region: ref.region,
    entry: ref.entry,
    name: ref.id,
    status: 'planned'
  }
  if (ref.key !== undefined) result.key = ref.key
  if (ref.origin) result.from = [ref.origin]
  const fail = (error: string): PlannedParameter => ({
    ref,
    result: { ...result, status: 'failed', error }
  })

  let value: ParameterValue
  try {
    value = await ctx.limit(() => ctx.api.getParameter(ref.id))
  } catch (error) {
    if (isNotFound(error)) {
      return fail(
        `does not exist in ${ref.region}: check the name and the regions input (this action never creates parameters)`
      )
    }
    return fail(describeAwsError(error, 'ssm:GetParameter'))
  }
  registerJsonValues(value.value)
  result.name = value.name
  if (value.arn) result.arn = value.arn
  result.type = value.type
  if (value.version !== undefined) result.versionBefore = value.version
  const misplaced = value.arn ? misplacedArn(value.arn, 'ssm', ref.region, ref.account) : undefined
  if (misplaced) return fail(`${misplaced}: nothing was written`)

  let metadata: ParameterMetadata | undefined
  try {
    metadata = await ctx.limit(() => ctx.api.describeParameter(value.name))
  } catch (error) {
    return fail(describeAwsError(error, 'ssm:DescribeParameters'))
  }
  if (!metadata) {
    return fail(
      'could be read, but DescribeParameters does not list it, so its type, KMS key and tier cannot be kept: nothing was written to it (is it shared from another account? shared parameters are read-only)'
    )
  }
  const refused = refusal(metadata)
  if (refused) return fail(refused)

  let text: string
  try {
    text = newValueText(
      value.value,
      ref.key === undefined ? 'whole' : [ref.key],
      ctx.token.reveal(),
      value.name
    ).text
  } catch (error) {
    return fail(error instanceof ValueShapeError ? error.message : messageOf(error))
  }
  if (text === value.value) {
    const note =
      ref.key === undefined
        ? 'already holds this token'
        : `key '${ref.key}' already holds this token`
    return { ref, result: { ...result, status: 'skipped', note } }
  }
  if (metadata.allowedPattern && matchesPattern(metadata.allowedPattern, text) === false) {
    return fail(
      `its AllowedPattern ${metadata.allowedPattern} does not accept the new value — nothing was written to it: fix the pattern (or the entry's #key), then re-run`
    )
  }
  return { ref, result, value, metadata }
}

/** One write per parameter and region, so two keys of one parameter cannot overwrite each other. */
export function groupParameterWrites(planned: PlannedParameter[]): ParameterWrite[] {
  const writes = new Map<string, ParameterWrite>()
  for (const { result, value, metadata } of planned) {
    if (result.status !== 'planned' || !value || !metadata) continue
    const id = `${result.region} ${value.name}`
    const write = writes.get(id) ?? {
      region: result.region,
      name: value.name,
      keys: result.key === undefined ? ('whole' as const) : [],
      value,
      metadata,
      results: []
    }
    writes.set(id, write)
    write.results.push(result)
    write.keys = addKey(write.keys, result.key)
  }
  return [...writes.values()]
}

/** What a write keeps, for the report: "SecureString, key alias/ci, Advanced tier". */
export function keptSettings(metadata: ParameterMetadata): string {
  const parts = [metadata.type]
  if (metadata.type === 'SecureString') parts.push(`KMS key ${metadata.keyId ?? 'default'}`)
  if (metadata.tier) parts.push(`${metadata.tier} tier`)
  if (metadata.policies.length > 0) parts.push(`policies ${metadata.policies.join(', ')}`)
  return parts.join(', ')
}
