/**
 * The benchmark's measurements: seeding the fleet, and the contenders timed
 * against each other — the floor (a bare keep-alive client doing the same
 * GetPipeline + UpdatePipeline calls), the bundled action as the runner
 * starts it, the AWS CLI procedure it replaces, and the action's cold start
 * (spawn → its first request, through a timestamping proxy). Each action run
 * fails loudly when the emulator could not serve a call (an API it lacks).
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import {
  authorization,
  calls,
  createPipeline,
  resetCalls,
  type CallLogEntry,
  type EmulatorLike
} from '../test-support/emulator.js'
import {
  expirationHeader,
  type FakeGitHub,
  type FakeGitHubScenario
} from '../test-support/fake-github.js'
import {
  buildAction,
  githubSource,
  pipeline,
  setGitHubToken,
  type JsonObject
} from '../test-support/pipelines.js'
import { runAction, type RunResult } from '../test-support/run-action.js'

const execFileAsync = promisify(execFile)

export const REGION = 'us-east-1'
export const THROTTLE_REGION = 'us-west-2'
const OLD_TOKEN = 'bench-old-token'

// ------------------------------------------------------------------ a bare keep-alive client

/** One keep-alive agent for the floor: what the emulator itself costs, without an SDK. */
export const agent = new http.Agent({ keepAlive: true, maxSockets: 8 })

function request(
  url: string,
  {
    method = 'POST',
    headers = {},
    body
  }: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string }
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') })
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function codepipeline<T>(
  url: string,
  region: string,
  action: string,
  body: unknown
): Promise<T> {
  const payload = JSON.stringify(body)
  const target = `CodePipeline_20150709.${action}`
  const response = await request(url, {
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(payload),
      'x-amz-target': target,
      authorization: authorization(region, 'codepipeline')
    },
    body: payload
  })
  if (response.status !== 200) throw new Error(`${target} → ${response.status}: ${response.text}`)
  return (response.text ? JSON.parse(response.text) : {}) as T
}

/** Runs `task` over `items`, `concurrency` at a time. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>
): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T
      await task(item)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
}

// ------------------------------------------------------------------ seeding

export const nameOf = (prefix: string, i: number): string =>
  `${prefix}-${String(i).padStart(4, '0')}`

/** A classic V1 pipeline: one GitHub source (repository = the pipeline's name), one build. */
function benchPipeline(name: string, roleArn: string): JsonObject {
  return pipeline(name, [githubSource('Source', name, { token: OLD_TOKEN })], {
    roleArn,
    artifactBucket: 'bench-artifacts',
    build: [buildAction('Build', { project: 'bench-build', runOrder: 1, output: 'BuildOut' })]
  })
}

export async function seed(
  emulator: EmulatorLike,
  region: string,
  names: readonly string[],
  roleArn: string
): Promise<void> {
  await pool(names, 4, (name) => createPipeline(emulator, region, benchPipeline(name, roleArn)))
}

// ------------------------------------------------------------------ GitHub

/** A fresh token, which the fake GitHub knows from now on as a classic token that sees everything. */
export function newToken(scenario: FakeGitHubScenario): string {
  const token = `bench-token-${randomBytes(8).toString('hex')}`
  scenario.tokens[token] = {
    scopes: 'repo, admin:repo_hook',
    expiresAt: expirationHeader(new Date(Date.now() + 3650 * 86_400_000)),
    repos: '*'
  }
  return token
}

// ------------------------------------------------------------------ the action

export interface ActionRun {
  code: number | null
  /** Spawn → exit. */
  ms: number
  /** performance.now() at the spawn. */
  startedAt: number
  stdout: string
  stderr: string
  report: { status?: string }[]
}

export interface ActionRunOptions {
  /** The emulator's URL (or a proxy's in front of it). */
  url: string
  github: FakeGitHub
  token: string
  pipelines?: string
  regions?: string
  node?: 'current' | '24'
  bundle: string
  /** Inputs beyond the four every run passes (only the throttled scenario has one). */
  inputs?: Record<string, string>
}

/**
 * Runs dist/index.js as the runner does, with the action's defaults for
 * every input but token, pipelines, regions and github-api-url.
 */
export async function runActionOnce(options: ActionRunOptions): Promise<ActionRun> {
  const result: RunResult = await runAction({
    inputs: {
      token: options.token,
      pipelines: options.pipelines ?? '*',
      regions: options.regions ?? REGION,
      'github-api-url': options.github.url,
      ...options.inputs
    },
    node: options.node ?? 'current',
    bundle: options.bundle,
    env: { AWS_ENDPOINT_URL: options.url, AWS_REGION: REGION, GITHUB_RUN_ID: '1' }
  })
  let report: { status?: string }[] = []
  try {
    report = JSON.parse(result.outputs['report'] ?? '[]') as { status?: string }[]
  } catch {
    /* reported by checkAllUpdated as a failure */
  }
  return {
    code: result.code,
    ms: result.durationMs,
    startedAt: result.startedAt,
    stdout: result.stdout,
    stderr: result.stderr,
    report
  }
}

export function checkAllUpdated(result: ActionRun, expected: number, label: string): void {
  const updated = result.report.filter((e) => e.status === 'updated').length
  if (result.code !== 0 || updated !== expected) {
    const failed = result.report.filter((e) => e.status !== 'updated').slice(0, 5)
    throw new Error(
      `${label}: exit ${result.code}, ${updated}/${expected} updated\n${JSON.stringify(failed, null, 1)}\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-2000)}`
    )
  }
}

/**
 * Fails loudly when, since the last resetCalls, the emulator answered a call
 * with a server error no fault rule injected: an API it does not have (moto's
 * NotImplementedError) or one it broke on. The SDK retries those, so the run
 * would otherwise go on and its times would measure retries.
 */
export async function checkEmulatorServedAll(emulator: EmulatorLike, label: string): Promise<void> {
  const unserved = (await calls(emulator)).filter(
    (c: CallLogEntry) => c.status >= 500 && c.fault === null
  )
  if (unserved.length === 0) return
  const kinds = [
    ...new Set(unserved.map((c) => `${c.service} ${c.action} (${c.status} ${c.errorType ?? ''})`))
  ]
  throw new Error(
    `${label}: the emulator could not serve ${unserved.length} call(s): ${kinds.join(', ')}. ` +
      'The action calls an API the emulator lacks (or breaks on): teach the launcher, then re-run.'
  )
}

/** An action run whose call log is checked afterwards (see checkEmulatorServedAll). */
export async function runActionChecked(
  emulator: EmulatorLike,
  options: ActionRunOptions,
  label: string
): Promise<ActionRun> {
  await resetCalls(emulator)
  const result = await runActionOnce(options)
  await checkEmulatorServedAll(emulator, label)
  return result
}

// ------------------------------------------------------------------ the floor

/** The floor: the same two calls per pipeline from a bare keep-alive client, `concurrency` at a time. */
export async function runFloor(
  url: string,
  names: readonly string[],
  token: string,
  concurrency: number
): Promise<number> {
  agent.maxSockets = Math.max(concurrency, 8)
  const started = performance.now()
  await pool(names, concurrency, async (name) => {
    const got = await codepipeline<{ pipeline: JsonObject & { version: number } }>(
      url,
      REGION,
      'GetPipeline',
      { name }
    )
    const { pipeline: declaration } = got
    const updated = await codepipeline<{ pipeline?: { version?: number } }>(
      url,
      REGION,
      'UpdatePipeline',
      { pipeline: setGitHubToken(declaration, token) }
    )
    if (updated.pipeline?.version !== declaration.version + 1) {
      throw new Error(`floor: ${name} version`)
    }
  })
  return performance.now() - started
}

// ------------------------------------------------------------------ the AWS CLI procedure

/** The procedure the action replaces, with the AWS CLI, one pipeline after the other; ms per pipeline. */
export async function runSeedProcedure(
  url: string,
  names: readonly string[],
  token: string
): Promise<number> {
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_DEFAULT_REGION: REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: ''
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rotate-bench-cli-'))
  const started = performance.now()
  try {
    for (const name of names) {
      const cli = ['--endpoint-url', url, '--region', REGION, '--output', 'json', 'codepipeline']
      const { stdout } = await execFileAsync('aws', [...cli, 'get-pipeline', '--name', name], {
        env
      })
      const { pipeline: declaration } = JSON.parse(stdout) as { pipeline: JsonObject }
      const file = path.join(dir, `${name}.json`)
      writeFileSync(file, JSON.stringify({ pipeline: setGitHubToken(declaration, token) }), {
        mode: 0o600
      })
      await execFileAsync(
        'aws',
        [...cli, 'update-pipeline', '--cli-input-json', `file://${file}`],
        {
          env
        }
      )
      rmSync(file)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return (performance.now() - started) / names.length
}

// ------------------------------------------------------------------ cold start

/**
 * Cold start: spawn → the action's first request, to AWS (timestamped by a
 * proxy in front of the emulator) or to GitHub (the fake records when each
 * request arrived), whichever comes first; in ms.
 */
export async function coldStart(
  emulator: EmulatorLike,
  github: FakeGitHub,
  scenario: FakeGitHubScenario,
  node: 'current' | '24',
  name: string,
  bundle: string
): Promise<number> {
  const target = new URL(emulator.url)
  let firstAws: number | undefined
  const proxy = http.createServer((req, res) => {
    firstAws ??= performance.now()
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers
      },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers)
        reply.pipe(res)
      }
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  const seen = github.requests.length
  try {
    await resetCalls(emulator)
    const result = await runActionOnce({
      url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      github,
      token: newToken(scenario),
      pipelines: name,
      node,
      bundle
    })
    checkAllUpdated(result, 1, 'cold start run')
    await checkEmulatorServedAll(emulator, 'cold start run')
    // RecordedRequest.time is epoch ms; performance.now() counts from timeOrigin.
    const firstGitHubEpoch = github.requests.slice(seen)[0]?.time
    const firstGitHub =
      firstGitHubEpoch === undefined ? undefined : firstGitHubEpoch - performance.timeOrigin
    const first = Math.min(firstAws ?? Infinity, firstGitHub ?? Infinity)
    if (!Number.isFinite(first)) throw new Error('cold start run: the action sent no request')
    return first - result.startedAt
  } finally {
    proxy.closeAllConnections()
    await new Promise((resolve) => proxy.close(resolve))
  }
}
