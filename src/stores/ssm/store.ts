/**
 * SSM Parameter Store as a store: the parameters the `parameters` input
 * names, and those a stack's template reads ({{resolve:ssm:…}}), each
 * written once through the value-store cycle, keeping everything but the
 * value.
 */
import { describeAwsError, errorName } from '../../aws/errors.js'
import type { Limit } from '../../core/limit.js'
import type { SealedToken } from '../../core/sealed-token.js'
import { valueStore, type ValueStore } from '../../core/value-store.js'
import { entryRefs, entryRegions } from '../../inputs/refs.js'
import type { Inputs } from '../../inputs/types.js'
import { describeStore } from '../descriptor.js'
import { createParametersApi, type ParametersApi } from './api.js'
import { putParameter, rereadParameter, verifyParameter } from './apply.js'
import { keptSettings, labelledHolders, patternRefusal, readParameter } from './plan.js'
import { parameterLines, parameterSection } from './render.js'
import type { ParameterMeta, ParameterResult } from './types.js'

export interface ParameterStoreOptions {
  apiFor: (region: string) => ParametersApi
  limit: Limit
  token: SealedToken
  /** The token being replaced: every parameter read is scanned for it. */
  previous?: SealedToken | undefined
}

export type ParameterStore = ValueStore<ParameterResult>

function describePut(error: unknown): string {
  const described = describeAwsError(error, 'ssm:PutParameter')
  // AWS judged the value against the AllowedPattern the action could not evaluate itself.
  return errorName(error) === 'ParameterPatternMismatchException'
    ? `${described} — its AllowedPattern does not accept the new value, and nothing was written to it: fix the pattern (or the entry's #key), then re-run`
    : described
}

export function parameterStore(
  inputs: Pick<Inputs, 'parameters' | 'regions' | 'dryRun'>,
  options: ParameterStoreOptions
): ParameterStore {
  const { limit } = options
  const ctx = (region: string) => ({ api: options.apiFor(region), limit })
  return valueStore<ParameterResult, ParameterMeta, number | undefined>({
    input: 'parameters',
    output: 'parameters-updated',
    noun: 'parameter',
    title: 'Parameters',
    regions: inputs.regions,
    dryRun: inputs.dryRun,
    token: options.token,
    previous: options.previous,
    inputRefs: entryRefs(inputs.parameters, inputs.regions),
    backend: {
      row: (ref) => ({ region: ref.region, entry: ref.entry, name: ref.id, status: 'planned' }),
      read: (ref, row) => readParameter(ref, row, ctx(ref.region)),
      refuse: (stored, text, planning) => patternRefusal(stored.meta.metadata, text, planning),
      reread: (write) => rereadParameter(write, ctx(write.region)),
      put: (write, _current, text) => putParameter(write, text, ctx(write.region)),
      written: (version) => (version === undefined ? {} : { versionAfter: version }),
      verify: (write, current, text, version) =>
        verifyParameter(write, current, text, version, ctx(write.region)),
      updated: (write, _current, _added, version) => ({
        note: `wrote version ${version}; kept ${keptSettings(write.stored.meta.metadata)}`
      }),
      describe: (error, call) =>
        call === 'put' ? describePut(error) : describeAwsError(error, 'ssm:GetParameter'),
      wouldWrite: (write) =>
        `would write version ${(write.stored.meta.version ?? 0) + 1}; keeps ${keptSettings(write.stored.meta.metadata)}`,
      warnings: (write) =>
        write.stored.meta.metadata.type === 'String'
          ? [
              `Parameter '${write.stored.id}' in ${write.region} is a String, so it holds the token unencrypted (anyone with ssm:GetParameter reads it, and it shows in the console): it is updated as it is — recreate it as a SecureString to encrypt it with KMS.`
            ]
          : [],
      olderHolders: (stored, previous, region) => labelledHolders(stored, previous, ctx(region))
    },
    idOf: (r) => r.arn ?? r.name,
    section: parameterSection,
    lines: parameterLines
  })
}

export const parameters = describeStore({
  api: createParametersApi,
  inputs: ['parameters', 'regions', 'dryRun'],
  regions: (inputs) => entryRegions(inputs.parameters, inputs.regions),
  create: (inputs, { apiFor, limit, token, previous }) =>
    parameterStore(inputs, { apiFor, limit, token, previous })
})
