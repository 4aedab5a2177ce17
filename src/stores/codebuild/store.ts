/** CodeBuild as a store: the account's source credential for one server type, in every region. */
import type { Store } from '../../core/flow.js'
import type { Limit } from '../../core/limit.js'
import { countStatuses, emptyReport, type Report } from '../../core/report.js'
import type { SealedToken } from '../../core/sealed-token.js'
import type { SecretsStore } from '../secrets-manager/store.js'
import { describeStore, type StoreContext } from '../descriptor.js'
import { createCodeBuildApi, type CodeBuildApi } from './api.js'
import { applyDisconnect, applyImport } from './apply.js'
import { planCredential } from './plan.js'
import { scanProjects, type ProjectTarget, type ProjectUse } from './projects.js'
import { codebuildLines, codebuildSection, projectsSection } from './render.js'
import {
  CODEBUILD_INPUTS,
  type CodeBuildInputs,
  type CodeBuildResult,
  type CredentialPlan
} from './types.js'

export interface CodeBuildStoreOptions {
  apiFor: (region: string) => CodeBuildApi
  limit: Limit
  token: SealedToken
  /** Writes the credentials kept in a Secrets Manager secret. */
  secrets: SecretsStore
}

export interface CodeBuildStore extends Store {
  /** The projects whose repositories the token must reach, once planned. */
  targets(): ProjectTarget[]
  /** Tells `listener` about each region's projects as soon as they are read (the token check starts on them). */
  onPlanned(listener: (target: ProjectTarget) => void): void
  /**
   * Asks `refusals` why the token must not be imported in a region (a
   * repository its projects build that the token cannot reach; empty when it
   * may). Read before writing.
   */
  refuseWith(refusals: (region: string) => string[]): void
}

/** A credential kept in a secret shows what happened to that secret. */
function throughSecret(plan: CredentialPlan): CodeBuildResult {
  const { result } = plan
  const secret = plan.secret?.()
  if (!secret) return result
  const via = `via secret ${result.secretArn}`
  switch (secret.status) {
    case 'updated':
      return {
        ...result,
        status: 'updated',
        note: `${via}: Token rotated (${secret.note ?? 'new version'})`
      }
    case 'skipped':
      return {
        ...result,
        status: 'skipped',
        note: `${via}: ${secret.note ?? 'already holds this token'}`
      }
    case 'failed':
      return { ...result, status: 'failed', error: `${via}: ${secret.error ?? 'failed'}` }
    case 'planned':
      return {
        ...result,
        status: 'planned',
        note: `${via}: ${secret.note ?? 'its Token key would be rotated'}`
      }
  }
}

/** The `codebuild-credentials` output: the documented fields only. */
function outputEntry(r: CodeBuildResult) {
  const { region, serverType, authType, arn, status, secretArn, error } = r
  return { region, serverType, authType, arn, status, secretArn, error }
}

export function codebuildStore(
  inputs: CodeBuildInputs,
  options: CodeBuildStoreOptions
): CodeBuildStore {
  let plans: CredentialPlan[] = []
  const warnings: string[] = []
  const targets: ProjectTarget[] = []
  const uses: ProjectUse[] = []
  const listeners: ((target: ProjectTarget) => void)[] = []
  let refusals: ((region: string) => string[]) | undefined
  /** A planned import into a region whose projects' repositories the token cannot reach is refused. */
  const refuse = () => {
    for (const plan of plans) {
      const reasons = refusals?.(plan.result.region) ?? []
      if (plan.result.status !== 'planned' || plan.secret || reasons.length === 0) continue
      plan.result.status = 'failed'
      plan.result.error = `not imported: the token cannot reach what this region's projects build — ${reasons.join('; ')}`
    }
  }
  const results = () => plans.map(throughSecret)
  return {
    targets: () => targets,

    onPlanned: (listener) => {
      listeners.push(listener)
    },

    refuseWith: (reasons) => {
      refusals = reasons
    },

    async plan() {
      if (inputs.codebuild.mode === 'off') return
      const scans =
        inputs.codebuild.mode === 'import'
          ? inputs.regions.map((region) =>
              options.limit(async () => {
                const scan = await scanProjects(region, inputs, options.apiFor(region))
                for (const target of scan.targets) {
                  for (const listener of listeners) listener(target)
                }
                return scan
              })
            )
          : []
      plans = await Promise.all(
        inputs.regions.map((region) =>
          options.limit(() =>
            planCredential(region, inputs, options.apiFor(region), options.secrets, warnings)
          )
        )
      )
      for (const scan of await Promise.all(scans)) {
        targets.push(...scan.targets)
        uses.push(...scan.uses)
        warnings.push(...scan.warnings)
      }
    },

    async apply() {
      refuse()
      await Promise.all(
        plans
          .filter((p) => p.result.status === 'planned' && !p.secret)
          .map((p) =>
            options.limit(() =>
              inputs.codebuild.mode === 'disconnect'
                ? applyDisconnect(p, options.apiFor(p.result.region))
                : applyImport(p, inputs.codebuild, options.token, options.apiFor(p.result.region))
            )
          )
      )
    },

    report(): Report {
      if (inputs.codebuild.mode === 'off') return emptyReport()
      refuse()
      const all = results()
      return emptyReport({
        sections: [codebuildSection(all), ...(uses.length > 0 ? [projectsSection(uses)] : [])],
        lines: codebuildLines(all),
        outputs: { 'codebuild-credentials': all.map(outputEntry) },
        // A secret-backed credential's failure is the secret's, listed there.
        failures: all
          .filter((r) => r.status === 'failed' && !r.secretArn)
          .map((r) => `${r.region} codebuild: ${r.error}`),
        warnings,
        headline: `CodeBuild: ${countStatuses(all)}`
      })
    }
  }
}

export const codebuild = describeStore({
  api: createCodeBuildApi,
  inputs: CODEBUILD_INPUTS,
  regions: (inputs) => (inputs.codebuild.mode === 'off' ? [] : inputs.regions),
  // A credential kept in a secret is rotated in that secret.
  contributes: ['secrets'],
  create: (
    inputs,
    { apiFor, limit, token, stores }: StoreContext<CodeBuildApi, { secrets: SecretsStore }>
  ) => codebuildStore(inputs, { apiFor, limit, token, secrets: stores.secrets })
})
