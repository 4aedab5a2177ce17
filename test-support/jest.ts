/**
 * The hooks every e2e test file repeats: one emulator per file, started
 * before its tests, stopped after them, and reset (moto, launcher state,
 * throttle and faults) before each test. Seeding stays in each test file.
 * Only for jest test files: it registers jest hooks when called.
 */
import { afterAll, beforeAll, beforeEach } from '@jest/globals'
import { reset, startEmulator, type Emulator, type StartEmulatorOptions } from './emulator.js'

/**
 * Call at the top level of a test file, before its own beforeEach (hooks run
 * in the order they are declared, so the reset comes before the file's
 * seeding). Returns the emulator, usable from beforeAll on; `url` and
 * `process` throw before that.
 */
export function useEmulator(options: StartEmulatorOptions = {}): Emulator {
  let started: Emulator | undefined
  const current = (): Emulator => {
    if (started === undefined) throw new Error('the emulator is used before beforeAll started it')
    return started
  }
  beforeAll(async () => {
    started = await startEmulator(options)
  })
  afterAll(async () => {
    await started?.stop()
  })
  beforeEach(async () => {
    await reset(current())
  })
  return {
    get url() {
      return current().url
    },
    get process() {
      return current().process
    },
    stop: () => current().stop()
  }
}
