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
import { codebuildLines, codebuildSection } from './render.js'
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

export function codebuildStore(inputs: CodeBuildInputs, options: CodeBuildStoreOptions): Store {
  let plans: CredentialPlan[] = []
  const warnings: string[] = []
  const results = () => plans.map(throughSecret)
  return {
    async plan() {
      if (inputs.codebuild.mode === 'off') return
      plans = await Promise.all(
        inputs.regions.map((region) =>
          options.limit(() =>
            planCredential(region, inputs, options.apiFor(region), options.secrets, warnings)
          )
        )
      )
    },

    async apply() {
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
      const all = results()
      return emptyReport({
        sections: [codebuildSection(all)],
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
