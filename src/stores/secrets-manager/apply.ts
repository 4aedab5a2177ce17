/**
 * Writing one secret, as the value-store cycle asks: read it again (a JSON
 * edit must start from the latest value), write a new AWSCURRENT version,
 * read it back to verify.
 */
import { describeAwsError } from '../../aws/errors.js'
import type { Limit } from '../../core/limit.js'
import type { StoredValue, ValueWrite } from '../../core/value-store.js'
import type { PutResult, SecretsApi, SecretValue } from './api.js'
import { textOf } from './plan.js'
import type { SecretMeta, SecretResult } from './types.js'

type Write = ValueWrite<SecretResult, SecretMeta>

export interface WriteContext {
  api: SecretsApi
  limit: Limit
}

export async function rereadSecret(
  write: Write,
  ctx: WriteContext
): Promise<StoredValue<SecretMeta>> {
  const current = await ctx.limit(() => ctx.api.getSecretString(write.stored.id))
  return { ...write.stored, text: textOf(current), meta: { versionId: current.versionId } }
}

export function putSecret(write: Write, text: string, ctx: WriteContext): Promise<PutResult> {
  return ctx.limit(() => ctx.api.putSecretString(write.stored.id, text))
}

/** Verify: the version we wrote is AWSCURRENT and holds what we wrote. */
export async function verifySecret(
  write: Write,
  text: string,
  put: PutResult,
  ctx: WriteContext
): Promise<string | undefined> {
  let check: SecretValue
  try {
    check = await ctx.limit(() => ctx.api.getSecretString(write.stored.id))
  } catch (error) {
    return `the new version ${put.versionId ?? ''} was written, but could not be read back to verify it: ${describeAwsError(error, 'secretsmanager:GetSecretValue')}`
  }
  if (put.versionId === undefined || check.versionId !== put.versionId) {
    return `the token was written as version ${put.versionId ?? 'unknown'}, but AWSCURRENT is now version ${check.versionId ?? 'unknown'}: another write landed right after ours — check the secret's versions, then re-run`
  }
  if (check.text !== text) {
    return `version ${put.versionId} does not read back as written: check the secret, then re-run`
  }
  return undefined
}
