import { describe, it, expect } from '@jest/globals'
import { inspect, format } from 'node:util'
import { SealedToken } from '../src/core/sealed-token.js'

const VALUE = 'ghp_secret-value-not-a-token'

describe('SealedToken', () => {
  const secret = new SealedToken(VALUE)

  it('prints as *** as a string, in a template and when concatenated', () => {
    expect(String(secret)).toBe('***')
    expect(`token=${secret}`).toBe('token=***')
    expect('token=' + secret).toBe('token=***')
    expect(secret.toString()).toBe('***')
  })

  it('serialises as *** in JSON, also inside other values', () => {
    expect(JSON.stringify(secret)).toBe('"***"')
    expect(JSON.stringify({ token: secret, list: [secret] })).toBe('{"token":"***","list":["***"]}')
  })

  it('shows SealedToken(***) in util.inspect and util.format, also nested', () => {
    expect(inspect(secret)).toBe('SealedToken(***)')
    expect(inspect({ token: secret }, { depth: 5 })).toBe('{ token: SealedToken(***) }')
    expect(format('%o %O %s', secret, secret, secret)).not.toContain(VALUE)
  })

  it('has no enumerable property that holds the value', () => {
    expect(Object.keys(secret)).toEqual([])
    expect(Object.values(secret)).toEqual([])
    expect({ ...secret }).toEqual({})
  })

  it('gives the value through reveal()', () => {
    expect(secret.reveal()).toBe(VALUE)
  })

  it('compares with a plain value', () => {
    expect(secret.equals(VALUE)).toBe(true)
    expect(secret.equals(`${VALUE}x`)).toBe(false)
    expect(secret.equals('***')).toBe(false)
    expect(secret.equals(undefined)).toBe(false)
    expect(new SealedToken('').equals('')).toBe(true)
  })
})
