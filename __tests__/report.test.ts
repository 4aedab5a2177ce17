import { jest, describe, it, expect, beforeEach, afterEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import type { PipelineResult } from '../src/pipelines.js'

jest.unstable_mockModule('@actions/core', () => core)
const {
  pipelineLines,
  pipelineSection,
  printRegionLogs,
  renderMarkdown,
  setJsonOutput,
  statusCell,
  writeSummary
} = await import('../src/report.js')
const { registerSecret } = await import('../src/errors.js')

const SECRET = 'report-secret-0123456789'
registerSecret(SECRET)

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

beforeEach(() => core.resetCore())

describe('statusCell', () => {
  it.each([
    ['updated', '✅ updated'],
    ['imported', '✅ imported'],
    ['removed', '✅ removed'],
    ['planned', '📝 planned'],
    ['skipped', '⏭️ skipped'],
    ['absent', '➖ absent'],
    ['failed', '❌ failed']
  ])('shows %s as %s', (status, cell) => {
    expect(statusCell(status)).toBe(cell)
  })

  it('shows a status it has no icon for as it is', () => {
    expect(statusCell('pending')).toBe('pending')
  })
})

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
      'Status'
    ])
    expect(section.rows.map((r) => r[1])).toEqual(['app', 'other'])
  })

  it('shows the version a planned write would create', () => {
    expect(row(result({ status: 'planned', versionBefore: 3 }))?.[3]).toBe('3 → 4')
  })

  it('shows dashes for a planned write whose version is unknown', () => {
    expect(row(result({ status: 'planned' }))?.[3]).toBe('– → –')
  })

  it('shows the version before and after a write, or only the one read', () => {
    expect(row(result({ versionBefore: 3, versionAfter: 4 }))?.[3]).toBe('3 → 4')
    expect(row(result({ status: 'failed', versionBefore: 3 }))?.[3]).toBe('3')
    expect(row(result({ status: 'failed' }))?.[3]).toBe('–')
  })

  it('names the CloudFormation stack that owns a pipeline', () => {
    expect(row(result({ stack: 'app-stack' }))?.[1]).toBe('app (stack app-stack)')
    expect(row(result())?.[1]).toBe('app')
  })

  it('lists the GitHub actions, or a dash when there are none', () => {
    expect(row(result({ githubActions: ['Source/App', 'Source/Lib'] }))?.[2]).toBe(
      'Source/App, Source/Lib'
    )
    expect(row(result({ status: 'skipped', githubActions: [] }))?.[2]).toBe('–')
  })

  it('follows the status with the error, else the note, else nothing', () => {
    expect(row(result({ status: 'failed', error: 'boom', note: 'n' }))?.[4]).toBe('❌ failed: boom')
    expect(row(result({ status: 'skipped', note: 'no token' }))?.[4]).toBe('⏭️ skipped: no token')
    expect(row(result())?.[4]).toBe('✅ updated')
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

describe('renderMarkdown', () => {
  const section = (rows: string[][], title = 'Table') => ({ title, headers: ['A', 'B'], rows })

  it('renders the heading, the intro and each table', () => {
    expect(renderMarkdown('Rotation', ['First.', 'Second.'], [section([['1', '2']])], [])).toBe(
      [
        '## Rotation',
        '',
        'First.',
        '',
        'Second.',
        '',
        '### Table',
        '',
        '| A | B |',
        '| --- | --- |',
        '| 1 | 2 |',
        ''
      ].join('\n')
    )
  })

  it('leaves out tables without rows', () => {
    const markdown = renderMarkdown(
      'R',
      [],
      [section([], 'Empty'), section([['x', 'y']], 'Full')],
      []
    )
    expect(markdown).not.toContain('Empty')
    expect(markdown).toContain('### Full')
  })

  it('keeps a cell from breaking the table or injecting HTML', () => {
    const markdown = renderMarkdown('R', [], [section([['a|b', 'line 1\r\nline 2 <img>']])], [])
    expect(markdown).toContain('| a\\|b | line 1 line 2 &lt;img> |')
  })

  it('lists the warnings, escaped, after the tables', () => {
    const markdown = renderMarkdown(
      'R',
      [],
      [section([['1', '2']])],
      ['first | warning', 'second\nline']
    )
    expect(markdown.endsWith('### Warnings\n\n- first \\| warning\n- second line\n')).toBe(true)
    expect(markdown.indexOf('### Table')).toBeLessThan(markdown.indexOf('### Warnings'))
  })

  it('has no warnings heading without warnings', () => {
    expect(renderMarkdown('R', [], [], [])).toBe('## R\n')
  })

  it('redacts registered secrets everywhere', () => {
    const markdown = renderMarkdown(`R ${SECRET}`, [SECRET], [section([[SECRET, 'x']])], [SECRET])
    expect(markdown).not.toContain(SECRET)
    expect(markdown.match(/\*\*\*/g)).toHaveLength(4)
  })
})

describe('printRegionLogs', () => {
  it('prints one group per region with lines, in the order the regions were given', async () => {
    await printRegionLogs(
      [
        { region: 'us-east-1', line: 'east 1' },
        { region: 'ap-south-1', line: 'from an ARN' },
        { region: 'eu-west-1', line: 'west 1' },
        { region: 'us-east-1', line: `east 2 ${SECRET}` }
      ],
      ['eu-west-1', 'us-west-2', 'us-east-1']
    )
    // us-west-2 has no lines: no empty group for it.
    expect(core.group.mock.calls.map(([name]) => name)).toEqual([
      'Region eu-west-1',
      'Region us-east-1',
      'Region ap-south-1'
    ])
    expect(core.info.mock.calls.map(([line]) => line)).toEqual([
      'west 1',
      'east 1',
      'east 2 ***',
      'from an ARN'
    ])
  })

  it('prints nothing without lines', async () => {
    await printRegionLogs([], ['us-east-1'])
    expect(core.group).not.toHaveBeenCalled()
    expect(core.info).not.toHaveBeenCalled()
  })
})

describe('writeSummary', () => {
  const saved = process.env['GITHUB_STEP_SUMMARY']
  afterEach(() => {
    if (saved === undefined) delete process.env['GITHUB_STEP_SUMMARY']
    else process.env['GITHUB_STEP_SUMMARY'] = saved
  })

  it('writes the markdown to the job summary, replacing what was there', async () => {
    process.env['GITHUB_STEP_SUMMARY'] = '/tmp/summary.md'
    await writeSummary('## Rotation\n')
    // addRaw(text, true): the second argument makes it end the text with a line break.
    expect(core.summary.addRaw.mock.calls).toEqual([['## Rotation\n', true]])
    expect(core.summary.write).toHaveBeenCalledTimes(1)
  })

  it('writes nothing outside GitHub Actions (no GITHUB_STEP_SUMMARY)', async () => {
    delete process.env['GITHUB_STEP_SUMMARY']
    await writeSummary('## Rotation\n')
    expect(core.summary.addRaw).not.toHaveBeenCalled()
    expect(core.summary.write).not.toHaveBeenCalled()
  })
})

describe('setJsonOutput', () => {
  it('sets the output as JSON, redacted', () => {
    setJsonOutput('report', [{ pipeline: 'app', error: `bad ${SECRET}` }])
    expect(core.setOutput).toHaveBeenCalledWith('report', '[{"pipeline":"app","error":"bad ***"}]')
  })
})
