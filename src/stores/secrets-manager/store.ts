/**
 * Secrets Manager as a store: the secrets the `secrets` input names, and
 * those other stores found (a stack's dynamic reference, CodeBuild's
 * credential secret), each written once.
 */
import type { Store } from '../../core/flow.js'
import { newValueText } from '../../core/json-edit.js'
import type { Limit } from '../../core/limit.js'
import { sortByRegion } from '../../core/order.js'
import { Contributions, mergeRows, type Lookup, type ValueRef } from '../../core/refs.js'
import { countStatuses, emptyReport, type Report } from '../../core/report.js'
import type { Secret } from '../../core/secret.js'
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

export interface SecretsStore extends Store {
  /** A secret another store found; call before this store plans. */
  contribute(ref: ValueRef): Lookup<SecretResult>
}

export function secretsStore(inputs: Inputs, options: SecretsStoreOptions): SecretsStore {
  const contributions = new Contributions<SecretResult>()
  let rows: Planned[] = []
  let writes: SecretWrite[] = []
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
      const refs = [...entryRefs(inputs.secrets, inputs.regions), ...contributions.refs()]
      if (refs.length === 0) return
      const planned = await Promise.all(
        refs.map((ref) =>
          planRef(ref, {
            api: options.apiFor(ref.region),
            limit: options.limit,
            token: options.token,
            regions: inputs.regions
          })
        )
      )
      const { kept, rowOf } = mergeRows(
        planned,
        (p) =>
          p.result.arn ? `${p.result.region} ${p.result.arn} ${p.result.key ?? ''}` : undefined,
        'the secrets input'
      )
      rows = kept
      contributions.settle((ref) => rowOf.get(ref))
      writes = groupWrites(kept)
      for (const p of kept) if (p.warning && !warnings.includes(p.warning)) warnings.push(p.warning)
      for (const write of writes) {
        const value = kept.find((p) => p.result === write.results[0])?.value
        // Each key was checked alone; setting them together cannot fail then.
        const added =
          value?.text !== undefined && write.keys !== 'whole'
            ? newValueText(value.text, write.keys, options.token.reveal(), write.name).added
            : []
        for (const key of added) {
          warnings.push(
            `Secret '${write.arn}' in ${write.region} has no key '${key}': it will be added, the other keys kept. If the secret's readers use another key name, fix the secrets input.`
          )
        }
        if (inputs.dryRun) {
          for (const result of write.results) result.note = describeChange(write, added, true)
        }
      }
    },

    async apply() {
      await Promise.all(
        writes.map((write) =>
          applyWrite(write, options.token, options.apiFor(write.region), options.limit)
        )
      )
    },

    report(): Report {
      const all = sorted()
      if (all.length === 0 && inputs.secrets.length === 0) {
        return emptyReport({ outputs: { 'secrets-updated': [] } })
      }
      return emptyReport({
        sections: [secretSection(all)],
        lines: secretLines(all),
        outputs: {
          'secrets-updated': [
            ...new Set(all.filter((r) => r.status === 'updated').map((r) => r.arn ?? r.secretId))
          ]
        },
        failures: all
          .filter((r) => r.status === 'failed')
          .map((r) => `${r.region} secret ${r.entry}: ${r.error}`),
        warnings,
        headline: `Secrets: ${countStatuses(all)}`
      })
    }
  }
}
