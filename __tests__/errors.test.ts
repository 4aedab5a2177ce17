import { describe, it, expect } from '@jest/globals'
import {
  InputError,
  describeAwsError,
  errorName,
  messageOf,
  redact,
  registerSecret
} from '../src/errors.js'

const aws = (name: string, message: string, status = 400) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } })

describe('InputError', () => {
  it('names the input', () => {
    const error = new InputError('regions', "'x' is not a region")
    expect(error.message).toBe("Input 'regions' 'x' is not a region")
    expect(error.input).toBe('regions')
  })
})

describe('redact', () => {
  it('replaces every registered secret, and ignores values too short to mask', () => {
    registerSecret('unit-secret-value-1')
    registerSecret('abc')
    expect(redact('a unit-secret-value-1 b unit-secret-value-1 abc')).toBe('a *** b *** abc')
  })
})

describe('messageOf', () => {
  it('reads Errors, strings, objects and values that do not serialise', () => {
    expect(messageOf(new Error('boom'))).toBe('boom')
    expect(messageOf(Object.assign(new Error(''), { name: 'Named' }))).toBe('Named')
    expect(messageOf('plain')).toBe('plain')
    expect(messageOf({ code: 7 })).toBe('{"code":7}')
    expect(messageOf(undefined)).toBe('undefined')
    const circular: Record<string, unknown> = {}
    circular['self'] = circular
    expect(messageOf(circular)).toBe('[object Object]')
  })
})

describe('errorName', () => {
  it('reads name or code, and copes with non-objects', () => {
    expect(errorName(aws('ThrottlingException', 'x'))).toBe('ThrottlingException')
    expect(errorName({ code: 'ECONNRESET' })).toBe('ECONNRESET')
    expect(errorName('string')).toBe('')
    expect(errorName(null)).toBe('')
  })
})

describe('describeAwsError', () => {
  it('names the permission the call needs when AWS denies it', () => {
    expect(
      describeAwsError(aws('AccessDeniedException', 'denied'), 'codepipeline:GetPipeline')
    ).toBe(
      "AccessDeniedException: denied — the role needs permission codepipeline:GetPipeline (see the README's IAM policy)"
    )
  })
  it('names the action AWS says was denied, such as iam:PassRole', () => {
    expect(
      describeAwsError(
        aws('AccessDenied', 'not authorized to perform: iam:PassRole on resource: role/x'),
        'codepipeline:UpdatePipeline'
      )
    ).toMatch(/needs permission iam:PassRole/)
  })
  it('explains bad credentials, expiry, throttling and server errors', () => {
    expect(describeAwsError(aws('UnrecognizedClientException', 'bad'), 'x:Y')).toMatch(
      /credentials are invalid or expired/
    )
    expect(describeAwsError(aws('ExpiredTokenException', 'old'), 'x:Y')).toMatch(
      /session expired: re-run/
    )
    expect(describeAwsError(aws('ThrottlingException', 'Rate exceeded'), 'x:Y')).toMatch(
      /kept throttling after retries: re-run, or lower max-concurrency/
    )
    expect(describeAwsError(aws('InternalFailure', 'oops', 500), 'x:Y')).toBe(
      'InternalFailure: oops — AWS had a server error after retries: re-run'
    )
    expect(describeAwsError(new Error('socket hang up'), 'x:Y')).toBe('socket hang up')
  })
  it('suggests a re-run after timeouts and broken connections, which the SDK retried', () => {
    const timeout = Object.assign(new Error('timed out after 500 ms'), { name: 'TimeoutError' })
    expect(describeAwsError(timeout, 'x:Y')).toBe(
      'TimeoutError: timed out after 500 ms — AWS did not answer in time, even after retries: re-run'
    )
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
    expect(describeAwsError(reset, 'x:Y')).toBe(
      'socket hang up — the connection to AWS failed, even after retries: re-run'
    )
  })
  it('redacts registered secrets from AWS messages', () => {
    registerSecret('unit-secret-in-message')
    expect(describeAwsError(aws('ValidationException', 'bad unit-secret-in-message'), 'x:Y')).toBe(
      'ValidationException: bad ***'
    )
  })
})
