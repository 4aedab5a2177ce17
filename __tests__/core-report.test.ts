import { jest, describe, it, expect, beforeEach, afterEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'

jest.unstable_mockModule('@actions/core', () => core)
const { StepFailure, countStatuses, emptyReport, publish, renderSummary, statusCell } =
  await import('../src/core/report.js')
const { registerValue } = await import('../src/core/redact.js')
type Report = import('../src/core/report.js').Report

const SECRET = 'report-secret-0123456789'
registerValue(SECRET)

const section = (rows: string[][], title = 'Table') => ({ title, headers: ['A', 'B'], rows })

async function failure(promise: Promise<unknown>): Promise<InstanceType<typeof StepFailure>> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(StepFailure)
    return error as InstanceType<typeof StepFailure>
  }
  throw new Error('expected a StepFailure')
}

const saved = process.env['GITHUB_STEP_SUMMARY']
beforeEach(() => {
  core.resetCore()
  process.env['GITHUB_STEP_SUMMARY'] = '/tmp/summary.md'
})
afterEach(() => {
  if (saved === undefined) delete process.env['GITHUB_STEP_SUMMARY']
  else process.env['GITHUB_STEP_SUMMARY'] = saved
})

describe('statusCell', () => {
  it.each([
    ['updated', '✅ updated'],
    ['imported', '✅ imported'],
    ['removed', '✅ removed'],
    ['revoked', '✅ revoked'],
    ['planned', '📝 planned'],
    ['skipped', '⏭️ skipped'],
    ['absent', '➖ absent'],
    ['kept', '➖ kept'],
    ['warned', '⚠️ warned'],
    ['failed', '❌ failed']
  ])('shows %s as %s', (status, cell) => {
    expect(statusCell(status)).toBe(cell)
  })

  it('shows a status it has no icon for as it is', () => {
    expect(statusCell('pending')).toBe('pending')
  })

  it('follows the status with the detail, when there is one', () => {
    expect(statusCell('failed', 'boom')).toBe('❌ failed: boom')
    expect(statusCell('pending', 'later')).toBe('pending: later')
    expect(statusCell('updated', '')).toBe('✅ updated')
  })
})

describe('countStatuses', () => {
  it('counts each status in the order first seen', () => {
    expect(
      countStatuses([
        { status: 'updated' },
        { status: 'failed' },
        { status: 'updated' },
        { status: 'planned' }
      ])
    ).toBe('2 updated, 1 failed, 1 planned')
  })

  it('says none selected for no results', () => {
    expect(countStatuses([])).toBe('none selected')
  })
})

describe('emptyReport and StepFailure', () => {
  it('starts a report empty, with any part given', () => {
    expect(emptyReport()).toEqual({
      sections: [],
      lines: [],
      outputs: {},
      failures: [],
      warnings: [],
      notices: [],
      headline: undefined,
      holdouts: [],
      closing: []
    })
    expect(emptyReport({ failures: ['x'], headline: 'h' })).toMatchObject({
      failures: ['x'],
      headline: 'h',
      warnings: []
    })
  })

  it('keeps every line of a StepFailure, and joins them as its message', () => {
    const error = new StepFailure(['first', 'second'])
    expect(error.lines).toEqual(['first', 'second'])
    expect(error.message).toBe('first\nsecond')
    expect(error.name).toBe('StepFailure')
    expect(error).toBeInstanceOf(Error)
  })
})

describe('renderSummary', () => {
  it('renders the heading, the intro and each table', () => {
    expect(renderSummary('Rotation', ['First.', 'Second.'], [section([['1', '2']])], [])).toBe(
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
    const markdown = renderSummary(
      'R',
      [],
      [section([], 'Empty'), section([['x', 'y']], 'Full')],
      []
    )
    expect(markdown).not.toContain('Empty')
    expect(markdown).toContain('### Full')
  })

  it('keeps a cell from breaking the table or injecting HTML', () => {
    // Changed: a line break is shown as its escape (it was a space), '>' is escaped too.
    const markdown = renderSummary('R', [], [section([['a|b', 'line 1\r\nline 2 <img>']])], [])
    expect(markdown).toContain('| a\\|b | line 1\\r\\nline 2 &lt;img&gt; |')
  })

  it('escapes the heading, the intro lines, the section titles and the headers', () => {
    const markdown = renderSummary(
      'R <b>',
      ['**Dry run** [link](x)', 'two\nlines'],
      [{ title: 'T|<i>', headers: ['H|1', '![h]'], rows: [['1', '2']] }],
      []
    )
    expect(markdown.split('\n')).toEqual([
      '## R &lt;b&gt;',
      '',
      '**Dry run** \\[link\\](x)',
      '',
      'two\\nlines',
      '',
      '### T\\|&lt;i&gt;',
      '',
      '| H\\|1 | \\!\\[h\\] |',
      '| --- | --- |',
      '| 1 | 2 |',
      ''
    ])
  })

  it('lists the warnings, escaped, after the tables', () => {
    const markdown = renderSummary(
      'R',
      [],
      [section([['1', '2']])],
      ['first | warning', 'second\nline <script>']
    )
    expect(
      markdown.endsWith('### Warnings\n\n- first \\| warning\n- second\\nline &lt;script&gt;\n')
    ).toBe(true)
    expect(markdown.indexOf('### Table')).toBeLessThan(markdown.indexOf('### Warnings'))
  })

  it('ends with the closing sections, after the warnings', () => {
    const markdown = renderSummary(
      'R',
      [],
      [section([['1', '2']], 'First')],
      ['w'],
      [section([['3', '4']], 'Last')]
    )
    expect(markdown.indexOf('### Warnings')).toBeLessThan(markdown.indexOf('### Last'))
    expect(markdown.trimEnd().endsWith('| 3 | 4 |')).toBe(true)
  })

  it('has no warnings heading without warnings', () => {
    expect(renderSummary('R', [], [], [])).toBe('## R\n')
  })

  it('keeps every part on its own line, so none can start a workflow command', () => {
    const markdown = renderSummary(
      '::error::h',
      ['x\n::warning::i'],
      [section([['a\n::error::c', 'b']], 'T\n##[error]t')],
      ['w\n::error::w']
    )
    expect(markdown.split('\n').filter((l) => /^\s*(::|##\[)/.test(l))).toEqual([])
  })
})

describe('publish', () => {
  const report = (overrides: Partial<Report> = {}) => emptyReport(overrides)

  it('prints one group per region with lines, in the order the regions were given', async () => {
    await publish({
      title: 'T',
      intro: [],
      regions: ['eu-west-1', 'us-west-2', 'us-east-1'],
      reports: [
        report({
          lines: [
            { region: 'us-east-1', line: 'east 1' },
            { region: 'ap-south-1', line: 'from an ARN' }
          ]
        }),
        report({
          lines: [
            { region: 'eu-west-1', line: 'west 1' },
            { region: 'us-east-1', line: `east 2 ${SECRET}` }
          ]
        })
      ]
    })
    // us-west-2 has no lines: no empty group for it; ap-south-1 is not listed: last.
    expect(core.group.mock.calls.map(([name]) => name)).toEqual([
      'Region eu-west-1',
      'Region us-east-1',
      'Region ap-south-1'
    ])
    expect(core.info.mock.calls.map(([line]) => line)).toEqual([
      'west 1',
      'east 1',
      'east 2 ***',
      'from an ARN',
      'Done. '
    ])
  })

  it('prints no group without lines', async () => {
    await publish({ title: 'T', intro: [], regions: ['us-east-1'], reports: [report()] })
    expect(core.group).not.toHaveBeenCalled()
  })

  it('prints the log groups first, then warnings and notices, then outputs, then the summary', async () => {
    await publish({
      title: 'Rotation',
      intro: ['**Dry run**'],
      regions: ['us-east-1'],
      reports: [
        report({
          lines: [{ region: 'us-east-1', line: 'planned pipeline app' }],
          warnings: ['w1'],
          notices: ['n1'],
          outputs: { report: [{ pipeline: 'app' }] },
          headline: 'Pipelines: 1 planned',
          sections: [section([['1', '2']])]
        }),
        report({ warnings: ['w2'], outputs: { 'token-days-left': '3' }, headline: 'Token: ok' })
      ]
    })
    const order = [
      core.group.mock.invocationCallOrder[0],
      core.warning.mock.invocationCallOrder[0],
      core.warning.mock.invocationCallOrder[1],
      core.notice.mock.invocationCallOrder[0],
      core.setOutput.mock.invocationCallOrder[0],
      core.setOutput.mock.invocationCallOrder[1],
      core.summary.addRaw.mock.invocationCallOrder[0],
      core.summary.write.mock.invocationCallOrder[0]
    ]
    expect(order.every((n) => typeof n === 'number')).toBe(true)
    expect([...(order as number[])].sort((a, b) => a - b)).toEqual(order)
    expect(core.warning.mock.calls).toEqual([['w1'], ['w2']])
    expect(core.notice.mock.calls).toEqual([['n1']])
    expect(core.setOutput.mock.calls).toEqual([
      ['report', '[{"pipeline":"app"}]'],
      ['token-days-left', '3']
    ])
    expect(core.summary.text()).toBe(
      [
        '## Rotation',
        '',
        '**Dry run**',
        '',
        'Pipelines: 1 planned · Token: ok',
        '',
        '### Table',
        '',
        '| A | B |',
        '| --- | --- |',
        '| 1 | 2 |',
        '',
        '### Warnings',
        '',
        '- w1',
        '- w2',
        ''
      ].join('\n')
    )
    expect(core.info).toHaveBeenLastCalledWith('Done. Pipelines: 1 planned · Token: ok')
  })

  it('redacts registered secrets everywhere in the summary', async () => {
    await publish({
      title: `R ${SECRET}`,
      intro: [SECRET],
      regions: [],
      reports: [report({ sections: [section([[SECRET, 'x']])], warnings: [SECRET] })]
    })
    const markdown = core.summary.text()
    expect(markdown).not.toContain(SECRET)
    expect(markdown.match(/\*\*\*/g)).toHaveLength(4)
    expect(core.warning).toHaveBeenCalledWith('***')
  })

  it('throws a StepFailure with every failure, after writing everything', async () => {
    const error = await failure(
      publish({
        title: 'T',
        intro: [],
        regions: ['us-east-1'],
        reports: [
          report({ failures: ['pipeline a: denied'], outputs: { a: '1' } }),
          report({
            failures: [`secret b: ${SECRET}`],
            lines: [{ region: 'us-east-1', line: 'failed b' }]
          })
        ]
      })
    )
    expect(error.lines).toEqual([
      '2 target(s) failed:',
      '- pipeline a: denied',
      `- secret b: ${SECRET}`
    ])
    expect(core.group).toHaveBeenCalledTimes(1)
    expect(core.setOutput).toHaveBeenCalledWith('a', '1')
    expect(core.summary.write).toHaveBeenCalledTimes(1)
    expect(core.info).not.toHaveBeenCalledWith(expect.stringMatching(/^Done\./))
  })

  it('says every write is listed in the log when an output cannot be written', async () => {
    core.setOutput.mockImplementation(() => {
      throw new Error('EACCES: permission denied, open GITHUB_OUTPUT')
    })
    const error = await failure(
      publish({
        title: 'T',
        intro: [],
        regions: ['us-east-1'],
        reports: [
          report({ lines: [{ region: 'us-east-1', line: 'updated app' }], outputs: { a: '1' } })
        ]
      })
    )
    expect(error.lines).toEqual([
      "The action's outputs or job summary could not be written (EACCES: permission denied, open GITHUB_OUTPUT); every write it made is listed in the log above."
    ])
    // The writes were listed before the failing output.
    expect(core.info).toHaveBeenCalledWith('updated app')
    expect(core.info.mock.invocationCallOrder[0]).toBeLessThan(
      core.setOutput.mock.invocationCallOrder[0] ?? 0
    )
  })

  it('lists the failed targets first, then the summary that could not be written', async () => {
    core.summary.write.mockRejectedValueOnce('disk full')
    const error = await failure(
      publish({
        title: 'T',
        intro: [],
        regions: [],
        reports: [report({ failures: ['pipeline a: denied'] })]
      })
    )
    expect(error.lines).toEqual([
      '1 target(s) failed:',
      '- pipeline a: denied',
      "The action's outputs or job summary could not be written (disk full); every write it made is listed in the log above."
    ])
  })

  it('writes no summary outside GitHub Actions, and succeeds', async () => {
    delete process.env['GITHUB_STEP_SUMMARY']
    await publish({ title: 'T', intro: [], regions: [], reports: [report({ headline: 'h' })] })
    expect(core.summary.addRaw).not.toHaveBeenCalled()
    expect(core.info).toHaveBeenCalledWith('Done. h')
  })
})
