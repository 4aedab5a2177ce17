/**
 * Secrets Manager as a store: the secrets the `secrets` input names, and
 * those other stores found (a stack's dynamic reference, CodeBuild's
 * credential secret), each written once, through the value-store cycle.
 */
import { describeAwsError } from '../../aws/errors.js'
import type { Limit } from '../../core/limit.js'
import type { SealedToken } from '../../core/sealed-token.js'
import { valueStore, type ValueStore } from '../../core/value-store.js'
import { entryRefs, entryRegions } from '../../inputs/refs.js'
import type { Inputs } from '../../inputs/types.js'
import { describeStore } from '../descriptor.js'
import { createSecretsApi, type PutResult, type SecretsApi } from './api.js'
import { putSecret, rereadSecret, verifySecret } from './apply.js'
import { describeChange, readSecret, stagedHolders } from './plan.js'
import { secretLines, secretSection } from './render.js'
import type { SecretMeta, SecretResult } from './types.js'

export interface SecretsStoreOptions {
  apiFor: (region: string) => SecretsApi
  limit: Limit
  token: SealedToken
  /** The token being replaced: every secret read is scanned for it. */
  previous?: SealedToken | undefined
}

export type SecretsStore = ValueStore<SecretResult>

export function secretsStore(
  inputs: Pick<Inputs, 'secrets' | 'regions' | 'dryRun'>,
  options: SecretsStoreOptions
): SecretsStore {
  const { limit } = options
  const ctx = (region: string) => ({ api: options.apiFor(region), limit, regions: inputs.regions })
  return valueStore<SecretResult, SecretMeta, PutResult>({
    input: 'secrets',
    output: 'secrets-updated',
    noun: 'secret',
    title: 'Secrets',
    regions: inputs.regions,
    dryRun: inputs.dryRun,
    token: options.token,
    previous: options.previous,
    inputRefs: entryRefs(inputs.secrets, inputs.regions),
    backend: {
      row: (ref) => ({ region: ref.region, entry: ref.entry, secretId: ref.id, status: 'planned' }),
      read: (ref, row) => readSecret(ref, row, ctx(ref.region)),
      reread: (write) => rereadSecret(write, ctx(write.region)),
      put: (write, _current, text) => putSecret(write, text, ctx(write.region)),
      written: (put) => (put.versionId ? { versionAfter: put.versionId } : {}),
      verify: (write, _current, text, put) => verifySecret(write, text, put, ctx(write.region)),
      updated: (write, current, added, put) => ({
        arn: put.arn,
        note:
          describeChange(write.keys, added, false) +
          (current.meta.versionId !== write.stored.meta.versionId
            ? ' (the secret changed after it was planned; the latest value was edited)'
            : '')
      }),
      describe: (error, call) =>
        describeAwsError(
          error,
          call === 'put' ? 'secretsmanager:PutSecretValue' : 'secretsmanager:GetSecretValue'
        ),
      wouldWrite: (write, added) => describeChange(write.keys, added, true),
      olderHolders: (stored, previous, region) => stagedHolders(stored, previous, ctx(region))
    },
    idOf: (r) => r.arn ?? r.secretId,
    section: secretSection,
    lines: secretLines
  })
}

export const secrets = describeStore({
  api: createSecretsApi,
  inputs: ['secrets', 'regions', 'dryRun'],
  regions: (inputs) => entryRegions(inputs.secrets, inputs.regions),
  create: (inputs, { apiFor, limit, token, previous }) =>
    secretsStore(inputs, { apiFor, limit, token, previous })
})
