/**
 * The CodePipeline calls of one region (and the tagging lookup of which
 * pipelines a CloudFormation stack owns).
 *
 * GetPipeline → UpdatePipeline goes around the SDK's typed shapes: its
 * deserializer keeps only the members its model knew when this action was
 * bundled, so a round trip through typed objects would silently erase any
 * setting AWS adds later. The SDK still signs, resolves credentials and
 * endpoints, retries and raises typed errors; a deserialize-step middleware
 * reads GetPipeline's raw body and a build-step middleware writes
 * UpdatePipeline's. Each call hands them its raw I/O under a symbol key of
 * its input, which the serializer never sees, so the client can cache its
 * middleware stack (cacheMiddleware) for a fleet's hundreds of requests.
 */
import {
  CodePipelineClient,
  DeleteWebhookCommand,
  DeregisterWebhookWithThirdPartyCommand,
  GetPipelineCommand,
  GetPipelineExecutionCommand,
  GetPipelineStateCommand,
  ListPipelineExecutionsCommand,
  StartPipelineExecutionCommand,
  UpdatePipelineCommand,
  paginateListPipelines,
  paginateListTagsForResource,
  paginateListWebhooks,
  RegisterWebhookWithThirdPartyCommand,
  type GetPipelineInput,
  type SourceRevisionOverride,
  type UpdatePipelineInput
} from '@aws-sdk/client-codepipeline'
import type { BuildMiddleware, DeserializeMiddleware } from '@aws-sdk/types'
import { clientConfig, countThrottles, lazyClient, type AwsSettings } from '../../aws/client.js'
import { PAGINATION, boundedPages } from '../../aws/pages.js'
import { isObject, type Json, type JsonObject } from './pipeline-json.js'

interface RawPipeline {
  /** The `pipeline` member exactly as AWS returned it. */
  pipeline: JsonObject
  arn: string | undefined
}

interface UpdateResult {
  version: number | undefined
  /** How many HTTP attempts the SDK made (more than 1 after a retry). */
  attempts: number
  /** AWS's clock when it answered (the Date header): when the write stopped any run. */
  answeredAt: Date | undefined
}

/** One run of a pipeline, as ListPipelineExecutions summarises it. */
export interface Execution {
  id: string
  status: string
  startTime: Date | undefined
  lastUpdateTime: Date | undefined
  /** The revision each source action took: what a restart runs again. */
  sourceRevisions: { actionName: string; revisionId: string }[]
  trigger: string | undefined
}

/** What GetPipelineState shows of a stage: its latest run, and runs waiting to enter it. */
export interface StageRun {
  stage: string
  /** The latest run that entered the stage, and its status there. */
  latest: { executionId: string; status: string } | undefined
  /** Runs waiting at the stage's inbound transition. */
  inbound: string[]
}

/** GetPipelineState: the pipeline's current version, and what each stage runs. */
export interface PipelineState {
  version: number | undefined
  stages: StageRun[]
}

export interface StartRequest {
  sourceRevisions?: SourceRevisionOverride[]
  variables?: { name: string; value: string }[]
}

/** Who owns a pipeline, from its aws:cloudformation:* tags. */
export interface StackOwner {
  stack: string
  logicalId: string | undefined
}

export const STACK_TAG = 'aws:cloudformation:stack-name'
export const LOGICAL_ID_TAG = 'aws:cloudformation:logical-id'

/** What the rotation needs from CodePipeline in one region. */
export interface PipelineApi {
  listPipelineNames(): Promise<string[]>
  /** The pipeline now, or an earlier `version` of it (GetPipeline keeps them). */
  getPipeline(name: string, version?: number): Promise<RawPipeline>
  updatePipeline(pipeline: JsonObject): Promise<UpdateResult>
  listTags(arn: string): Promise<Record<string, string>>
  /**
   * The region's stack-owned pipelines (pipeline ARN → owner) in one
   * GetResources call instead of one ListTagsForResource per pipeline, which
   * would spend CodePipeline's own quota on a fleet. Needs tag:GetResources.
   */
  stackOwners(): Promise<Map<string, StackOwner>>
  /** The newest runs (up to 100), newest first. */
  listExecutions(name: string): Promise<Execution[]>
  /** The pipeline's version now, each stage's latest run and the runs waiting to enter it. */
  pipelineState(name: string): Promise<PipelineState>
  /** The pipeline version a run ran on (GetPipelineExecution). */
  runVersion(name: string, id: string): Promise<number | undefined>
  /** The resolved pipeline variables a run used. */
  executionVariables(name: string, id: string): Promise<{ name: string; value: string }[]>
  startExecution(name: string, request: StartRequest): Promise<string | undefined>
}

async function readBody(body: unknown): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body
  const chunks: Buffer[] = []
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  }
  return Buffer.concat(chunks)
}

const RAW_IO = Symbol('rawPipelineIo')

interface RawIo {
  /** The exact request body to send, if set. */
  send?: string
  /** The response body, as received, once the call succeeded. */
  received?: string
  /** The response's Date header. */
  date?: string
}

const EMPTY_OBJECT = Buffer.from('{}')

function rawIoOf(input: unknown): RawIo | undefined {
  return (input as { [RAW_IO]?: RawIo } | undefined)?.[RAW_IO]
}

function captureRawBody<I extends object, O extends object>(): DeserializeMiddleware<I, O> {
  return (next) => async (args) => {
    const result = await next(args)
    const io = rawIoOf(args.input)
    const response = result.response as {
      statusCode?: number
      body?: unknown
      headers?: Record<string, string>
    }
    if (io && response.statusCode === 200 && response.body !== undefined) {
      const bytes = await readBody(response.body)
      io.received = Buffer.from(bytes).toString('utf8')
      io.date = response.headers?.['date']
      // We parse the text ourselves; the SDK's typed deserializer would walk
      // the whole pipeline a second time only to drop what it does not know.
      // Errors (non-200) still go through it untouched.
      response.body = EMPTY_OBJECT
    }
    return result
  }
}

function sendRawBody<I extends object, O extends object>(): BuildMiddleware<I, O> {
  return (next) => async (args) => {
    const body = rawIoOf(args.input)?.send
    if (body !== undefined) {
      const request = args.request as { body?: unknown; headers?: Record<string, string> }
      request.body = body
      if (request.headers) request.headers['content-length'] = String(Buffer.byteLength(body))
    }
    return next(args)
  }
}

interface ClientKind {
  /** GetPipeline and UpdatePipeline's raw bodies (see the top of this file). */
  raw?: boolean
  /** 'standard': retries with backoff, without the adaptive client-side rate limiter. */
  retryMode?: 'standard'
}

function newClient(settings: AwsSettings, region: string, kind: ClientKind): CodePipelineClient {
  const client = new CodePipelineClient({
    ...clientConfig(settings, region),
    ...(kind.retryMode ? { retryMode: kind.retryMode } : {})
  })
  countThrottles(client, region, settings)
  // We never log SDK calls, yet the logger middleware filters every input and
  // output (whole pipelines) for its no-op logger: measurable on a fleet.
  client.middlewareStack.remove('loggerMiddleware')
  if (kind.raw) {
    client.middlewareStack.add(sendRawBody(), { step: 'build', priority: 'low', name: 'sendRaw' })
    client.middlewareStack.add(captureRawBody(), {
      step: 'deserialize',
      priority: 'low',
      name: 'captureRaw'
    })
  }
  return client
}

const asDate = (value: unknown): Date | undefined => (value instanceof Date ? value : undefined)

export function createPipelineApi(settings: AwsSettings, region: string): PipelineApi {
  // One client per API: AWS throttles each API on its own, and the SDK's
  // adaptive retry mode slows down the whole client it sees throttled. With
  // one shared client, a throttled UpdatePipeline would also hold back
  // GetPipeline (and the reverse) while they run side by side.
  // Each built on first use: a run needs only some of them, and building one
  // costs start-up time before the first request.
  const lazy = (kind: ClientKind = {}) => {
    let client: CodePipelineClient | undefined
    return () => (client ??= newClient(settings, region, kind))
  }
  const listing = lazy()
  const reading = lazy({ raw: true })
  const writing = lazy({ raw: true })
  const tagging = lazy()
  const runs = lazy()
  // GetPipelineState goes out beside each GetPipeline, one for one, so the
  // reading client's adaptive limiter already paces it. A limiter of its own
  // would be a second, independent slowdown on the same path (a pipeline is
  // written once both have answered; see bench/README.md, the throttled
  // scenario). It still retries throttling with backoff.
  const states = lazy({ retryMode: 'standard' })
  const starting = lazy()
  // Loaded on first use: the first request of a run does not wait for it.
  const resourceTags = lazyClient(
    settings,
    region,
    () => import('@aws-sdk/client-resource-groups-tagging-api'),
    (sdk, config) => new sdk.ResourceGroupsTaggingAPIClient(config)
  )

  return {
    async listPipelineNames() {
      const names: string[] = []
      // The largest page AWS allows: one call lists most fleets.
      const pages = boundedPages(
        'codepipeline:ListPipelines',
        paginateListPipelines({ client: listing(), pageSize: 1000, ...PAGINATION }, {}),
        (page) => page.nextToken
      )
      for await (const page of pages) {
        for (const summary of page.pipelines ?? []) if (summary.name) names.push(summary.name)
      }
      return names
    },

    async getPipeline(name, version) {
      const io: RawIo = {}
      await reading().send(
        new GetPipelineCommand({
          name,
          ...(version !== undefined && { version }),
          [RAW_IO]: io
        } as GetPipelineInput)
      )
      const raw = JSON.parse(io.received ?? '{}') as JsonObject
      const pipeline = raw['pipeline']
      if (!isObject(pipeline)) throw new Error(`GetPipeline returned no pipeline for '${name}'`)
      const metadata: Json | undefined = raw['metadata']
      const arn = isObject(metadata) ? metadata['pipelineArn'] : undefined
      return { pipeline, arn: typeof arn === 'string' ? arn : undefined }
    },

    async updatePipeline(pipeline) {
      // The body sent is `{pipeline}` exactly as given — never `metadata`,
      // which UpdatePipeline rejects. The typed input stays empty: the SDK
      // would only serialize it to be thrown away.
      const io: RawIo = { send: JSON.stringify({ pipeline }) }
      const output = await writing().send(
        new UpdatePipelineCommand({ [RAW_IO]: io } as unknown as UpdatePipelineInput)
      )
      const answer = JSON.parse(io.received ?? '{}') as JsonObject
      const written = answer['pipeline']
      const version = isObject(written) ? written['version'] : undefined
      const answeredAt = io.date ? new Date(io.date) : undefined
      return {
        version: typeof version === 'number' ? version : undefined,
        attempts: output.$metadata.attempts ?? 1,
        answeredAt: answeredAt && !Number.isNaN(answeredAt.getTime()) ? answeredAt : undefined
      }
    },

    async listTags(arn) {
      const tags: Record<string, string> = {}
      for await (const page of boundedPages(
        'codepipeline:ListTagsForResource',
        paginateListTagsForResource({ client: tagging(), ...PAGINATION }, { resourceArn: arn }),
        (page) => page.nextToken
      )) {
        for (const tag of page.tags ?? []) if (tag.key) tags[tag.key] = tag.value ?? ''
      }
      return tags
    },

    async stackOwners() {
      const { sdk, client } = await resourceTags()
      const owners = new Map<string, StackOwner>()
      const pages = boundedPages(
        'tag:GetResources',
        sdk.paginateGetResources(
          { client, ...PAGINATION },
          { ResourceTypeFilters: ['codepipeline'], TagFilters: [{ Key: STACK_TAG }] }
        ),
        (page) => page.PaginationToken
      )
      for await (const page of pages) {
        for (const mapping of page.ResourceTagMappingList ?? []) {
          const tag = (key: string) => mapping.Tags?.find((t) => t.Key === key)?.Value
          const stack = tag(STACK_TAG)
          if (mapping.ResourceARN && stack) {
            owners.set(mapping.ResourceARN, { stack, logicalId: tag(LOGICAL_ID_TAG) })
          }
        }
      }
      return owners
    },

    async listExecutions(name) {
      const output = await runs().send(
        new ListPipelineExecutionsCommand({ pipelineName: name, maxResults: 100 })
      )
      return (output.pipelineExecutionSummaries ?? []).map((s) => ({
        id: s.pipelineExecutionId ?? '',
        status: s.status ?? '',
        startTime: asDate(s.startTime),
        lastUpdateTime: asDate(s.lastUpdateTime),
        sourceRevisions: (s.sourceRevisions ?? []).flatMap((r) =>
          r.actionName && r.revisionId
            ? [{ actionName: r.actionName, revisionId: r.revisionId }]
            : []
        ),
        trigger: s.trigger?.triggerType
      }))
    },

    async pipelineState(name) {
      const output = await states().send(new GetPipelineStateCommand({ name }))
      const stages = (output.stageStates ?? []).map((stage) => {
        const latest = stage.latestExecution
        const inbound = [stage.inboundExecution, ...(stage.inboundExecutions ?? [])]
        return {
          stage: stage.stageName ?? '',
          latest: latest?.pipelineExecutionId
            ? { executionId: latest.pipelineExecutionId, status: latest.status ?? '' }
            : undefined,
          inbound: inbound.flatMap((e) => (e?.pipelineExecutionId ? [e.pipelineExecutionId] : []))
        }
      })
      return { version: output.pipelineVersion, stages }
    },

    async runVersion(name, id) {
      const output = await runs().send(
        new GetPipelineExecutionCommand({ pipelineName: name, pipelineExecutionId: id })
      )
      return output.pipelineExecution?.pipelineVersion
    },

    async executionVariables(name, id) {
      const output = await runs().send(
        new GetPipelineExecutionCommand({ pipelineName: name, pipelineExecutionId: id })
      )
      return (output.pipelineExecution?.variables ?? []).flatMap((v) =>
        v.name && v.resolvedValue !== undefined ? [{ name: v.name, value: v.resolvedValue }] : []
      )
    },

    async startExecution(name, request) {
      // No clientRequestToken: the SDK generates one per command and reuses it
      // when it retries, so a retried attempt that had landed starts no second run.
      const output = await starting().send(new StartPipelineExecutionCommand({ name, ...request }))
      return output.pipelineExecutionId
    }
  }
}

// ------------------------------------------------------------------ webhooks (issue 19)

/** A GitHub (version 1) webhook, as ListWebhooks defines it. */
export interface Webhook {
  name: string
  targetPipeline: string
  targetAction: string
  arn: string | undefined
}

/**
 * CodePipeline's webhook calls in one region: what moving a GitHub
 * (version 1) source to a connection does with the webhook that started it.
 * A factory of its own, beside createPipelineApi: the write path wires it in
 * (phase 2 of issue 19) without every PipelineApi having to grow.
 */
export interface PipelineWebhookApi {
  /** Every webhook of the region (ListWebhooks, every page). */
  listWebhooks(): Promise<Webhook[]>
  deregisterWebhook(name: string): Promise<void>
  registerWebhook(name: string): Promise<void>
  deleteWebhook(name: string): Promise<void>
}

export function createPipelineWebhookApi(
  settings: AwsSettings,
  region: string
): PipelineWebhookApi {
  let built: CodePipelineClient | undefined
  const client = () => (built ??= newClient(settings, region, {}))
  return {
    async listWebhooks() {
      const found: Webhook[] = []
      const pages = boundedPages(
        'codepipeline:ListWebhooks',
        paginateListWebhooks({ client: client(), pageSize: 100, ...PAGINATION }, {}),
        (page) => page.NextToken
      )
      for await (const page of pages) {
        for (const item of page.webhooks ?? []) {
          const d = item.definition
          if (!d?.name || !d.targetPipeline || !d.targetAction) continue
          found.push({
            name: d.name,
            targetPipeline: d.targetPipeline,
            targetAction: d.targetAction,
            arn: item.arn
          })
        }
      }
      return found
    },
    async deregisterWebhook(name) {
      await client().send(new DeregisterWebhookWithThirdPartyCommand({ webhookName: name }))
    },
    async registerWebhook(name) {
      await client().send(new RegisterWebhookWithThirdPartyCommand({ webhookName: name }))
    },
    async deleteWebhook(name) {
      await client().send(new DeleteWebhookCommand({ name }))
    }
  }
}
