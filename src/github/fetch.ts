/*
 * `fetch` and `ProxyAgent` for the GitHub calls, in place of undici.
 * @actions/github and @actions/http-client import both from undici, which
 * would be 400 KB of a 1.5 MB bundle (and most of its start-up time) for
 * a handful of HTTPS requests. tsconfig.json's `paths` points their
 * `import … from 'undici'` here when ncc bundles.
 *
 * Requests go through node:https with @actions/http-client's agent, which
 * already honours HTTPS_PROXY / NO_PROXY (tunnelling through CONNECT): so
 * the ProxyAgent that http-client builds for undici is only a marker, and
 * the proxy is chosen the same way for GitHub as for every other Actions
 * call.
 *
 * One redirect policy for every request (redirectPolicy): a request that
 * carries a secret — a credential header, or a body (POST
 * /credentials/revoke lists the token being revoked) — never goes to another
 * origin (scheme, host and port); a request with a body follows no redirect
 * at all, so nothing it carries is sent twice. A redirect not followed is
 * answered as `redirect: 'manual'` would: the 3xx response itself, for the
 * caller to refuse (github/api.ts names it). Other redirects are followed as
 * fetch does (same method for 307/308, GET for 303), at most 5.
 */
import { HttpClient } from '@actions/http-client'
import { getProxyUrl } from '@actions/http-client/lib/proxy'
import * as http from 'node:http'
import * as https from 'node:https'

/** What @actions/http-client hands undici's fetch as a dispatcher; the agent below decides. */
export class ProxyAgent {
  constructor(readonly options: unknown) {}
}

const MAX_REDIRECTS = 5
const NO_BODY = new Set([101, 204, 205, 304])
// Built on first use: @actions/http-client imports this module while it loads.
// Direct connections are kept alive; tunnels through a proxy are not (the
// tunnel agent holds a kept-alive tunnel socket back from the next request).
let direct: HttpClient | undefined
let proxied: HttpClient | undefined
function agentFor(url: URL): http.Agent {
  if (getProxyUrl(url))
    return (proxied ??= new HttpClient('rotate-github-token-aws')).getAgent(url.href)
  return (direct ??= new HttpClient('rotate-github-token-aws', [], { keepAlive: true })).getAgent(
    url.href
  )
}

interface Init {
  method?: string
  headers?: Record<string, string> | [string, string][] | Headers
  body?: string | Uint8Array | null
  signal?: AbortSignal | null
  redirect?: string
}

function send(url: URL, init: Init, headers: Headers): Promise<Response> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: init.method ?? 'GET',
        headers: Object.fromEntries(headers),
        agent: agentFor(url),
        ...(init.signal ? { signal: init.signal } : {})
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('error', reject)
        response.on('end', () => {
          const status = response.statusCode ?? 0
          const answer = new Headers()
          for (const [name, value] of Object.entries(response.headers)) {
            for (const item of [value ?? []].flat()) answer.append(name, item)
          }
          const body = NO_BODY.has(status) ? null : Buffer.concat(chunks)
          const result = new Response(body, {
            status,
            statusText: response.statusMessage ?? '',
            headers: answer
          })
          Object.defineProperty(result, 'url', { value: url.href })
          resolve(result)
        })
      }
    )
    request.on('error', reject)
    request.end(init.body ?? undefined)
  })
}

/** Headers whose value is a credential: never sent to another origin. */
const CREDENTIAL_HEADER =
  /^(authorization|proxy-authorization|cookie)$|token|secret|password|api-?key/i

const hasBody = (body: Init['body']): boolean =>
  body !== undefined && body !== null && body.length > 0

/** Whether a request carries a secret: a credential header, or a body of any kind. */
function carriesSecret(headers: Headers, body: Init['body']): boolean {
  if (hasBody(body)) return true
  for (const name of headers.keys()) if (CREDENTIAL_HEADER.test(name)) return true
  return false
}

/**
 * Whether a redirect from `from` to `to` may be followed: never for a
 * request with a body or with `redirect` other than 'follow'; for one that
 * carries a credential header, only within its origin (scheme, host, port).
 */
export function redirectPolicy(
  from: URL,
  to: URL,
  request: { headers: Headers; body?: Init['body']; redirect?: string }
): 'follow' | 'refuse' {
  if (request.redirect !== undefined && request.redirect !== 'follow') return 'refuse'
  if (hasBody(request.body)) return 'refuse'
  if (from.origin !== to.origin && carriesSecret(request.headers, request.body)) return 'refuse'
  return 'follow'
}

export async function fetch(input: string | URL, init: Init = {}): Promise<Response> {
  let url = new URL(String(input))
  let current = { ...init }
  const headers = new Headers(init.headers)
  for (let hops = 0; ; hops++) {
    const response = await send(url, current, headers)
    const location = response.headers.get('location')
    if (![301, 302, 303, 307, 308].includes(response.status) || !location) return response
    let next: URL
    try {
      next = new URL(location, url)
    } catch {
      return response
    }
    if (hops >= MAX_REDIRECTS) return response
    // Not followed: the 3xx itself, as `redirect: 'manual'` answers.
    if (redirectPolicy(url, next, { ...current, headers }) === 'refuse') return response
    if (response.status === 303 && current.method !== 'GET' && current.method !== 'HEAD') {
      current = { ...current, method: 'GET' }
    }
    url = next
  }
}
