/**
 * Resilience through the bundled action: the emulator throttles every API
 * (token bucket, ThrottlingException "Rate exceeded") or injects faults —
 * HTTP 500/503, connection resets before and after the write reaches moto,
 * answers slower than the client timeout, throttling bursts on UpdatePipeline
 * only. Whatever happens, every pipeline ends either updated or reported as
 * failed with the reason, none is left half-written, and a re-run without
 * faults completes the rest while changing nothing already done but the
 * version. Speed is measured by `npm run bench`, not here.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import {
  calls,
  control,
  createPipeline,
  storedPipeline,
  writeCalls
} from '../test-support/emulator.js'
import {
  OLD_TOKEN,
  CUSTOM_SECRET,
  classicV1,
  oauthTokens,
  seedCorpus,
  withoutTokenAndVersion
} from '../test-support/corpus.js'
import { startFakeGitHub, type FakeGitHub } from '../test-support/fake-github.js'
import { useEmulator } from '../test-support/jest.js'
import { findLeaks, runAction, type RunResult } from '../test-support/run-action.js'

const TOKEN = `e2e-token-${randomBytes(12).toString('hex')}`
const REGIONS = 'us-east-1, eu-west-1'
const emulator = useEmulator()
let github: FakeGitHub | undefined

/** Every pipeline that holds a GitHub token after `seedFleet`, as [region, name]. */
let fleet: [string, string][] = []

/** The corpus (full-v2 with its custom action secret, classic-v1, eu-app, connections-only) and `extra` classic pipelines. */
async function seedFleet(extra: number, region = 'us-east-1'): Promise<void> {
  const roleArn = await seedCorpus(emulator)
  fleet = [
    ['us-east-1', 'classic-v1'],
    ['us-east-1', 'full-v2'],
    ['eu-west-1', 'eu-app']
  ]
  for (let i = 0; i < extra; i++) {
    const name = `fleet-${String(i).padStart(3, '0')}`
    await createPipeline(emulator, region, classicV1(roleArn, name, name))
    fleet.push([region, name])
  }
}

beforeEach(async () => {
  await control(emulator, '/_emulator/calls/reset', {})
})
afterEach(async () => {
  await github?.close()
  github = undefined
})

type Mode = 'write on read' | 'check first'
const MODES: Mode[] = ['write on read', 'check first']

/**
 * 'write on read': verify-token false, so each pipeline is written as soon as
 * it is read. 'check first': a stand-in for GitHub accepts the token, so every
 * pipeline is read and the token checked before anything is written.
 */
async function run(mode: Mode, env: Record<string, string> = {}): Promise<RunResult> {
  let inputs: Record<string, string> = { 'verify-token': 'false' }
  if (mode === 'check first') {
    const repos = Object.fromEntries(
      ['app', 'lib', 'classic', 'eu-app', ...fleet.map(([, name]) => name)].map((repo) => [
        `example-org/${repo}`,
        'ok' as const
      ])
    )
    github ??= await startFakeGitHub({ tokens: { [TOKEN]: { scopes: 'repo', repos } } })
    inputs = { 'verify-token': 'true' }
  }
  const result = await runAction({
    inputs: { token: TOKEN, pipelines: '*', regions: REGIONS, ...inputs },
    githubApiUrl: github?.url,
    env: { AWS_ENDPOINT_URL: emulator.url, ...env }
  })
  // Every run, whatever its outcome: the token shows only in the add-mask command.
  expect(findLeaks(result, [TOKEN])).toEqual([])
  return result
}

interface ReportEntry {
  region: string
  pipeline: string
  status: string
  versionBefore?: number
  versionAfter?: number
  error?: string
  note?: string
}
const report = (result: RunResult) => JSON.parse(result.outputs['report'] ?? '[]') as ReportEntry[]
const entry = (result: RunResult, region: string, pipeline: string) =>
  report(result).find((e) => e.region === region && e.pipeline === pipeline)

type Pipeline = Record<string, unknown>

/** The pipelines as moto stores them (secrets unmasked), keyed "region/name". */
async function stored(): Promise<Map<string, Pipeline>> {
  const out = new Map<string, Pipeline>()
  for (const [region, name] of fleet) {
    out.set(`${region}/${name}`, (await storedPipeline(emulator, region, name)).pipeline)
  }
  return out
}

/**
 * Every pipeline is either updated, or failed with a reason; what is stored
 * is the original, or the original with only its OAuth tokens (and version)
 * changed — never anything in between.
 */
async function expectWholeOrUntouched(
  result: RunResult,
  before: Map<string, Pipeline>,
  { lateWrites = false } = {}
) {
  const after = await stored()
  const outcome = { updated: 0, failed: 0, untouched: 0 }
  for (const [region, name] of fleet) {
    const key = `${region}/${name}`
    const was = before.get(key)!
    const now = after.get(key)!
    expect({ key, rest: withoutTokenAndVersion(now) }).toEqual({
      key,
      rest: withoutTokenAndVersion(was)
    })
    const tokens = oauthTokens(now)
    const rotated = tokens.length > 0 && tokens.every((t) => t === TOKEN)
    const untouched = tokens.every((t) => t === OLD_TOKEN) && now['version'] === was['version']
    expect({ key, whole: rotated || untouched }).toEqual({ key, whole: true })
    if (rotated) expect(Number(now['version'])).toBeGreaterThan(Number(was['version']))
    if (untouched) outcome.untouched++

    const e = entry(result, region, name)
    expect({ key, status: e?.status }).toEqual({
      key,
      status: expect.stringMatching(/^(updated|failed)$/)
    })
    if (e?.status === 'updated') {
      outcome.updated++
      expect({ key, rotated }).toEqual({ key, rotated: true })
      // A timed-out attempt that lands after the retry writes the same again.
      if (lateWrites) expect(Number(now['version'])).toBeGreaterThanOrEqual(e.versionAfter ?? NaN)
      else expect(e.versionAfter).toBe(now['version'])
    } else {
      outcome.failed++
      expect(e?.error).toMatch(/\w.*re-run/)
    }
  }
  // The custom action's secret went back as **** and was kept.
  expect(JSON.stringify(after.get('us-east-1/full-v2'))).toContain(CUSTOM_SECRET)
  const failures = report(result).filter((e) => e.status === 'failed').length
  expect(result.code).toBe(failures > 0 ? 1 : 0)
  if (failures > 0)
    expect(result.stdout).toMatch(new RegExp(`::error::${failures} target\\(s\\) failed:`))
  return { outcome, after }
}

/** A re-run without faults completes everything; what was done only changes version. */
async function expectRerunCompletes(
  mode: Mode,
  before: Map<string, Pipeline>,
  first: Map<string, Pipeline>
) {
  await control(emulator, '/_emulator/config', { throttle: null, faults: null })
  await control(emulator, '/_emulator/calls/reset', {})
  const result = await run(mode)
  expect(result.code).toBe(0)
  const after = await stored()
  for (const [region, name] of fleet) {
    const key = `${region}/${name}`
    const now = after.get(key)!
    expect(entry(result, region, name)?.status).toBe('updated')
    expect({ key, tokens: oauthTokens(now).every((t) => t === TOKEN) }).toEqual({
      key,
      tokens: true
    })
    expect(withoutTokenAndVersion(now)).toEqual(withoutTokenAndVersion(before.get(key)!))
    expect({ key, version: now['version'] }).toEqual({
      key,
      version: Number(first.get(key)!['version']) + 1
    })
  }
  // Exactly one write per pipeline.
  const writes = (await writeCalls(emulator)).filter((c) => c.status === 200)
  expect(writes.map((c) => c.action)).toEqual(fleet.map(() => 'UpdatePipeline'))
  expect(entry(result, 'us-east-1', 'connections-only')?.status).toBe('skipped')
}

async function settle(faults: Fault[]): Promise<void> {
  const longest = Math.max(0, ...faults.map((f) => (f.kind === 'delay' ? (f.delayMs ?? 0) : 0)))
  if (longest > 0) await new Promise((resolve) => setTimeout(resolve, longest + 500))
}

interface Fault {
  action: string
  kind: 'status' | 'reset' | 'delay' | 'throttle'
  status?: number
  when?: 'before' | 'after'
  delayMs?: number
  every?: number
  after?: number
  count?: number
}

const SCENARIOS: {
  name: string
  faults: Fault[]
  env?: Record<string, string>
  seen: RegExp
  allUpdated?: boolean
  /** The client timed out and retried (the same call shows twice in the log). */
  timedOut?: boolean
}[] = [
  {
    name: 'HTTP 500 and 503 on GetPipeline and UpdatePipeline',
    faults: [
      { action: 'GetPipeline', kind: 'status', status: 500, every: 4 },
      { action: 'GetPipeline', kind: 'status', status: 503, every: 5 },
      { action: 'UpdatePipeline', kind: 'status', status: 503, every: 3 },
      { action: 'UpdatePipeline', kind: 'status', status: 500, every: 7 }
    ],
    seen: /status/,
    // Retried by the SDK: nothing is left to fail.
    allUpdated: true
  },
  {
    name: 'connection resets before and after the write reaches moto',
    faults: [
      { action: 'GetPipeline', kind: 'reset', every: 4 },
      { action: 'UpdatePipeline', kind: 'reset', when: 'before', every: 3 },
      { action: 'UpdatePipeline', kind: 'reset', when: 'after', every: 4 }
    ],
    seen: /reset/
  },
  {
    // Slower than the SDK's 10 s request timeout (src/aws/client.ts): the
    // client gives up and retries while the first attempt may still land.
    name: 'answers slower than the client timeout',
    faults: [
      { action: 'GetPipeline', kind: 'delay', when: 'before', delayMs: 10_500, every: 5 },
      { action: 'UpdatePipeline', kind: 'delay', when: 'after', delayMs: 10_500, every: 4 },
      { action: 'UpdatePipeline', kind: 'delay', when: 'before', delayMs: 10_500, every: 6 }
    ],
    seen: /delay/,
    timedOut: true
  },
  {
    name: 'throttling bursts on UpdatePipeline only',
    faults: [
      // Bursts by count: every UpdatePipeline is refused until the burst is
      // spent, however slowly the client retries (AWS throttles by rate).
      { action: 'UpdatePipeline', kind: 'throttle', after: 2, count: 6 },
      { action: 'UpdatePipeline', kind: 'throttle', after: 14, count: 3 }
    ],
    seen: /throttle/
  }
]

describe.each(MODES)('faults (%s)', (mode) => {
  it.each(SCENARIOS)(
    '$name: every pipeline whole, a re-run completes the rest',
    async (scenario) => {
      await seedFleet(9)
      const before = await stored()
      await control(emulator, '/_emulator/calls/reset', {})
      await control(emulator, '/_emulator/config', { faults: scenario.faults })

      const result = await run(mode, scenario.env)
      // A request the client gave up on may still be asleep in the emulator and
      // land later, as on AWS: let it, before looking.
      await settle(scenario.faults)

      // The faults did happen, to the actions they were meant for.
      const injected = (await calls(emulator)) as unknown as {
        action: string
        fault: string | null
      }[]
      const faulted = injected.filter((c) => c.fault)
      expect(faulted.length).toBeGreaterThan(0)
      for (const call of faulted) expect(call.fault).toMatch(scenario.seen)
      expect(new Set(faulted.map((c) => c.action))).toEqual(
        new Set(scenario.faults.map((f) => f.action))
      )

      const { outcome, after } = await expectWholeOrUntouched(result, before, {
        lateWrites: scenario.faults.some((f) => f.kind === 'delay' && f.when === 'before')
      })
      if (scenario.allUpdated) expect(outcome).toMatchObject({ updated: fleet.length, failed: 0 })
      if (scenario.timedOut) {
        // Each delayed UpdatePipeline that landed was retried: the retry finds the
        // version two ahead and says the SDK's retry explains it.
        expect(
          report(result).some((e) => /the SDK retried UpdatePipeline/.test(e.note ?? ''))
        ).toBe(true)
      }
      if (scenario.seen.source === 'throttle') {
        expect(result.stdout).toMatch(/AWS is throttling UpdatePipeline\S* in us-east-1/)
        expect(result.stdout).not.toMatch(/AWS is throttling GetPipeline/)
      }
      await expectRerunCompletes(mode, before, after)
    },
    180000
  )
})

describe('a fault that does not go away', () => {
  it('fails every pipeline it hits with the server error and a re-run hint, writing nothing; a re-run completes', async () => {
    await seedFleet(0)
    const before = await stored()
    await control(emulator, '/_emulator/config', {
      faults: [{ action: 'UpdatePipeline', kind: 'status', status: 500 }]
    })

    const result = await run('write on read')

    expect(result.code).toBe(1)
    for (const [region, name] of fleet) {
      expect(entry(result, region, name)).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(
          /^InternalFailure: Emulated fault: HTTP 500 — AWS had a server error after retries: re-run$/
        )
      })
    }
    expect(result.stdout).toMatch(/::error::3 target\(s\) failed:/)
    expect(result.stdout).toMatch(
      /us-east-1 pipeline full-v2: InternalFailure: .*server error.*re-run/
    )
    // Nothing landed: every pipeline is exactly as it was.
    expect(await stored()).toEqual(before)
    // The SDK retried each write before giving up.
    const attempts = (await calls(emulator)).filter((c) => c.action === 'UpdatePipeline').length
    expect(attempts).toBeGreaterThan(fleet.length)

    await expectRerunCompletes('write on read', before, before)
  }, 180000)
})

describe('throttling', () => {
  it('rotates 100 pipelines with every API limited to 10 requests/s: all updated, none failed', async () => {
    await seedFleet(100)
    const before = await stored()
    await control(emulator, '/_emulator/calls/reset', {})
    await control(emulator, '/_emulator/config', { throttle: { rps: 10 } })

    const result = await run('write on read')
    await control(emulator, '/_emulator/config', { throttle: null })

    expect(result.code).toBe(0)
    const entries = report(result).filter((e) => e.pipeline !== 'connections-only')
    expect(entries).toHaveLength(fleet.length)
    for (const e of entries)
      expect({ pipeline: e.pipeline, status: e.status }).toMatchObject({ status: 'updated' })
    const { outcome } = await expectWholeOrUntouched(result, before)
    expect(outcome).toEqual({ updated: fleet.length, failed: 0, untouched: 0 })

    // AWS did throttle, and the log says so (once per API, then every 25th time).
    const throttled = (await calls(emulator)).filter(
      (c) => (c as { fault?: string }).fault === 'throttle'
    )
    expect(throttled.length).toBeGreaterThan(0)
    expect(result.stdout).toMatch(
      /AWS is throttling \w+ in us-east-1 \(1x so far\): slowing down and retrying/
    )
  }, 180000)
})
