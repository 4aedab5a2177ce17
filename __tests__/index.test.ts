import { jest, it, expect } from '@jest/globals'

const run = jest.fn(async () => undefined)
jest.unstable_mockModule('../src/main.js', () => ({ run }))

it('runs the action when loaded', async () => {
  await import('../src/index.js')
  expect(run).toHaveBeenCalledTimes(1)
})
