import { afterEach, describe, expect, it } from '@jest/globals'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ProxyAgent, fetch, redirectPolicy } from '../src/github/fetch.js'

// tsconfig.json points every bundled `import ... from 'undici'` at
// src/github/fetch.ts. A dependency update that imports anything else from
// undici would bundle without error and fail at run time: this catches it.
const root = fileURLToPath(new URL('..', import.meta.url))

function sources(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry)
    if (entry === 'undici' || entry === '.bin') continue
    const stat = statSync(full)
    if (stat.isDirectory()) sources(full, found)
    else if (/\.(c|m)?js$/.test(entry)) found.push(full)
  }
  return found
}

describe('the fetch shim', () => {
  it('exports everything the bundled dependencies import from undici', async () => {
    const tsconfig = readFileSync(path.join(root, 'tsconfig.json'), 'utf8')
    expect(tsconfig).toMatch(/"paths":\s*\{\s*"undici":\s*\["\.\/src\/github\/fetch\.ts"\]/)

    const imported = new Map<string, string[]>()
    const unsupported: string[] = []
    for (const file of sources(path.join(root, 'node_modules', '@actions'))) {
      const text = readFileSync(file, 'utf8')
      if (!text.includes('undici')) continue
      const relative = path.relative(root, file)
      for (const match of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*['"]undici['"]/g)) {
        for (const name of (match[1] ?? '').split(',').map((n) => n.trim().split(/\s+as\s+/)[0])) {
          if (name) imported.set(name, [...(imported.get(name) ?? []), relative])
        }
      }
      // CommonJS (a nested @actions/http-client): `const undici_1 = require("undici")`.
      for (const match of text.matchAll(/(\w+)\s*=\s*require\(['"]undici['"]\)/g)) {
        const uses = new RegExp(`\\b${match[1]}\\.(\\w+)`, 'g')
        for (const use of text.matchAll(uses)) {
          const name = use[1] ?? ''
          imported.set(name, [...(imported.get(name) ?? []), relative])
        }
      }
      // Forms the shim cannot serve name by name: a namespace or default import.
      if (/import\s+(\*|\w+)[^;]*from\s*['"]undici['"]/.test(text)) unsupported.push(relative)
    }
    expect(unsupported).toEqual([])
    expect(imported.size).toBeGreaterThan(0)

    const shim = await import('../src/github/fetch.js')
    expect([...imported.keys()].filter((name) => !(name in shim))).toEqual([])
  })
})

// ---------------------------------------------------------------------------
// The shim itself, against local servers.

interface Seen {
  method: string
  path: string
  headers: IncomingMessage['headers']
  body: string
}
type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void

const servers: Server[] = []

/** A server on 127.0.0.1 that records each request; returns its origin and what it saw. */
async function serve(handler: Handler): Promise<{ origin: string; seen: Seen[] }> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const entry = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8')
      }
      seen.push(entry)
      handler(req, res, entry)
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** Redirects /from to `to` with `status`; answers anything else with what it received. */
const redirecting =
  (status: number, to: (origin: string) => string, origin: () => string): Handler =>
  (req, res, seen) => {
    if (req.url === '/from') {
      res.writeHead(status, { location: to(origin()) })
      res.end('moved')
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ method: seen.method, body: seen.body }))
  }

async function redirectServer(status: number, to = (origin: string) => `${origin}/to`) {
  let origin = ''
  const server = await serve(redirecting(status, to, () => origin))
  origin = server.origin
  return server
}

describe('fetch', () => {
  it('sends the method, the headers and the body, and returns status, headers and body', async () => {
    const { origin, seen } = await serve((_req, res) => {
      res.writeHead(201, 'Made', { 'content-type': 'application/json', 'x-answer': '42' })
      res.end('{"ok":true}')
    })
    const response = await fetch(`${origin}/api/v3/things?x=1`, {
      method: 'POST',
      headers: { authorization: 'token abc', 'content-type': 'application/json' },
      body: '{"credentials":["x"]}'
    })
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({
      method: 'POST',
      path: '/api/v3/things?x=1',
      body: '{"credentials":["x"]}'
    })
    expect(seen[0]?.headers).toMatchObject({
      authorization: 'token abc',
      'content-type': 'application/json',
      'content-length': '21'
    })
    expect(response.status).toBe(201)
    expect(response.statusText).toBe('Made')
    expect(response.ok).toBe(true)
    expect(response.headers.get('x-answer')).toBe('42')
    expect(response.url).toBe(`${origin}/api/v3/things?x=1`)
    expect(await response.json()).toEqual({ ok: true })
  })

  it('takes the headers as a Headers object or as pairs, and a URL object', async () => {
    const { origin, seen } = await serve((_req, res) => res.end())
    await fetch(new URL(`${origin}/a`), { headers: new Headers({ 'x-one': '1' }) })
    await fetch(`${origin}/b`, { headers: [['x-two', '2']] })
    expect(seen.map((s) => [s.method, s.path, s.headers['x-one'] ?? s.headers['x-two']])).toEqual([
      ['GET', '/a', '1'],
      ['GET', '/b', '2']
    ])
  })

  it('sends a Uint8Array body as it is', async () => {
    const { origin, seen } = await serve((_req, res) => res.end())
    await fetch(`${origin}/`, { method: 'PUT', body: new TextEncoder().encode('bytes ✓') })
    expect(seen[0]).toMatchObject({ method: 'PUT', body: 'bytes ✓' })
  })

  it('returns an error status as a response, with its body', async () => {
    const { origin } = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end('{"message":"Not Found"}')
    })
    const response = await fetch(`${origin}/missing`)
    expect(response.status).toBe(404)
    expect(response.ok).toBe(false)
    expect(await response.json()).toEqual({ message: 'Not Found' })
  })

  it.each([204, 205, 304])('gives a %i no body', async (status) => {
    const { origin } = await serve((_req, res) => {
      res.writeHead(status)
      res.end()
    })
    const response = await fetch(`${origin}/`)
    expect(response.status).toBe(status)
    expect(response.body).toBeNull()
    expect(await response.text()).toBe('')
  })

  it('keeps every value of a repeated response header', async () => {
    const { origin } = await serve((_req, res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2'])
      res.end('x')
    })
    const response = await fetch(`${origin}/`)
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
  })

  it('rejects when the connection fails', async () => {
    const { origin } = await serve((req) => req.socket.destroy())
    await expect(fetch(`${origin}/`)).rejects.toThrow()
  })

  it('rejects when the signal aborts', async () => {
    const { origin } = await serve(() => {
      // never answers
    })
    await expect(fetch(`${origin}/`, { signal: AbortSignal.timeout(50) })).rejects.toThrow()
  })

  // A request with a body follows no redirect, so nothing it carries
  // (POST /credentials/revoke lists a token) is sent twice.
  it.each([301, 302, 303, 307, 308])(
    'does not follow a %i of a request with a body, even within its origin',
    async (status) => {
      const { origin, seen } = await redirectServer(status)
      const response = await fetch(`${origin}/from`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"credentials":["secret"]}'
      })
      expect(response.status).toBe(status)
      expect(response.headers.get('location')).toBe(`${origin}/to`)
      expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /from'])
    }
  )

  it('does not follow for a Uint8Array body either', async () => {
    const { origin, seen } = await redirectServer(307)
    const response = await fetch(`${origin}/from`, {
      method: 'PUT',
      body: new TextEncoder().encode('x')
    })
    expect(response.status).toBe(307)
    expect(seen).toHaveLength(1)
  })

  it('turns a bodiless PUT into GET on a 303, and keeps a PATCH on a 301 as fetch does', async () => {
    const see = await redirectServer(303)
    expect(await (await fetch(`${see.origin}/from`, { method: 'PUT' })).json()).toEqual({
      method: 'GET',
      body: ''
    })
    const moved = await redirectServer(301)
    expect(await (await fetch(`${moved.origin}/from`, { method: 'PATCH' })).json()).toEqual({
      method: 'PATCH',
      body: ''
    })
  })

  it('follows a relative Location', async () => {
    const { origin, seen } = await redirectServer(302, () => '/to?page=2')
    const response = await fetch(`${origin}/from`)
    expect(response.url).toBe(`${origin}/to?page=2`)
    expect(seen.map((s) => s.path)).toEqual(['/from', '/to?page=2'])
  })

  it('keeps Authorization on a same-origin redirect', async () => {
    const { origin, seen } = await redirectServer(302)
    await fetch(`${origin}/from`, { headers: { authorization: 'token abc' } })
    expect(seen.map((s) => s.headers.authorization)).toEqual(['token abc', 'token abc'])
  })

  // A credential goes to no other origin, not even stripped of its header.
  it.each([301, 302, 303, 307, 308])(
    'does not follow a %i to another origin of a request with a credential header',
    async (status) => {
      const other = await serve((_req, res) => res.end('other'))
      // Another port of the same host is another origin.
      const { origin, seen } = await redirectServer(status, () => `${other.origin}/elsewhere`)
      for (const headers of <Record<string, string>[]>[
        { authorization: 'token abc' },
        { 'proxy-authorization': 'Basic abc' },
        { cookie: 'session=abc' },
        { 'x-api-key': 'abc' },
        { 'private-token': 'abc' }
      ]) {
        const response = await fetch(`${origin}/from`, { headers })
        expect(response.status).toBe(status)
        expect(response.headers.get('location')).toBe(`${other.origin}/elsewhere`)
      }
      expect(seen).toHaveLength(5)
      expect(other.seen).toEqual([])
    }
  )

  it('follows a redirect to another origin of a request that carries no secret', async () => {
    const other = await serve((_req, res) => res.end('other'))
    const { origin } = await redirectServer(307, () => `${other.origin}/elsewhere`)
    const response = await fetch(`${origin}/from`, { headers: { 'x-keep': 'yes' } })
    expect(await response.text()).toBe('other')
    expect(response.url).toBe(`${other.origin}/elsewhere`)
    expect(other.seen[0]?.headers['x-keep']).toBe('yes')
  })

  it('returns a redirect whose Location is no URL as it is', async () => {
    const { origin, seen } = await redirectServer(302, () => 'http://[broken')
    const response = await fetch(`${origin}/from`)
    expect(response.status).toBe(302)
    expect(seen).toHaveLength(1)
  })

  it('does not follow with redirect: manual', async () => {
    const { origin, seen } = await redirectServer(302)
    const response = await fetch(`${origin}/from`, { redirect: 'manual' })
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(`${origin}/to`)
    expect(seen).toHaveLength(1)
  })

  it('returns a redirect without Location as it is', async () => {
    const { origin, seen } = await serve((_req, res) => {
      res.writeHead(302)
      res.end('nowhere')
    })
    const response = await fetch(`${origin}/`)
    expect(response.status).toBe(302)
    expect(await response.text()).toBe('nowhere')
    expect(seen).toHaveLength(1)
  })

  it('follows at most 5 redirects, then returns the last one', async () => {
    const { origin, seen } = await serve((req, res) => {
      const n = Number(req.url?.split('/')[2] ?? 0)
      res.writeHead(302, { location: `/r/${n + 1}` })
      res.end()
    })
    const response = await fetch(`${origin}/r/0`)
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/r/6')
    expect(seen.map((s) => s.path)).toEqual(['/r/0', '/r/1', '/r/2', '/r/3', '/r/4', '/r/5'])
  })
})

describe('redirectPolicy', () => {
  const from = new URL('https://api.github.com/user')
  const policy = (to: string, request: Parameters<typeof redirectPolicy>[2]) =>
    redirectPolicy(from, new URL(to), request)
  const auth = new Headers({ authorization: 'token abc' })

  it('compares scheme, host and port', () => {
    expect(policy('https://api.github.com/users/1', { headers: auth })).toBe('follow')
    expect(policy('https://api.github.com:443/x', { headers: auth })).toBe('follow')
    expect(policy('http://api.github.com/x', { headers: auth })).toBe('refuse')
    expect(policy('https://api.github.com:8443/x', { headers: auth })).toBe('refuse')
    expect(policy('https://evil.example/x', { headers: auth })).toBe('refuse')
    expect(policy('https://evil.example/x', { headers: new Headers() })).toBe('follow')
  })

  it('refuses every redirect of a request with a body or with redirect other than follow', () => {
    const headers = new Headers()
    expect(policy('https://api.github.com/x', { headers, body: '{}' })).toBe('refuse')
    expect(policy('https://api.github.com/x', { headers, body: '' })).toBe('follow')
    expect(policy('https://api.github.com/x', { headers, body: null })).toBe('follow')
    expect(policy('https://api.github.com/x', { headers, redirect: 'manual' })).toBe('refuse')
    expect(policy('https://api.github.com/x', { headers, redirect: 'error' })).toBe('refuse')
    expect(policy('https://api.github.com/x', { headers, redirect: 'follow' })).toBe('follow')
  })
})

describe('ProxyAgent', () => {
  it('only keeps what it was given: the agent of @actions/http-client picks the proxy', () => {
    const options = { uri: 'http://proxy.example:3128' }
    expect(new ProxyAgent(options).options).toBe(options)
  })
})
