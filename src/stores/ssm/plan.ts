/**
 * Reading a parameter for the plan: read with decryption (GetParameter) and
 * described (DescribeParameters: type, KMS key, tier, allowed pattern, data
 * type, policies); and, with previous-token given, the older versions a
 * label still reaches (GetParameterHistory). Every value read is registered
 * as a secret first.
 */
import { describeAwsError, isNotFound } from '../../aws/errors.js'
import { heldIn } from '../../core/json-edit.js'
import type { Limit } from '../../core/limit.js'
import { registerJsonValues } from '../../core/redact.js'
import type { ValueRef } from '../../core/refs.js'
import type { SealedToken } from '../../core/sealed-token.js'
import type { ReadOutcome, StoredValue } from '../../core/value-store.js'
import { misplacedArn } from '../../inputs/arn.js'
import type { ParameterMetadata, ParametersApi, ParameterValue } from './api.js'
import type { ParameterMeta, ParameterResult } from './types.js'

export interface ReadContext {
  api: ParametersApi
  limit: Limit
}

// RE2 (re2js), loaded when a parameter has a pattern: it matches in time
// linear in the value, where a backtracking engine (new RegExp) can run for
// hours on a pattern such as ^(\w+)+0$.
let re2: Promise<typeof import('re2js')> | undefined

/**
 * Whether a value matches the parameter's AllowedPattern, as AWS would judge
 * it, in linear time; undefined when the pattern is not one RE2 can read
 * (backreferences, lookaround): AWS still checks it when the value is written.
 */
export async function matchesPattern(pattern: string, value: string): Promise<boolean | undefined> {
  const { RE2JS } = await (re2 ??= import('re2js'))
  try {
    return RE2JS.compile(pattern).matcher(value).find()
  } catch {
    return undefined
  }
}

/** Why a value cannot be written under its AllowedPattern; undefined when it can (or AWS decides). */
export async function patternRefusal(
  metadata: ParameterMetadata,
  text: string,
  planning: boolean
): Promise<string | undefined> {
  const pattern = metadata.allowedPattern
  if (!pattern || (await matchesPattern(pattern, text)) !== false) return undefined
  return `its AllowedPattern ${pattern} does not accept the new value — nothing was written to it${planning ? ": fix the pattern (or the entry's #key), then re-run" : ''}`
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

export async function readParameter(
  ref: ValueRef,
  row: ParameterResult,
  ctx: ReadContext
): Promise<ReadOutcome<ParameterMeta>> {
  const failed = (error: string, id?: string): ReadOutcome<ParameterMeta> => ({
    ...(id === undefined ? {} : { id }),
    stop: { status: 'failed', error }
  })
  let value: ParameterValue
  try {
    value = await ctx.limit(() => ctx.api.getParameter(ref.id))
  } catch (error) {
    if (isNotFound(error)) {
      return failed(
        `does not exist in ${ref.region}: check the name and the regions input (this action never creates parameters)`
      )
    }
    return failed(describeAwsError(error, 'ssm:GetParameter'))
  }
  registerJsonValues(value.value)
  row.name = value.name
  if (value.arn) row.arn = value.arn
  row.type = value.type
  if (value.version !== undefined) row.versionBefore = value.version
  const misplaced = value.arn ? misplacedArn(value.arn, 'ssm', ref.region, ref.account) : undefined
  if (misplaced) return failed(`${misplaced}: nothing was written`)
  const id = value.name

  let metadata: ParameterMetadata | undefined
  try {
    metadata = await ctx.limit(() => ctx.api.describeParameter(value.name))
  } catch (error) {
    return failed(describeAwsError(error, 'ssm:DescribeParameters'), id)
  }
  if (!metadata) {
    return failed(
      'could be read, but DescribeParameters does not list it, so its type, KMS key and tier cannot be kept: nothing was written to it (is it shared from another account? shared parameters are read-only)',
      id
    )
  }
  const refused = refusal(metadata)
  if (refused) return failed(refused, id)
  const stored: StoredValue<ParameterMeta> = {
    id,
    name: value.name,
    text: value.value,
    meta: { metadata, version: value.version }
  }
  return { id, stored }
}

/**
 * The older versions a label still reaches that hold `previous`: a reader
 * that asks for name:label gets the old token after the rotation.
 */
export async function labelledHolders(
  stored: StoredValue<ParameterMeta>,
  previous: SealedToken,
  ctx: ReadContext
): Promise<string[]> {
  try {
    const history = await ctx.limit(() => ctx.api.parameterHistory(stored.id))
    return history.flatMap((v) => {
      if (v.labels.length === 0) return []
      registerJsonValues(v.value)
      return heldIn(v.value, previous.reveal()).map(
        (where) =>
          `label ${v.labels.join(', ')} (version ${v.version ?? 'unknown'}): ${where} still holds previous-token`
      )
    })
  } catch (error) {
    return [
      `its labelled versions could not be checked for previous-token: ${describeAwsError(error, 'ssm:GetParameterHistory')}`
    ]
  }
}

/** What a write keeps, for the report: "SecureString, key alias/ci, Advanced tier". */
export function keptSettings(metadata: ParameterMetadata): string {
  const parts = [metadata.type]
  if (metadata.type === 'SecureString') parts.push(`KMS key ${metadata.keyId ?? 'default'}`)
  if (metadata.tier) parts.push(`${metadata.tier} tier`)
  if (metadata.policies.length > 0) parts.push(`policies ${metadata.policies.join(', ')}`)
  return parts.join(', ')
}
