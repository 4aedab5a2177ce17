// core/errors.ts (InputError, messageOf), aws/errors.ts (errorName,
// describeAwsError, isNotFound, isAccessDenied), and the redaction the old
// errors.ts did, now core/redact.ts applied by core/log.ts when printing.
import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'

jest.unstable_mockModule('@actions/core', () => core)
const { InputError, messageOf } = await import('../src/core/errors.js')
const { describeAwsError, errorName, isAccessDenied, isNotFound } =
  await import('../src/aws/errors.js')
const { redact, registerValue } = await import('../src/core/redact.js')
const log = await import('../src/core/log.js')

const aws = (name: string, message: string, status = 400) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } })

beforeEach(() => core.resetCore())

describe('InputError', () => {
  it('names the input', () => {
    const error = new InputError('regions', "'x' is not a region")
    expect(error.message).toBe("Input 'regions' 'x' is not a region")
    expect(error.input).toBe('regions')
    expect(error.name).toBe('InputError')
    expect(error).toBeInstanceOf(Error)
  })
})

describe('redact', () => {
  it('replaces every registered secret, and ignores values too short to mask', () => {
    registerValue('unit-secret-value-1')
    registerValue('abc')
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

describe('isNotFound and isAccessDenied', () => {
  it.each([
    'ResourceNotFoundException',
    'PipelineNotFoundException',
    'ParameterNotFound',
    'PipelineExecutionNotFoundException'
  ])('%s is "not found"', (name) => {
    expect(isNotFound(aws(name, 'x'))).toBe(true)
    expect(isAccessDenied(aws(name, 'x'))).toBe(false)
  })

  it.each([
    'AccessDeniedException',
    'AccessDenied',
    'UnauthorizedOperation',
    'UnrecognizedClientException'
  ])('%s is "access denied"', (name) => {
    expect(isAccessDenied(aws(name, 'x'))).toBe(true)
    expect(isNotFound(aws(name, 'x'))).toBe(false)
  })

  it('is neither for other errors and non-errors', () => {
    for (const error of [aws('ValidationException', 'x'), new Error('x'), 'AccessDenied', null]) {
      expect(isNotFound(error)).toBe(false)
      expect(isAccessDenied(error)).toBe(false)
    }
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
    expect(describeAwsError(aws('ExpiredToken', 'old'), 'x:Y')).toMatch(/session expired: re-run/)
    expect(describeAwsError(aws('ThrottlingException', 'Rate exceeded'), 'x:Y')).toMatch(
      /kept throttling after retries: re-run, or lower max-concurrency/
    )
    expect(describeAwsError(aws('TooManyRequestsException', 'slow'), 'x:Y')).toMatch(
      /kept throttling after retries/
    )
    expect(describeAwsError(aws('InternalFailure', 'oops', 500), 'x:Y')).toBe(
      'InternalFailure: oops — AWS had a server error after retries: re-run'
    )
    expect(describeAwsError(aws('ValidationException', 'no', 400), 'x:Y')).toBe(
      'ValidationException: no'
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

  // Changed: describeAwsError no longer redacts; core/log.ts does, for every printed line.
  it('leaves redaction to the printing: what it says is redacted once printed', () => {
    registerValue('unit-secret-in-message')
    const message = describeAwsError(
      aws('ValidationException', 'bad unit-secret-in-message'),
      'x:Y'
    )
    expect(message).toBe('ValidationException: bad unit-secret-in-message')
    log.warning(message)
    log.fail([message])
    expect(core.warning).toHaveBeenCalledWith('ValidationException: bad ***')
    expect(core.setFailed).toHaveBeenCalledWith('ValidationException: bad ***')
  })
})
