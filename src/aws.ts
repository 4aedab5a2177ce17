import type { AwsCredentialIdentityProvider } from '@aws-sdk/types'
import { countThrottles, type Stackable } from './throttle.js'

/** Settings shared by every AWS client the action creates. */
export interface AwsSettings {
  /** undefined: the SDK's default chain (e.g. env exported by configure-aws-credentials). */
  credentials: AwsCredentialIdentityProvider | undefined
  maxConcurrency: number
  /** Called once per request the SDK retries because AWS throttled it. */
  onThrottle?: (region: string, operation: string) => void
}

// Throttling and 5xx are retried by the SDK; 'adaptive' adds a client-side
// rate limiter that slows the whole client down once AWS starts throttling,
// instead of burning retries. A long-enough attempt budget lets a fleet of
// hundreds of pipelines ride out a throttled account.
export const MAX_ATTEMPTS = 10
export const REQUEST_TIMEOUT_MS = 20_000

export function clientConfig(settings: AwsSettings, region: string) {
  return {
    region,
    credentials: settings.credentials,
    retryMode: 'adaptive' as const,
    maxAttempts: MAX_ATTEMPTS,
    customUserAgent: 'rotate-github-token-aws',
    // Resolve each command's middleware stack once per client, not once per
    // request: a fleet sends hundreds of the same command. Nothing here adds
    // middleware to a command or to a client after its first request.
    cacheMiddleware: true,
    requestHandler: {
      connectionTimeout: 5_000,
      requestTimeout: Number(process.env['ROTATE_REQUEST_TIMEOUT_MS']) || REQUEST_TIMEOUT_MS,
      // Without this the handler only logs a warning and waits forever.
      throwOnRequestTimeout: true,
      httpsAgent: { keepAlive: true, maxSockets: Math.max(settings.maxConcurrency * 2, 16) },
      httpAgent: { keepAlive: true, maxSockets: Math.max(settings.maxConcurrency * 2, 16) }
    }
  }
}

/**
 * Calls `load` once, on first use, and shares its promise. The SDK clients a
 * run may not need are imported this way (with webpackMode "eager": they stay
 * in dist/index.js, only their evaluation waits), because evaluating modules
 * is most of the action's start-up time.
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined
  return () => (loaded ??= load())
}

/**
 * The client of a service a run may not need: its SDK package is imported
 * and the client built on first use (see loadOnce), its throttling reported.
 */
export function lazyClient<Sdk, Client extends Stackable>(
  settings: AwsSettings,
  region: string,
  load: () => Promise<Sdk>,
  create: (sdk: Sdk, config: ReturnType<typeof clientConfig>) => Client
): () => Promise<{ sdk: Sdk; client: Client }> {
  return loadOnce(async () => {
    const sdk = await load()
    const client = create(sdk, clientConfig(settings, region))
    countThrottles(client, region, settings.onThrottle)
    return { sdk, client }
  })
}
