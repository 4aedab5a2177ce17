/**
 * Planning (read-only): each secret named in the inputs or found by another
 * store is described and read, and what would be written decided. Every
 * value read is registered as a secret first.
 */
import { describeAwsError, isNotFound } from '../../aws/errors.js'
import { messageOf } from '../../core/errors.js'
import { newValueText, ValueShapeError } from '../../core/json-edit.js'
import type { Limit } from '../../core/limit.js'
import { registerJsonValues } from '../../core/redact.js'
import { misplacedArn } from '../../inputs/arn.js'
import { addKey, type ValueRef } from '../../core/refs.js'
import type { Secret } from '../../core/secret.js'
import type { SecretInfo, SecretsApi, SecretValue } from './api.js'
import type { Planned, SecretResult, SecretWrite } from './types.js'

/** The current text of a secret, or why no entry can be applied to it. */
export function textOf(value: SecretValue): string {
  if (value.text === undefined) {
    throw new ValueShapeError(
      'holds a binary value (SecretBinary), not text — nothing was written to it: this action writes text (SecretString) secrets only'
    )
  }
  registerJsonValues(value.text)
  return value.text
}

export interface PlanContext {
  api: SecretsApi
  limit: Limit
  token: Secret
  /** The regions listed: a replica whose primary region is listed is written there. */
  regions: string[]
}

export async function planRef(ref: ValueRef, ctx: PlanContext): Promise<Planned> {
  const { region } = ref
  const result: SecretResult = {
    region,
    entry: ref.entry,
    secretId: ref.id,
    status: 'planned'
  }
  if (ref.key !== undefined) result.key = ref.key
  if (ref.origin) result.from = [ref.origin]
  const fail = (error: string): Planned => ({ ref, result: { ...result, status: 'failed', error } })

  let info: SecretInfo
  try {
    info = await ctx.limit(() => ctx.api.describeSecret(ref.id))
  } catch (error) {
    if (isNotFound(error)) {
      return fail(
        `does not exist in ${region}: check the name and the regions input (this action never creates secrets)`
      )
    }
    return fail(describeAwsError(error, 'secretsmanager:DescribeSecret'))
  }
  result.arn = info.arn
  const misplaced = misplacedArn(info.arn, 'secretsmanager', region, ref.account)
  if (misplaced) return fail(`${misplaced}: nothing was written`)
  if (info.deleted) {
    return fail(`is scheduled for deletion: restore it (RestoreSecret) or stop naming it`)
  }
  if (info.owningService) {
    return fail(
      `is managed by ${info.owningService}, which alone changes its value: stop naming it`
    )
  }
  if (info.primaryRegion && info.primaryRegion !== region) {
    const primaryListed = !ref.id.startsWith('arn:') && ctx.regions.includes(info.primaryRegion)
    if (primaryListed) {
      return {
        ref,
        result: {
          ...result,
          status: 'skipped',
          note: `a replica of the secret in ${info.primaryRegion}: Secrets Manager copies the new value from there`
        }
      }
    }
    return fail(
      `is a read-only replica of the secret in ${info.primaryRegion}: add ${info.primaryRegion} to regions, or name the primary's ARN`
    )
  }

  let value: SecretValue
  try {
    value = await ctx.limit(() => ctx.api.getSecretString(info.arn))
  } catch (error) {
    if (isNotFound(error)) {
      return fail(
        `has no current value (${messageOf(error)}): give it a first value in the console or with PutSecretValue, then re-run`
      )
    }
    return fail(describeAwsError(error, 'secretsmanager:GetSecretValue'))
  }
  if (value.versionId) result.versionBefore = value.versionId
  const warning = info.rotationEnabled
    ? `Secret '${info.arn}' has automatic rotation turned on: its rotation function will replace the token at the next rotation unless it writes the same value.`
    : undefined
  try {
    const current = textOf(value)
    const { text } = newValueText(
      current,
      ref.key === undefined ? 'whole' : [ref.key],
      ctx.token.reveal(),
      ref.id
    )
    if (text === current) {
      const note =
        ref.key === undefined
          ? 'already holds this token'
          : `key '${ref.key}' already holds this token`
      return { ref, result: { ...result, status: 'skipped', note } }
    }
  } catch (error) {
    return fail(error instanceof ValueShapeError ? error.message : messageOf(error))
  }
  return { ref, result, value, ...(warning && { warning }) }
}

/**
 * Groups the planned rows by secret: one write per secret and region, so two
 * keys of one secret cannot overwrite each other. A whole-value row and a
 * `#key` row never both reach here: one needs a JSON object, the other
 * refuses it.
 */
export function groupWrites(planned: Planned[]): SecretWrite[] {
  const writes = new Map<string, SecretWrite>()
  for (const { result, value, ref } of planned) {
    if (result.status !== 'planned' || !result.arn) continue
    const id = `${result.region} ${result.arn}`
    const write = writes.get(id) ?? {
      region: result.region,
      arn: result.arn,
      keys: result.key === undefined ? 'whole' : [],
      versionId: value?.versionId,
      name: ref.id,
      results: []
    }
    writes.set(id, write)
    write.results.push(result)
    write.keys = addKey(write.keys, result.key)
  }
  return [...writes.values()]
}

export function describeChange(write: SecretWrite, added: string[], dryRun: boolean): string {
  const verb = dryRun ? 'would write' : 'wrote'
  if (write.keys === 'whole') return `${verb} a new version (AWSCURRENT)`
  const keys = write.keys.map((k) => `'${k}'`).join(', ')
  const addedNote = added.length > 0 ? `; added ${added.map((k) => `'${k}'`).join(', ')}` : ''
  return `${verb} a new version (AWSCURRENT) setting ${keys}, other keys kept${addedNote}`
}
