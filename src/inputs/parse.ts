/**
 * Every input except the tokens (tokens.ts), parsed and validated into one
 * typed object before anything is read or written: a bad input fails the
 * step with a message naming the input and what was expected.
 */
import { getBooleanInput, getInput } from '@actions/core'
import { InputError } from '../core/errors.js'
import { REGION, parseRegionalArn, partitionOf } from './arn.js'
import { parseConnectionArn } from './connection.js'
import type {
  CodeBuildMode,
  CodeBuildSettings,
  InProgressSettings,
  Inputs,
  PipelineSelector,
  ValueEntry
} from './types.js'

// CodePipeline: names are 1-100 characters of [A-Za-z0-9.@_-].
const PIPELINE_NAME = /^[A-Za-z0-9.@_-]{1,100}$/
const PIPELINE_GLOB = /^[A-Za-z0-9.@_*?-]{1,100}$/
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/
// Parameter Store: letters, digits and _.-, with / for hierarchies (a
// hierarchical name starts with /); at most 1011 characters.
const PARAMETER_NAME = /^(?:\/?[A-Za-z0-9_.-]+)(?:\/[A-Za-z0-9_.-]+)*$/
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/
export const DEFAULT_MAX_CONCURRENCY = 8

/** Splits a list input on newlines and commas; blank entries and `# ` comment lines are dropped. */
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

function parsePipelineEntry(entry: string): PipelineSelector {
  if (entry.startsWith('arn:')) {
    const arn = parseRegionalArn(
      'pipelines',
      entry,
      entry,
      'codepipeline',
      'pipeline',
      'arn:aws:codepipeline:REGION:ACCOUNT:NAME, e.g. arn:aws:codepipeline:us-east-1:123456789012:MyFirstPipeline'
    )
    if (!PIPELINE_NAME.test(arn.resource)) {
      throw new InputError(
        'pipelines',
        `entry '${entry}' ends in '${arn.resource}', which is not a pipeline name: expected 1-100 letters, digits, '.', '@', '_' or '-'`
      )
    }
    const { region, account, resource: name } = arn
    return { kind: 'arn', entry, name, region, account, arn: entry }
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

/** `NAME`, `NAME#key`, `ARN` or `ARN#key` (names and ARNs cannot contain '#'). */
function splitKey(input: string, entry: string, example: string): [string, string | undefined] {
  const hash = entry.indexOf('#')
  if (hash < 0) return [entry, undefined]
  // Trimmed: `ci/app# token` means key `token`, not a new key ' token'.
  const key = entry.slice(hash + 1).trim()
  if (key === '') {
    throw new InputError(
      input,
      `entry '${entry}' has an empty key after '#': expected NAME#key, e.g. ${example}`
    )
  }
  return [entry.slice(0, hash).trim(), key]
}

function parseSecretEntry(entry: string): ValueEntry {
  const [id, key] = splitKey('secrets', entry, 'ci/github#token')
  if (id.startsWith('arn:')) {
    const arn = parseRegionalArn(
      'secrets',
      entry,
      id,
      'secretsmanager',
      'secret',
      'arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME, optionally followed by #key'
    )
    if (!arn.resource.startsWith('secret:') || !SECRET_NAME.test(arn.resource.slice(7))) {
      throw new InputError(
        'secrets',
        `entry '${entry}' is not a secret ARN: expected arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME`
      )
    }
    return { entry, id, key, region: arn.region, account: arn.account }
  }
  if (!SECRET_NAME.test(id)) {
    throw new InputError(
      'secrets',
      `entry '${entry}' is not a secret name or ARN: expected a name such as ci/github-token, an ARN arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME, optionally followed by #key`
    )
  }
  return { entry, id, key, region: undefined, account: undefined }
}

function parseParameterEntry(entry: string): ValueEntry {
  const [id, key] = splitKey('parameters', entry, '/ci/github#token')
  if (id.startsWith('arn:')) {
    const arn = parseRegionalArn(
      'parameters',
      entry,
      id,
      'ssm',
      'parameter',
      'arn:aws:ssm:REGION:ACCOUNT:parameter/NAME, optionally followed by #key'
    )
    if (!arn.resource.startsWith('parameter/') || !PARAMETER_NAME.test(arn.resource.slice(10))) {
      throw new InputError(
        'parameters',
        `entry '${entry}' is not a parameter ARN: expected arn:aws:ssm:REGION:ACCOUNT:parameter/NAME`
      )
    }
    return { entry, id, key, region: arn.region, account: arn.account }
  }
  if (!PARAMETER_NAME.test(id) || id.length > 1011 || /^\/?(aws|ssm)/i.test(id)) {
    throw new InputError(
      'parameters',
      `entry '${entry}' is not a parameter name or ARN: expected a name such as /ci/github-token (letters, digits, _ . - and / for levels; not starting with aws or ssm), or arn:aws:ssm:REGION:ACCOUNT:parameter/NAME, optionally followed by #key`
    )
  }
  return { entry, id, key, region: undefined, account: undefined }
}

function parseRegions(): string[] {
  const listed = splitList(getInput('regions'))
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
    return getBooleanInput(name)
  } catch {
    throw new InputError(name, `expected true or false, got '${getInput(name)}'`)
  }
}

function parseInteger(name: string, min: number, max: number, fallback: number): number {
  const value = getInput(name)
  if (value === '') return fallback
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InputError(name, `expected a whole number from ${min} to ${max}, got '${value}'`)
  }
  return Number(value)
}

function parseChoice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const value = getInput(name)
  if (value === '') return fallback
  const match = choices.find((choice) => choice.toLowerCase() === value.toLowerCase())
  if (!match) {
    throw new InputError(name, `expected one of ${choices.join(', ')}, got '${value}'`)
  }
  return match
}

/** An email address as Atlassian accounts have them: local@domain.tld, no spaces. */
const EMAIL = /^[^\s@:/]+@[^\s@:/]+\.[^\s@:/]+$/

function parseCodeBuild(): CodeBuildSettings {
  const rawMode = getInput('codebuild').toLowerCase()
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
  const username = getInput('codebuild-username').trim() || undefined
  if (mode === 'import' && authType === 'BASIC_AUTH' && !username) {
    throw new InputError(
      'codebuild-username',
      'is required when codebuild-auth-type is BASIC_AUTH: set it to the email address of the Atlassian account that owns the Bitbucket API token'
    )
  }
  if (mode === 'import' && authType === 'BASIC_AUTH' && serverType !== 'BITBUCKET') {
    throw new InputError(
      'codebuild-auth-type',
      `BASIC_AUTH is for Bitbucket API tokens: use it with codebuild-server-type: BITBUCKET, or use PERSONAL_ACCESS_TOKEN for ${serverType}`
    )
  }
  if (
    mode === 'import' &&
    authType === 'BASIC_AUTH' &&
    username !== undefined &&
    !EMAIL.test(username)
  ) {
    // Bitbucket app passwords were sent with the Bitbucket user name; they
    // stopped working on 2026-07-28. An API token goes with the account email.
    throw new InputError(
      'codebuild-username',
      `'${username.slice(0, 100)}' is not an email address. Bitbucket app passwords (sent with a Bitbucket user name) stopped working on 2026-07-28: create a Bitbucket API token (Atlassian account settings › Security › API tokens) and set codebuild-username to the email address of your Atlassian account, or use a repository, project or workspace access token with codebuild-auth-type: PERSONAL_ACCESS_TOKEN`
    )
  }
  return { mode, serverType, authType, username }
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i

/**
 * An API the token is sent to: https only (a plain-http URL would send it
 * in clear), except to this machine (local servers and tests); no user-info,
 * query or fragment, which have no place in an API base URL.
 */
function parseApiUrl(name: string, value: string, examples: string, plain: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InputError(name, `expected an https URL such as ${examples}, got '${value}'`)
  }
  const loopback = LOOPBACK.test(url.hostname)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new InputError(
      name,
      `must be an https:// URL (the token is sent to it), such as ${examples}; got '${value}'`
    )
  }
  if (url.username || url.password || url.search || url.hash || value.includes('#')) {
    throw new InputError(
      name,
      `must be a plain API base URL without user name, password, query or fragment, such as ${plain}; got '${url.origin}${url.pathname}…'`
    )
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '')
}

function parseGitHubApiUrl(): string {
  const given = getInput('github-api-url') || process.env['GITHUB_API_URL'] || ''
  return parseApiUrl(
    'github-api-url',
    given || 'https://api.github.com',
    'https://api.github.com or https://HOST/api/v3',
    'https://HOST/api/v3'
  )
}

function parseBitbucketApiUrl(): string {
  return parseApiUrl(
    'bitbucket-api-url',
    getInput('bitbucket-api-url') || 'https://api.bitbucket.org/2.0',
    'https://api.bitbucket.org/2.0',
    'https://api.bitbucket.org/2.0'
  )
}

/** The longest in-progress-timeout: 6 hours. */
const MAX_TIMEOUT_SECONDS = 360 * 60

/** A duration in seconds: `30` or `30m` (minutes, as always), `90s` (seconds). */
function parseDuration(name: string, maxSeconds: number, fallbackSeconds: number): number {
  const value = getInput(name)
  if (value === '') return fallbackSeconds
  const match = /^(\d{1,6})\s*(s|m|min)?$/i.exec(value)
  const unit = match?.[2]?.toLowerCase()
  const seconds = match ? Number(match[1]) * (unit === 's' ? 1 : 60) : NaN
  if (!(seconds <= maxSeconds)) {
    throw new InputError(
      name,
      `expected minutes (a whole number such as 30, or 30m) or seconds (such as 90s), from 0 to ${maxSeconds / 60} minutes, got '${value}'`
    )
  }
  return seconds
}

function parseInProgress(): InProgressSettings {
  return {
    mode: parseChoice('in-progress', ['wait', 'skip', 'proceed'] as const, 'wait'),
    timeoutSeconds: parseDuration('in-progress-timeout', MAX_TIMEOUT_SECONDS, 30 * 60)
  }
}

function defaultSessionName(): string {
  const repo = (process.env['GITHUB_REPOSITORY'] ?? 'local').replace(/[^\w+=,.@-]/g, '-')
  const run = process.env['GITHUB_RUN_ID'] ?? '0'
  return `rotate-github-token-${repo}-${run}`.slice(0, 64)
}

/** One run uses one set of credentials, which belong to one partition. */
function checkPartitions(inputs: Inputs): void {
  const regions = [
    ...inputs.regions,
    ...inputs.pipelines.flatMap((s) => (s.kind === 'arn' ? [s.region] : [])),
    ...[...inputs.secrets, ...inputs.parameters].flatMap((e) => (e.region ? [e.region] : []))
  ]
  const partitions = [...new Set(regions.map(partitionOf))]
  if (partitions.length > 1) {
    throw new InputError(
      'regions',
      `the regions and ARNs span the partitions ${partitions.join(' and ')}: one run uses one set of AWS credentials, which belong to one partition — run the action once per partition`
    )
  }
  const role = inputs.roleToAssume
  const partition = partitions[0]
  if (role && partition && !role.startsWith(`arn:${partition}:`)) {
    throw new InputError(
      'role-to-assume',
      `'${role}' is not in partition '${partition}' of the regions: expected arn:${partition}:iam::ACCOUNT:role/NAME`
    )
  }
}

/** Parses and validates every input but the tokens; throws an InputError before anything is read. */
export function parseInputs(retirePrevious: boolean): Inputs {
  const pipelines = unique(splitList(getInput('pipelines')).map(parsePipelineEntry), (s) =>
    s.kind === 'arn' ? `arn:${s.region}:${s.name}` : s.entry
  )
  const regions = parseRegions()
  const codebuild = parseCodeBuild()
  const secrets = unique(splitList(getInput('secrets')).map(parseSecretEntry), (s) => s.entry)
  const parameters = unique(
    splitList(getInput('parameters')).map(parseParameterEntry),
    (s) => s.entry
  )

  const roleToAssume = getInput('role-to-assume') || undefined
  if (roleToAssume && !/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(roleToAssume)) {
    throw new InputError(
      'role-to-assume',
      `expected an IAM role ARN such as arn:aws:iam::123456789012:role/github-token-rotator, got '${roleToAssume}'`
    )
  }
  const roleSessionName = getInput('role-session-name') || defaultSessionName()
  if (!SESSION_NAME.test(roleSessionName)) {
    throw new InputError(
      'role-session-name',
      `expected 2-64 characters of letters, digits and + = , . @ _ -, got '${roleSessionName}'`
    )
  }

  const inputs: Inputs = {
    pipelines,
    regions,
    dryRun: parseBoolean('dry-run'),
    codebuild,
    secrets,
    parameters,
    followStacks: parseBoolean('follow-stacks'),
    inProgress: parseInProgress(),
    roleToAssume,
    roleSessionName,
    githubApiUrl: parseGitHubApiUrl(),
    bitbucketApiUrl: parseBitbucketApiUrl(),
    verifyToken: parseBoolean('verify-token'),
    minDaysLeft: parseInteger('min-days-left', 0, 366, 7),
    maxConcurrency: parseInteger('max-concurrency', 1, 64, DEFAULT_MAX_CONCURRENCY),
    awsTimeoutSeconds: parseInteger('aws-timeout', 1, 300, 30),
    retirePrevious
  }
  const connection = parseConnectionArn(getInput('connection-arn'))
  if (connection) {
    if (pipelines.length === 0) {
      throw new InputError(
        'connection-arn',
        'is set, but `pipelines` is empty: name the pipelines whose GitHub (version 1) source moves to the connection'
      )
    }
    const pipelinePartitions = new Set(
      [...regions, ...pipelines.flatMap((s) => (s.kind === 'arn' ? [s.region] : []))].map(
        partitionOf
      )
    )
    if (pipelinePartitions.size > 0 && !pipelinePartitions.has(connection.partition)) {
      throw new InputError(
        'connection-arn',
        `names partition '${connection.partition}', but the pipelines are in partition '${[...pipelinePartitions].join("' and '")}': a pipeline can use a connection of its own partition only`
      )
    }
    inputs.connection = connection
  }

  // previous-token alone retires the old token after other jobs rotated it
  // (the reusable workflow's last job): then there is nothing to write.
  if (
    pipelines.length === 0 &&
    codebuild.mode === 'off' &&
    secrets.length === 0 &&
    parameters.length === 0 &&
    !retirePrevious
  ) {
    throw new InputError(
      'pipelines',
      'nothing to do: set `pipelines` (names, patterns such as prod-*, or ARNs), `codebuild: import`, `secrets` or `parameters` (or only `previous-token`, to revoke it after other jobs rotated the token)'
    )
  }
  if (codebuild.serverType === 'BITBUCKET') {
    // A Bitbucket API or access token is for CodeBuild only: written into a
    // pipeline's GitHub source it would break it, and GitHub cannot check it.
    if (pipelines.length > 0) {
      throw new InputError(
        'pipelines',
        'must be empty with codebuild-server-type: BITBUCKET: the token is then a Bitbucket API token or access token, which only CodeBuild can use; rotate the GitHub token of the pipelines in a separate step'
      )
    }
    if (retirePrevious) {
      throw new InputError(
        'previous-token',
        'must be empty with codebuild-server-type: BITBUCKET: only GitHub tokens can be revoked by this action; revoke the old Bitbucket token in Bitbucket'
      )
    }
  }
  const needsRegions =
    pipelines.some((s) => s.kind !== 'arn') ||
    codebuild.mode !== 'off' ||
    [...secrets, ...parameters].some((s) => s.region === undefined)
  if (needsRegions && regions.length === 0) {
    throw new InputError(
      'regions',
      'no region: list the regions (e.g. `regions: us-east-1, eu-west-1`), or set AWS_REGION (aws-actions/configure-aws-credentials does)'
    )
  }
  checkPartitions(inputs)
  return inputs
}
