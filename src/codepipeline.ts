import {
  CodePipelineClient,
  GetPipelineCommand,
  UpdatePipelineCommand,
  paginateListPipelines,
  paginateListTagsForResource,
  type GetPipelineInput,
  type UpdatePipelineInput
} from '@aws-sdk/client-codepipeline'
import type { BuildMiddleware, DeserializeMiddleware } from '@aws-sdk/types'
import { clientConfig, type AwsSettings } from './aws.js'
import { isObject, type Json, type JsonObject } from './pipeline-json.js'
import type { StackOwners } from './tagging.js'
import { countThrottles } from './throttle.js'

export interface RawPipeline {
  /** The `pipeline` member exactly as AWS returned it. */
  pipeline: JsonObject
  arn: string | undefined
}

export interface UpdateResult {
  version: number | undefined
  /** How many HTTP attempts the SDK made (more than 1 after a retry). */
  attempts: number
}

/** What the rotation needs from CodePipeline in one region. */
export interface PipelineApi {
  listPipelineNames(): Promise<string[]>
  getPipeline(name: string): Promise<RawPipeline>
  updatePipeline(pipeline: JsonObject): Promise<UpdateResult>
  listTags(arn: string): Promise<Record<string, string>>
  /**
   * The region's CloudFormation-owned pipelines in one call (tagging.ts);
   * when absent or refused, listTags is asked pipeline by pipeline.
   */
  stackOwners?: StackOwners
}

async function readBody(body: unknown): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body
  const chunks: Buffer[] = []
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  }
  return Buffer.concat(chunks)
}

/*
 * Why middleware: the SDK's typed deserializer keeps only the members its
 * model knew when this action was bundled, so a GetPipeline → UpdatePipeline
 * round trip through typed objects silently erases any setting AWS adds later.
 * We keep the SDK for signing, credentials, endpoints, retries and errors,
 * but read GetPipeline's raw body (a deserialize-step middleware placed
 * inside the deserializer) and write UpdatePipeline's raw body (a build-step
 * middleware, after serialization and before signing).
 *
 * Both are added once per client, and each call hands them its raw I/O under
 * a symbol key of its input (which the serializer never sees): the client can
 * then cache its resolved middleware stack (cacheMiddleware) instead of
 * rebuilding it for every request of a fleet.
 */
const RAW_IO = Symbol('rawPipelineIo')

interface RawIo {
  /** The exact request body to send, if set. */
  send?: string
  /** The response body, as received, once the call succeeded. */
  received?: string
}

const EMPTY_OBJECT = Buffer.from('{}')

function rawIoOf(input: unknown): RawIo | undefined {
  return (input as { [RAW_IO]?: RawIo } | undefined)?.[RAW_IO]
}

function captureRawBody<I extends object, O extends object>(): DeserializeMiddleware<I, O> {
  return (next) => async (args) => {
    const result = await next(args)
    const io = rawIoOf(args.input)
    const response = result.response as { statusCode?: number; body?: unknown }
    if (io && response.statusCode === 200 && response.body !== undefined) {
      const bytes = await readBody(response.body)
      io.received = Buffer.from(bytes).toString('utf8')
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

function newClient(settings: AwsSettings, region: string): CodePipelineClient {
  const client = new CodePipelineClient(clientConfig(settings, region))
  countThrottles(client, region, settings.onThrottle)
  // We never log SDK calls, yet the logger middleware filters every input and
  // output (whole pipelines) for its no-op logger: measurable on a fleet.
  client.middlewareStack.remove('loggerMiddleware')
  client.middlewareStack.add(sendRawBody(), { step: 'build', priority: 'low', name: 'sendRaw' })
  client.middlewareStack.add(captureRawBody(), {
    step: 'deserialize',
    priority: 'low',
    name: 'captureRaw'
  })
  return client
}

export function createPipelineApi(settings: AwsSettings, region: string): PipelineApi {
  // One client per API: AWS throttles each API on its own, and the SDK's
  // adaptive retry mode slows down the whole client it sees throttled. With
  // one shared client, a throttled UpdatePipeline would also hold back
  // GetPipeline (and the reverse) while they run side by side.
  const listing = newClient(settings, region)
  const reading = newClient(settings, region)
  const writing = newClient(settings, region)
  const tagging = newClient(settings, region)

  return {
    async listPipelineNames() {
      const names: string[] = []
      // The largest page AWS allows: one call lists most fleets, and nothing
      // is read until the listing is complete.
      const pages = paginateListPipelines({ client: listing, pageSize: 1000 }, {})
      for await (const page of pages) {
        for (const summary of page.pipelines ?? []) if (summary.name) names.push(summary.name)
      }
      return names
    },

    async getPipeline(name) {
      const io: RawIo = {}
      await reading.send(new GetPipelineCommand({ name, [RAW_IO]: io } as GetPipelineInput))
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
      const output = await writing.send(
        new UpdatePipelineCommand({ [RAW_IO]: io } as unknown as UpdatePipelineInput)
      )
      const answer = JSON.parse(io.received ?? '{}') as JsonObject
      const written = answer['pipeline']
      const version = isObject(written) ? written['version'] : undefined
      return {
        version: typeof version === 'number' ? version : undefined,
        attempts: output.$metadata.attempts ?? 1
      }
    },

    async listTags(arn) {
      const tags: Record<string, string> = {}
      for await (const page of paginateListTagsForResource(
        { client: tagging },
        { resourceArn: arn }
      )) {
        for (const tag of page.tags ?? []) if (tag.key) tags[tag.key] = tag.value ?? ''
      }
      return tags
    }
  }
}
