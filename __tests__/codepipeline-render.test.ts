import { describe, it, expect } from '@jest/globals'
import { pipelineLines, pipelineSection, runsText } from '../src/stores/codepipeline/render.js'
import type { PipelineResult, RunsReport } from '../src/stores/codepipeline/types.js'

const result = (overrides: Partial<PipelineResult> = {}): PipelineResult => ({
  region: 'us-east-1',
  pipeline: 'app',
  status: 'updated',
  githubActions: ['Source/App'],
  repositories: ['example-org/app'],
  versionBefore: 3,
  versionAfter: 4,
  ...overrides
})

const A = 'aaaaaaaa-1111-2222-3333-444444444444'
const B = 'bbbbbbbb-1111-2222-3333-444444444444'

describe('runsText', () => {
  it.each<[RunsReport | undefined, string]>([
    [undefined, '–'],
    [{ outcome: 'idle', executions: [] }, 'none in flight'],
    [{ outcome: 'busy', executions: [A, B] }, `${A}, ${B} in flight`],
    [{ outcome: 'waited', executions: [A], waitedSeconds: 42 }, `waited 42 s for ${A}`],
    [{ outcome: 'waited', executions: [A] }, `waited 0 s for ${A}`],
    [{ outcome: 'skipped', executions: [A] }, `skipped: ${A} was running`],
    [
      { outcome: 'timed-out', executions: [A], waitedSeconds: 1800 },
      `${A} still running after 1800 s`
    ],
    [{ outcome: 'timed-out', executions: [A] }, `${A} still running after 0 s`],
    [
      {
        outcome: 'restarted',
        executions: [A],
        restarts: [{ stopped: [A], started: B, revisions: 'same' }]
      },
      `stopped ${A} and started ${B}`
    ],
    [
      {
        outcome: 'restarted',
        executions: [A, B],
        restarts: [{ stopped: [A, B], started: 'c', revisions: 'latest' }]
      },
      `stopped ${A}, ${B} and started c (latest revisions)`
    ],
    [
      {
        outcome: 'restarted',
        executions: [A],
        restarts: [
          { stopped: [A], revisions: 'same', error: 'denied' },
          { stopped: [B], revisions: 'same' }
        ]
      },
      `stopped ${A}, could not start it again; stopped ${B} and started ?`
    ],
    [{ outcome: 'restarted', executions: [A], restarts: [] }, `written while ${A} ran`],
    [{ outcome: 'restarted', executions: [A] }, `written while ${A} ran`]
  ])('%j reads "%s"', (runs, text) => {
    expect(runsText(runs)).toBe(text)
  })

  it('shortens the ids it is told to', () => {
    const short = (id: string | undefined) => (id ? id.slice(0, 4) : '-')
    expect(
      runsText(
        {
          outcome: 'restarted',
          executions: [A],
          restarts: [
            { stopped: [A], revisions: 'latest' },
            { stopped: [B], started: B, revisions: 'same' }
          ]
        },
        short
      )
    ).toBe('stopped aaaa and started - (latest revisions); stopped bbbb and started bbbb')
  })
})

describe('pipelineSection', () => {
  it('has a row per result, with the version, the runs and the status', () => {
    const section = pipelineSection([
      result({ runs: { outcome: 'waited', executions: [A], waitedSeconds: 5 } }),
      result({ pipeline: 'planned', status: 'planned', versionAfter: undefined }),
      result({
        pipeline: 'unversioned',
        status: 'planned',
        versionBefore: undefined,
        versionAfter: undefined
      }),
      result({
        pipeline: 'failed',
        status: 'failed',
        versionAfter: undefined,
        stack: 'ci',
        githubActions: [],
        error: 'boom',
        note: 'not shown'
      }),
      result({
        pipeline: 'noted',
        status: 'skipped',
        versionBefore: undefined,
        versionAfter: undefined,
        note: 'why'
      })
    ])
    expect(section.title).toBe('CodePipeline')
    expect(section.headers).toContain('Runs in flight')
    expect(section.rows).toEqual([
      ['us-east-1', 'app', 'Source/App', '3 → 4', 'waited 5 s for aaaaaaaa', '✅ updated'],
      ['us-east-1', 'planned', 'Source/App', '3 → 4', '–', '📝 planned'],
      ['us-east-1', 'unversioned', 'Source/App', '– → –', '–', '📝 planned'],
      ['us-east-1', 'failed (stack ci)', '–', '3', '–', '❌ failed: boom'],
      ['us-east-1', 'noted', 'Source/App', '–', '–', '⏭️ skipped: why']
    ])
  })

  it('shortens execution ids to 8 characters, ? for a restart that started none', () => {
    const [row] = pipelineSection([
      result({
        runs: {
          outcome: 'restarted',
          executions: [A],
          restarts: [{ stopped: [A], revisions: 'same', error: 'x' }]
        }
      })
    ]).rows
    expect(row?.[4]).toBe('stopped aaaaaaaa, could not start it again')
    const [other] = pipelineSection([
      result({
        runs: {
          outcome: 'restarted',
          executions: [A],
          restarts: [{ stopped: [A], revisions: 'same' }]
        }
      })
    ]).rows
    expect(other?.[4]).toBe('stopped aaaaaaaa and started ?')
  })
})

describe('pipelineLines', () => {
  it('has a line per result, with the actions, the versions, the runs and the detail', () => {
    expect(
      pipelineLines([
        result(),
        result({ runs: { outcome: 'idle', executions: [] } }),
        result({
          runs: { outcome: 'skipped', executions: [A] },
          status: 'skipped',
          note: 'later',
          versionAfter: undefined
        }),
        result({
          pipeline: 'bare',
          status: 'failed',
          githubActions: [],
          versionBefore: undefined,
          versionAfter: undefined,
          error: 'boom'
        })
      ])
    ).toEqual([
      { region: 'us-east-1', line: 'updated  pipeline app [Source/App] v3 → v4' },
      { region: 'us-east-1', line: 'updated  pipeline app [Source/App] v3 → v4' },
      {
        region: 'us-east-1',
        line: `skipped  pipeline app [Source/App] v3 (runs: skipped: ${A} was running) — later`
      },
      { region: 'us-east-1', line: 'failed   pipeline bare — boom' }
    ])
  })
})

// A result without versions, runs or stack, to test each column on its own.
function plainResult(overrides: Partial<PipelineResult> = {}): PipelineResult {
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

describe('pipelineSection, column by column', () => {
  const row = (r: PipelineResult) => pipelineSection([r]).rows[0]

  it('has one row per result under fixed headers', () => {
    const section = pipelineSection([plainResult(), plainResult({ pipeline: 'other' })])
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
    expect(row(plainResult({ status: 'planned', versionBefore: 3 }))?.[VERSION]).toBe('3 → 4')
  })

  it('shows dashes for a planned write whose version is unknown', () => {
    expect(row(plainResult({ status: 'planned' }))?.[VERSION]).toBe('– → –')
  })

  it('shows the version before and after a write, or only the one read', () => {
    expect(row(plainResult({ versionBefore: 3, versionAfter: 4 }))?.[VERSION]).toBe('3 → 4')
    expect(row(plainResult({ status: 'failed', versionBefore: 3 }))?.[VERSION]).toBe('3')
    expect(row(plainResult({ status: 'failed' }))?.[VERSION]).toBe('–')
  })

  it('names the CloudFormation stack that owns a pipeline', () => {
    expect(row(plainResult({ stack: 'app-stack' }))?.[PIPELINE]).toBe('app (stack app-stack)')
    expect(row(plainResult())?.[PIPELINE]).toBe('app')
  })

  it('lists the GitHub actions, or a dash when there are none', () => {
    expect(row(plainResult({ githubActions: ['Source/App', 'Source/Lib'] }))?.[ACTIONS]).toBe(
      'Source/App, Source/Lib'
    )
    expect(row(plainResult({ status: 'skipped', githubActions: [] }))?.[ACTIONS]).toBe('–')
  })

  it('follows the status with the error, else the note, else nothing', () => {
    expect(row(plainResult({ status: 'failed', error: 'boom', note: 'n' }))?.[STATUS]).toBe(
      '❌ failed: boom'
    )
    expect(row(plainResult({ status: 'skipped', note: 'no token' }))?.[STATUS]).toBe(
      '⏭️ skipped: no token'
    )
    expect(row(plainResult())?.[STATUS]).toBe('✅ updated')
  })
})

describe('pipelineLines, field by field', () => {
  it('prints the region, the actions, the versions and the detail of each result', () => {
    const lines = pipelineLines([
      plainResult({ versionBefore: 3, versionAfter: 4 }),
      plainResult({
        region: 'eu-west-1',
        status: 'planned',
        versionBefore: 7,
        note: 'would write'
      }),
      plainResult({
        pipeline: 'gone',
        status: 'failed',
        githubActions: [],
        error: 'does not exist'
      })
    ])
    expect(lines).toEqual([
      { region: 'us-east-1', line: 'updated  pipeline app [Source/App] v3 → v4' },
      { region: 'eu-west-1', line: 'planned  pipeline app [Source/App] v7 — would write' },
      { region: 'us-east-1', line: 'failed   pipeline gone — does not exist' }
    ])
  })
})
