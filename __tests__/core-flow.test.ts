import { jest, describe, it, expect, beforeEach, afterEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'

jest.unstable_mockModule('@actions/core', () => core)
const { runFlow } = await import('../src/core/flow.js')
const { StepFailure, emptyReport } = await import('../src/core/report.js')
type Flow = import('../src/core/flow.js').Flow
type Store = import('../src/core/flow.js').Store
type Outcome = import('../src/core/flow.js').Outcome
type Verdict = import('../src/core/flow.js').Verdict
type Report = import('../src/core/report.js').Report

let events: string[] = []
const tick = () => new Promise((resolve) => setTimeout(resolve, 5))

interface FakeStore extends Store {
  plan: jest.Mock<() => Promise<void>>
  apply: jest.Mock<() => Promise<void>>
}

function store(
  name: string,
  report: Partial<Report> = {},
  options: { after?: Store[]; slow?: boolean } = {}
): FakeStore {
  return {
    ...(options.after && { after: options.after }),
    plan: jest.fn(async () => {
      events.push(`${name}:plan`)
      if (options.slow) await tick()
      events.push(`${name}:planned`)
    }),
    apply: jest.fn(async () => {
      events.push(`${name}:apply`)
    }),
    report: () => emptyReport(report)
  }
}

function gate(verdict: Partial<Verdict> = {}) {
  return {
    check: jest.fn(async (): Promise<Verdict> => {
      events.push('gate:check')
      return { open: true, confirmed: true, report: emptyReport(), ...verdict }
    })
  }
}

function retire(report: Partial<Report> = {}) {
  return {
    run: jest.fn(async (_outcome: Outcome) => {
      events.push('retire')
      return emptyReport(report)
    })
  }
}

function flow(overrides: Partial<Flow> = {}): Flow {
  return {
    title: 'Rotation',
    dryRun: false,
    regions: ['us-east-1'],
    stores: [],
    gate: gate(),
    ...overrides
  }
}

const saved = process.env['GITHUB_STEP_SUMMARY']
beforeEach(() => {
  core.resetCore()
  events = []
  process.env['GITHUB_STEP_SUMMARY'] = '/tmp/summary.md'
})
afterEach(() => {
  if (saved === undefined) delete process.env['GITHUB_STEP_SUMMARY']
  else process.env['GITHUB_STEP_SUMMARY'] = saved
})

describe('runFlow: planning', () => {
  it('plans a store only after the stores it names in `after` have planned', async () => {
    const stacks = store('stacks', {}, { slow: true })
    const codebuild = store('codebuild', {}, { slow: true })
    const secrets = store('secrets', {}, { after: [stacks, codebuild] })
    // Listed first, it still waits.
    await runFlow(flow({ stores: [secrets, stacks, codebuild] }))
    const at = (event: string) => events.indexOf(event)
    expect(at('secrets:plan')).toBeGreaterThan(at('stacks:planned'))
    expect(at('secrets:plan')).toBeGreaterThan(at('codebuild:planned'))
  })

  it('plans stores that do not depend on each other at the same time', async () => {
    const a = store('a', {}, { slow: true })
    const b = store('b', {}, { slow: true })
    await runFlow(flow({ stores: [a, b] }))
    expect(events.slice(0, 4)).toEqual(['a:plan', 'b:plan', 'a:planned', 'b:planned'])
  })

  it('plans each store once, however many stores name it', async () => {
    const stacks = store('stacks', {}, { slow: true })
    const secrets = store('secrets', {}, { after: [stacks] })
    const parameters = store('parameters', {}, { after: [stacks] })
    await runFlow(flow({ stores: [stacks, secrets, parameters] }))
    expect(stacks.plan).toHaveBeenCalledTimes(1)
    expect(secrets.plan).toHaveBeenCalledTimes(1)
    expect(parameters.plan).toHaveBeenCalledTimes(1)
  })

  it('checks the token once every store has planned, and applies after that', async () => {
    const a = store('a', {}, { slow: true })
    const b = store('b', {}, { after: [a] })
    await runFlow(flow({ stores: [a, b] }))
    expect(events).toEqual([
      'a:plan',
      'a:planned',
      'b:plan',
      'b:planned',
      'gate:check',
      'a:apply',
      'b:apply'
    ])
  })
})

describe('runFlow: the gate checks after every plan', () => {
  it('plans every store (in their order), then checks, then applies', async () => {
    const a = store('a', {}, { slow: true })
    const b = store('b', {}, { after: [a] })
    await runFlow(flow({ stores: [a, b], gate: gate() }))
    expect(events).toEqual([
      'a:plan',
      'a:planned',
      'b:plan',
      'b:planned',
      'gate:check',
      'a:apply',
      'b:apply'
    ])
  })
})

describe('runFlow: writes a store started during its plan', () => {
  it('end before anything is reported when another plan broke, and nothing is applied', async () => {
    let finish: () => void = () => undefined
    const early = {
      ...store('early'),
      settle: jest.fn(async (): Promise<string | undefined> => {
        events.push('early:settle')
        await new Promise<void>((resolve) => (finish = resolve))
        events.push('early:settled')
        return '1 pipeline'
      }),
      report: () => {
        events.push('early:report')
        return emptyReport()
      }
    }
    const broken = store('broken')
    broken.plan.mockRejectedValue(new Error('boom'))
    const open = gate()
    const running = runFlow(flow({ stores: [early, broken], gate: open }))
    await tick()
    expect(events).toContain('early:settle')
    expect(events).not.toContain('early:report')
    finish()
    await expect(running).rejects.toThrow('Planning failed unexpectedly: boom')
    expect(events.indexOf('early:settled')).toBeLessThan(events.indexOf('early:report'))
    expect(open.check).not.toHaveBeenCalled()
    expect(early.apply).not.toHaveBeenCalled()
  })
})

describe('runFlow: a closed gate', () => {
  it('publishes the plan and throws, without applying or retiring', async () => {
    const a = store('a', {
      lines: [{ region: 'us-east-1', line: 'planned pipeline app' }],
      failures: ['pipeline b: denied']
    })
    const closed = gate({
      open: false,
      confirmed: false,
      report: emptyReport({ failures: ['GitHub token: revoked'], headline: 'Token: refused' })
    })
    const old = retire()
    let thrown: unknown
    await runFlow(flow({ stores: [a], gate: closed, retire: old })).catch((e) => (thrown = e))
    expect(thrown).toBeInstanceOf(StepFailure)
    expect((thrown as InstanceType<typeof StepFailure>).lines).toEqual([
      'The GitHub token was refused, so nothing was written:',
      '- GitHub token: revoked',
      '- pipeline b: denied'
    ])
    expect(a.apply).not.toHaveBeenCalled()
    expect(old.run).not.toHaveBeenCalled()
    // The plan was published all the same.
    expect(core.info).toHaveBeenCalledWith('planned pipeline app')
    expect(core.summary.text()).toContain('**Nothing was written: GitHub refused the token.**')
    expect(core.summary.text()).toContain('Token: refused')
  })

  it('lets the writes a store started as each target passed end, reports them, and writes nothing else', async () => {
    let finish: () => void = () => undefined
    const early: FakeStore & { settle: jest.Mock<() => Promise<string | undefined>> } = {
      ...store('early', { lines: [{ region: 'us-east-1', line: 'updated pipeline api' }] }),
      settle: jest.fn(async () => {
        events.push('early:settle')
        // A write still under way when the gate refused the run.
        await new Promise<void>((resolve) => (finish = resolve))
        events.push('early:settled')
        return '2 pipelines whose own repositories the token reaches'
      })
    }
    const other = store('other')
    const closed = gate({
      open: false,
      confirmed: false,
      report: emptyReport({ failures: ['GitHub token: builds o/lib, which the token cannot see'] })
    })
    const old = retire()
    const running = runFlow(flow({ stores: [early, other], gate: closed, retire: old }))
    await tick()
    expect(events).toContain('early:settle')
    expect(core.summary.text()).toBe('')
    finish()
    let thrown: unknown
    await running.catch((e) => (thrown = e))
    expect((thrown as InstanceType<typeof StepFailure>).lines).toEqual([
      'The GitHub token was refused, so only what the token check had passed on its own was written (2 pipelines whose own repositories the token reaches), nothing else:',
      '- GitHub token: builds o/lib, which the token cannot see'
    ])
    expect(events).toEqual([
      'early:plan',
      'early:planned',
      'other:plan',
      'other:planned',
      'gate:check',
      'early:settle',
      'early:settled'
    ])
    expect(early.apply).not.toHaveBeenCalled()
    expect(other.apply).not.toHaveBeenCalled()
    expect(old.run).not.toHaveBeenCalled()
    expect(core.info).toHaveBeenCalledWith('updated pipeline api')
    expect(core.summary.text()).toContain(
      '**GitHub refused the token: only what the token check had passed on its own was written (2 pipelines whose own repositories the token reaches), nothing else.**'
    )
  })

  it('says nothing was written when the early writes wrote nothing, and reports a settle that broke', async () => {
    const early = {
      ...store('early'),
      settle: jest.fn(async (): Promise<string | undefined> => undefined)
    }
    const broken = {
      ...store('broken'),
      settle: jest.fn(async (): Promise<string | undefined> => {
        throw new Error('boom')
      })
    }
    const closed = gate({ open: false, confirmed: false, report: emptyReport({ failures: ['x'] }) })
    await expect(runFlow(flow({ stores: [early, broken], gate: closed }))).rejects.toThrow(
      'The GitHub token was refused, so nothing was written:\n- x\n- Writing failed unexpectedly: boom'
    )
    expect(core.summary.text()).toContain('**Nothing was written: GitHub refused the token.**')
  })

  it('says it was a dry run too', async () => {
    await expect(
      runFlow(
        flow({
          dryRun: true,
          gate: gate({ open: false, confirmed: false, report: emptyReport({ failures: ['x'] }) })
        })
      )
    ).rejects.toThrow('The GitHub token was refused, so nothing was written:\n- x')
    expect(core.summary.text()).toContain(
      '**Nothing was written: GitHub refused the token.**\n\n**Dry run** — nothing was written; this is the plan.'
    )
  })

  it('still throws its own failure when the plan cannot be published', async () => {
    core.setOutput.mockImplementation(() => {
      throw new Error('EACCES')
    })
    await expect(
      runFlow(
        flow({
          gate: gate({
            open: false,
            confirmed: false,
            report: emptyReport({ failures: ['GitHub token: revoked'], outputs: { x: '1' } })
          })
        })
      )
    ).rejects.toThrow(
      'The GitHub token was refused, so nothing was written:\n- GitHub token: revoked'
    )
  })
})

describe('runFlow: an open gate', () => {
  it('never applies in a dry run, and says so in the summary', async () => {
    const a = store('a')
    await runFlow(flow({ dryRun: true, stores: [a] }))
    expect(a.plan).toHaveBeenCalledTimes(1)
    expect(a.apply).not.toHaveBeenCalled()
    expect(core.summary.text()).toContain('**Dry run** — nothing was written; this is the plan.')
  })

  it('applies every store outside a dry run, with no dry-run line', async () => {
    const a = store('a')
    const b = store('b')
    await runFlow(flow({ stores: [a, b] }))
    expect(a.apply).toHaveBeenCalledTimes(1)
    expect(b.apply).toHaveBeenCalledTimes(1)
    expect(core.summary.text()).not.toContain('Dry run')
  })

  it('hands the retire step what every report says, after the writes', async () => {
    const a = store('a', { failures: ['pipeline a: denied'], holdouts: ['pipeline a'] })
    const b = store('b', { holdouts: ['secret b'] })
    const old = retire()
    await runFlow(
      flow({
        stores: [a, b],
        gate: gate({ confirmed: false, report: emptyReport({ failures: [] }) }),
        retire: old
      })
    ).catch(() => undefined)
    expect(old.run).toHaveBeenCalledWith({
      dryRun: false,
      confirmed: false,
      failures: ['pipeline a: denied'],
      holdouts: ['pipeline a', 'secret b']
    })
    expect(events.indexOf('retire')).toBeGreaterThan(events.indexOf('b:apply'))
  })

  it('tells the retire step about a dry run and a confirmed token', async () => {
    const old = retire()
    await runFlow(flow({ dryRun: true, stores: [store('a')], retire: old }))
    expect(old.run).toHaveBeenCalledWith({
      dryRun: true,
      confirmed: true,
      failures: [],
      holdouts: []
    })
  })

  it("publishes the gate's, every store's and the retire step's report", async () => {
    await runFlow(
      flow({
        gate: gate({
          report: emptyReport({ outputs: { 'token-days-left': '30' }, headline: 'Token: ok' })
        }),
        stores: [
          store('a', { outputs: { report: [] }, headline: 'Pipelines: none selected' }),
          store('b', {
            outputs: { codebuild: [] },
            sections: [{ title: 'CodeBuild', headers: ['x'], rows: [['1']] }]
          })
        ],
        retire: retire({
          outputs: { 'previous-token-revoked': 'true' },
          headline: 'Previous token: revoked'
        })
      })
    )
    expect(core.setOutput.mock.calls).toEqual([
      ['token-days-left', '30'],
      ['report', '[]'],
      ['codebuild', '[]'],
      ['complete', 'true'],
      ['previous-token-revoked', 'true']
    ])
    expect(core.summary.text()).toContain(
      'Token: ok · Pipelines: none selected · Previous token: revoked'
    )
    expect(core.summary.text()).toContain('### CodeBuild')
    expect(core.info).toHaveBeenLastCalledWith(
      'Done. Token: ok · Pipelines: none selected · Previous token: revoked'
    )
  })

  it('fails the step when a store failed, after publishing everything', async () => {
    await expect(
      runFlow(
        flow({ stores: [store('a', { failures: ['pipeline a: denied'], outputs: { a: '1' } })] })
      )
    ).rejects.toThrow('1 target(s) failed:\n- pipeline a: denied')
    expect(core.setOutput).toHaveBeenCalledWith('a', '1')
  })

  it.each<[string, string, boolean, Partial<Report>]>([
    ['everything holds the new token', 'true', false, {}],
    ['a dry run', 'false', true, {}],
    ['a target failed', 'false', false, { failures: ['pipeline a: denied'] }],
    ['a place may still hold the old token', 'false', false, { holdouts: ['secret b'] }]
  ])('sets the complete output when %s: %s', async (_, complete, dryRun, report) => {
    await runFlow(flow({ dryRun, stores: [store('a', report)] })).catch(() => undefined)
    expect(core.setOutput).toHaveBeenCalledWith('complete', complete)
  })

  it('runs without a retire step', async () => {
    await runFlow(flow({ stores: [store('a', { headline: 'A' })] }))
    expect(core.info).toHaveBeenLastCalledWith('Done. A')
  })
})

describe('runFlow: whatever throws, every write made is reported', () => {
  const throwing = (
    name: string,
    when: 'plan' | 'apply' | 'report',
    report: Partial<Report> = {}
  ) => {
    const s = store(name, report)
    if (when === 'report') {
      s.report = () => {
        throw new Error(`${name} cannot report`)
      }
    } else {
      s[when].mockImplementation(async () => {
        events.push(`${name}:${when}`)
        throw new RangeError('Maximum call stack size exceeded')
      })
    }
    return s
  }
  const written = {
    outputs: { updated: ['arn:app'] },
    lines: [{ region: 'us-east-1', line: 'updated  pipeline app' }]
  }

  it('a plan that throws: the others are still reported, nothing more is written, nothing revoked', async () => {
    const pipelines = store('pipelines', written)
    const old = retire()
    const checks = gate()
    await expect(
      runFlow(flow({ stores: [pipelines, throwing('secrets', 'plan')], gate: checks, retire: old }))
    ).rejects.toThrow(
      '1 target(s) failed:\n- Planning failed unexpectedly: Maximum call stack size exceeded'
    )
    expect(checks.check).not.toHaveBeenCalled()
    expect(pipelines.apply).not.toHaveBeenCalled()
    expect(old.run).not.toHaveBeenCalled()
    expect(core.info).toHaveBeenCalledWith('updated  pipeline app')
    expect(core.setOutput).toHaveBeenCalledWith('updated', '["arn:app"]')
    expect(core.setOutput).toHaveBeenCalledWith('complete', 'false')
  })

  it('an apply that throws: every other store still writes and is reported', async () => {
    const pipelines = store('pipelines', written)
    await expect(
      runFlow(flow({ stores: [throwing('secrets', 'apply'), pipelines] }))
    ).rejects.toThrow('- Writing failed unexpectedly: Maximum call stack size exceeded')
    expect(pipelines.apply).toHaveBeenCalled()
    expect(core.setOutput).toHaveBeenCalledWith('updated', '["arn:app"]')
  })

  it('a gate that throws: the plan is reported, nothing written', async () => {
    const pipelines = store('pipelines', written)
    const broken = {
      check: jest.fn(async (): Promise<Verdict> => {
        throw new Error('GitHub went away')
      })
    }
    await expect(runFlow(flow({ stores: [pipelines], gate: broken }))).rejects.toThrow(
      '- The token check failed unexpectedly: GitHub went away'
    )
    expect(pipelines.apply).not.toHaveBeenCalled()
    expect(core.setOutput).toHaveBeenCalledWith('updated', '["arn:app"]')
  })

  it('a store that cannot report, and a retire step that throws, hide nothing else', async () => {
    const pipelines = store('pipelines', written)
    const old = {
      run: jest.fn(async (): Promise<Report> => {
        throw new Error('revoke broke')
      })
    }
    await expect(
      runFlow(flow({ stores: [pipelines, throwing('secrets', 'report')], retire: old }))
    ).rejects.toThrow(
      '2 target(s) failed:\n- A store could not report its results: secrets cannot report\n- Retiring the previous token failed unexpectedly: revoke broke'
    )
    expect(core.setOutput).toHaveBeenCalledWith('updated', '["arn:app"]')
  })
})
