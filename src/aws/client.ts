/**
 * Settings every AWS client of the action shares, and clients loaded on
 * first use. Retries, backoff and throttling are the SDK's (adaptive mode);
 * this module only reports throttling so a slow run explains itself, and
 * gives every attempt a total deadline (the SDK's own timeout is an idle
 * one: an answer trickling a byte every few seconds would never end).
 */
import type {
  AwsCredentialIdentityProvider,
  DeserializeMiddleware,
  HttpHandlerOptions
} from '@aws-sdk/types'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { addAbortSignal, type Readable } from 'node:stream'
import { once } from '../core/once.js'

export interface AwsSettings {
  /** undefined: the SDK's default chain (e.g. env exported by configure-aws-credentials). */
  credentials: AwsCredentialIdentityProvider | undefined
  maxConcurrency: number
  /**
   * How long one HTTP attempt may take in all, from sending the request to
   * the last byte of the answer, before it is abandoned and the SDK retries
   * it (`aws-timeout`).
   */
  requestTimeoutMs?: number
  /** Called once per attempt AWS throttled. */
  onThrottle?: (region: string, operation: string) => void
}

// 'adaptive' adds a client-side rate limiter that slows the whole client down
// once AWS starts throttling, instead of burning retries; a long attempt
// budget lets a fleet of hundreds of pipelines ride out a throttled account.
const MAX_ATTEMPTS = 10
// AWS answers these APIs in well under a second. An attempt gets this long
// in all (aws-timeout's default), and a connection silent for IDLE_TIMEOUT_MS
// is given up sooner; either is retried like any timeout.
const REQUEST_TIMEOUT_MS = 30_000
const IDLE_TIMEOUT_MS = 10_000

type HttpRequest = Parameters<NodeHttpHandler['handle']>[0]
type HandlerOptions = Exclude<
  NonNullable<ConstructorParameters<typeof NodeHttpHandler>[0]>,
  (...args: never[]) => unknown
>
type Answer = Awaited<ReturnType<NodeHttpHandler['handle']>>

/** The API an SDK request calls: X-Amz-Target's operation (JSON), or the query's Action. */
function operationOf(request: HttpRequest): string {
  const target = Object.entries(request.headers).find(
    ([name]) => name.toLowerCase() === 'x-amz-target'
  )
  if (target) return target[1].slice(target[1].lastIndexOf('.') + 1)
  if (typeof request.body === 'string') {
    const action = new URLSearchParams(request.body).get('Action')
    if (action) return action
  }
  return `${request.method} ${request.path}`
}

/** A timeout, as the SDK names its own: its retry strategy retries it as a transient error. */
function timeoutError(request: HttpRequest, ms: number): Error {
  const seconds = ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`
  return Object.assign(
    new Error(
      `${operationOf(request)} got no complete answer within ${seconds} (aws-timeout): the attempt was abandoned`
    ),
    { name: 'TimeoutError' }
  )
}

/**
 * Reads a response body to its end, or until `signal` aborts (then throws).
 * The SDK's Node.js handler always answers with the IncomingMessage, Buffers.
 */
async function readAll(body: Readable, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of addAbortSignal(signal, body)) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

type OuterSignal = HttpHandlerOptions['abortSignal']

/**
 * The SDK's Node.js handler, with a total deadline per attempt: the request
 * is sent and its answer read to the last byte within `deadlineMs`, or the
 * attempt is aborted and fails with a TimeoutError naming the API, which the
 * SDK retries like its own timeouts. Answers are a few kilobytes of JSON or
 * XML (none of these APIs streams), so reading them here costs nothing.
 */
export class DeadlineHandler {
  readonly #inner: NodeHttpHandler

  constructor(
    readonly options: HandlerOptions,
    readonly deadlineMs: number
  ) {
    this.#inner = new NodeHttpHandler(options)
  }

  get metadata() {
    return this.#inner.metadata
  }

  updateHttpClientConfig(...args: Parameters<NodeHttpHandler['updateHttpClientConfig']>): void {
    this.#inner.updateHttpClientConfig(...args)
  }

  httpHandlerConfigs() {
    return this.#inner.httpHandlerConfigs()
  }

  destroy(): void {
    this.#inner.destroy()
  }

  async handle(request: HttpRequest, options: HttpHandlerOptions = {}): Promise<Answer> {
    const controller = new AbortController()
    const outer = options.abortSignal as (OuterSignal & Partial<EventTarget>) | undefined
    const passOn = () => controller.abort()
    if (outer?.aborted) passOn()
    outer?.addEventListener?.('abort', passOn, { once: true })
    let late = false
    const timer = setTimeout(() => {
      late = true
      controller.abort()
    }, this.deadlineMs)
    try {
      const { response } = await this.#inner.handle(request, {
        ...options,
        abortSignal: controller.signal
      })
      response.body = await readAll(response.body as Readable, controller.signal)
      return { response }
    } catch (error) {
      if (late) throw timeoutError(request, this.deadlineMs)
      throw error
    } finally {
      clearTimeout(timer)
      outer?.removeEventListener?.('abort', passOn)
    }
  }
}

export function clientConfig(settings: AwsSettings, region: string) {
  const sockets = Math.max(settings.maxConcurrency * 2, 16)
  const deadlineMs = settings.requestTimeoutMs ?? REQUEST_TIMEOUT_MS
  return {
    region,
    credentials: settings.credentials,
    retryMode: 'adaptive' as const,
    maxAttempts: MAX_ATTEMPTS,
    customUserAgent: 'rotate-github-token-aws',
    // Resolve each command's middleware stack once per client, not once per
    // request: a fleet sends hundreds of the same command. Nothing adds
    // middleware to a client after its first request.
    cacheMiddleware: true,
    requestHandler: new DeadlineHandler(
      {
        connectionTimeout: Math.min(5_000, deadlineMs),
        // Idle time: no byte for this long.
        requestTimeout: Math.min(IDLE_TIMEOUT_MS, deadlineMs),
        // Without this the handler only logs a warning and waits forever.
        throwOnRequestTimeout: true,
        httpsAgent: { keepAlive: true, maxSockets: sockets },
        httpAgent: { keepAlive: true, maxSockets: sockets }
      },
      deadlineMs
    )
  }
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown'
])

export interface Stackable {
  middlewareStack: {
    add(
      middleware: DeserializeMiddleware<object, object>,
      options: { step: 'deserialize'; priority: 'high'; name: string }
    ): void
  }
}

/**
 * Reports every attempt AWS throttled. It sits inside the SDK's retry loop
 * (outside the deserializer, which raises the typed error), so it sees each
 * attempt, including the ones the retry strategy then absorbs.
 */
export function countThrottles(client: Stackable, region: string, settings: AwsSettings): void {
  const onThrottle = settings.onThrottle
  if (!onThrottle) return
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args)
      } catch (error) {
        const name = (error as { name?: string } | null)?.name ?? ''
        if (THROTTLING.has(name)) {
          // "UpdatePipelineCommand" → "UpdatePipeline", the API name AWS documents.
          onThrottle(region, String(context['commandName'] ?? '').replace(/Command$/, ''))
        }
        throw error
      }
    },
    { step: 'deserialize', priority: 'high', name: 'countThrottles' }
  )
}

/**
 * The client of a service a run may not need: its SDK package is imported
 * and the client built on first use. `load` is a dynamic import: in webpack's
 * eager mode for the clients most runs use (the package stays inside
 * dist/index.js and only its evaluation waits), a plain one for the stores a
 * run has to ask for (SSM, Secrets Manager, CloudFormation, tags), which
 * ncc puts in a chunk of dist/ that V8 does not even parse until then.
 */
export function lazyClient<Sdk, Client extends Stackable>(
  settings: AwsSettings,
  region: string,
  load: () => Promise<Sdk>,
  create: (sdk: Sdk, config: ReturnType<typeof clientConfig>) => Client
): () => Promise<{ sdk: Sdk; client: Client }> {
  return once(async () => {
    const sdk = await load()
    const client = create(sdk, clientConfig(settings, region))
    countThrottles(client, region, settings)
    return { sdk, client }
  })
}

/** One value per region, built on first use. */
export function perRegion<T>(create: (region: string) => T): (region: string) => T {
  const cache = new Map<string, T>()
  return (region) => {
    let value = cache.get(region)
    if (value === undefined) cache.set(region, (value = create(region)))
    return value
  }
}
