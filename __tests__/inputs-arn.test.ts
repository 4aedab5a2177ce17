import { describe, it, expect } from '@jest/globals'
import { misplacedArn, partitionOf, REGION, splitArn } from '../src/inputs/arn.js'

describe('partitionOf', () => {
  it.each([
    ['us-east-1', 'aws'],
    ['eu-west-1', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['cn-northwest-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
    ['us-iso-east-1', 'aws-iso'],
    ['us-isob-east-1', 'aws-iso-b'],
    ['eu-isoe-west-1', 'aws-iso-e'],
    ['us-isof-south-1', 'aws-iso-f']
  ])('%s is in %s', (region, partition) => {
    expect(REGION.test(region)).toBe(true)
    expect(partitionOf(region)).toBe(partition)
  })
})

describe('splitArn', () => {
  it('splits the six fields, the resource keeping its colons', () => {
    expect(splitArn('arn:aws:secretsmanager:us-east-1:123456789012:secret:ci/gh-AbCdEf')).toEqual({
      partition: 'aws',
      service: 'secretsmanager',
      region: 'us-east-1',
      account: '123456789012',
      resource: 'secret:ci/gh-AbCdEf'
    })
  })

  it('is undefined for what is not an ARN', () => {
    expect(splitArn('ci/github')).toBeUndefined()
    expect(splitArn('arn:aws:s3')).toBeUndefined()
    expect(splitArn('urn:aws:s3:::b:c')).toBeUndefined()
  })
})

describe('misplacedArn', () => {
  const arn = 'arn:aws:ssm:us-east-1:123456789012:parameter/ci/token'

  it('accepts an ARN of the service, region, partition and account asked for', () => {
    expect(misplacedArn(arn, 'ssm', 'us-east-1', '123456789012')).toBeUndefined()
    expect(misplacedArn(arn, 'ssm', 'us-east-1', undefined)).toBeUndefined()
  })

  it('names another service, region, partition or account', () => {
    expect(misplacedArn(arn, 'secretsmanager', 'us-east-1', undefined)).toBe(
      `AWS answered with '${arn}', not a secretsmanager ARN`
    )
    expect(misplacedArn('not-an-arn', 'ssm', 'us-east-1', undefined)).toMatch(/not a ssm ARN/)
    expect(misplacedArn(arn, 'ssm', 'eu-west-1', undefined)).toBe(
      `AWS answered for aws/us-east-1 (${arn}), not aws/eu-west-1: check AWS_ENDPOINT_URL and the regions input`
    )
    expect(
      misplacedArn(arn.replace('arn:aws:', 'arn:aws-cn:'), 'ssm', 'us-east-1', undefined)
    ).toMatch(/^AWS answered for aws-cn\/us-east-1 .*, not aws\/us-east-1/)
    expect(misplacedArn(arn, 'ssm', 'us-east-1', '210987654321')).toBe(
      'the ARN names account 210987654321, but AWS answered for account 123456789012: run this entry with a role in 210987654321 (role-to-assume)'
    )
  })
})
