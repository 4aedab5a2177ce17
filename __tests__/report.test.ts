// The pipeline rows and log lines of the old report.ts, now the CodePipeline
// store's render.ts. The generic parts of the old report.ts (status cells,
// the summary, region logs, outputs) are tested in core-report.test.ts and
// core-log.test.ts.
import { describe, it, expect } from '@jest/globals'
import { pipelineLines, pipelineSection } from '../src/stores/codepipeline/render.js'
import type { PipelineResult } from '../src/stores/codepipeline/types.js'

function result(overrides: Partial<PipelineResult> = {}): PipelineResult {
  return {
    region: 'us-east-1',
    pipeline: 'app',
    status: 'updated',
    githubActions: ['Source/App'],
    repositories: ['o/app'],
    ...overrides
  }
}

const PIPELINE = 1
const ACTIONS = 2
const VERSION = 3
const STATUS = 5

describe('pipelineSection', () => {
  const row = (r: PipelineResult) => pipelineSection([r]).rows[0]

  it('has one row per result under fixed headers', () => {
    const section = pipelineSection([result(), result({ pipeline: 'other' })])
    expect(section.title).toBe('CodePipeline')
    expect(section.headers).toEqual([
      'Region',
      'Pipeline',
      'GitHub actions patched',
      'Version',
      'Runs in flight',
      'Status'
    ])
    expect(section.rows.map((r) => r[PIPELINE])).toEqual(['app', 'other'])
  })

  it('shows the version a planned write would create', () => {
    expect(row(result({ status: 'planned', versionBefore: 3 }))?.[VERSION]).toBe('3 → 4')
  })

  it('shows dashes for a planned write whose version is unknown', () => {
    expect(row(result({ status: 'planned' }))?.[VERSION]).toBe('– → –')
  })

  it('shows the version before and after a write, or only the one read', () => {
    expect(row(result({ versionBefore: 3, versionAfter: 4 }))?.[VERSION]).toBe('3 → 4')
    expect(row(result({ status: 'failed', versionBefore: 3 }))?.[VERSION]).toBe('3')
    expect(row(result({ status: 'failed' }))?.[VERSION]).toBe('–')
  })

  it('names the CloudFormation stack that owns a pipeline', () => {
    expect(row(result({ stack: 'app-stack' }))?.[PIPELINE]).toBe('app (stack app-stack)')
    expect(row(result())?.[PIPELINE]).toBe('app')
  })

  it('lists the GitHub actions, or a dash when there are none', () => {
    expect(row(result({ githubActions: ['Source/App', 'Source/Lib'] }))?.[ACTIONS]).toBe(
      'Source/App, Source/Lib'
    )
    expect(row(result({ status: 'skipped', githubActions: [] }))?.[ACTIONS]).toBe('–')
  })

  it('follows the status with the error, else the note, else nothing', () => {
    expect(row(result({ status: 'failed', error: 'boom', note: 'n' }))?.[STATUS]).toBe(
      '❌ failed: boom'
    )
    expect(row(result({ status: 'skipped', note: 'no token' }))?.[STATUS]).toBe(
      '⏭️ skipped: no token'
    )
    expect(row(result())?.[STATUS]).toBe('✅ updated')
  })
})

describe('pipelineLines', () => {
  it('prints the region, the actions, the versions and the detail of each result', () => {
    const lines = pipelineLines([
      result({ versionBefore: 3, versionAfter: 4 }),
      result({ region: 'eu-west-1', status: 'planned', versionBefore: 7, note: 'would write' }),
      result({ pipeline: 'gone', status: 'failed', githubActions: [], error: 'does not exist' })
    ])
    expect(lines).toEqual([
      { region: 'us-east-1', line: 'updated  pipeline app [Source/App] v3 → v4' },
      { region: 'eu-west-1', line: 'planned  pipeline app [Source/App] v7 — would write' },
      { region: 'us-east-1', line: 'failed   pipeline gone — does not exist' }
    ])
  })
})
