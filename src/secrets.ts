import { applyEdits, modify, parseTree } from 'jsonc-parser'
import { lazyClient, type AwsSettings } from './aws.js'
import { describeAwsError, errorName, messageOf } from './errors.js'
import type { Inputs, SecretTarget } from './inputs.js'
import type { Limit } from './pipelines.js'
import { statusCell, type RegionLine, type SummarySection } from './report.js'
import { countStatuses, sortByRegion, type Store } from './store.js'

// ---------------------------------------------------------------- the AWS API

export interface SecretInfo {
  arn: string
  /** Set when the secret is replicated: the region of the primary (replicas are read-only). */
  primaryRegion: string | undefined
  deleted: boolean
  rotationEnabled: boolean
  /** Set for secrets another AWS service manages (e.g. rds). */
  owningService: string | undefined
}

/** The AWSCURRENT version of a secret. */
export interface SecretValue {
  arn: string
  versionId: string | undefined
  /** undefined when the secret holds SecretBinary. */
  text: string | undefined
}

export interface PutResult {
  arn: string
  versionId: string | undefined
}

/** What the rotation needs from Secrets Manager in one region. */
export interface SecretsApi {
  describeSecret(secretId: string): Promise<SecretInfo>
  getSecretString(secretId: string): Promise<SecretValue>
  putSecretString(secretId: string, text: string): Promise<PutResult>
}

export function createSecretsApi(settings: AwsSettings, region: string): SecretsApi {
  // Loaded on first use: most runs name no secret.
  const connect = lazyClient(
    settings,
    region,
    () => import(/* webpackMode: "eager" */ '@aws-sdk/client-secrets-manager'),
    (sdk, config) => new sdk.SecretsManagerClient(config)
  )
  return {
    async describeSecret(secretId) {
      const { sdk, client } = await connect()
      const out = await client.send(new sdk.DescribeSecretCommand({ SecretId: secretId }))
      return {
        arn: out.ARN ?? secretId,
        primaryRegion: out.PrimaryRegion,
        deleted: out.DeletedDate !== undefined,
        rotationEnabled: out.RotationEnabled === true,
        owningService: out.OwningService
      }
    },
    async getSecretString(secretId) {
      const { sdk, client } = await connect()
      const out = await client.send(new sdk.GetSecretValueCommand({ SecretId: secretId }))
      return { arn: out.ARN ?? secretId, versionId: out.VersionId, text: out.SecretString }
    },
    async putSecretString(secretId, text) {
      // No VersionStages: the new version becomes AWSCURRENT, the old one
      // AWSPREVIOUS. No ClientRequestToken either: the SDK generates one per
      // command and reuses it when it retries, so a retried attempt that had
      // already landed does not create a second version.
      const { sdk, client } = await connect()
      const out = await client.send(
        new sdk.PutSecretValueCommand({ SecretId: secretId, SecretString: text })
      )
      return { arn: out.ARN ?? secretId, versionId: out.VersionId }
    }
  }
}

// ---------------------------------------------------------------- JSON, losslessly

/** A secret value the entry cannot be applied to; the message never contains a value. */
export class SecretValueError extends Error {}

function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

/** Parses a secret's text as a JSON object, or explains why it cannot hold `#key`. */
export function parseJsonObject(text: string, key: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new SecretValueError(
      `is not JSON, so key '${key}' cannot be set in it — nothing was written to it: drop '#${key}' to replace the whole value, or store a JSON object in the secret first`
    )
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SecretValueError(
      `holds JSON that is ${jsonType(parsed)}, not an object, so key '${key}' cannot be set in it — nothing was written to it`
    )
  }
  return parsed as Record<string, unknown>
}

/**
 * Sets one string key of a JSON object secret and keeps every other byte:
 * other keys, their order, formatting and numbers too large for a double
 * (a parse → stringify round trip would round those). Adds the key when absent.
 */
export function setJsonKey(
  text: string,
  key: string,
  value: string
): { text: string; added: boolean } {
  const parsed = parseJsonObject(text, key)
  // jsonc-parser edits the text in place: only the key's value changes (or a
  // member is appended), every other byte stays as it was.
  const own = (parseTree(text)?.children ?? []).filter((p) => p.children?.[0]?.value === key)
  if (own.length > 1) {
    throw new SecretValueError(
      `has key '${key}' ${own.length} times, so which one its readers use is unclear — nothing was written to it: remove the duplicates first`
    )
  }
  const exists = own.length === 1
  if (exists && typeof parsed[key] !== 'string') {
    throw new SecretValueError(
      `key '${key}' holds ${jsonType(parsed[key])}, not a string, so the token would change its type — nothing was written to it`
    )
  }
  // A multi-line object gets the new member on its own line, indented like the others.
  const indent = /\n([ \t]+)"/.exec(text)?.[1]
  const formattingOptions = indent
    ? {
        insertSpaces: !indent.startsWith('\t'),
        tabSize: indent.startsWith('\t') ? 1 : indent.length,
        eol: text.includes('\r\n') ? '\r\n' : '\n'
      }
    : undefined
  const out = applyEdits(text, modify(text, [key], value, { formattingOptions }))
  // The edit must change exactly that key.
  const after = JSON.parse(out) as Record<string, unknown>
  const expected = { ...parsed, [key]: value }
  if (JSON.stringify(after) !== JSON.stringify(expected)) {
    throw new SecretValueError(
      `could not be edited safely (key '${key}') — nothing was written to it: please report this with the secret's shape, not its values`
    )
  }
  return { text: out, added: !exists }
}

/** The value to write, for a whole-value entry or a set of `#key` entries. */
export function newSecretText(
  current: SecretValue,
  secretId: string,
  keys: string[] | 'whole',
  token: string
): { text: string; added: string[] } {
  if (current.text === undefined) {
    throw new SecretValueError(
      'holds a binary value (SecretBinary), not text — nothing was written to it: this action writes text (SecretString) secrets only'
    )
  }
  if (keys === 'whole') {
    let parsed: unknown
    try {
      parsed = JSON.parse(current.text)
    } catch {
      parsed = undefined
    }
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const names = Object.keys(parsed)
      const shown = names.slice(0, 10).join(', ') + (names.length > 10 ? ', ...' : '')
      throw new SecretValueError(
        `holds a JSON object (keys: ${shown || 'none'}) — nothing was written to it: name the key to set, e.g. ${secretId}#${names[0] ?? 'token'}; the token written over the whole value would lose the other keys`
      )
    }
    return { text: token, added: [] }
  }
  let text = current.text
  const added: string[] = []
  for (const key of keys) {
    const edit = setJsonKey(text, key, token)
    text = edit.text
    if (edit.added) added.push(key)
  }
  return { text, added }
}

// ---------------------------------------------------------------- plan and apply

export type SecretStatus = 'updated' | 'planned' | 'skipped' | 'failed'

/** One row of the report: a `secrets` entry in one region. */
export interface SecretResult {
  region: string
  /** The entry as given, e.g. ci/github#token. */
  entry: string
  secretId: string
  key?: string
  arn?: string
  status: SecretStatus
  versionBefore?: string
  versionAfter?: string
  error?: string
  note?: string
}

/** One PutSecretValue: every entry that names the same secret in a region. */
interface SecretWrite {
  region: string
  arn: string
  keys: string[] | 'whole'
  /** The AWSCURRENT version the plan read. */
  versionId: string | undefined
  results: SecretResult[]
}

interface Planned {
  result: SecretResult
  value?: SecretValue
  warning?: string
}

const NOT_FOUND = new Set(['ResourceNotFoundException'])

/** The regions a secrets entry applies to: the ARN's, or every listed region. */
export function secretRegions(inputs: Inputs): string[] {
  const regions = new Set<string>()
  for (const s of inputs.secrets) {
    if (s.region) regions.add(s.region)
    else for (const r of inputs.regions) regions.add(r)
  }
  return [...regions]
}

function targetsIn(region: string, inputs: Inputs): SecretTarget[] {
  return inputs.secrets.filter((s) =>
    s.region ? s.region === region : inputs.regions.includes(region)
  )
}

function shortVersion(id: string | undefined): string {
  return id ? id.slice(0, 8) : '–'
}

async function planOne(
  region: string,
  target: SecretTarget,
  api: SecretsApi,
  inputs: Inputs,
  limit: Limit
): Promise<Planned> {
  const result: SecretResult = {
    region,
    entry: target.entry,
    secretId: target.secretId,
    status: 'planned'
  }
  if (target.key !== undefined) result.key = target.key
  const fail = (error: string): Planned => ({ result: { ...result, status: 'failed', error } })

  let info: SecretInfo
  try {
    info = await limit(() => api.describeSecret(target.secretId))
  } catch (error) {
    if (NOT_FOUND.has(errorName(error))) {
      return fail(
        `does not exist in ${region}: check the name and the regions input (this action never creates secrets)`
      )
    }
    return fail(describeAwsError(error, 'secretsmanager:DescribeSecret'))
  }
  result.arn = info.arn
  if (info.deleted) {
    return fail(
      `is scheduled for deletion: restore it (RestoreSecret) or remove it from the secrets input`
    )
  }
  if (info.owningService) {
    return fail(
      `is managed by ${info.owningService}, which alone changes its value: remove it from the secrets input`
    )
  }
  if (info.primaryRegion && info.primaryRegion !== region) {
    const primaryListed = target.region === undefined && inputs.regions.includes(info.primaryRegion)
    if (primaryListed) {
      return {
        result: {
          ...result,
          status: 'skipped',
          note: `a replica of the secret in ${info.primaryRegion}: Secrets Manager copies the new value from there`
        }
      }
    }
    return fail(
      `is a read-only replica of the secret in ${info.primaryRegion}: add ${info.primaryRegion} to regions, or name the primary's ARN`
    )
  }

  let value: SecretValue
  try {
    value = await limit(() => api.getSecretString(info.arn))
  } catch (error) {
    if (NOT_FOUND.has(errorName(error))) {
      return fail(
        `has no current value (${messageOf(error)}): give it a first value in the console or with PutSecretValue, then re-run`
      )
    }
    return fail(describeAwsError(error, 'secretsmanager:GetSecretValue'))
  }
  if (value.versionId) result.versionBefore = value.versionId
  const warning = info.rotationEnabled
    ? `Secret '${info.arn}' has automatic rotation turned on: its rotation function will replace the token at the next rotation unless it writes the same value.`
    : undefined
  try {
    const { text } = newSecretText(
      value,
      target.secretId,
      target.key === undefined ? 'whole' : [target.key],
      inputs.token
    )
    if (text === value.text) {
      return {
        result: {
          ...result,
          status: 'skipped',
          note:
            target.key === undefined
              ? 'already holds this token'
              : `key '${target.key}' already holds this token`
        }
      }
    }
  } catch (error) {
    return fail(messageOf(error))
  }
  return { result, value, ...(warning && { warning }) }
}

/**
 * Groups the planned entries by secret: one write per secret and region, so
 * two keys of one secret (or one secret named by name and by ARN) cannot
 * overwrite each other. A whole-value entry and a `#key` entry never both
 * reach here: one needs a JSON object, the other refuses it.
 */
function groupWrites(planned: Planned[]): SecretWrite[] {
  const writes = new Map<string, SecretWrite>()
  for (const { result, value } of planned) {
    if (result.status !== 'planned' || !result.arn) continue
    const id = `${result.region} ${result.arn}`
    const write = writes.get(id) ?? {
      region: result.region,
      arn: result.arn,
      keys: result.key === undefined ? 'whole' : [],
      versionId: value?.versionId,
      results: []
    }
    writes.set(id, write)
    write.results.push(result)
    if (result.key !== undefined && write.keys !== 'whole' && !write.keys.includes(result.key)) {
      write.keys.push(result.key)
    }
  }
  return [...writes.values()]
}

function describeChange(write: SecretWrite, added: string[], dryRun: boolean): string {
  const verb = dryRun ? 'would write' : 'wrote'
  if (write.keys === 'whole') return `${verb} a new version (AWSCURRENT)`
  const keys = write.keys.map((k) => `'${k}'`).join(', ')
  const addedNote = added.length > 0 ? `; added ${added.map((k) => `'${k}'`).join(', ')}` : ''
  return `${verb} a new version (AWSCURRENT) setting ${keys}, other keys kept${addedNote}`
}

async function applyWrite(
  write: SecretWrite,
  token: string,
  api: SecretsApi,
  limit: Limit
): Promise<void> {
  const setAll = (patch: Partial<SecretResult>) => {
    for (const result of write.results) Object.assign(result, patch)
  }
  const secretId = write.results[0]?.secretId ?? write.arn

  // Read again just before writing: a JSON edit must start from the latest value.
  let current: SecretValue
  let text: string
  let changedSincePlan = false
  try {
    current = await limit(() => api.getSecretString(write.arn))
    changedSincePlan = current.versionId !== write.versionId
    text = newSecretText(current, secretId, write.keys, token).text
  } catch (error) {
    const message =
      error instanceof SecretValueError
        ? `changed since it was planned and now ${error.message}`
        : describeAwsError(error, 'secretsmanager:GetSecretValue')
    return setAll({ status: 'failed', error: message })
  }
  if (text === current.text) {
    return setAll({
      status: 'skipped',
      note: 'already holds this token (written by someone else meanwhile)'
    })
  }

  let put: PutResult
  try {
    put = await limit(() => api.putSecretString(write.arn, text))
  } catch (error) {
    return setAll({
      status: 'failed',
      error: describeAwsError(error, 'secretsmanager:PutSecretValue')
    })
  }
  if (put.versionId) setAll({ versionAfter: put.versionId })

  // Verify: the version we wrote is AWSCURRENT and holds what we wrote.
  let check: SecretValue
  try {
    check = await limit(() => api.getSecretString(write.arn))
  } catch (error) {
    return setAll({
      status: 'failed',
      error: `the new version ${put.versionId ?? ''} was written, but could not be read back to verify it: ${describeAwsError(error, 'secretsmanager:GetSecretValue')}`
    })
  }
  if (put.versionId === undefined || check.versionId !== put.versionId) {
    return setAll({
      status: 'failed',
      error: `the token was written as version ${put.versionId ?? 'unknown'}, but AWSCURRENT is now version ${check.versionId ?? 'unknown'}: another write landed right after ours — check the secret's versions, then re-run`
    })
  }
  if (check.text !== text) {
    return setAll({
      status: 'failed',
      error: `version ${put.versionId} does not read back as written: check the secret, then re-run`
    })
  }
  const added =
    write.keys === 'whole' ? [] : newSecretText(current, secretId, write.keys, token).added
  setAll({
    status: 'updated',
    arn: put.arn,
    note:
      describeChange(write, added, false) +
      (changedSincePlan
        ? ' (the secret changed after it was planned; the latest value was edited)'
        : '')
  })
}

export function secretSection(results: SecretResult[]): SummarySection {
  return {
    title: 'Secrets Manager',
    headers: ['Region', 'Secret', 'Key', 'Version', 'Status'],
    rows: results.map((r) => [
      r.region,
      r.secretId,
      r.key ?? '(whole value)',
      r.versionAfter
        ? `${shortVersion(r.versionBefore)} → ${shortVersion(r.versionAfter)}`
        : shortVersion(r.versionBefore),
      [statusCell(r.status), r.error ?? r.note ?? ''].filter(Boolean).join(': ')
    ])
  }
}

export function secretLines(results: SecretResult[]): RegionLine[] {
  return results.map((r) => {
    const version = r.versionAfter
      ? ` ${shortVersion(r.versionBefore)} → ${shortVersion(r.versionAfter)}`
      : r.versionBefore
        ? ` ${shortVersion(r.versionBefore)}`
        : ''
    const detail = r.error ?? r.note
    return {
      region: r.region,
      line: `${r.status.padEnd(8)} secret ${r.entry}${version}${detail ? ` — ${detail}` : ''}`
    }
  })
}

/** Secrets Manager as a Store. */
export function secretsStore(
  inputs: Inputs,
  apiFor: (region: string) => SecretsApi,
  limit: Limit
): Store {
  let results: SecretResult[] = []
  let writes: SecretWrite[] = []
  const warnings: string[] = []
  const sorted = () => sortByRegion(results, inputs.regions, (r) => r.entry)

  return {
    async plan() {
      const planned = (
        await Promise.all(
          secretRegions(inputs).map((region) =>
            Promise.all(
              targetsIn(region, inputs).map((target) =>
                planOne(region, target, apiFor(region), inputs, limit)
              )
            )
          )
        )
      ).flat()
      results = planned.map((p) => p.result)
      writes = groupWrites(planned)
      for (const p of planned)
        if (p.warning && !warnings.includes(p.warning)) warnings.push(p.warning)
      for (const write of writes) {
        const value = planned.find((p) => p.result === write.results[0])?.value
        // Each key was checked alone; setting them together cannot fail then.
        const added =
          value && write.keys !== 'whole'
            ? newSecretText(value, write.arn, write.keys, inputs.token).added
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
    async apply(token) {
      await Promise.all(
        writes.map((write) => applyWrite(write, token, apiFor(write.region), limit))
      )
    },
    sections: () => [secretSection(sorted())],
    lines: () => secretLines(sorted()),
    outputs: () => ({
      'secrets-updated': [
        ...new Set(
          sorted()
            .filter((r) => r.status === 'updated')
            .map((r) => r.arn ?? r.secretId)
        )
      ]
    }),
    failures: () =>
      sorted()
        .filter((r) => r.status === 'failed')
        .map((r) => `${r.region} secret ${r.entry}: ${r.error}`),
    warnings: () => warnings,
    headline: () => (inputs.secrets.length > 0 ? `Secrets: ${countStatuses(sorted())}` : undefined)
  }
}
