import * as core from '@actions/core'
import { InputError } from './errors.js'

/** How a `pipelines` entry selects pipelines. */
export type PipelineSelector =
  | { kind: 'name'; entry: string; name: string }
  | { kind: 'glob'; entry: string; pattern: string }
  | {
      kind: 'arn'
      entry: string
      name: string
      region: string
      account: string
      partition: string
    }

export type CodeBuildMode = 'off' | 'import' | 'disconnect'
export type CodeBuildServerType = 'GITHUB' | 'GITHUB_ENTERPRISE' | 'BITBUCKET'
export type CodeBuildAuthType = 'PERSONAL_ACCESS_TOKEN' | 'BASIC_AUTH'

export interface CodeBuildSettings {
  mode: CodeBuildMode
  serverType: CodeBuildServerType
  authType: CodeBuildAuthType
  username: string | undefined
}

/** A `secrets` entry: a name or ARN, optionally `#key` for one key of a JSON secret. */
export interface SecretTarget {
  entry: string
  secretId: string
  key: string | undefined
  /** Set when the entry is an ARN: the secret lives in that region only. */
  region: string | undefined
}

export interface Inputs {
  token: string
  pipelines: PipelineSelector[]
  regions: string[]
  dryRun: boolean
  codebuild: CodeBuildSettings
  secrets: SecretTarget[]
  roleToAssume: string | undefined
  roleSessionName: string
  githubApiUrl: string
  verifyToken: boolean
  minDaysLeft: number
  maxConcurrency: number
}

const REGION = /^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/
// CodePipeline: names are 1-100 characters of [A-Za-z0-9.@_-].
const PIPELINE_NAME = /^[A-Za-z0-9.@_-]{1,100}$/
const PIPELINE_GLOB = /^[A-Za-z0-9.@_*?-]{1,100}$/
const PIPELINE_ARN =
  /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-[a-z])?:codepipeline:([^:]*):([^:]*):(.*)$/
const ACCOUNT = /^\d{12}$/
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/
const SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):(\d{12}):secret:([A-Za-z0-9/_+=.@-]+)$/
export const DEFAULT_MAX_CONCURRENCY = 8

/** Splits a list input on newlines and commas; blank entries and `#` comment lines are dropped. */
export function splitList(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '' && !entry.startsWith('# '))
}

function unique<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>()
  return items.filter((item) => {
    const k = key(item)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

/**
 * Reads the token and masks it before anything else can print it.
 * Every whitespace-separated part is masked too, so a token pasted with a
 * line break is hidden even though it is refused.
 */
export function readToken(): string {
  const raw = core.getInput('token', { trimWhitespace: false })
  const token = raw.trim()
  if (token !== '') core.setSecret(token)
  const parts = token.split(/\s+/)
  if (parts.length > 1) for (const part of parts) if (part.length >= 4) core.setSecret(part)
  if (token === '') {
    throw new InputError(
      'token',
      'is empty: pass the new personal access token, e.g. `token: ${{ secrets.CODEPIPELINE_GITHUB_TOKEN }}` (an empty value usually means the secret does not exist in this repository or environment)'
    )
  }
  if (/\s/.test(token)) {
    throw new InputError(
      'token',
      'contains whitespace inside it: expected a single token with no spaces or line breaks (was it pasted with a line break, or are two tokens in the secret?)'
    )
  }
  return token
}

export function parsePipelineEntry(entry: string): PipelineSelector {
  if (entry.startsWith('arn:')) {
    const match = PIPELINE_ARN.exec(entry)
    const [, partition = 'aws', region = '', account = '', name = ''] = match ?? []
    if (!match || !REGION.test(region) || !ACCOUNT.test(account) || !PIPELINE_NAME.test(name)) {
      throw new InputError(
        'pipelines',
        `entry '${entry}' is not a pipeline ARN: expected arn:aws:codepipeline:REGION:ACCOUNT:NAME, e.g. arn:aws:codepipeline:us-east-1:123456789012:MyFirstPipeline`
      )
    }
    return { kind: 'arn', entry, name, region, account, partition }
  }
  if (/[*?]/.test(entry)) {
    if (!PIPELINE_GLOB.test(entry)) {
      throw new InputError(
        'pipelines',
        `entry '${entry}' is not a valid pattern: expected pipeline-name characters (letters, digits, . @ _ -) with * or ? wildcards, e.g. prod-*`
      )
    }
    return { kind: 'glob', entry, pattern: entry }
  }
  if (!PIPELINE_NAME.test(entry)) {
    throw new InputError(
      'pipelines',
      `entry '${entry}' is not a valid pipeline name: expected 1-100 letters, digits, '.', '@', '_' or '-', a pattern such as prod-*, or a pipeline ARN`
    )
  }
  return { kind: 'name', entry, name: entry }
}

export function parseSecretEntry(entry: string): SecretTarget {
  const hash = entry.lastIndexOf('#')
  const id = hash >= 0 ? entry.slice(0, hash) : entry
  const key = hash >= 0 ? entry.slice(hash + 1) : undefined
  if (key !== undefined && key.trim() === '') {
    throw new InputError(
      'secrets',
      `entry '${entry}' has an empty key after '#': expected NAME#key, e.g. ci/github#token`
    )
  }
  const arn = SECRET_ARN.exec(id)
  if (arn) return { entry, secretId: id, key, region: arn[1] }
  if (id.startsWith('arn:') || !SECRET_NAME.test(id)) {
    throw new InputError(
      'secrets',
      `entry '${entry}' is not a secret name or ARN: expected a name such as ci/github-token, an ARN arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME, optionally followed by #key`
    )
  }
  return { entry, secretId: id, key, region: undefined }
}

function parseRegions(): string[] {
  const listed = splitList(core.getInput('regions'))
  const fallback = process.env['AWS_REGION'] || process.env['AWS_DEFAULT_REGION'] || ''
  const regions = listed.length > 0 ? listed : fallback ? [fallback] : []
  for (const region of regions) {
    if (!REGION.test(region)) {
      const source = listed.length > 0 ? 'regions' : 'regions (from AWS_REGION)'
      throw new InputError(
        source,
        `'${region}' is not an AWS region name: expected e.g. us-east-1 or eu-west-1`
      )
    }
  }
  return unique(regions, (r) => r)
}

function parseBoolean(name: string): boolean {
  try {
    return core.getBooleanInput(name)
  } catch {
    throw new InputError(name, `expected true or false, got '${core.getInput(name)}'`)
  }
}

function parseInteger(name: string, min: number, max: number, fallback: number): number {
  const value = core.getInput(name)
  if (value === '') return fallback
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InputError(name, `expected a whole number from ${min} to ${max}, got '${value}'`)
  }
  return Number(value)
}

function parseChoice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const value = core.getInput(name)
  if (value === '') return fallback
  const match = choices.find((choice) => choice.toLowerCase() === value.toLowerCase())
  if (!match) {
    throw new InputError(name, `expected one of ${choices.join(', ')}, got '${value}'`)
  }
  return match
}

function parseCodeBuild(): CodeBuildSettings {
  const rawMode = core.getInput('codebuild').toLowerCase()
  const mode: CodeBuildMode =
    rawMode === '' || rawMode === 'false' || rawMode === 'off'
      ? 'off'
      : rawMode === 'true'
        ? 'import'
        : parseChoice('codebuild', ['import', 'disconnect'] as const, 'import')
  const serverType = parseChoice(
    'codebuild-server-type',
    ['GITHUB', 'GITHUB_ENTERPRISE', 'BITBUCKET'] as const,
    'GITHUB'
  )
  const authType = parseChoice(
    'codebuild-auth-type',
    ['PERSONAL_ACCESS_TOKEN', 'BASIC_AUTH'] as const,
    'PERSONAL_ACCESS_TOKEN'
  )
  const username = core.getInput('codebuild-username') || undefined
  if (mode === 'import' && authType === 'BASIC_AUTH' && !username) {
    throw new InputError(
      'codebuild-username',
      'is required when codebuild-auth-type is BASIC_AUTH: set it to the Bitbucket user name that owns the app password'
    )
  }
  if (mode === 'import' && authType === 'BASIC_AUTH' && serverType !== 'BITBUCKET') {
    throw new InputError(
      'codebuild-auth-type',
      `BASIC_AUTH is for Bitbucket app passwords: use it with codebuild-server-type: BITBUCKET, or use PERSONAL_ACCESS_TOKEN for ${serverType}`
    )
  }
  return { mode, serverType, authType, username }
}

function parseGitHubApiUrl(): string {
  const value = core.getInput('github-api-url') || process.env['GITHUB_API_URL'] || ''
  const fallback = value || 'https://api.github.com'
  let url: URL
  try {
    url = new URL(fallback)
  } catch {
    throw new InputError(
      'github-api-url',
      `expected an http(s) URL such as https://api.github.com or https://HOST/api/v3, got '${fallback}'`
    )
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError(
      'github-api-url',
      `expected an http(s) URL such as https://HOST/api/v3, got '${fallback}'`
    )
  }
  return fallback.replace(/\/+$/, '')
}

function defaultSessionName(): string {
  const repo = (process.env['GITHUB_REPOSITORY'] ?? 'local').replace(/[^\w+=,.@-]/g, '-')
  const run = process.env['GITHUB_RUN_ID'] ?? '0'
  return `rotate-github-token-${repo}-${run}`.slice(0, 64)
}

/** Parses and validates every input; throws an InputError before anything is written. */
export function parseInputs(token: string): Inputs {
  const pipelines = unique(splitList(core.getInput('pipelines')).map(parsePipelineEntry), (s) =>
    s.kind === 'arn' ? `arn:${s.region}:${s.name}` : s.entry
  )
  const regions = parseRegions()
  const dryRun = parseBoolean('dry-run')
  const codebuild = parseCodeBuild()
  const secrets = unique(splitList(core.getInput('secrets')).map(parseSecretEntry), (s) => s.entry)

  const roleToAssume = core.getInput('role-to-assume') || undefined
  if (roleToAssume && !ROLE_ARN.test(roleToAssume)) {
    throw new InputError(
      'role-to-assume',
      `expected an IAM role ARN such as arn:aws:iam::123456789012:role/github-token-rotator, got '${roleToAssume}'`
    )
  }
  const roleSessionName = core.getInput('role-session-name') || defaultSessionName()
  if (!/^[\w+=,.@-]{2,64}$/.test(roleSessionName)) {
    throw new InputError(
      'role-session-name',
      `expected 2-64 characters of letters, digits and + = , . @ _ -, got '${roleSessionName}'`
    )
  }

  const inputs: Inputs = {
    token,
    pipelines,
    regions,
    dryRun,
    codebuild,
    secrets,
    roleToAssume,
    roleSessionName,
    githubApiUrl: parseGitHubApiUrl(),
    verifyToken: parseBoolean('verify-token'),
    minDaysLeft: parseInteger('min-days-left', 0, 366, 7),
    maxConcurrency: parseInteger('max-concurrency', 1, 64, DEFAULT_MAX_CONCURRENCY)
  }

  if (pipelines.length === 0 && codebuild.mode === 'off' && secrets.length === 0) {
    throw new InputError(
      'pipelines',
      'nothing to do: set `pipelines` (names, patterns such as prod-*, or ARNs), `codebuild: import`, or `secrets`'
    )
  }
  const needsRegions =
    pipelines.some((s) => s.kind !== 'arn') ||
    codebuild.mode !== 'off' ||
    secrets.some((s) => s.region === undefined)
  if (needsRegions && regions.length === 0) {
    throw new InputError(
      'regions',
      'no region: list the regions (e.g. `regions: us-east-1, eu-west-1`), or set AWS_REGION (aws-actions/configure-aws-credentials does)'
    )
  }
  return inputs
}
