/**
 * SSM Parameter Store as a store: the parameters the `parameters` input
 * names, and those a stack's template reads ({{resolve:ssm:…}}), each
 * written once, keeping everything but the value.
 */
import type { Store } from '../../core/flow.js'
import type { Limit } from '../../core/limit.js'
import { sortByRegion } from '../../core/order.js'
import { Contributions, mergeRows, type Lookup, type ValueRef } from '../../core/refs.js'
import { countStatuses, emptyReport, type Report } from '../../core/report.js'
import type { Secret } from '../../core/secret.js'
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

export interface ParameterStore extends Store {
  contribute(ref: ValueRef): Lookup<ParameterResult>
}

export function parameterStore(inputs: Inputs, options: ParameterStoreOptions): ParameterStore {
  const contributions = new Contributions<ParameterResult>()
  let rows: PlannedParameter[] = []
  let writes: ParameterWrite[] = []
  const warnings: string[] = []
  const sorted = () =>
    sortByRegion(
      rows.map((r) => r.result),
      inputs.regions,
      (r) => r.entry
    )

  return {
    get after() {
      return options.after?.() ?? []
    },
    contribute: (ref) => contributions.add(ref),

    async plan() {
      const refs = [...entryRefs(inputs.parameters, inputs.regions), ...contributions.refs()]
      if (refs.length === 0) return
      const planned = await Promise.all(
        refs.map((ref) =>
          planParameter(ref, {
            api: options.apiFor(ref.region),
            limit: options.limit,
            token: options.token
          })
        )
      )
      const { kept, rowOf } = mergeRows(
        planned,
        (p) => (p.value ? `${p.result.region} ${p.value.name} ${p.result.key ?? ''}` : undefined),
        'the parameters input'
      )
      rows = kept
      contributions.settle((ref) => rowOf.get(ref))
      writes = groupParameterWrites(kept)
      for (const write of writes) {
        if (write.metadata.type === 'String') {
          warnings.push(
            `Parameter '${write.name}' in ${write.region} is a String, so it holds the token unencrypted (anyone with ssm:GetParameter reads it, and it shows in the console): it is updated as it is — recreate it as a SecureString to encrypt it with KMS.`
          )
        }
        if (inputs.dryRun) {
          for (const result of write.results) {
            result.note = `would write version ${(write.value.version ?? 0) + 1}; keeps ${keptSettings(write.metadata)}`
          }
        }
      }
    },

    async apply() {
      await Promise.all(
        writes.map((write) =>
          applyParameterWrite(write, options.token, options.apiFor(write.region), options.limit)
        )
      )
    },

    report(): Report {
      const all = sorted()
      if (all.length === 0 && inputs.parameters.length === 0) {
        return emptyReport({ outputs: { 'parameters-updated': [] } })
      }
      return emptyReport({
        sections: [parameterSection(all)],
        lines: parameterLines(all),
        outputs: {
          'parameters-updated': [
            ...new Set(all.filter((r) => r.status === 'updated').map((r) => r.arn ?? r.name))
          ]
        },
        failures: all
          .filter((r) => r.status === 'failed')
          .map((r) => `${r.region} parameter ${r.entry}: ${r.error}`),
        warnings,
        headline: `Parameters: ${countStatuses(all)}`
      })
    }
  }
}
