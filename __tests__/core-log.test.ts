import { jest, describe, it, expect, beforeEach, afterEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'

jest.unstable_mockModule('@actions/core', () => core)
const log = await import('../src/core/log.js')
const { registerValue } = await import('../src/core/redact.js')

const SECRET = 'log-secret-0123456789'
registerValue(SECRET)

/** A value from outside that tries to start workflow commands of its own. */
const HOSTILE = `name\n::warning::pwned ${SECRET}\r\n##[error]fake`
/** Would the runner read any line of this text as a workflow command? */
const startsCommand = (text: string) => text.split(/\r?\n/).some((l) => /^\s*(::|##\[)/.test(l))

const first = (mock: { mock: { calls: unknown[][] } }) => mock.mock.calls[0]?.[0]

beforeEach(() => core.resetCore())

describe('log lines and annotations', () => {
  it.each(['info', 'warning', 'notice'] as const)(
    '%s redacts and keeps a hostile value on one line',
    (name) => {
      const mock = { info: core.info, warning: core.warning, notice: core.notice }[name]
      log[name](HOSTILE)
      expect(mock).toHaveBeenCalledTimes(1)
      const printed = first(mock) as string
      expect(printed).toBe('name\\n::warning::pwned ***\\r\\n##[error]fake')
      expect(startsCommand(printed)).toBe(false)
    }
  )

  it('neutralises a line that begins with a command', () => {
    log.info(`::add-mask::${SECRET}`)
    expect(core.info).toHaveBeenCalledWith('» ::add-mask::***')
  })

  it('fails with one annotation line per given line, each made safe', () => {
    log.fail(['2 target(s) failed:', `- ${HOSTILE}`, '::error::second'])
    expect(core.setFailed).toHaveBeenCalledTimes(1)
    const text = first(core.setFailed) as string
    expect(text.split('\n')).toEqual([
      '2 target(s) failed:',
      '- name\\n::warning::pwned ***\\r\\n##[error]fake',
      '» ::error::second'
    ])
    expect(startsCommand(text)).toBe(false)
  })

  it('prints a group with its name and every line made safe', async () => {
    await log.group(`Region ${HOSTILE}`, ['plain', HOSTILE])
    expect(core.group).toHaveBeenCalledTimes(1)
    expect(first(core.group)).toBe('Region name\\n::warning::pwned ***\\r\\n##[error]fake')
    const lines = core.info.mock.calls.map(([line]) => line)
    expect(lines).toEqual(['plain', 'name\\n::warning::pwned ***\\r\\n##[error]fake'])
    expect(lines.some(startsCommand)).toBe(false)
  })

  it('prints the group lines inside the group', async () => {
    const inside: boolean[] = []
    let open = false
    core.group.mockImplementationOnce(async (_name, fn) => {
      open = true
      const result = await fn()
      open = false
      return result
    })
    core.info.mockImplementation(() => inside.push(open))
    await log.group('g', ['a', 'b'])
    expect(inside).toEqual([true, true])
  })
})

describe('output', () => {
  it('JSON-encodes a value that is not a string, redacted', () => {
    log.output('report', [{ pipeline: 'app', error: `bad ${SECRET}` }])
    expect(core.setOutput).toHaveBeenCalledWith('report', '[{"pipeline":"app","error":"bad ***"}]')
  })

  it('writes a string as it is, redacted, line breaks kept (GITHUB_OUTPUT delimits it)', () => {
    log.output('previous-token-revoked', 'true')
    log.output('note', `a\nb ${SECRET}`)
    expect(core.setOutput.mock.calls).toEqual([
      ['previous-token-revoked', 'true'],
      ['note', 'a\nb ***']
    ])
  })

  it('encodes numbers, booleans and null as JSON', () => {
    log.output('n', 3)
    log.output('b', false)
    log.output('z', null)
    expect(core.setOutput.mock.calls).toEqual([
      ['n', '3'],
      ['b', 'false'],
      ['z', 'null']
    ])
  })
})

describe('summary', () => {
  const saved = process.env['GITHUB_STEP_SUMMARY']
  afterEach(() => {
    if (saved === undefined) delete process.env['GITHUB_STEP_SUMMARY']
    else process.env['GITHUB_STEP_SUMMARY'] = saved
  })

  it('appends the markdown to the job summary, redacted', async () => {
    process.env['GITHUB_STEP_SUMMARY'] = '/tmp/summary.md'
    await log.summary(`## Rotation ${SECRET}\n`)
    // addRaw(text, true): the second argument ends the text with a line break.
    expect(core.summary.addRaw.mock.calls).toEqual([['## Rotation ***\n', true]])
    expect(core.summary.write).toHaveBeenCalledTimes(1)
  })

  it('writes nothing outside GitHub Actions (no GITHUB_STEP_SUMMARY)', async () => {
    delete process.env['GITHUB_STEP_SUMMARY']
    await log.summary('## Rotation\n')
    expect(core.summary.addRaw).not.toHaveBeenCalled()
    expect(core.summary.write).not.toHaveBeenCalled()
  })

  it('passes on a failure to write the summary', async () => {
    process.env['GITHUB_STEP_SUMMARY'] = '/tmp/summary.md'
    core.summary.write.mockRejectedValueOnce(new Error('EACCES'))
    await expect(log.summary('x')).rejects.toThrow('EACCES')
  })
})
