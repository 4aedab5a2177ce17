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
import { describeStore, type StoreContext } from '../descriptor.js'
import { createStacksApi, type StacksApi } from './api.js'
import { followStack, ownerTags } from './plan.js'
import { stackLines, stackSection } from './render.js'
import type { StackFinding } from './types.js'

export interface StackStoreOptions {
  apiFor: (region: string) => StacksApi
  limit: Limit
  pipelines: PipelineStore
  secrets: SecretsStore
  parameters: ParameterStore
}

/** The inputs the stack store reads (its descriptor gives it only these). */
type StackInputs = Pick<Inputs, 'followStacks' | 'regions'>

export function stackStore(inputs: StackInputs, options: StackStoreOptions): Store {
  let findings: StackFinding[] = []
  const sorted = () =>
    sortByRegion(findings, inputs.regions, (f) => `${f.stack} ${f.pipeline} ${f.action ?? ''}`)
  return {
    async plan() {
      if (!inputs.followStacks) return
      const owned = options.pipelines.owned()
      const groupBy = (list: typeof owned, key: (o: (typeof owned)[number]) => string) => {
        const groups = new Map<string, typeof owned>()
        for (const o of list) {
          const group = groups.get(key(o)) ?? []
          group.push(o)
          groups.set(key(o), group)
        }
        return groups
      }
      const regions = groupBy(owned, (o) => o.region)
      const found = await Promise.all(
        [...regions].map(async ([region, inRegion]) => {
          const ctx = {
            api: options.apiFor(region),
            limit: options.limit,
            secrets: options.secrets,
            parameters: options.parameters
          }
          const tags = await ownerTags(inRegion, ctx)
          const stacks = groupBy(inRegion, (o) => o.stack)
          const followed = await Promise.all(
            [...stacks].map(([stack, group]) => followStack(region, stack, group, tags, ctx))
          )
          return followed.flat()
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

export const stacks = describeStore({
  api: createStacksApi,
  inputs: ['followStacks', 'regions'],
  // The stacks of the pipelines it reads, in their regions.
  regions: () => [],
  reads: ['pipelines'],
  contributes: ['secrets', 'parameters'],
  create: (
    inputs,
    {
      apiFor,
      limit,
      stores
    }: StoreContext<
      StacksApi,
      { pipelines: PipelineStore; secrets: SecretsStore; parameters: ParameterStore }
    >
  ) => stackStore(inputs, { apiFor, limit, ...stores })
})
