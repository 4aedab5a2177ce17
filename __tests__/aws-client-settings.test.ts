import { describe, expect, it, jest } from '@jest/globals'
import type { Agent } from 'node:https'
import { CodePipelineClient } from '@aws-sdk/client-codepipeline'
import type { DeserializeMiddleware } from '@aws-sdk/types'
import {
  clientConfig,
  countThrottles,
  lazyClient,
  perRegion,
  type AwsSettings,
  type Stackable
} from '../src/aws/client.js'

const credentials = async () => ({ accessKeyId: 'unit', secretAccessKey: 'unit' })
const settings = (overrides: Partial<AwsSettings> = {}): AwsSettings => ({
  credentials,
  maxConcurrency: 4,
  ...overrides
})

/** A client's middleware stack that keeps what is added to it. */
function stack() {
  const added: {
    middleware: DeserializeMiddleware<object, object>
    options: { step: string; priority: string; name: string }
  }[] = []
  const client: Stackable = {
    middlewareStack: { add: (middleware, options) => void added.push({ middleware, options }) }
  }
  return { client, added }
}

/** Runs one attempt through the middleware, as the SDK's retry loop would. */
function attempt(
  middleware: DeserializeMiddleware<object, object>,
  commandName: string | undefined,
  outcome: () => Promise<unknown>
) {
  const next = (async () => outcome()) as unknown as Parameters<typeof middleware>[0]
  const context = commandName === undefined ? {} : { commandName }
  return middleware(next, context)({ input: {}, request: {} })
}

const awsError = (name: string) => Object.assign(new Error(name), { name })

describe('clientConfig', () => {
  it('uses adaptive retries, a long attempt budget and its user agent, for the region given', () => {
    const config = clientConfig(settings(), 'eu-west-1')
    expect(config).toMatchObject({
      region: 'eu-west-1',
      credentials,
      retryMode: 'adaptive',
      maxAttempts: 10,
      customUserAgent: 'rotate-github-token-aws',
      cacheMiddleware: true
    })
    expect(
      clientConfig(settings({ credentials: undefined }), 'us-east-1').credentials
    ).toBeUndefined()
  })

  // The timeout is a setting of the clients, not an environment variable.
  it('times each attempt out after requestTimeoutMs, 10 s by default, and throws when it does', () => {
    expect(clientConfig(settings(), 'eu-west-1').requestHandler).toMatchObject({
      connectionTimeout: 5000,
      requestTimeout: 10000,
      throwOnRequestTimeout: true
    })
    expect(
      clientConfig(settings({ requestTimeoutMs: 750 }), 'eu-west-1').requestHandler.requestTimeout
    ).toBe(750)
    process.env['ROTATE_REQUEST_TIMEOUT_MS'] = '750'
    try {
      expect(clientConfig(settings(), 'eu-west-1').requestHandler.requestTimeout).toBe(10000)
    } finally {
      delete process.env['ROTATE_REQUEST_TIMEOUT_MS']
    }
  })

  it('keeps connections alive, with twice max-concurrency sockets and at least 16', () => {
    const agents = (maxConcurrency: number) => {
      const { httpsAgent, httpAgent } = clientConfig(
        settings({ maxConcurrency }),
        'us-east-1'
      ).requestHandler
      return { httpsAgent, httpAgent }
    }
    expect(agents(4)).toEqual({
      httpsAgent: { keepAlive: true, maxSockets: 16 },
      httpAgent: { keepAlive: true, maxSockets: 16 }
    })
    expect(agents(8).httpsAgent.maxSockets).toBe(16)
    expect(agents(9).httpsAgent.maxSockets).toBe(18)
    expect(agents(64)).toEqual({
      httpsAgent: { keepAlive: true, maxSockets: 128 },
      httpAgent: { keepAlive: true, maxSockets: 128 }
    })
  })

  it("is what the SDK's request handler runs with", async () => {
    const client = new CodePipelineClient(
      clientConfig(settings({ maxConcurrency: 20, requestTimeoutMs: 1234 }), 'us-east-1')
    )
    const handler = client.config.requestHandler as unknown as {
      configProvider: Promise<{
        requestTimeout: number
        throwOnRequestTimeout: boolean
        httpsAgent: Agent
      }>
    }
    const resolved = await handler.configProvider
    expect(resolved).toMatchObject({ requestTimeout: 1234, throwOnRequestTimeout: true })
    expect(resolved.httpsAgent).toMatchObject({ keepAlive: true, maxSockets: 40 })
    expect(await client.config.maxAttempts()).toBe(10)
    const strategy = (await client.config.retryStrategy()) as unknown as { mode: string }
    expect(strategy.mode).toBe('adaptive')
    client.destroy()
  })
})

describe('countThrottles', () => {
  it('adds nothing without an onThrottle', () => {
    const { client, added } = stack()
    countThrottles(client, 'us-east-1', settings())
    expect(added).toEqual([])
  })

  it('sits in the deserialize step, high, so it sees every attempt', () => {
    const { client, added } = stack()
    countThrottles(client, 'us-east-1', settings({ onThrottle: () => {} }))
    expect(added.map((a) => a.options)).toEqual([
      { step: 'deserialize', priority: 'high', name: 'countThrottles' }
    ])
  })

  it.each([
    'ThrottlingException',
    'Throttling',
    'TooManyRequestsException',
    'RequestLimitExceeded',
    'SlowDown'
  ])(
    'reports a throttled attempt (%s) with the region and the operation, and rethrows it',
    async (name) => {
      const onThrottle = jest.fn()
      const { client, added } = stack()
      countThrottles(client, 'eu-west-1', settings({ onThrottle }))
      const middleware = added[0]?.middleware as DeserializeMiddleware<object, object>
      const error = awsError(name)
      await expect(
        attempt(middleware, 'UpdatePipelineCommand', () => Promise.reject(error))
      ).rejects.toBe(error)
      expect(onThrottle).toHaveBeenCalledWith('eu-west-1', 'UpdatePipeline')
      expect(onThrottle).toHaveBeenCalledTimes(1)
    }
  )

  it('reports nothing for other errors or success, and passes the answer through', async () => {
    const onThrottle = jest.fn()
    const { client, added } = stack()
    countThrottles(client, 'us-east-1', settings({ onThrottle }))
    const middleware = added[0]?.middleware as DeserializeMiddleware<object, object>
    await expect(
      attempt(middleware, 'GetPipelineCommand', () =>
        Promise.reject(awsError('AccessDeniedException'))
      )
    ).rejects.toThrow('AccessDeniedException')
    await expect(
      attempt(middleware, 'GetPipelineCommand', () => Promise.reject(null))
    ).rejects.toBeNull()
    const answer = { output: { ok: true }, response: {} }
    await expect(attempt(middleware, 'GetPipelineCommand', async () => answer)).resolves.toBe(
      answer
    )
    expect(onThrottle).not.toHaveBeenCalled()
  })

  it('names no operation when the context has none', async () => {
    const onThrottle = jest.fn()
    const { client, added } = stack()
    countThrottles(client, 'us-east-1', settings({ onThrottle }))
    const middleware = added[0]?.middleware as DeserializeMiddleware<object, object>
    await expect(
      attempt(middleware, undefined, () => Promise.reject(awsError('ThrottlingException')))
    ).rejects.toThrow()
    expect(onThrottle).toHaveBeenCalledWith('us-east-1', '')
  })
})

describe('lazyClient', () => {
  it('loads the SDK and builds the client once, on first use, with the shared settings', async () => {
    const onThrottle = jest.fn()
    const sdk = { name: 'sdk' }
    const built = stack()
    const load = jest.fn(async () => sdk)
    const create = jest.fn(
      (_sdk: typeof sdk, _config: ReturnType<typeof clientConfig>) => built.client
    )
    const connect = lazyClient(
      settings({ onThrottle, requestTimeoutMs: 500 }),
      'ap-south-1',
      load,
      create
    )
    expect(load).not.toHaveBeenCalled()
    const [first, second] = await Promise.all([connect(), connect()])
    expect(await connect()).toBe(first)
    expect(second).toBe(first)
    expect(first).toEqual({ sdk, client: built.client })
    expect(load).toHaveBeenCalledTimes(1)
    expect(create).toHaveBeenCalledTimes(1)
    expect(create.mock.calls[0]?.[0]).toBe(sdk)
    expect(create.mock.calls[0]?.[1]).toEqual(
      clientConfig(settings({ onThrottle, requestTimeoutMs: 500 }), 'ap-south-1')
    )
    // Throttling is counted on it like on every other client.
    expect(built.added.map((a) => a.options.name)).toEqual(['countThrottles'])
  })

  it('builds no throttle counter without an onThrottle', async () => {
    const built = stack()
    const connect = lazyClient(
      settings(),
      'us-east-1',
      async () => ({}),
      () => built.client
    )
    await connect()
    expect(built.added).toEqual([])
  })
})

describe('perRegion', () => {
  it('builds one value per region, on first use, and reuses it', () => {
    const create = jest.fn((region: string) => ({ region }))
    const forRegion = perRegion(create)
    expect(create).not.toHaveBeenCalled()
    const east = forRegion('us-east-1')
    expect(forRegion('us-east-1')).toBe(east)
    const west = forRegion('eu-west-1')
    expect(west).toEqual({ region: 'eu-west-1' })
    expect(west).not.toBe(east)
    expect(create.mock.calls).toEqual([['us-east-1'], ['eu-west-1']])
  })
})
