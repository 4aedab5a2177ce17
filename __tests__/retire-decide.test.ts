import { describe, it, expect } from '@jest/globals'
import { decide } from '../src/retire/decide.js'

const done = { dryRun: false, confirmed: true, failures: [], holdouts: [] }

describe('decide', () => {
  it('revokes once GitHub confirmed the new token and everything holds it', () => {
    expect(decide(done)).toEqual({ revoke: true, reasons: [] })
  })

  it('never revokes in a dry run, but says it would', () => {
    expect(decide({ ...done, dryRun: true })).toEqual({ revoke: false, reasons: [] })
  })

  it('keeps the old token when GitHub did not confirm the new one', () => {
    expect(decide({ ...done, confirmed: false })).toEqual({
      revoke: false,
      reasons: [
        'GitHub did not confirm the new token (verify-token is false, or the check was skipped)'
      ]
    })
  })

  it('keeps it when a target failed, counting them', () => {
    expect(decide({ ...done, failures: ['a'] }).reasons).toEqual(['1 target failed'])
    expect(decide({ ...done, failures: ['a', 'b'] })).toEqual({
      revoke: false,
      reasons: ['2 targets failed']
    })
  })

  it('keeps it while a place may still hold the old token, naming each', () => {
    expect(decide({ ...done, holdouts: ['pipeline a was skipped', 'secret b'] })).toEqual({
      revoke: false,
      reasons: ['pipeline a was skipped', 'secret b']
    })
  })

  it('gives every reason at once, in a dry run too', () => {
    expect(
      decide({ dryRun: true, confirmed: false, failures: ['f'], holdouts: ['h'] }).reasons
    ).toEqual([
      'GitHub did not confirm the new token (verify-token is false, or the check was skipped)',
      '1 target failed',
      'h'
    ])
  })
})
