/**
 * CloudFormation as a store: it writes nothing itself. For every pipeline a
 * stack owns, it reads the stack's template and hands the secret or
 * parameter the token comes from to the store that rotates it; what it
 * cannot follow it reports, with what to do.
 */
import type { Store } from '../../core/flow.js'
import type { Limit } from '../../core/limit.js'
import { sortByRegion } from '../../core/order.js'
import { emptyReport, type Report } from '../../core/report.js'
import type { Inputs } from '../../inputs/types.js'
import type { PipelineStore } from '../codepipeline/store.js'
import type { ParameterStore } from '../ssm/store.js'
import type { SecretsStore } from '../secrets-manager/store.js'
import type { StacksApi } from './api.js'
import { followStack } from './plan.js'
import { stackLines, stackSection } from './render.js'
import type { StackFinding } from './types.js'

export interface StackStoreOptions {
  apiFor: (region: string) => StacksApi
  limit: Limit
  pipelines: PipelineStore
  secrets: SecretsStore
  parameters: ParameterStore
}

export function stackStore(inputs: Inputs, options: StackStoreOptions): Store {
  let findings: StackFinding[] = []
  const sorted = () =>
    sortByRegion(findings, inputs.regions, (f) => `${f.stack} ${f.pipeline} ${f.action ?? ''}`)
  return {
    after: [options.pipelines],

    async plan() {
      if (!inputs.followStacks) return
      const owned = options.pipelines.owned()
      const stacks = new Map<string, typeof owned>()
      for (const o of owned) {
        const key = `${o.region}\u0000${o.stack}`
        stacks.set(key, [...(stacks.get(key) ?? []), o])
      }
      const found = await Promise.all(
        [...stacks.values()].map((group) => {
          const { region, stack } = group[0] as (typeof owned)[number]
          return followStack(region, stack, group, {
            api: options.apiFor(region),
            limit: options.limit,
            secrets: options.secrets,
            parameters: options.parameters
          })
        })
      )
      findings = found.flat()
    },

    // Nothing to write here: the followed secrets and parameters are written by their stores.
    async apply() {},

    report(): Report {
      if (findings.length === 0) return emptyReport()
      const all = sorted()
      const problems = all.filter((f) => f.problem)
      return emptyReport({
        sections: [stackSection(all)],
        lines: stackLines(all),
        warnings: problems.map(
          (f) =>
            `Pipeline '${f.pipeline}' in ${f.region} belongs to CloudFormation stack '${f.stack}': ${f.problem}`
        ),
        headline: `Stacks followed: ${all.filter((f) => f.followed).length} of ${all.length} token source(s)`,
        holdouts: problems.map(
          (f) => `stack ${f.stack} (pipeline ${f.pipeline} in ${f.region}): ${f.problem}`
        )
      })
    }
  }
}
