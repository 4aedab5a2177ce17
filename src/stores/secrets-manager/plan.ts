/**
 * Reading a secret for the plan: described (replica, deletion, owner,
 * rotation), then its AWSCURRENT value read; and, with previous-token given,
 * the other versions a staging label still reaches. Every value read is
 * registered as a secret first.
 */
import { describeAwsError, isNotFound } from '../../aws/errors.js'
import { messageOf } from '../../core/errors.js'
import { heldIn, ValueShapeError } from '../../core/json-edit.js'
import type { Limit } from '../../core/limit.js'
import { registerJsonValues } from '../../core/redact.js'
import type { ValueRef } from '../../core/refs.js'
import type { SealedToken } from '../../core/sealed-token.js'
import type { ReadOutcome, StoredValue } from '../../core/value-store.js'
import { misplacedArn } from '../../inputs/arn.js'
import type { SecretInfo, SecretsApi, SecretValue } from './api.js'
import type { SecretMeta, SecretResult } from './types.js'

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

export interface ReadContext {
  api: SecretsApi
  limit: Limit
  /** The regions listed: a replica whose primary region is listed is written there. */
  regions: string[]
}

/** Why a described secret cannot be written in this region; undefined when it can. */
function refusal(
  ref: ValueRef,
  info: SecretInfo,
  regions: string[]
): ReadOutcome<SecretMeta>['stop'] {
  const misplaced = misplacedArn(info.arn, 'secretsmanager', ref.region, ref.account)
  if (misplaced) return { status: 'failed', error: `${misplaced}: nothing was written` }
  if (info.deleted) {
    return {
      status: 'failed',
      error: 'is scheduled for deletion: restore it (RestoreSecret) or stop naming it'
    }
  }
  if (info.owningService) {
    return {
      status: 'failed',
      error: `is managed by ${info.owningService}, which alone changes its value: stop naming it`
    }
  }
  if (info.primaryRegion && info.primaryRegion !== ref.region) {
    if (!ref.id.startsWith('arn:') && regions.includes(info.primaryRegion)) {
      return {
        status: 'skipped',
        note: `a replica of the secret in ${info.primaryRegion}: Secrets Manager copies the new value from there`
      }
    }
    return {
      status: 'failed',
      error: `is a read-only replica of the secret in ${info.primaryRegion}: add ${info.primaryRegion} to regions, or name the primary's ARN`
    }
  }
  return undefined
}

export async function readSecret(
  ref: ValueRef,
  row: SecretResult,
  ctx: ReadContext
): Promise<ReadOutcome<SecretMeta>> {
  const failed = (error: string, id?: string): ReadOutcome<SecretMeta> => ({
    ...(id === undefined ? {} : { id }),
    stop: { status: 'failed', error }
  })
  let info: SecretInfo
  try {
    info = await ctx.limit(() => ctx.api.describeSecret(ref.id))
  } catch (error) {
    if (isNotFound(error)) {
      return failed(
        `does not exist in ${ref.region}: check the name and the regions input (this action never creates secrets)`
      )
    }
    return failed(describeAwsError(error, 'secretsmanager:DescribeSecret'))
  }
  row.arn = info.arn
  const id = info.arn
  const stop = refusal(ref, info, ctx.regions)
  if (stop) return { id, stop }

  let value: SecretValue
  try {
    value = await ctx.limit(() => ctx.api.getSecretString(info.arn))
  } catch (error) {
    if (isNotFound(error)) {
      return failed(
        `has no current value (${messageOf(error)}): give it a first value in the console or with PutSecretValue, then re-run`,
        id
      )
    }
    return failed(describeAwsError(error, 'secretsmanager:GetSecretValue'), id)
  }
  if (value.versionId) row.versionBefore = value.versionId
  let text: string
  try {
    text = textOf(value)
  } catch (error) {
    return failed(messageOf(error), id)
  }
  const stored: StoredValue<SecretMeta> = {
    id,
    name: ref.id,
    text,
    meta: { versionId: value.versionId }
  }
  if (info.rotationEnabled) {
    stored.warning = `Secret '${info.arn}' has automatic rotation turned on: its rotation function will replace the token at the next rotation unless it writes the same value.`
  }
  return { id, stored }
}

/** Stages AWS moves on every write: AWSCURRENT is the value itself, AWSPREVIOUS the one replaced. */
const MOVING_STAGES = new Set(['AWSCURRENT', 'AWSPREVIOUS'])

/**
 * The versions a staging label of someone else's (or AWSPENDING) still
 * reaches and that hold `previous`: a reader that asks for that stage gets
 * the old token after the rotation.
 */
export async function stagedHolders(
  stored: StoredValue<SecretMeta>,
  previous: SealedToken,
  ctx: ReadContext
): Promise<string[]> {
  try {
    const versions = await ctx.limit(() => ctx.api.listVersions(stored.id))
    const labelled = versions.filter((v) => v.stages.some((s) => !MOVING_STAGES.has(s)))
    const found = await Promise.all(
      labelled.map(async (v) => {
        const value = await ctx.limit(() => ctx.api.getVersionString(stored.id, v.versionId))
        if (value.text === undefined) return []
        registerJsonValues(value.text)
        const stages = v.stages.filter((s) => !MOVING_STAGES.has(s)).join(', ')
        return heldIn(value.text, previous.reveal()).map(
          (where) =>
            `staging label ${stages} (version ${v.versionId}): ${where} still holds previous-token`
        )
      })
    )
    return found.flat()
  } catch (error) {
    return [
      `its staged versions could not be checked for previous-token: ${describeAwsError(error, 'secretsmanager:ListSecretVersionIds')}`
    ]
  }
}

export function describeChange(keys: string[] | 'whole', added: string[], dryRun: boolean): string {
  const verb = dryRun ? 'would write' : 'wrote'
  if (keys === 'whole') return `${verb} a new version (AWSCURRENT)`
  const named = keys.map((k) => `'${k}'`).join(', ')
  const addedNote = added.length > 0 ? `; added ${added.map((k) => `'${k}'`).join(', ')}` : ''
  return `${verb} a new version (AWSCURRENT) setting ${named}, other keys kept${addedNote}`
}
