/**
 * Every store, one line each: the order here is the order of the job
 * summary's sections and of the outputs. Adding a store is its folder (with
 * a descriptor in its store.ts, see descriptor.ts) and its line here.
 */
import { perRegion, type AwsSettings } from '../aws/client.js'
import type { Store } from '../core/flow.js'
import type { Limit } from '../core/limit.js'
import type { SealedToken } from '../core/sealed-token.js'
import type { Inputs } from '../inputs/types.js'
import { stacks } from './cloudformation/store.js'
import { codebuild } from './codebuild/store.js'
import { createConnectionsApi, createPolicySimulatorApi } from './codepipeline/migration/api.js'
import type { MigrationServices } from './codepipeline/migration/checks.js'
import { createPipelineWebhookApi } from './codepipeline/api.js'
import { pipelines } from './codepipeline/store.js'
import type { Clock } from './codepipeline/types.js'
import type { StoreContext, StoreDescriptor } from './descriptor.js'
import { secrets } from './secrets-manager/store.js'
import { parameters } from './ssm/store.js'

const registry = { pipelines, codebuild, stacks, secrets, parameters }

/* eslint-disable @typescript-eslint/no-explicit-any -- any store's descriptor; only inferred parts are used */
type AnyDescriptor = StoreDescriptor<any, any, any, any>
type ApiOf<D> = D extends StoreDescriptor<infer Api, any, any, any> ? Api : never
type StoreOf<D> = D extends StoreDescriptor<any, any, infer S, any> ? S : never
/* eslint-enable @typescript-eslint/no-explicit-any */

/** The AWS collaborators of a set of stores, one per store and region. */
type ServicesOf<R> = { [N in keyof R]: (region: string) => ApiOf<R[N]> } & {
  /** The calls of a migration (connection-arn); each client is built on first use. */
  migration?: MigrationServices
}

/** The AWS collaborators, one per store and region; tests pass their own. */
export type Services = ServicesOf<typeof registry>

/** What the run gives every store. */
interface RunContext<R> {
  services: ServicesOf<R>
  limit: Limit
  token: SealedToken
  previous: SealedToken | undefined
  clock: Clock | undefined
}

/** Only the inputs a store declared. */
function pick<K extends keyof Inputs>(inputs: Inputs, keys: readonly K[]): Pick<Inputs, K> {
  const picked: Partial<Pick<Inputs, K>> = {}
  for (const key of keys) picked[key] = inputs[key]
  return picked as Pick<Inputs, K>
}

/**
 * How a set of stores is wired (the registry's; a test's own). A store is
 * made after the stores it uses — to hand them values or read their plans —
 * and given only those and its own inputs; it plans after the stores it
 * reads and the stores that contribute to it.
 */
export function wireStores<R extends Record<string, AnyDescriptor>>(descriptors: R) {
  type Name = keyof R & string
  const names = Object.keys(descriptors) as Name[]
  const descriptorOf = (name: Name): AnyDescriptor => descriptors[name] as AnyDescriptor
  const used = (name: Name, list: 'contributes' | 'reads'): Name[] => {
    const named = (descriptorOf(name)[list] ?? []) as string[]
    for (const other of named) {
      if (!names.includes(other)) {
        throw new Error(`Store '${name}' ${list} '${other}', which is not in the registry`)
      }
    }
    return named
  }

  /** What each store plans after: the stores it reads, and those that contribute to it. */
  const planOrder = (): Map<Name, Name[]> => {
    const after = new Map<Name, Name[]>(names.map((name) => [name, []]))
    for (const name of names) {
      for (const receiver of used(name, 'contributes')) after.get(receiver)?.push(name)
      after.get(name)?.push(...used(name, 'reads'))
    }
    return after
  }

  return {
    planOrder,

    services(settings: AwsSettings): ServicesOf<R> {
      const migration: MigrationServices = {
        connections: createConnectionsApi(settings),
        simulator: perRegion((region) => createPolicySimulatorApi(settings, region)),
        webhooks: perRegion((region) => createPipelineWebhookApi(settings, region))
      }
      return {
        ...Object.fromEntries(
          names.map((name) => [
            name,
            perRegion((region) => descriptorOf(name).api(settings, region))
          ])
        ),
        migration
      } as ServicesOf<R>
    },

    /** Every region the run touches, in the order the inputs name them. */
    regions(inputs: Inputs): string[] {
      return [
        ...new Set([
          ...inputs.regions,
          ...names.flatMap((name) => {
            const d = descriptorOf(name)
            return d.regions(pick(inputs, d.inputs)) as string[]
          })
        ])
      ]
    },

    /**
     * Every store, by name, and in registry order as the flow runs them,
     * each planning after what planOrder() says.
     */
    create(
      inputs: Inputs,
      run: RunContext<R>
    ): { stores: { [N in keyof R]: StoreOf<R[N]> }; flow: Store[] } {
      const made = new Map<Name, Store>()
      const making = new Set<Name>()
      const make = (name: Name): Store => {
        const existing = made.get(name)
        if (existing) return existing
        if (making.has(name))
          throw new Error(`Stores use each other in a circle, through '${name}'`)
        making.add(name)
        const d = descriptorOf(name)
        const uses = [...used(name, 'contributes'), ...used(name, 'reads')]
        const context: StoreContext<unknown, Record<string, Store>> = {
          apiFor: run.services[name],
          limit: run.limit,
          token: run.token,
          previous: run.previous,
          clock: run.clock,
          migration: run.services.migration,
          stores: Object.fromEntries(uses.map((other) => [other, make(other)]))
        }
        const store = d.create(pick(inputs, d.inputs), context) as Store
        made.set(name, store)
        return store
      }
      for (const name of names) make(name)

      const order = planOrder()
      const flowOf = new Map<Name, Store>()
      for (const name of names) {
        const store = made.get(name) as Store
        flowOf.set(name, {
          get after() {
            return (order.get(name) ?? []).map((other) => flowOf.get(other) as Store)
          },
          plan: () => store.plan(),
          apply: () => store.apply(),
          settle: async () => store.settle?.(),
          report: () => store.report()
        })
      }
      return {
        stores: Object.fromEntries(made) as { [N in keyof R]: StoreOf<R[N]> },
        flow: [...flowOf.values()]
      }
    }
  }
}

/** The stores of this action. */
export const stores = wireStores(registry)
