import { beforeEach, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { calls, control, storedPipeline, tagAsStack, writeCalls } from '../test-support/emulator.js'
import {
  CUSTOM_SECRET,
  OLD_TOKEN,
  oauthTokens,
  seedCorpus,
  withoutTokenAndVersion
} from '../test-support/corpus.js'
import { useEmulator } from '../test-support/jest.js'
import { runScanned, type RunOptions, type RunResult } from '../test-support/run-action.js'

const TOKEN = `e2e-token-${randomBytes(12).toString('hex')}`
const emulator = useEmulator()

beforeEach(async () => {
  await seedCorpus(emulator)
  await control(emulator, '/_emulator/calls/reset', {})
})

const run = (inputs: Record<string, string>, options: Partial<RunOptions> = {}) =>
  runScanned(emulator, TOKEN, inputs, options)

interface ReportEntry {
  region: string
  pipeline: string
  arn?: string
  status: string
  githubActions: string[]
  versionBefore?: number
  versionAfter?: number
  error?: string
  note?: string
}
const report = (result: RunResult) => JSON.parse(result.outputs['report'] ?? '[]') as ReportEntry[]
const entry = (result: RunResult, region: string, pipeline: string) =>
  report(result).find((e) => e.region === region && e.pipeline === pipeline)

describe('rotation through the bundled action', () => {
  it('rotates every GitHub pipeline in two regions and keeps every other field exactly', async () => {
    const before = {
      full: (await storedPipeline(emulator, 'us-east-1', 'full-v2')).pipeline,
      classic: (await storedPipeline(emulator, 'us-east-1', 'classic-v1')).pipeline,
      conn: (await storedPipeline(emulator, 'us-east-1', 'connections-only')).pipeline,
      eu: (await storedPipeline(emulator, 'eu-west-1', 'eu-app')).pipeline
    }
    expect(oauthTokens(before.full)).toEqual([OLD_TOKEN, OLD_TOKEN])

    const result = await run({ pipelines: '*', regions: 'us-east-1, eu-west-1' })
    expect(result.code).toBe(0)

    const after = {
      full: (await storedPipeline(emulator, 'us-east-1', 'full-v2')).pipeline,
      classic: (await storedPipeline(emulator, 'us-east-1', 'classic-v1')).pipeline,
      conn: (await storedPipeline(emulator, 'us-east-1', 'connections-only')).pipeline,
      eu: (await storedPipeline(emulator, 'eu-west-1', 'eu-app')).pipeline
    }
    // The token landed in both GitHub sources of full-v2 and in the others.
    expect(oauthTokens(after.full)).toEqual([TOKEN, TOKEN])
    expect(oauthTokens(after.classic)).toEqual([TOKEN])
    expect(oauthTokens(after.eu)).toEqual([TOKEN])
    // Everything else is identical, including members no SDK knows and the
    // custom action's secret, which went back as **** and was kept by AWS.
    expect(withoutTokenAndVersion(after.full)).toEqual(withoutTokenAndVersion(before.full))
    expect(withoutTokenAndVersion(after.classic)).toEqual(withoutTokenAndVersion(before.classic))
    expect(JSON.stringify(after.full)).toContain(`"ApiKey": "${CUSTOM_SECRET}"`.replace(': ', ':'))
    expect(after.full['version']).toBe(Number(before.full['version']) + 1)
    // The CodeConnections pipeline was not written at all.
    expect(after.conn).toEqual(before.conn)

    expect(entry(result, 'us-east-1', 'full-v2')).toMatchObject({
      status: 'updated',
      githubActions: ['Source/App', 'Source/Lib'],
      versionBefore: 1,
      versionAfter: 2,
      arn: 'arn:aws:codepipeline:us-east-1:123456789012:full-v2'
    })
    expect(entry(result, 'us-east-1', 'connections-only')?.status).toBe('skipped')
    expect(entry(result, 'eu-west-1', 'eu-app')?.status).toBe('updated')
    expect(JSON.parse(result.outputs['updated'] ?? '[]')).toEqual([
      'arn:aws:codepipeline:us-east-1:123456789012:classic-v1',
      'arn:aws:codepipeline:us-east-1:123456789012:full-v2',
      'arn:aws:codepipeline:eu-west-1:123456789012:eu-app'
    ])

    // Only the expected writes: one UpdatePipeline per GitHub pipeline.
    const writes = await writeCalls(emulator)
    expect(writes.map((c) => `${c.region} ${c.action}`).sort()).toEqual([
      'eu-west-1 UpdatePipeline',
      'us-east-1 UpdatePipeline',
      'us-east-1 UpdatePipeline'
    ])

    // The report: a summary table, a log group per region, a warning for the skip.
    expect(result.summary).toMatch(
      /\| us-east-1 \| full-v2 \| Source\/App, Source\/Lib \| 1 → 2 \| none in flight \| ✅ updated/
    )
    expect(result.summary).toMatch(/\| us-east-1 \| connections-only \| – \| 1 \| – \| ⏭️ skipped/)
    expect(result.stdout).toContain('::group::Region us-east-1')
    expect(result.stdout).toContain('::group::Region eu-west-1')
    expect(result.stdout).toMatch(
      /::warning::us-east-1: skipped 1 matching pipeline.*connections-only/
    )
  })

  it('fails a missing named pipeline only, rotates the others, and lists every failure', async () => {
    const result = await run({ pipelines: 'classic-v1\ndoes-not-exist\nalso-missing' })
    expect(result.code).toBe(1)
    expect(entry(result, 'us-east-1', 'classic-v1')?.status).toBe('updated')
    expect(entry(result, 'us-east-1', 'does-not-exist')).toMatchObject({ status: 'failed' })
    expect(result.stdout).toMatch(/::error::2 target\(s\) failed:/)
    expect(result.stdout).toMatch(
      /does-not-exist: pipeline 'does-not-exist' does not exist in us-east-1/
    )
    expect(result.stdout).toMatch(/also-missing/)
    expect(
      oauthTokens((await storedPipeline(emulator, 'us-east-1', 'classic-v1')).pipeline)
    ).toEqual([TOKEN])
  })

  it('skips a named pipeline in the regions where it is absent when another region has it', async () => {
    const result = await run({ pipelines: 'eu-app', regions: 'us-east-1, eu-west-1' })
    expect(result.code).toBe(0)
    expect(entry(result, 'eu-west-1', 'eu-app')?.status).toBe('updated')
    expect(entry(result, 'us-east-1', 'eu-app')).toMatchObject({
      status: 'skipped',
      note: 'not in us-east-1 (found in eu-west-1)'
    })
  })

  it('skips a named pipeline without a GitHub source, with a warning that says why', async () => {
    const result = await run({ pipelines: 'connections-only' })
    expect(result.code).toBe(0)
    expect(entry(result, 'us-east-1', 'connections-only')?.status).toBe('skipped')
    expect(result.stdout).toMatch(
      /::warning::pipeline 'connections-only' in us-east-1 holds no GitHub OAuth token/
    )
    expect(await writeCalls(emulator)).toEqual([])
  })

  it('plans in a dry run and writes nothing', async () => {
    const before = await storedPipeline(emulator, 'us-east-1', 'full-v2')
    const result = await run({ pipelines: 'full-v2, classic-v1', 'dry-run': 'true' })
    expect(result.code).toBe(0)
    expect(report(result).map((e) => e.status)).toEqual(['planned', 'planned'])
    expect(result.summary).toMatch(/Dry run/)
    expect(result.summary).toMatch(
      /\| us-east-1 \| full-v2 \| Source\/App, Source\/Lib \| 1 → 2 \| none in flight \| 📝 planned/
    )
    expect(result.outputs['updated']).toBe('[]')
    expect(await writeCalls(emulator)).toEqual([])
    expect(await storedPipeline(emulator, 'us-east-1', 'full-v2')).toEqual(before)
  })

  it('with follow-stacks false, warns that a CloudFormation stack owns a pipeline, and still rotates it', async () => {
    await tagAsStack(emulator, 'us-east-1', 'classic-v1', 'ci-stack')
    const result = await run({ pipelines: 'classic-v1', 'follow-stacks': 'false' })
    expect(result.code).toBe(0)
    expect(entry(result, 'us-east-1', 'classic-v1')).toMatchObject({
      status: 'updated',
      stack: 'ci-stack'
    })
    expect(result.stdout).toMatch(
      /::warning::Pipeline 'classic-v1' in us-east-1 belongs to CloudFormation stack 'ci-stack': update the template's token source too/
    )
    expect(result.summary).toMatch(/classic-v1 \(stack ci-stack\)/)
    // One GetResources call for the region, not one ListTagsForResource per pipeline.
    const reads = (await calls(emulator)).map((c) => c.action)
    expect(reads.filter((a) => a === 'GetResources')).toHaveLength(1)
    expect(reads).not.toContain('ListTagsForResource')
  })

  it('takes the region from a pipeline ARN', async () => {
    const result = await run({
      pipelines: 'arn:aws:codepipeline:eu-west-1:123456789012:eu-app',
      regions: ''
    })
    expect(result.code).toBe(0)
    expect(report(result)).toHaveLength(1)
    expect(entry(result, 'eu-west-1', 'eu-app')?.status).toBe('updated')
  })

  it('is idempotent: a re-run writes the same token again and changes nothing else', async () => {
    await run({ pipelines: 'full-v2' })
    const first = (await storedPipeline(emulator, 'us-east-1', 'full-v2')).pipeline
    const result = await run({ pipelines: 'full-v2' })
    expect(result.code).toBe(0)
    const second = (await storedPipeline(emulator, 'us-east-1', 'full-v2')).pipeline
    expect(second['version']).toBe(Number(first['version']) + 1)
    expect(withoutTokenAndVersion(second)).toEqual(withoutTokenAndVersion(first))
    expect(oauthTokens(second)).toEqual([TOKEN, TOKEN])
  })

  it('runs under Node 24, the runtime action.yml names', async () => {
    const result = await run({ pipelines: 'full-v2' }, { node: '24' })
    expect(result.code).toBe(0)
    expect(entry(result, 'us-east-1', 'full-v2')?.status).toBe('updated')
    expect(oauthTokens((await storedPipeline(emulator, 'us-east-1', 'full-v2')).pipeline)).toEqual([
      TOKEN,
      TOKEN
    ])
  }, 180000)
})

describe('bad input is refused before any AWS call', () => {
  it.each([
    [{ token: '' }, /Input 'token' is empty/],
    [{ token: `${TOKEN} second-half` }, /Input 'token' contains whitespace/],
    [{ regions: 'us-east-1, mars-north-1' }, /Input 'regions' 'mars-north-1' is not an AWS region/],
    [
      { pipelines: 'bad name!' },
      /Input 'pipelines' entry 'bad name!' is not a valid pipeline name/
    ],
    [
      { pipelines: 'arn:aws:codepipeline:us-east-1:123:x' },
      /Input 'pipelines' entry .* is not a pipeline ARN/
    ],
    [{ 'dry-run': 'maybe' }, /Input 'dry-run' expected true or false, got 'maybe'/],
    [{ pipelines: '' }, /Input 'pipelines' nothing to do/],
    // A Bitbucket app password in a GitHub pipeline would break it.
    [
      { 'codebuild-server-type': 'BITBUCKET', codebuild: 'import' },
      /Input 'pipelines' must be empty with codebuild-server-type: BITBUCKET/
    ],
    // The partition must be the region's: no other pipeline may be read as this one.
    [
      { pipelines: 'arn:aws-cn:codepipeline:us-east-1:123456789012:full-v2' },
      /Input 'pipelines' entry .* names partition 'aws-cn', but region us-east-1 is in partition 'aws'/
    ],
    [
      { pipelines: 'arn::codepipeline:us-east-1:123456789012:full-v2' },
      /Input 'pipelines' entry .* names no partition, but region us-east-1 is in partition 'aws'/
    ],
    [
      { pipelines: 'arn:aws:codepipeline:cn-north-1:123456789012:full-v2' },
      /Input 'pipelines' entry .* region cn-north-1 is in partition 'aws-cn'/
    ],
    [
      { secrets: 'arn:aws-us-gov:secretsmanager:us-east-1:123456789012:secret:ci/token' },
      /Input 'secrets' entry .* names partition 'aws-us-gov'/
    ],
    [
      { regions: 'us-east-1, cn-north-1' },
      /Input 'regions' the regions and ARNs span the partitions aws and aws-cn/
    ],
    // The token goes to github-api-url: never in clear, never with a user name, query or fragment.
    [
      { 'github-api-url': 'http://github.example.com/api/v3' },
      /Input 'github-api-url' must be an https:\/\/ URL/
    ],
    [
      { 'github-api-url': 'https://user:pass@github.example.com/api/v3' },
      /Input 'github-api-url' must be a plain API base URL without user name, password, query or fragment/
    ],
    [
      { 'github-api-url': 'https://github.example.com/api/v3?x=1' },
      /Input 'github-api-url' must be a plain API base URL/
    ],
    [
      { 'github-api-url': 'https://github.example.com/api/v3#top' },
      /Input 'github-api-url' must be a plain API base URL/
    ],
    // Characters no token has: refused, the value never printed.
    [
      { token: `${TOKEN}\u200b` },
      /Input 'token' contains a character that cannot be in a token \(U\+200B at position/
    ],
    [
      { token: `e2e\u0001${TOKEN}` },
      /Input 'token' contains a character that cannot be in a token \(U\+0001 at position 4\)/
    ],
    [{ 'previous-token': TOKEN }, /Input 'previous-token' is the same as token/],
    [
      { parameters: 'ci/github token' },
      /Input 'parameters' entry 'ci\/github token' is not a parameter name or ARN/
    ],
    [
      { 'in-progress': 'later' },
      /Input 'in-progress' expected one of wait, skip, proceed, got 'later'/
    ],
    [
      { 'in-progress-timeout': '-1' },
      /Input 'in-progress-timeout' expected minutes \(a whole number such as 30, or 30m\) or seconds \(such as 90s\), from 0 to 360 minutes, got '-1'/
    ]
  ])('%j', async (inputs, message) => {
    const result = await run({ pipelines: 'full-v2', ...inputs })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(new RegExp(`::error::${message.source}`))
    expect(await calls(emulator)).toEqual([])
  })

  it('refuses a missing GITHUB_OUTPUT file before anything is read or written', async () => {
    const result = await run(
      { pipelines: 'full-v2' },
      { env: { GITHUB_OUTPUT: '/nonexistent/github_output' } }
    )
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(
      /::error::GITHUB_OUTPUT is set to '\/nonexistent\/github_output', which does not exist or cannot be written: nothing was read or written/
    )
    expect(await calls(emulator)).toEqual([])
  })
})
