/**
 * Rotating around pipeline executions in progress, through the bundled
 * action, against an emulator that behaves as AWS documents it:
 * UpdatePipeline cancels every run in flight ("The update-pipeline command
 * stops the pipeline…"). Every run here has the token check on (the default)
 * against the fake GitHub, so the flow is the default one: plan, check, write.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import {
  addExecution,
  addExecutionHook,
  calls,
  createPipeline,
  createServiceRole,
  listExecutions,
  resetCalls,
  setExecutionSeconds,
  storedPipeline,
  writeCalls,
  type CallLogEntry,
  type ExecutionRecord
} from '../test-support/emulator.js'
import { expirationHeader, startFakeGitHub, type FakeGitHub } from '../test-support/fake-github.js'
import { useEmulator } from '../test-support/jest.js'
import { githubSource, pipeline, s3Source } from '../test-support/pipelines.js'
import { runScanned, type RunResult } from '../test-support/run-action.js'
import { OLD_TOKEN, oauthTokens } from '../test-support/corpus.js'

const TOKEN = `e2e-token-${randomBytes(12).toString('hex')}`
const REGION = 'us-east-1'
const emulator = useEmulator()
let github: FakeGitHub
let roleArn: string

beforeAll(async () => {
  github = await startFakeGitHub({
    tokens: {
      [TOKEN]: {
        scopes: 'repo, admin:repo_hook',
        expiresAt: expirationHeader(new Date(Date.now() + 90 * 86_400_000)),
        repos: '*'
      }
    }
  })
})
afterAll(async () => {
  await github?.close()
})
beforeEach(async () => {
  roleArn = await createServiceRole(emulator)
})

const v1 = (name: string) =>
  pipeline(name, [githubSource('Source', name, { token: OLD_TOKEN })], { roleArn })

/** A V2 pipeline with a variable and two sources, as a restart must reproduce them. */
const v2 = (name: string, executionMode = 'SUPERSEDED') =>
  pipeline(
    name,
    [githubSource('Source', name, { token: OLD_TOKEN }), s3Source('Assets', { bucket: 'assets' })],
    {
      roleArn,
      extra: {
        pipelineType: 'V2',
        executionMode,
        variables: [{ name: 'DeployEnv', defaultValue: 'prod' }]
      }
    }
  )

async function seed(...declarations: Record<string, unknown>[]) {
  for (const declaration of declarations) await createPipeline(emulator, REGION, declaration)
  await resetCalls(emulator)
}

const run = (inputs: Record<string, string>, api: FakeGitHub = github) =>
  runScanned(
    emulator,
    TOKEN,
    { 'verify-token': 'true', regions: REGION, ...inputs },
    { githubApiUrl: api.url }
  )

interface Entry {
  pipeline: string
  status: string
  error?: string
  note?: string
  runs?: {
    outcome: string
    executions: string[]
    waitedSeconds?: number
    restarts?: { stopped: string[]; started?: string; revisions: string; note?: string }[]
  }
}
const report = (result: RunResult) => JSON.parse(result.outputs['report'] ?? '[]') as Entry[]
const entry = (result: RunResult, name: string) => report(result).find((e) => e.pipeline === name)
const tokenOf = async (name: string) =>
  oauthTokens((await storedPipeline(emulator, REGION, name)).pipeline)
const status = async (name: string, id: string) =>
  (await listExecutions(emulator, REGION, name)).find((e) => e.pipelineExecutionId === id)?.status
const updates = async () =>
  (await calls(emulator)).filter((c: CallLogEntry) => c.action === 'UpdatePipeline')
const starts = async () =>
  (await writeCalls(emulator)).filter((c) => c.action === 'StartPipelineExecution')

describe('in-progress: wait (the default)', () => {
  it('writes idle pipelines at once and a busy one once its run has ended, cancelling nothing', async () => {
    await seed(v1('idle-a'), v1('idle-b'), v1('busy'))
    // Long enough to be still running when the action looks, on a busy machine too.
    const run1 = await addExecution(emulator, { region: REGION, name: 'busy', durationSeconds: 7 })
    const started = Date.now()
    // A timeout in seconds: the looks come every 3 s (a tenth of it).
    const result = await run({ pipelines: '*', 'in-progress-timeout': '30s' })
    expect(result.code).toBe(0)

    expect(await tokenOf('busy')).toEqual([TOKEN])
    expect(await tokenOf('idle-a')).toEqual([TOKEN])
    // The run went through to its end: the write came after it, not through it.
    expect(await status('busy', run1)).toBe('Succeeded')
    expect(await starts()).toEqual([])
    expect(entry(result, 'busy')).toMatchObject({
      status: 'updated',
      runs: { outcome: 'waited', executions: [run1] }
    })
    expect(entry(result, 'busy')?.runs?.waitedSeconds).toBeGreaterThanOrEqual(3)
    expect(entry(result, 'idle-a')?.runs).toEqual({ outcome: 'idle', executions: [] })
    // The idle ones were written while the busy one was still running.
    const writes = await updates()
    expect(writes).toHaveLength(3)
    const idleWrites = writes.slice(0, 2).map((c) => c.time * 1000)
    expect(Math.max(...idleWrites)).toBeLessThan(started + 7000)
    expect(result.summary).toMatch(
      new RegExp(`\\| busy \\|.*\\| waited \\d+ s for ${run1.slice(0, 8)} \\|`)
    )
  })

  it('looks again right before writing when the plan is old: a run that started since is waited for', async () => {
    await seed(v1('pushed'))
    // GitHub answers slowly, so the plan's look is 6 s old when the writes begin.
    const slow = await startFakeGitHub({
      tokens: { [TOKEN]: { scopes: 'repo', repos: '*' } },
      delayMs: 3000
    })
    try {
      // A push arrives right after the plan looked at the pipeline.
      await addExecutionHook(emulator, {
        region: REGION,
        name: 'pushed',
        on: 'check',
        afterCount: 1,
        durationSeconds: 10
      })
      const result = await run({ pipelines: 'pushed', 'in-progress-timeout': '40s' }, slow)
      expect(result.code).toBe(0)
      const [pushed, ...others] = await listExecutions(emulator, REGION, 'pushed')
      expect(others).toEqual([])
      expect(pushed?.status).toBe('Succeeded')
      expect(await starts()).toEqual([])
      expect(entry(result, 'pushed')).toMatchObject({
        status: 'updated',
        runs: { outcome: 'waited', executions: [pushed?.pipelineExecutionId] }
      })
    } finally {
      await slow.close()
    }
  }, 60_000)

  it('starts again a run that started right after a fresh look and that the write stopped', async () => {
    await seed(v1('pushed'))
    await setExecutionSeconds(emulator, 60)
    await addExecutionHook(emulator, {
      region: REGION,
      name: 'pushed',
      on: 'check',
      afterCount: 1,
      durationSeconds: 30
    })
    const result = await run({ pipelines: 'pushed' })
    expect(result.code).toBe(0)
    const executions = await listExecutions(emulator, REGION, 'pushed')
    const cancelled = executions.find((e) => e.status === 'Cancelled')
    const restarted = executions.find((e) => e.startedBy === 'StartPipelineExecution')
    expect(cancelled?.startedBy).toBe('hook-check')
    expect(restarted?.status).toBe('InProgress')
    expect(entry(result, 'pushed')?.runs).toMatchObject({
      outcome: 'restarted',
      restarts: [
        { stopped: [cancelled?.pipelineExecutionId], started: restarted?.pipelineExecutionId }
      ]
    })
  })

  it('starts again a run the write stopped when it started between the check and the write', async () => {
    await seed(v1('raced'))
    await setExecutionSeconds(emulator, 60)
    // The push lands in the instant between the last check and the write.
    await addExecutionHook(emulator, {
      region: REGION,
      name: 'raced',
      on: 'update',
      durationSeconds: 30
    })
    const result = await run({ pipelines: 'raced' })
    expect(result.code).toBe(0)
    const executions = await listExecutions(emulator, REGION, 'raced')
    const cancelled = executions.find((e) => e.status === 'Cancelled')
    const restarted = executions.find((e) => e.startedBy === 'StartPipelineExecution')
    expect(cancelled).toBeDefined()
    expect(restarted?.status).toBe('InProgress')
    expect(entry(result, 'raced')).toMatchObject({
      status: 'updated',
      runs: {
        outcome: 'restarted',
        restarts: [
          { stopped: [cancelled?.pipelineExecutionId], started: restarted?.pipelineExecutionId }
        ]
      }
    })
    expect(await starts()).toHaveLength(1)
  })

  it('fails a pipeline still busy after in-progress-timeout, and writes the others', async () => {
    await seed(v1('long'), v1('short'), v1('idle'))
    const long = await addExecution(emulator, {
      region: REGION,
      name: 'long',
      durationSeconds: 14
    })
    const short = await addExecution(emulator, {
      region: REGION,
      name: 'short',
      durationSeconds: 2
    })
    const result = await run({ pipelines: '*', 'in-progress-timeout': '5s' })
    expect(result.code).toBe(1)
    expect(await tokenOf('long')).toEqual([OLD_TOKEN])
    expect(await status('long', long)).toBe('InProgress')
    expect(await tokenOf('short')).toEqual([TOKEN])
    expect(await status('short', short)).toBe('Succeeded')
    expect(await tokenOf('idle')).toEqual([TOKEN])
    expect(entry(result, 'long')).toMatchObject({
      status: 'failed',
      runs: { outcome: 'timed-out', executions: [long] }
    })
    expect(entry(result, 'long')?.error).toMatch(
      new RegExp(
        `not written: ${long} \\(InProgress for \\d+ s\\) was still in flight after 5 s \\(in-progress-timeout\\)`
      )
    )
    expect(result.stdout).toMatch(/::error::1 target\(s\) failed:/)

    // A re-run completes it: it waits for the rest of the run, then writes.
    const again = await run({ pipelines: 'long', 'in-progress-timeout': '30s' })
    expect(again.code).toBe(0)
    expect(await status('long', long)).toBe('Succeeded')
    expect(await tokenOf('long')).toEqual([TOKEN])
    expect(entry(again, 'long')?.runs).toMatchObject({ outcome: 'waited', executions: [long] })
  }, 180_000)

  it('with in-progress-timeout 0, fails a busy pipeline at once without waiting', async () => {
    await seed(v1('busy'), v1('idle'))
    const busy = await addExecution(emulator, { region: REGION, name: 'busy', durationSeconds: 60 })
    const started = Date.now()
    const result = await run({ pipelines: '*', 'in-progress-timeout': '0' })
    expect(Date.now() - started).toBeLessThan(20_000)
    expect(result.code).toBe(1)
    expect(await tokenOf('busy')).toEqual([OLD_TOKEN])
    expect(await tokenOf('idle')).toEqual([TOKEN])
    expect(entry(result, 'busy')?.error).toContain(`${busy} (InProgress for`)
    expect(entry(result, 'busy')?.error).toContain('in-progress-timeout is 0')
  })

  it('holds no concurrency slot while waiting: many busy pipelines do not hold back the idle ones', async () => {
    const busy = ['busy-1', 'busy-2', 'busy-3', 'busy-4']
    const idle = ['idle-1', 'idle-2', 'idle-3', 'idle-4', 'idle-5', 'idle-6']
    await seed(...[...busy, ...idle].map(v1))
    for (const name of busy)
      await addExecution(emulator, { region: REGION, name, durationSeconds: 8 })
    const started = Date.now()
    const result = await run({
      pipelines: '*',
      'max-concurrency': '2',
      'in-progress-timeout': '40s'
    })
    expect(result.code).toBe(0)
    const writes = await updates()
    expect(writes).toHaveLength(10)
    // With 2 slots held by waiting pipelines, no idle one could be written for 8 s.
    const sixth = writes[5]?.time ?? Infinity
    expect(sixth * 1000).toBeLessThan(started + 8000)
    for (const name of busy) expect(entry(result, name)?.runs?.outcome).toBe('waited')
  }, 120_000)

  it('counts a queued run as busy (QUEUED pipeline): writes after every run has ended', async () => {
    await seed(v2('queued', 'QUEUED'))
    const first = await addExecution(emulator, {
      region: REGION,
      name: 'queued',
      durationSeconds: 3
    })
    const second = await addExecution(emulator, {
      region: REGION,
      name: 'queued',
      durationSeconds: 3
    })
    const result = await run({ pipelines: 'queued', 'in-progress-timeout': '30s' })
    expect(result.code).toBe(0)
    expect(await status('queued', first)).toBe('Succeeded')
    expect(await status('queued', second)).toBe('Succeeded')
    expect(entry(result, 'queued')?.runs).toMatchObject({
      outcome: 'waited',
      executions: [first, second]
    })
  })
})

describe('in-progress: skip', () => {
  it('leaves a busy pipeline for a later run, with a warning naming the execution', async () => {
    await seed(v1('busy'), v1('idle'))
    const busy = await addExecution(emulator, { region: REGION, name: 'busy', durationSeconds: 30 })
    const result = await run({ pipelines: '*', 'in-progress': 'skip' })
    expect(result.code).toBe(0)
    expect(await tokenOf('busy')).toEqual([OLD_TOKEN])
    expect(await status('busy', busy)).toBe('InProgress')
    expect(await tokenOf('idle')).toEqual([TOKEN])
    expect(entry(result, 'busy')).toMatchObject({
      status: 'skipped',
      runs: { outcome: 'skipped', executions: [busy] }
    })
    expect(result.stdout).toMatch(
      new RegExp(
        `::warning::us-east-1 pipeline busy: not written: ${busy} \\(InProgress for \\d+ s\\) was running \\(in-progress: skip\\)`
      )
    )
    expect(result.outputs['complete']).toBe('false')
    expect((await updates()).length).toBe(1)
  })
})

describe('in-progress: proceed', () => {
  it('writes a busy V2 pipeline now and starts the stopped run again with its revisions and variables', async () => {
    await seed(v2('deploying'))
    const revision = 'a'.repeat(40)
    const stopped = await addExecution(emulator, {
      region: REGION,
      name: 'deploying',
      durationSeconds: 60,
      sourceRevisions: [
        { actionName: 'Source', revisionId: revision },
        { actionName: 'Assets', revisionId: 'v-42' }
      ]
    })
    const result = await run({ pipelines: 'deploying', 'in-progress': 'proceed' })
    expect(result.code).toBe(0)
    expect(await tokenOf('deploying')).toEqual([TOKEN])
    const executions = await listExecutions(emulator, REGION, 'deploying')
    expect(executions.find((e) => e.pipelineExecutionId === stopped)?.status).toBe('Cancelled')
    const restarted = executions.find(
      (e) => e.startedBy === 'StartPipelineExecution'
    ) as ExecutionRecord
    expect(restarted.status).toBe('InProgress')
    expect(restarted['requestedSourceRevisions']).toEqual([
      { actionName: 'Source', revisionType: 'COMMIT_ID', revisionValue: revision },
      { actionName: 'Assets', revisionType: 'S3_OBJECT_VERSION_ID', revisionValue: 'v-42' }
    ])
    expect(restarted['requestedVariables']).toEqual([{ name: 'DeployEnv', value: 'prod' }])
    expect(entry(result, 'deploying')?.runs).toMatchObject({
      outcome: 'restarted',
      executions: [stopped],
      restarts: [{ stopped: [stopped], started: restarted.pipelineExecutionId, revisions: 'same' }]
    })
    expect(result.summary).toMatch(
      new RegExp(
        `stopped ${stopped.slice(0, 8)} and started ${restarted.pipelineExecutionId.slice(0, 8)}`
      )
    )
  })

  it('starts a V1 pipeline once again on its latest revisions', async () => {
    await seed(v1('classic'))
    const stopped = await addExecution(emulator, {
      region: REGION,
      name: 'classic',
      durationSeconds: 60
    })
    const result = await run({ pipelines: 'classic', 'in-progress': 'proceed' })
    expect(result.code).toBe(0)
    expect(await status('classic', stopped)).toBe('Cancelled')
    const restarts = entry(result, 'classic')?.runs?.restarts
    expect(restarts).toHaveLength(1)
    expect(restarts?.[0]).toMatchObject({ stopped: [stopped], revisions: 'latest' })
    expect(await starts()).toHaveLength(1)
  })
})

describe('a dry run', () => {
  it('names the busy pipelines and what each mode would do, and writes nothing', async () => {
    await seed(v1('busy'), v1('idle'))
    const busy = await addExecution(emulator, { region: REGION, name: 'busy', durationSeconds: 60 })
    const result = await run({ pipelines: '*', 'dry-run': 'true' })
    expect(result.code).toBe(0)
    expect(await writeCalls(emulator)).toEqual([])
    expect(await status('busy', busy)).toBe('InProgress')
    const note = entry(result, 'busy')?.note ?? ''
    expect(entry(result, 'busy')?.runs).toEqual({ outcome: 'busy', executions: [busy] })
    expect(note).toContain(`${busy} (InProgress for`)
    expect(note).toContain(
      'in-progress wait would write it once that ends (up to 30 min) (this run)'
    )
    expect(note).toContain('skip would leave it for a later run')
    expect(note).toContain('proceed would write now, which stops that run, then start it again')
    expect(entry(result, 'idle')?.runs).toEqual({ outcome: 'idle', executions: [] })
    expect(result.summary).toMatch(
      new RegExp(`\\| busy \\|.*\\| ${busy.slice(0, 8)} in flight \\|`)
    )
  })
})
