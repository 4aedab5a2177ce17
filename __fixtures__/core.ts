import { jest } from '@jest/globals'
import type * as Core from '@actions/core'

// Inputs are read by the real @actions/core from INPUT_* variables (so its
// trimming and boolean rules are the ones tested); everything that prints
// or writes is a mock the tests can inspect.
const actual = await import('@actions/core')

export const setSecret = jest.fn<typeof Core.setSecret>()
export const setOutput = jest.fn<typeof Core.setOutput>()
export const setFailed = jest.fn<typeof Core.setFailed>()
export const info = jest.fn<typeof Core.info>()
export const debug = jest.fn<typeof Core.debug>()
export const warning = jest.fn<typeof Core.warning>()
export const notice = jest.fn<typeof Core.notice>()
export const error = jest.fn<typeof Core.error>()
export const getIDToken = jest.fn<typeof Core.getIDToken>()
export const group = jest.fn(async <T>(_name: string, fn: () => Promise<T>) => fn())
/** @public the modules under test read their inputs through the mocked @actions/core */
export const getInput = actual.getInput
/** @public likewise */
export const getBooleanInput = actual.getBooleanInput

const written: string[] = []
export const summary = {
  addRaw: jest.fn((text: string) => {
    written.push(text)
    return summary
  }),
  write: jest.fn(async () => summary),
  text: () => written.join('')
}

/** Sets INPUT_* variables as the runner would, after clearing earlier ones. */
export function setInputs(inputs: Record<string, string>): void {
  for (const key of Object.keys(process.env)) if (key.startsWith('INPUT_')) delete process.env[key]
  for (const [name, value] of Object.entries(inputs)) {
    process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  }
}

export function resetCore(): void {
  written.length = 0
  for (const mock of [
    setSecret,
    setOutput,
    setFailed,
    info,
    debug,
    warning,
    notice,
    error,
    getIDToken
  ]) {
    mock.mockReset()
  }
  group.mockClear()
  summary.addRaw.mockClear()
  summary.write.mockClear()
}
