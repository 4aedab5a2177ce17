import { afterEach, describe, expect, it, jest } from '@jest/globals'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CodePipelineClient, GetPipelineCommand } from '@aws-sdk/client-codepipeline'
import type { DeserializeMiddleware } from '@aws-sdk/types'
import {
  DeadlineHandler,
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

  // requestTimeoutMs (aws-timeout) is a total deadline per attempt, 30 s by default;
  // the SDK's idle timeout stays at 10 s or less. A setting of the clients, not an environment variable.
  it('gives each attempt a total deadline, requestTimeoutMs (30 s by default), and an idle timeout of at most 10 s', () => {
    const handler = clientConfig(settings(), 'eu-west-1').requestHandler
    expect(handler).toBeInstanceOf(DeadlineHandler)
    expect(handler.deadlineMs).toBe(30_000)
    expect(handler.options).toMatchObject({
      connectionTimeout: 5000,
      requestTimeout: 10000,
      throwOnRequestTimeout: true
    })
    const short = clientConfig(settings({ requestTimeoutMs: 750 }), 'eu-west-1').requestHandler
    expect(short.deadlineMs).toBe(750)
    expect(short.options).toMatchObject({ connectionTimeout: 750, requestTimeout: 750 })
    process.env['ROTATE_REQUEST_TIMEOUT_MS'] = '750'
    try {
      expect(clientConfig(settings(), 'eu-west-1').requestHandler.deadlineMs).toBe(30_000)
    } finally {
      delete process.env['ROTATE_REQUEST_TIMEOUT_MS']
    }
  })

  it('keeps connections alive, with twice max-concurrency sockets and at least 16', () => {
    const agents = (maxConcurrency: number) => {
      const { httpsAgent, httpAgent } = clientConfig(settings({ maxConcurrency }), 'us-east-1')
        .requestHandler.options
      return { httpsAgent, httpAgent }
    }
    expect(agents(4)).toEqual({
      httpsAgent: { keepAlive: true, maxSockets: 16 },
      httpAgent: { keepAlive: true, maxSockets: 16 }
    })
    expect(agents(8).httpsAgent).toMatchObject({ maxSockets: 16 })
    expect(agents(9).httpsAgent).toMatchObject({ maxSockets: 18 })
    expect(agents(64)).toEqual({
      httpsAgent: { keepAlive: true, maxSockets: 128 },
      httpAgent: { keepAlive: true, maxSockets: 128 }
    })
  })

  it("is what the SDK's request handler runs with", async () => {
    const client = new CodePipelineClient(
      clientConfig(settings({ maxConcurrency: 20, requestTimeoutMs: 1234 }), 'us-east-1')
    )
    const handler = client.config.requestHandler as unknown as DeadlineHandler
    expect(handler).toBeInstanceOf(DeadlineHandler)
    expect(handler.deadlineMs).toBe(1234)
    expect(handler.options).toMatchObject({ requestTimeout: 1234, throwOnRequestTimeout: true })
    expect(handler.options.httpsAgent).toMatchObject({ keepAlive: true, maxSockets: 40 })
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

describe('DeadlineHandler: a total deadline per attempt', () => {
  const servers: Server[] = []
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  /** A server answering every request with `answer`; counts the requests. */
  async function serve(answer: (res: ServerResponse) => void) {
    const seen = { requests: 0 }
    const server = createServer((req, res) => {
      seen.requests++
      req.resume()
      req.on('end', () => answer(res))
    })
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return { port: (server.address() as AddressInfo).port, seen }
  }

  /** Sends the head at once, then one byte of the body every 200 ms, for ever. */
  const trickle = (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
    const timer = setInterval(() => res.write(' '), 200)
    res.on('close', () => clearInterval(timer))
  }

  const request = (port: number, headers: Record<string, string>, body?: string) =>
    ({
      protocol: 'http:',
      hostname: '127.0.0.1',
      port,
      method: 'POST',
      path: '/',
      query: {},
      headers: { host: `127.0.0.1:${port}`, ...headers },
      body
    }) as unknown as Parameters<DeadlineHandler['handle']>[0]

  const handler = (deadlineMs: number) =>
    new DeadlineHandler({ requestTimeout: 10_000, throwOnRequestTimeout: true }, deadlineMs)

  it('returns an answer in time with its body read whole', async () => {
    const { port } = await serve((res) => {
      res.writeHead(200, { 'x-answer': 'yes' })
      res.end('{"ok":true}')
    })
    const h = handler(5_000)
    const { response } = await h.handle(request(port, {}))
    expect(response.statusCode).toBe(200)
    expect(response.headers['x-answer']).toBe('yes')
    expect(Buffer.from(response.body as Uint8Array).toString()).toBe('{"ok":true}')
    h.destroy()
  })

  it('abandons an answer that trickles after its head, naming the API (X-Amz-Target)', async () => {
    const { port } = await serve(trickle)
    const h = handler(600)
    const error = await h
      .handle(request(port, { 'X-Amz-Target': 'CodePipeline_20150709.GetPipeline' }, '{}'))
      .catch((e: unknown) => e as Error)
    expect(error).toMatchObject({
      name: 'TimeoutError',
      message:
        'GetPipeline got no complete answer within 600 ms (aws-timeout): the attempt was abandoned'
    })
    h.destroy()
  })

  it('abandons a request that gets no head at all, naming the query Action', async () => {
    const { port } = await serve(() => {
      // never answers
    })
    const h = handler(2_000)
    const error = await h
      .handle(request(port, {}, 'Action=DescribeStacks&Version=2010-05-15'))
      .catch((e: unknown) => e as Error)
    expect(error).toMatchObject({
      name: 'TimeoutError',
      message: expect.stringMatching(/^DescribeStacks got no complete answer within 2 s/)
    })
    const other = await handler(300)
      .handle(request(port, {}))
      .catch((e: unknown) => e as Error)
    expect((other as Error).message).toMatch(/^POST \/ got no complete answer within 300 ms/)
  })

  it("passes the caller's own abort on, as the SDK's AbortError (not retried)", async () => {
    const { port } = await serve(trickle)
    const caller = new AbortController()
    const h = handler(60_000)
    const pending = h.handle(request(port, {}), { abortSignal: caller.signal })
    setTimeout(() => caller.abort(), 100)
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
    const already = new AbortController()
    already.abort()
    await expect(
      h.handle(request(port, {}), { abortSignal: already.signal })
    ).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('is retried by the SDK like any timeout, and the last error names the call', async () => {
    const { port, seen } = await serve(trickle)
    const client = new CodePipelineClient({
      ...clientConfig(settings({ requestTimeoutMs: 500 }), 'us-east-1'),
      endpoint: `http://127.0.0.1:${port}`,
      maxAttempts: 2,
      retryMode: 'standard'
    })
    const error = await client
      .send(new GetPipelineCommand({ name: 'app' }))
      .catch((e: unknown) => e as Error)
    expect(error).toMatchObject({
      name: 'TimeoutError',
      message: expect.stringMatching(/^GetPipeline got no complete answer within 500 ms/)
    })
    expect(seen.requests).toBe(2)
    client.destroy()
  })

  it('hands the configuration calls to the SDK handler it wraps', () => {
    const h = handler(1_000)
    expect(h.metadata).toEqual({ handlerProtocol: 'http/1.1' })
    h.updateHttpClientConfig('requestTimeout', 2_000)
    expect(h.httpHandlerConfigs()).toEqual({})
    h.destroy()
  })
})
