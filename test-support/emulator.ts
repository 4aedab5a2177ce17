/**
 * The AWS emulator (moto behind our launcher, test-support/emulator/launcher.py):
 * start and stop it, call AWS through it with bodies written byte for byte,
 * and drive its test-only /_emulator/ endpoints. Used by the e2e tests, the
 * demo, the local harness and the benchmark. Nothing here imports jest.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ACCOUNT } from './pipelines.js'

export { ACCOUNT }

const here = path.dirname(fileURLToPath(import.meta.url))
/** The launcher script; ROTATE_EMULATOR_LAUNCHER points at another copy of it. */
const LAUNCHER =
  process.env['ROTATE_EMULATOR_LAUNCHER'] ?? path.join(here, 'emulator', 'launcher.py')

/** Anything with the emulator's base URL: an Emulator, or `{ url }`. */
export interface EmulatorLike {
  url: string
}

export interface Emulator extends EmulatorLike {
  process: ChildProcess
  stop(): Promise<void>
}

export interface StartEmulatorOptions {
  /** The port to listen on; 0 (the default) picks a free one. */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  /** More launcher flags, e.g. `['--page-size', '10']`. */
  args?: string[]
  /**
   * How long to wait for EMULATOR_READY. Default 90 s: moto takes a few
   * seconds of CPU to start, and on a busy 2-core machine running several test
   * files at once that can stretch past half a minute. Only a start that
   * fails waits this long.
   */
  timeoutMs?: number
}

/** Starts moto behind the launcher; resolves once it prints `EMULATOR_READY <url>`. */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<Emulator> {
  const { port = 0, host, args = [], timeoutMs = 90_000 } = options
  const child = spawn(
    'python3',
    [LAUNCHER, '--port', String(port), ...(host === undefined ? [] : ['--host', host]), ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  )
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    // Kept for the error message of a failed start; bounded so a long run can't grow it.
    stderr = (stderr + chunk.toString()).slice(-20000)
  })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM')
      reject(new Error(`emulator did not start within ${timeoutMs} ms:\n${stderr}`))
    }, timeoutMs)
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      const match = /^EMULATOR_READY (\S+)/.exec(line)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`emulator (${LAUNCHER}) exited with ${code}:\n${stderr}`))
    })
  })
  return {
    url,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      })
  }
}

// ------------------------------------------------------------------ AWS calls

/** SigV4 Authorization as the launcher reads it: region and service from the scope, no signature check. */
export function authorization(region: string, service: string): string {
  return `AWS4-HMAC-SHA256 Credential=testing/20261121/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`
}

/** The signing name for an X-Amz-Target, by its prefix. */
const SIGNING_NAMES: [prefix: string, service: string][] = [
  ['CodePipeline_', 'codepipeline'],
  ['CodeBuild_', 'codebuild'],
  ['secretsmanager.', 'secretsmanager'],
  ['AmazonSSM.', 'ssm'],
  ['ResourceGroupsTaggingAPI_', 'tagging'],
  ['AWSSecurityTokenServiceV', 'sts'],
  ['com.amazonaws.codeconnections.', 'codeconnections'],
  ['com.amazonaws.codestar.connections.', 'codestar-connections']
]

function signingNameOf(target: string): string {
  return SIGNING_NAMES.find(([prefix]) => target.startsWith(prefix))?.[1] ?? 'unknown'
}

export interface AwsCallOptions {
  /** Sent as x-moto-account-id: moto files the request under this account. */
  account?: string
}

/**
 * An AWS JSON-protocol call with a body we write byte for byte (the SDK would
 * drop unknown members): `body` is JSON.stringify'd, or sent as is when it is
 * a string (for numbers a double can't hold, say).
 */
export async function awsJson<T = Record<string, unknown>>(
  emulator: EmulatorLike,
  region: string,
  target: string,
  body: unknown,
  options: AwsCallOptions = {}
): Promise<T> {
  const response = await fetch(emulator.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': target,
      authorization: authorization(region, signingNameOf(target)),
      ...(options.account === undefined ? {} : { 'x-moto-account-id': options.account })
    },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${target} → ${response.status}: ${text}`)
  return (text ? JSON.parse(text) : {}) as T
}

export type QueryService = 'iam' | 'sts' | 'cloudformation'
const QUERY_VERSIONS: Record<QueryService, string> = {
  iam: '2010-05-08',
  sts: '2011-06-15',
  cloudformation: '2010-05-15'
}

/** An AWS query-protocol call (IAM, STS, CloudFormation); returns the XML answer. */
export async function awsQuery(
  emulator: EmulatorLike,
  service: QueryService,
  params: Record<string, string>,
  region = 'us-east-1',
  options: AwsCallOptions = {}
): Promise<string> {
  const response = await fetch(emulator.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: authorization(region, service),
      ...(options.account === undefined ? {} : { 'x-moto-account-id': options.account })
    },
    body: new URLSearchParams({ ...params, Version: QUERY_VERSIONS[service] }).toString()
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${service} ${params['Action']} → ${response.status}: ${text}`)
  return text
}

// ------------------------------------------------------------------ test-only endpoints

/** GET (no body) or POST (a JSON body) to a /_emulator/ endpoint; throws on a non-2xx answer. */
export async function control<T = unknown>(
  emulator: EmulatorLike,
  pathAndQuery: string,
  body?: unknown
): Promise<T> {
  const response = await fetch(`${emulator.url}${pathAndQuery}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${pathAndQuery} → ${response.status}: ${text}`)
  return (text ? JSON.parse(text) : {}) as T
}

const query = (params: Record<string, string | undefined>): string => {
  const defined = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined)
  return new URLSearchParams(defined).toString()
}

/** Resets moto and every launcher state (throttle and faults back to the command line's). */
export const reset = (emulator: EmulatorLike) => control(emulator, '/_emulator/reset', {})

export interface CallRecord {
  service: string
  action: string
  region: string
  status: number
}

/** One entry of the call log, with every field the launcher records. */
export interface CallLogEntry extends CallRecord {
  account: string
  write: boolean
  fault: 'throttle' | 'status' | 'reset' | 'delay' | 'trickle' | null
  processed: boolean
  errorType: string | null
  /** Epoch seconds. */
  time: number
}

export interface CallFilter {
  service?: string
  action?: string
  region?: string
  account?: string
  write?: boolean
}

/** The AWS calls since the last reset, oldest first. */
export const calls = (emulator: EmulatorLike, filter: CallFilter = {}) => {
  const q = query({
    ...filter,
    write: filter.write === undefined ? undefined : String(filter.write)
  })
  return control<CallLogEntry[]>(emulator, `/_emulator/calls${q ? `?${q}` : ''}`)
}

/** Clears the call log. */
export const resetCalls = (emulator: EmulatorLike) =>
  control(emulator, '/_emulator/calls/reset', {})

const READ_ONLY = /^(Get|List|Describe|BatchGet|Simulate)/
/** The calls that are not reads (by name, as the tests have always counted them). */
export async function writeCalls(emulator: EmulatorLike): Promise<CallLogEntry[]> {
  return (await calls(emulator)).filter((c) => !READ_ONLY.test(c.action))
}

export interface Tag {
  key: string
  value: string
}

export interface StoredPipeline {
  pipeline: Record<string, unknown>
  tags: Tag[]
  metadata?: { pipelineArn?: string; created?: number; updated?: number }
}

/** The pipeline as moto stores it, secrets unmasked: test-only. */
export async function storedPipeline(
  emulator: EmulatorLike,
  region: string,
  name: string,
  account?: string
): Promise<StoredPipeline> {
  return control(emulator, `/_emulator/codepipeline/pipeline?${query({ region, name, account })}`)
}

/** Creates an IAM role CodePipeline may assume (moto checks a pipeline's roleArn); returns its ARN. */
export async function createServiceRole(
  emulator: EmulatorLike,
  name = 'pipeline-role'
): Promise<string> {
  await awsQuery(emulator, 'iam', {
    Action: 'CreateRole',
    RoleName: name,
    AssumeRolePolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'codepipeline.amazonaws.com' },
          Action: 'sts:AssumeRole'
        }
      ]
    })
  })
  return `arn:aws:iam::${ACCOUNT}:role/${name}`
}

export async function createPipeline(
  emulator: EmulatorLike,
  region: string,
  pipeline: Record<string, unknown>,
  tags?: Tag[]
): Promise<void> {
  await awsJson(emulator, region, 'CodePipeline_20150709.CreatePipeline', { pipeline, tags })
}

export interface StackTagOptions {
  /** aws:cloudformation:logical-id. Default `Pipeline`. */
  logicalId?: string
  /**
   * aws:cloudformation:stack-id. Default: the id of the stack of that name (as
   * CloudFormation tags what it creates), else an ARN for it in `region`.
   */
  stackId?: string
  account?: string
}

/** The StackId DescribeStacks gives the stack, or an ARN for it when there is no such stack. */
async function stackIdOf(
  emulator: EmulatorLike,
  region: string,
  stack: string,
  account: string | undefined
): Promise<string> {
  const described = await awsQuery(
    emulator,
    'cloudformation',
    { Action: 'DescribeStacks', StackName: stack },
    region,
    account === undefined ? {} : { account }
  ).catch(() => '')
  return (
    /<StackId>([^<]+)<\/StackId>/.exec(described)?.[1] ??
    `arn:aws:cloudformation:${region}:${account ?? ACCOUNT}:stack/${stack}/00000000-0000-4000-8000-000000000000`
  )
}

/**
 * Tags a pipeline as a CloudFormation stack does: aws:cloudformation:stack-name,
 * logical-id and stack-id (aws: keys, which TagResource refuses to users).
 */
export async function tagAsStack(
  emulator: EmulatorLike,
  region: string,
  name: string,
  stack: string,
  options: StackTagOptions = {}
): Promise<void> {
  const { logicalId = 'Pipeline', account } = options
  const stackId = options.stackId ?? (await stackIdOf(emulator, region, stack, account))
  await control(emulator, '/_emulator/codepipeline/system-tags', {
    region,
    name,
    ...(account === undefined ? {} : { account }),
    tags: [
      { key: 'aws:cloudformation:stack-name', value: stack },
      { key: 'aws:cloudformation:logical-id', value: logicalId },
      { key: 'aws:cloudformation:stack-id', value: stackId }
    ]
  })
}

// ------------------------------------------------------------------ config

interface ThrottleConfig {
  rps: number
  burst?: number
  actions?: string[] | null
}

interface FaultRule {
  action?: string
  service?: string
  /** `repeat-token`: a list's answer with a page token that never changes (README.md, "Faults"). */
  kind: 'status' | 'reset' | 'delay' | 'throttle' | 'trickle' | 'repeat-token'
  when?: 'before' | 'after'
  status?: number
  errorType?: string
  message?: string
  delayMs?: number
  /** `trickle`: milliseconds between the bytes of the body (default 1000). */
  intervalMs?: number
  count?: number
  every?: number
  after?: number
}

/** POST /_emulator/config: each key present replaces that part of the config. */
export interface EmulatorConfig {
  throttle?: ThrottleConfig | null
  faults?: FaultRule[] | null
  /** How long a pipeline execution started by the emulator runs, in seconds. */
  executionSeconds?: number
  /** How long a run StopPipelineExecution stops (not abandoned) shows Stopping at most, in seconds. */
  stoppingSeconds?: number
}

/** Replaces the parts of the config `config` names; returns the new config. */
export const configure = (emulator: EmulatorLike, config: EmulatorConfig) =>
  control<Record<string, unknown>>(emulator, '/_emulator/config', config)

/** How long the executions the emulator starts run (StartPipelineExecution, a rotation's update). */
export const setExecutionSeconds = (emulator: EmulatorLike, seconds: number) =>
  configure(emulator, { executionSeconds: seconds })

// ------------------------------------------------------------------ executions

export interface SeedExecution {
  region: string
  /** The pipeline name. */
  name: string
  account?: string
  /** How long it runs from now; 0 = already finished. */
  durationSeconds: number
  triggerType?: string
  sourceRevisions?: Record<string, unknown>[]
}

/** Adds a pipeline execution (running for `durationSeconds`); returns its id. */
export async function addExecution(
  emulator: EmulatorLike,
  execution: SeedExecution
): Promise<string> {
  const { pipelineExecutionId } = await control<{ pipelineExecutionId: string }>(
    emulator,
    '/_emulator/codepipeline/executions',
    execution
  )
  return pipelineExecutionId
}

/** One execution as the launcher keeps it (shape per the launcher; the id is always there). */
export interface ExecutionRecord {
  pipelineExecutionId: string
  status?: string
  [member: string]: unknown
}

/** The executions of a pipeline. */
export async function listExecutions(
  emulator: EmulatorLike,
  region: string,
  name: string
): Promise<ExecutionRecord[]> {
  const body = await control<{ executions: ExecutionRecord[] }>(
    emulator,
    `/_emulator/codepipeline/executions?${query({ region, name })}`
  )
  return body.executions
}

export interface ExecutionHook {
  region: string
  /** The pipeline name. */
  name: string
  /**
   * What the hook waits for: `check` (the action looking at the pipeline's
   * executions) or `update` (the action writing the pipeline); after
   * `afterCount` of them an execution of `durationSeconds` starts. The
   * launcher's README is the reference.
   */
  on: 'check' | 'update'
  afterCount?: number
  durationSeconds: number
}

/** Starts an execution of a pipeline when the action does something to it (see ExecutionHook). */
export const addExecutionHook = (emulator: EmulatorLike, hook: ExecutionHook) =>
  control(emulator, '/_emulator/codepipeline/hooks', hook)

/**
 * Names ListPipelines returns besides the stored pipelines, though they
 * don't exist (a pipeline deleted between the list and the read).
 */
export const listExtraPipelines = (emulator: EmulatorLike, region: string, names: string[]) =>
  control(emulator, '/_emulator/codepipeline/list-extra', { region, names })

// ------------------------------------------------------------------ SSM and CloudFormation

/** A parameter as the launcher stores it (value unmasked, SecureString included). */
export interface StoredParameter {
  name?: string
  type?: string
  value?: string
  version?: number
  [member: string]: unknown
}

export const storedParameter = (emulator: EmulatorLike, region: string, name: string) =>
  control<StoredParameter>(emulator, `/_emulator/ssm/parameter?${query({ region, name })}`)

/** Sets the processed template (GetTemplate TemplateStage=Processed) of a stack. */
export const setProcessedTemplate = (
  emulator: EmulatorLike,
  region: string,
  stackName: string,
  body: string
) => control(emulator, '/_emulator/cloudformation/processed-template', { region, stackName, body })

// ------------------------------------------------------------------ CodeConnections (issue 19)

type ConnectionService = 'codeconnections' | 'codestar-connections'
type ConnectionStatus = 'PENDING' | 'AVAILABLE' | 'ERROR'

/** A connection as GetConnection shows it, plus the accounts it is shared with. */
export interface StoredConnection {
  ConnectionName: string
  ConnectionArn: string
  ProviderType: string
  OwnerAccountId: string
  ConnectionStatus: ConnectionStatus
  HostArn?: string
  sharedWith: string[]
}

const CONNECTION_TARGETS: Record<ConnectionService, string> = {
  codeconnections: 'com.amazonaws.codeconnections.CodeConnections_20231201',
  'codestar-connections': 'com.amazonaws.codestar.connections.CodeStar_connections_20191201'
}

export interface CreateConnectionOptions {
  /** Default us-east-1. */
  region?: string
  /** Default GitHub. */
  providerType?: string
  /** The endpoint, and so the ARN's prefix. Default codeconnections. */
  service?: ConnectionService
  account?: string
}

/**
 * CreateConnection, as a user calls it: the connection is PENDING until
 * someone completes it in the console (see setConnection). Returns its ARN.
 */
export async function createConnection(
  emulator: EmulatorLike,
  name: string,
  options: CreateConnectionOptions = {}
): Promise<string> {
  const { region = 'us-east-1', providerType = 'GitHub', service = 'codeconnections' } = options
  const answer = await awsJson<{ ConnectionArn: string }>(
    emulator,
    region,
    `${CONNECTION_TARGETS[service]}.CreateConnection`,
    { ConnectionName: name, ProviderType: providerType },
    options.account === undefined ? {} : { account: options.account }
  )
  return answer.ConnectionArn
}

/** What only the console (or the provider) changes about a connection. */
export interface ConnectionSettings {
  status?: ConnectionStatus
  providerType?: string
  hostArn?: string
  /** Accounts it is shared with (AWS RAM; codeconnections connections only). */
  sharedWith?: string[]
}

/** Changes a connection as the console would: e.g. `{ status: 'AVAILABLE' }` once completed. */
export const setConnection = (emulator: EmulatorLike, arn: string, settings: ConnectionSettings) =>
  control<StoredConnection>(emulator, '/_emulator/connections/connection', { arn, ...settings })

export interface AddConnectionOptions extends ConnectionSettings {
  name?: string
  service?: ConnectionService
  region?: string
  account?: string
}

/** Creates a connection in any provider type and status at once (e.g. an AVAILABLE GitHub Enterprise Server one). */
export const addConnection = (emulator: EmulatorLike, options: AddConnectionOptions = {}) =>
  control<StoredConnection>(emulator, '/_emulator/connections/connection', options)

export const storedConnection = (emulator: EmulatorLike, arn: string) =>
  control<StoredConnection>(emulator, `/_emulator/connections/connection?${query({ arn })}`)

// ------------------------------------------------------------------ CodePipeline webhooks (issue 19)

/** A webhook's definition (PutWebhook's `webhook`). */
export interface WebhookDefinition {
  name: string
  targetPipeline: string
  targetAction: string
  filters: { jsonPath: string; matchEquals?: string }[]
  authentication: 'GITHUB_HMAC' | 'IP' | 'UNAUTHENTICATED'
  authenticationConfiguration: { SecretToken?: string; AllowedIPRange?: string }
}

/** A webhook as PutWebhook and ListWebhooks answer (the secret token redacted). */
export interface WebhookItem {
  definition: WebhookDefinition
  url: string
  arn: string
  tags?: Tag[]
}

export interface PutWebhookOptions {
  /** RegisterWebhookWithThirdParty after PutWebhook, as the console does. Default true. */
  register?: boolean
  tags?: Tag[]
  account?: string
}

/** PutWebhook (and, unless told otherwise, RegisterWebhookWithThirdParty); returns the webhook. */
export async function putWebhook(
  emulator: EmulatorLike,
  region: string,
  definition: WebhookDefinition,
  options: PutWebhookOptions = {}
): Promise<WebhookItem> {
  const call = options.account === undefined ? {} : { account: options.account }
  const { webhook } = await awsJson<{ webhook: WebhookItem }>(
    emulator,
    region,
    'CodePipeline_20150709.PutWebhook',
    { webhook: definition, ...(options.tags ? { tags: options.tags } : {}) },
    call
  )
  if (options.register ?? true) {
    await awsJson(
      emulator,
      region,
      'CodePipeline_20150709.RegisterWebhookWithThirdParty',
      { webhookName: definition.name },
      call
    )
  }
  return webhook
}

/** ListWebhooks, every page. */
export async function listWebhooks(
  emulator: EmulatorLike,
  region: string,
  account?: string
): Promise<WebhookItem[]> {
  const items: WebhookItem[] = []
  let next: string | undefined
  for (let page = 0; page < 100; page++) {
    const answer = await awsJson<{ webhooks: WebhookItem[]; NextToken?: string }>(
      emulator,
      region,
      'CodePipeline_20150709.ListWebhooks',
      next === undefined ? {} : { NextToken: next },
      account === undefined ? {} : { account }
    )
    items.push(...answer.webhooks)
    next = answer.NextToken
    if (next === undefined) return items
  }
  throw new Error('ListWebhooks answered more than 100 pages')
}

/** The webhooks of a region as the launcher keeps them: registered with GitHub or not, and the GitHub hooks left behind. */
export interface StoredWebhooks {
  webhooks: (WebhookItem & { registered: boolean })[]
  /** GitHub hooks of webhooks deleted while still registered (they call a dead URL). */
  orphanedRegistrations: { name: string; url: string; pipeline: string; action: string }[]
}

export const storedWebhooks = (emulator: EmulatorLike, region: string, account?: string) =>
  control<StoredWebhooks>(
    emulator,
    `/_emulator/codepipeline/webhooks?${query({ region, account })}`
  )

// ------------------------------------------------------------------ IAM policies (issue 19)

/** PutRolePolicy: an inline policy of `role` (what SimulatePrincipalPolicy then reads). */
export async function putRolePolicy(
  emulator: EmulatorLike,
  role: string,
  policyName: string,
  document: Record<string, unknown>
): Promise<void> {
  await awsQuery(emulator, 'iam', {
    Action: 'PutRolePolicy',
    RoleName: role,
    PolicyName: policyName,
    PolicyDocument: JSON.stringify(document)
  })
}
