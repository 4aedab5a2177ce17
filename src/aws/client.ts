/**
 * Settings every AWS client of the action shares, and clients loaded on
 * first use. Retries, backoff and throttling are the SDK's (adaptive mode);
 * this module only reports throttling so a slow run explains itself.
 */
import type { AwsCredentialIdentityProvider, DeserializeMiddleware } from '@aws-sdk/types'
import { once } from '../core/once.js'

export interface AwsSettings {
  /** undefined: the SDK's default chain (e.g. env exported by configure-aws-credentials). */
  credentials: AwsCredentialIdentityProvider | undefined
  maxConcurrency: number
  /** How long one HTTP attempt may take before the SDK retries it. */
  requestTimeoutMs?: number
  /** Called once per attempt AWS throttled. */
  onThrottle?: (region: string, operation: string) => void
}

// 'adaptive' adds a client-side rate limiter that slows the whole client down
// once AWS starts throttling, instead of burning retries; a long attempt
// budget lets a fleet of hundreds of pipelines ride out a throttled account.
const MAX_ATTEMPTS = 10
// AWS answers these APIs in well under a second; a hung connection is retried.
const REQUEST_TIMEOUT_MS = 10_000

export function clientConfig(settings: AwsSettings, region: string) {
  const sockets = Math.max(settings.maxConcurrency * 2, 16)
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
    requestHandler: {
      connectionTimeout: 5_000,
      requestTimeout: settings.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      // Without this the handler only logs a warning and waits forever.
      throwOnRequestTimeout: true,
      httpsAgent: { keepAlive: true, maxSockets: sockets },
      httpAgent: { keepAlive: true, maxSockets: sockets }
    }
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
