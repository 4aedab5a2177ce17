/**
 * Secrets Manager as a store: the secrets the `secrets` input names, and
 * those other stores found (a stack's dynamic reference, CodeBuild's
 * credential secret), each written once.
 */
import type { Store } from '../../core/flow.js'
import { newValueText } from '../../core/json-edit.js'
import type { Limit } from '../../core/limit.js'
import type { Secret } from '../../core/secret.js'
import { valueStore, type ValueStore } from '../../core/value-store.js'
import { entryRefs } from '../../inputs/refs.js'
import type { Inputs } from '../../inputs/types.js'
import type { SecretsApi } from './api.js'
import { applyWrite } from './apply.js'
import { describeChange, groupWrites, planRef } from './plan.js'
import { secretLines, secretSection } from './render.js'
import type { Planned, SecretResult, SecretWrite } from './types.js'

export interface SecretsStoreOptions {
  apiFor: (region: string) => SecretsApi
  limit: Limit
  token: Secret
  /** Stores that may contribute secrets: this store plans after them. */
  after?: () => Store[]
}

export type SecretsStore = ValueStore<SecretResult>

export function secretsStore(inputs: Inputs, options: SecretsStoreOptions): SecretsStore {
  return valueStore<SecretResult, Planned, SecretWrite>({
    input: 'secrets',
    output: 'secrets-updated',
    noun: 'secret',
    title: 'Secrets',
    regions: inputs.regions,
    inputRefs: entryRefs(inputs.secrets, inputs.regions),
    ...(options.after && { after: options.after }),
    plan: (ref) =>
      planRef(ref, {
        api: options.apiFor(ref.region),
        limit: options.limit,
        token: options.token,
        regions: inputs.regions
      }),
    targetOf: (p) =>
      p.result.arn ? `${p.result.region} ${p.result.arn} ${p.result.key ?? ''}` : undefined,
    warningOf: (p) => p.warning,
    group: groupWrites,
    review(write, rows) {
      const value = rows.find((p) => p.result === write.results[0])?.value
      // Each key was checked alone; setting them together cannot fail then.
      const added =
        value?.text !== undefined && write.keys !== 'whole'
          ? newValueText(value.text, write.keys, options.token.reveal(), write.name).added
          : []
      if (inputs.dryRun) {
        for (const result of write.results) result.note = describeChange(write, added, true)
      }
      return added.map(
        (key) =>
          `Secret '${write.arn}' in ${write.region} has no key '${key}': it will be added, the other keys kept. If the secret's readers use another key name, fix the secrets input.`
      )
    },
    apply: (write) => applyWrite(write, options.token, options.apiFor(write.region), options.limit),
    idOf: (r) => r.arn ?? r.secretId,
    section: secretSection,
    lines: secretLines
  })
}
