/**
 * What a store folder exports: one StoreDescriptor (in its store.ts), listed
 * once in registry.ts. main.ts knows no store by hand: it builds the AWS
 * clients, the regions, the stores and their order from the registry.
 *
 * A store that hands values to another (a stack's secret, CodeBuild's
 * credential secret) says so in `contributes`; one that reads another's plan
 * (the stacks of the pipelines) says so in `reads`. Nothing is declared on
 * the receiving side: the registry plans each store after the stores that
 * contribute to it and the stores it reads, and a receiver refuses (throws
 * on) a contribution that arrives once it has planned.
 */
import type { AwsSettings } from '../aws/client.js'
import type { Store } from '../core/flow.js'
import type { Limit } from '../core/limit.js'
import type { SealedToken } from '../core/sealed-token.js'
import type { Inputs } from '../inputs/types.js'
import type { MigrationServices } from './codepipeline/migration/checks.js'
import type { Clock } from './codepipeline/types.js'

/** What every store is built with, besides its own inputs. */
export interface StoreContext<Api, Uses> {
  /** Its AWS client for a region (one per region, made on first use). */
  apiFor: (region: string) => Api
  /** The run's concurrency limit for AWS calls. */
  limit: Limit
  token: SealedToken
  /** The token being replaced, when given. */
  previous: SealedToken | undefined
  /** Time, when a test brings its own. */
  clock: Clock | undefined
  /** The calls of a migration (connection-arn): the CodePipeline store's only. */
  migration: MigrationServices | undefined
  /** The stores it named in `contributes` and `reads`, and only those. */
  stores: Uses
}

export interface StoreDescriptor<
  Api,
  Keys extends keyof Inputs,
  S extends Store,
  Uses extends Record<string, Store> = Record<never, Store>
> {
  /** Its AWS client for one region. */
  api: (settings: AwsSettings, region: string) => Api
  /** The inputs it reads: the only ones it is given. */
  inputs: readonly Keys[]
  /** The regions it touches, for the log and the credentials' region. */
  regions(inputs: Pick<Inputs, Keys>): string[]
  /** Stores it hands values to (their names in the registry): they plan after it. */
  contributes?: readonly (keyof Uses & string)[]
  /** Stores whose plans it reads: it plans after them. */
  reads?: readonly (keyof Uses & string)[]
  /**
   * The store. Its report() is its part of the outputs, the log and the job
   * summary (its section, in registry order).
   */
  create(inputs: Pick<Inputs, Keys>, context: StoreContext<Api, Uses>): S
}

/** Infers a descriptor's type parameters from its parts (no annotation needed in a store folder). */
export function describeStore<
  Api,
  Keys extends keyof Inputs,
  S extends Store,
  Uses extends Record<string, Store> = Record<never, Store>
>(descriptor: StoreDescriptor<Api, Keys, S, Uses>): StoreDescriptor<Api, Keys, S, Uses> {
  return descriptor
}
