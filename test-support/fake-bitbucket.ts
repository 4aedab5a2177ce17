/**
 * A local stand-in for Bitbucket Cloud's REST API (`bitbucket-api-url`), in
 * the same harness as the fake GitHub (plain node:http on 127.0.0.1 and an
 * ephemeral port; the scenario is read on every request), answering as
 * Bitbucket does:
 *
 * - `GET /2.0/user`: 200 with the account for an API token sent as HTTP
 *   Basic `email:token`; 401 for a wrong email, an unknown or revoked token,
 *   an access token (which belongs to no user), and for an app password
 *   (sent as `username:password`) with the brownout message Atlassian sent
 *   while disabling them;
 * - `GET /2.0/repositories/{workspace}/{repo_slug}`: 200 for a repository
 *   the credential reaches, 403 for one it may see but its scopes do not
 *   cover, 404 for one it cannot see, 401 for a bad credential.
 *
 * Errors are Bitbucket's JSON error body, `{"type":"error","error":{"message":…}}`.
 * What it records of each request is the method, the path, the scheme of
 * the Authorization header and the status — never a credential.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** How a credential sees a repository; repositories not listed answer 404. */
type RepoAccess = 'ok' | 'forbidden' | 'missing'

interface BitbucketApiToken {
  /** The Atlassian account email the token must be sent with. */
  email: string
  displayName?: string
  revoked?: boolean
  /** Keys are `workspace/repo_slug`; `'*'`: every repository answers 200. */
  repos?: Record<string, RepoAccess> | '*'
}

interface BitbucketAccessToken {
  revoked?: boolean
  /** Keys are `workspace/repo_slug`; `'*'`: every repository answers 200. */
  repos: Record<string, RepoAccess> | '*'
}

export interface FakeBitbucketScenario {
  /** API tokens, keyed by token value. */
  apiTokens?: Record<string, BitbucketApiToken>
  /** Repository, project or workspace access tokens (Bearer), keyed by token value. */
  accessTokens?: Record<string, BitbucketAccessToken>
  /** App passwords, keyed by value, with the Bitbucket user name they were sent with: all refused. */
  appPasswords?: Record<string, { username: string }>
}

interface RecordedRequest {
  method: string
  path: string
  /** The Authorization scheme sent (`basic`, `bearer`), or `none`; never its value. */
  auth: string
  status: number
}

export interface FakeBitbucket {
  /** The value for `bitbucket-api-url`: `http://127.0.0.1:PORT/2.0`. */
  url: string
  requests: RecordedRequest[]
  close(): Promise<void>
}

/** The message Bitbucket answered app passwords with during the 2026 brownouts. */
export const BROWNOUT_MESSAGE =
  'App passwords are deprecated and are being disabled: this request was refused during a scheduled brownout. Use an API token instead.'

const NOT_FOUND =
  'You may not have access to this repository or it no longer exists in this workspace. If you think this repository exists and you have access, make sure you are authenticated.'
const FORBIDDEN = 'Your credentials lack one or more required privilege scopes.'

type Credential =
  | { kind: 'api'; token: BitbucketApiToken }
  | { kind: 'access'; token: BitbucketAccessToken }
  | { kind: 'app-password' }
  | { kind: 'bad' }
  | { kind: 'none' }

const own = <T>(record: Record<string, T> | undefined, key: string): T | undefined =>
  record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined

function accessOf(repos: Record<string, RepoAccess> | '*' | undefined, wanted: string): RepoAccess {
  if (repos === '*') return 'ok'
  const found = Object.entries(repos ?? {}).find(([k]) => k.toLowerCase() === wanted.toLowerCase())
  return found?.[1] ?? 'missing'
}

export async function startFakeBitbucket(scenario: FakeBitbucketScenario): Promise<FakeBitbucket> {
  const requests: RecordedRequest[] = []

  function identify(header: string | undefined): Credential {
    if (header === undefined) return { kind: 'none' }
    const bearer = /^bearer\s+(\S+)\s*$/i.exec(header)?.[1]
    if (bearer !== undefined) {
      const token = own(scenario.accessTokens, bearer)
      return token && !token.revoked ? { kind: 'access', token } : { kind: 'bad' }
    }
    const basic = /^basic\s+(\S+)\s*$/i.exec(header)?.[1]
    if (basic === undefined) return { kind: 'bad' }
    const decoded = Buffer.from(basic, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) return { kind: 'bad' }
    const user = decoded.slice(0, colon)
    const secret = decoded.slice(colon + 1)
    const token = own(scenario.apiTokens, secret)
    if (token && !token.revoked && token.email.toLowerCase() === user.toLowerCase()) {
      return { kind: 'api', token }
    }
    const app = own(scenario.appPasswords, secret)
    if (app && app.username === user) return { kind: 'app-password' }
    return { kind: 'bad' }
  }

  function send(
    res: ServerResponse,
    status: number,
    body: unknown,
    extra: Record<string, string> = {}
  ) {
    const text = JSON.stringify(body)
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
      'x-request-id': randomUUID(),
      'x-accepted-oauth-scopes': extra['scopes'] ?? '',
      ...(status === 401 ? { 'www-authenticate': 'Basic realm="Bitbucket.org HTTP"' } : {})
    })
    res.end(text)
  }
  const error = (message: string) => ({ type: 'error', error: { message } })

  function handle(req: IncomingMessage, res: ServerResponse): number {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    const repo = /^\/2\.0\/repositories\/([^/]+)\/([^/]+)\/?$/.exec(path)
    if (req.method !== 'GET' || (path !== '/2.0/user' && !repo)) {
      send(res, 404, error('Resource not found'))
      return 404
    }
    const credential = identify(req.headers.authorization)
    if (credential.kind === 'app-password') {
      send(res, 401, error(BROWNOUT_MESSAGE))
      return 401
    }
    if (credential.kind === 'bad') {
      send(res, 401, error('Unauthorized'))
      return 401
    }
    if (path === '/2.0/user') {
      if (credential.kind !== 'api') {
        // An access token belongs to no user; anonymous requests need one.
        send(res, 401, error('Unauthorized'))
        return 401
      }
      const email = credential.token.email
      send(
        res,
        200,
        {
          type: 'user',
          display_name: credential.token.displayName ?? email.split('@')[0],
          nickname: email.split('@')[0],
          account_id: '557058:00000000-0000-4000-8000-000000000000',
          uuid: '{00000000-0000-4000-8000-000000000001}'
        },
        { scopes: 'read:user:bitbucket' }
      )
      return 200
    }
    const full = `${decodeURIComponent(repo?.[1] ?? '')}/${decodeURIComponent(repo?.[2] ?? '')}`
    const access = credential.kind === 'none' ? 'missing' : accessOf(credential.token.repos, full)
    if (access === 'forbidden') {
      send(res, 403, error(FORBIDDEN), { scopes: 'read:repository:bitbucket' })
      return 403
    }
    if (access === 'missing') {
      send(res, 404, error(NOT_FOUND))
      return 404
    }
    send(
      res,
      200,
      { type: 'repository', full_name: full, is_private: true, scm: 'git' },
      { scopes: 'read:repository:bitbucket' }
    )
    return 200
  }

  const server = createServer((req, res) => {
    let status = 500
    try {
      status = handle(req, res)
    } catch (caught) {
      send(res, 500, error(String(caught)))
    }
    const header = req.headers.authorization
    requests.push({
      method: req.method ?? '',
      path: new URL(req.url ?? '/', 'http://127.0.0.1').pathname,
      auth: header === undefined ? 'none' : (header.split(/\s+/)[0] ?? '').toLowerCase(),
      status
    })
    req.resume()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/2.0`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()))
        server.closeAllConnections()
      })
  }
}
