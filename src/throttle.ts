import type { DeserializeMiddleware } from '@aws-sdk/types'

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
export function countThrottles(
  client: Stackable,
  region: string,
  onThrottle: ((region: string, operation: string) => void) | undefined
): void {
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
