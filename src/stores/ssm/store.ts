/**
 * SSM Parameter Store as a store: the parameters the `parameters` input
 * names, and those a stack's template reads ({{resolve:ssm:…}}), each
 * written once, keeping everything but the value.
 */
import type { Store } from '../../core/flow.js'
import type { Limit } from '../../core/limit.js'
import type { Secret } from '../../core/secret.js'
import { valueStore, type ValueStore } from '../../core/value-store.js'
import type { Inputs } from '../../inputs/types.js'
import { entryRefs } from '../../inputs/refs.js'
import type { ParametersApi } from './api.js'
import { applyParameterWrite } from './apply.js'
import { groupParameterWrites, keptSettings, planParameter } from './plan.js'
import { parameterLines, parameterSection } from './render.js'
import type { ParameterResult, ParameterWrite, PlannedParameter } from './types.js'

export interface ParameterStoreOptions {
  apiFor: (region: string) => ParametersApi
  limit: Limit
  token: Secret
  /** Stores that may contribute parameters: this store plans after them. */
  after?: () => Store[]
}

export type ParameterStore = ValueStore<ParameterResult>

export function parameterStore(inputs: Inputs, options: ParameterStoreOptions): ParameterStore {
  return valueStore<ParameterResult, PlannedParameter, ParameterWrite>({
    input: 'parameters',
    output: 'parameters-updated',
    noun: 'parameter',
    title: 'Parameters',
    regions: inputs.regions,
    inputRefs: entryRefs(inputs.parameters, inputs.regions),
    ...(options.after && { after: options.after }),
    plan: (ref) =>
      planParameter(ref, {
        api: options.apiFor(ref.region),
        limit: options.limit,
        token: options.token
      }),
    targetOf: (p) =>
      p.value ? `${p.result.region} ${p.value.name} ${p.result.key ?? ''}` : undefined,
    group: groupParameterWrites,
    review(write) {
      if (inputs.dryRun) {
        for (const result of write.results) {
          result.note = `would write version ${(write.value.version ?? 0) + 1}; keeps ${keptSettings(write.metadata)}`
        }
      }
      return write.metadata.type === 'String'
        ? [
            `Parameter '${write.name}' in ${write.region} is a String, so it holds the token unencrypted (anyone with ssm:GetParameter reads it, and it shows in the console): it is updated as it is — recreate it as a SecureString to encrypt it with KMS.`
          ]
        : []
    },
    apply: (write) =>
      applyParameterWrite(write, options.token, options.apiFor(write.region), options.limit),
    idOf: (r) => r.arn ?? r.name,
    section: parameterSection,
    lines: parameterLines
  })
}
