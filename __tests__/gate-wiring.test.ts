// The gate as main.ts builds it: the client for github-api-url, used with
// the token, and each wait for a rate limit logged. Runs with previous-token
// alone and dry-run, so nothing but GitHub is asked.
import { jest, describe, it, expect, beforeEach, afterEach } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as core from '../__fixtures__/core.js'

jest.unstable_mockModule('@actions/core', () => core)
const { run } = await import('../src/main.js')
type GitHubClient = import('../src/github/api.js').GitHubClient
type Services = import('../src/stores/registry.js').Services

const TOKEN = 'unit-token-0123456789abcdef'
const PREVIOUS = 'unit-previous-token-0123456789'
const SAVED = ['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'GITHUB_API_URL', 'AWS_REGION'].map(
  (name) => [name, process.env[name]] as const
)

function inputs(values: Record<string, string> = {}) {
  core.setInputs({
    token: TOKEN,
    'previous-token': PREVIOUS,
    'dry-run': 'true',
    'verify-token': 'true',
    'follow-stacks': 'false',
    ...values
  })
}

// No AWS call is expected: any would throw.
const services = (): Services => {
  const none = () => {
    throw new Error('no AWS call expected')
  }
  return { pipelines: none, codebuild: none, secrets: none, parameters: none, stacks: none }
}

let server: Server | undefined

beforeEach(() => {
  core.resetCore()
  for (const [name] of SAVED) delete process.env[name]
})

afterEach(async () => {
  for (const [name, value] of SAVED) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
  const closing = server
  server = undefined
  if (closing) {
    closing.closeAllConnections()
    await new Promise((resolve) => closing.close(resolve))
  }
})

describe('the token gate in a run', () => {
  it('asks the client for github-api-url, with the token', async () => {
    const asked: string[] = []
    const client: GitHubClient = {
      as: (token) => ({
        getUser: async () => {
          asked.push(token.reveal())
          return { login: 'me', scopes: ['repo'], expiresAt: null, enterpriseVersion: null }
        },
        getHooks: async () => {},
        getRepo: async () => {
          throw new Error('no repository to check')
        },
        revoke: async () => {
          throw new Error('a dry run revokes nothing')
        }
      }),
      anonymous: () => ({
        revoke: async () => {
          throw new Error('a dry run revokes nothing')
        }
      })
    }
    const github = jest.fn((_baseUrl: string) => client)
    inputs({ 'github-api-url': 'https://ghe.example.com/api/v3/' })
    await run({ services, github })
    expect(core.setFailed).not.toHaveBeenCalled()
    expect(github).toHaveBeenCalledWith('https://ghe.example.com/api/v3')
    expect(asked).toEqual([TOKEN])
    expect(core.info).toHaveBeenCalledWith(
      'Token: classic token (scopes: repo) of me, no expiry, no repositories to check'
    )
  })

  it('asks GitHub at github-api-url by default, logging each wait for a rate limit', async () => {
    const seen: { path: string; authorization: string | undefined }[] = []
    let call = 0
    server = createServer((req, res) => {
      seen.push({ path: req.url ?? '', authorization: req.headers.authorization })
      if (call++ === 0) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' })
        res.end(JSON.stringify({ message: 'You have exceeded a secondary rate limit' }))
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'x-oauth-scopes': 'repo' })
        res.end(JSON.stringify({ login: 'octocat' }))
      }
    })
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3`
    inputs({ 'github-api-url': url })
    await run({ services })
    expect(core.setFailed).not.toHaveBeenCalled()
    expect(seen).toEqual([
      { path: '/api/v3/user', authorization: `token ${TOKEN}` },
      { path: '/api/v3/user', authorization: `token ${TOKEN}` }
    ])
    expect(core.info).toHaveBeenCalledWith(
      "Waiting 0 s for GitHub: GitHub's rate limit (429: You have exceeded a secondary rate limit)"
    )
    expect(core.info).toHaveBeenCalledWith(
      'Token: classic token (scopes: repo) of octocat, no expiry, no repositories to check'
    )
    expect(core.setOutput).toHaveBeenCalledWith('previous-token-revoked', 'false')
  })
})
