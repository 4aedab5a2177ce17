/**
 * A local server speaking the AWS JSON protocol (CodePipeline, CodeBuild,
 * Secrets Manager, Parameter Store, tagging) and the query protocol
 * (CloudFormation): the real SDK clients, with our middleware, signing and
 * retries, talk to it through AWS_ENDPOINT_URL, so a test sees exactly what an
 * API module sends and how it reads the answers. Each test queues its replies.
 */
import { afterAll, beforeAll, beforeEach, jest } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Seen {
  /** X-Amz-Target (JSON protocol) or the Action parameter (query protocol). */
  target: string
  body: string
  headers: Record<string, string | string[] | undefined>
}

export interface Reply {
  status?: number
  /** Sent as it is when a string, else as JSON. */
  body: unknown
  type?: string
  /** An XML answer (query protocol). */
  xml?: boolean
  /** Extra headers (a `date` replaces the one node:http sends). */
  headers?: Record<string, string>
  /** false: no Date header at all. */
  sendDate?: boolean
}

/** Starts the server for the test file; the arrays are emptied before each test. */
export function useAwsServer(): { replies: Array<(seen: Seen) => Reply>; seen: Seen[] } {
  const replies: Array<(seen: Seen) => Reply> = []
  const seen: Seen[] = []
  let server: Server | undefined
  let endpoint = ''

  beforeAll(async () => {
    const started = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString()))
      req.on('end', () => {
        const action = new URLSearchParams(body).get('Action')
        const target = String(req.headers['x-amz-target'] ?? action ?? '')
        const request = { target, body, headers: req.headers }
        seen.push(request)
        const next = replies.shift()
        const reply: Reply = next
          ? next(request)
          : { status: 500, body: { __type: 'NoReply', message: 'no reply queued' } }
        const headers: Record<string, string> = {
          'content-type': reply.xml ? 'text/xml' : 'application/x-amz-json-1.1',
          ...reply.headers
        }
        if (reply.type) headers['x-amzn-errortype'] = reply.type
        res.sendDate = reply.sendDate ?? true
        res
          .writeHead(reply.status ?? 200, headers)
          .end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body))
      })
    })
    server = started
    await new Promise<void>((resolve) => started.listen(0, '127.0.0.1', resolve))
    endpoint = `http://127.0.0.1:${(started.address() as AddressInfo).port}`
  })
  afterAll(
    () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  )
  beforeEach(() => {
    replies.length = 0
    seen.length = 0
    process.env['AWS_ENDPOINT_URL'] = endpoint
  })
  return { replies, seen }
}

/**
 * A fake clock for the AWS SDK's own waits, for a test of its retries: the
 * backoff between attempts (a random share of 1 s × 2^n for throttling) and
 * the adaptive rate limiter's wait for a token (up to 2 s after a throttle)
 * end at once, and Date.now moves on by the time each asked for, so the SDK
 * sees the time pass that it waited. Only waits shorter than `below` are
 * skipped: the HTTP handler's connection and request timeouts (5 s and more)
 * keep real time. `skipped()` is the milliseconds skipped so far; `restore()`
 * puts the real clock back.
 */
export function skipSdkWaits(below = 5_000): { skipped: () => number; restore: () => void } {
  const realSetTimeout = globalThis.setTimeout
  const realNow = Date.now.bind(Date)
  let skipped = 0
  const now = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + skipped)
  const timeout = jest.spyOn(globalThis, 'setTimeout').mockImplementation(((
    callback: (...args: unknown[]) => void,
    ms?: number,
    ...args: unknown[]
  ) => {
    if (typeof ms === 'number' && ms > 0 && ms < below) {
      skipped += ms
      return realSetTimeout(callback, 0, ...args)
    }
    return realSetTimeout(callback, ms, ...args)
  }) as typeof setTimeout)
  return {
    skipped: () => skipped,
    restore: () => {
      now.mockRestore()
      timeout.mockRestore()
    }
  }
}
