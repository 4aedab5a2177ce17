/**
 * Bitbucket Cloud's REST API (`bitbucket-api-url`), for the check of a
 * Bitbucket credential before CodeBuild gets it. Requests go through the
 * same `fetch` as GitHub's (./fetch.ts: the proxy, and the redirect policy
 * for a request that carries a secret). An API token is sent as HTTP Basic
 * `email:token`, an access token as `Bearer`; the Basic header's base64 is
 * registered as a secret before it is built. At most one retry a request (a
 * network error or 5xx), and a time limit on each. Errors carry a message
 * built here, never the request.
 */
import { messageOf } from '../core/errors.js'
import { registerToken } from '../core/redact.js'
import type { SealedToken } from '../core/sealed-token.js'
import { fetch } from './fetch.js'

/** How the credential is presented. */
export type BitbucketAuth =
  | { kind: 'api-token'; email: string; token: SealedToken }
  | { kind: 'access-token'; token: SealedToken }

export interface BitbucketUser {
  /** The account's display name or nickname, as Bitbucket sends it. */
  name: string
}

export class BitbucketError extends Error {
  constructor(
    message: string,
    /** HTTP status; 0 when Bitbucket could not be reached. */
    readonly status: number,
    /** Bitbucket's own error message (at most 300 characters). */
    readonly detail = ''
  ) {
    super(message)
    this.name = 'BitbucketError'
  }
}

export interface BitbucketApi {
  /** GET /user: the account an API token belongs to. */
  getUser(): Promise<BitbucketUser>
  /** GET /repositories/{workspace}/{repo_slug}. */
  getRepository(workspace: string, slug: string): Promise<void>
}

export interface BitbucketClientOptions {
  timeoutMs?: number
  sleep?: (ms: number) => Promise<void>
}

const TIMEOUT_MS = 20_000

/** What Bitbucket's error body says: `{"type":"error","error":{"message":"..."}}`. */
function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } }
    if (typeof body.error?.message === 'string') return body.error.message.slice(0, 300)
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 300)
}

export function createBitbucketClient(
  baseUrl: string,
  auth: BitbucketAuth,
  options: BitbucketClientOptions = {}
): BitbucketApi {
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)))
  const secret = auth.token.reveal()
  // `email:token` and its base64 (the Basic header) are secrets from here on.
  registerToken(secret, auth.kind === 'api-token' ? [auth.email] : [])
  const authorization =
    auth.kind === 'api-token'
      ? `Basic ${Buffer.from(`${auth.email}:${secret}`).toString('base64')}`
      : `Bearer ${secret}`

  async function get(path: string, what: string): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      let response: Response
      try {
        response = await fetch(`${baseUrl}${path}`, {
          method: 'GET',
          headers: {
            authorization,
            accept: 'application/json',
            'user-agent': 'rotate-github-token-aws'
          },
          signal: AbortSignal.timeout(timeoutMs)
        })
      } catch (error) {
        if (attempt === 1) {
          await sleep(1000)
          continue
        }
        throw new BitbucketError(
          `could not reach Bitbucket at ${baseUrl} (${what}): ${messageOf(error).slice(0, 300)} — check bitbucket-api-url`,
          0
        )
      }
      const text = await response.text()
      if (response.status === 200) {
        try {
          return JSON.parse(text) as unknown
        } catch {
          return {}
        }
      }
      if (response.status >= 500 && attempt === 1) {
        await sleep(1000)
        continue
      }
      const detail = errorMessage(text)
      throw new BitbucketError(
        `Bitbucket answered ${what} with ${response.status}${detail ? `: ${detail}` : ''}`,
        response.status,
        detail
      )
    }
  }

  return {
    async getUser() {
      const body = (await get('/user', 'GET /user')) as {
        display_name?: unknown
        nickname?: unknown
        username?: unknown
      } | null
      const name = [body?.display_name, body?.nickname, body?.username].find(
        (v): v is string => typeof v === 'string' && v !== ''
      )
      return { name: name ?? '' }
    },
    async getRepository(workspace, slug) {
      await get(
        `/repositories/${encodeURIComponent(workspace)}/${encodeURIComponent(slug)}`,
        `GET /repositories/${workspace}/${slug}`
      )
    }
  }
}
