import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import { actionDefaults } from '../__fixtures__/value-stores.js'

jest.unstable_mockModule('@actions/core', () => core)
const { parseInputs } = await import('../src/inputs/parse.js')
const { parseConnectionArn } = await import('../src/inputs/connection.js')
const { InputError } = await import('../src/core/errors.js')

const ID = '0a1b2c3d-4e5f-4789-abcd-ef0123456789'
const NEW = `arn:aws:codeconnections:us-east-1:123456789012:connection/${ID}`
const OLD = `arn:aws:codestar-connections:eu-west-1:123456789012:connection/${ID}`

function inputs(values: Record<string, string>) {
  core.setInputs({ ...actionDefaults(), ...values })
  return parseInputs(false)
}

function refusal(values: Record<string, string>): string {
  try {
    inputs(values)
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    expect((error as InstanceType<typeof InputError>).input).toBe('connection-arn')
    return (error as Error).message
  }
  throw new Error(`accepted ${JSON.stringify(values)}`)
}

beforeEach(() => {
  core.resetCore()
  delete process.env['AWS_REGION']
  delete process.env['GITHUB_API_URL']
})

describe('connection-arn', () => {
  it('is absent by default (action.yml: empty)', () => {
    expect(inputs({ pipelines: 'app', regions: 'us-east-1' }).connection).toBeUndefined()
  })

  it('parses both service names, keeping what the IAM action and the region checks need', () => {
    expect(
      inputs({ pipelines: 'app', regions: 'us-east-1', 'connection-arn': NEW }).connection
    ).toEqual({
      arn: NEW,
      service: 'codeconnections',
      partition: 'aws',
      region: 'us-east-1',
      account: '123456789012',
      id: ID
    })
    expect(parseConnectionArn(` ${OLD} `)).toMatchObject({
      arn: OLD,
      service: 'codestar-connections',
      region: 'eu-west-1'
    })
    const cn = `arn:aws-cn:codeconnections:cn-north-1:123456789012:connection/${ID}`
    expect(
      inputs({ pipelines: 'app', regions: 'cn-north-1', 'connection-arn': cn }).connection
        ?.partition
    ).toBe('aws-cn')
  })

  it.each([
    [
      'not an ARN',
      'my-connection',
      /^Input 'connection-arn' 'my-connection' is not a connection ARN: expected arn:aws:codeconnections:REGION:ACCOUNT:connection\/ID/
    ],
    [
      'another service',
      `arn:aws:codepipeline:us-east-1:123456789012:connection/${ID}`,
      /is not a connection ARN/
    ],
    [
      'no region',
      `arn:aws:codeconnections::123456789012:connection/${ID}`,
      /does not name a region and a 12-digit account/
    ],
    [
      'a short account',
      `arn:aws:codeconnections:us-east-1:1234:connection/${ID}`,
      /does not name a region and a 12-digit account/
    ],
    [
      'a host',
      'arn:aws:codeconnections:us-east-1:123456789012:host/ghes-0a1b2c3d',
      /is a host \(a GitHub Enterprise Server installation\), not a connection/
    ],
    [
      'no ID',
      'arn:aws:codeconnections:us-east-1:123456789012:connection/',
      /is not a connection ARN/
    ],
    [
      'a resource of another kind',
      `arn:aws:codeconnections:us-east-1:123456789012:repository-link/${ID}`,
      /is not a connection ARN/
    ],
    [
      "another partition than its region's",
      `arn:aws-cn:codeconnections:us-east-1:123456789012:connection/${ID}`,
      /names partition 'aws-cn', but region us-east-1 is in partition 'aws': write arn:aws:codeconnections:us-east-1:…$/
    ],
    [
      'no partition',
      `arn::codeconnections:us-east-1:123456789012:connection/${ID}`,
      /names no partition/
    ]
  ])('refuses %s, naming the input', (_what, value, message) => {
    expect(refusal({ pipelines: 'app', regions: 'us-east-1', 'connection-arn': value })).toMatch(
      message
    )
  })

  it('needs pipelines to move', () => {
    expect(refusal({ secrets: 'ci/token', regions: 'us-east-1', 'connection-arn': NEW })).toBe(
      "Input 'connection-arn' is set, but `pipelines` is empty: name the pipelines whose GitHub (version 1) source moves to the connection"
    )
  })

  it("must be in the pipelines' partition", () => {
    const cn = `arn:aws-cn:codeconnections:cn-north-1:123456789012:connection/${ID}`
    expect(refusal({ pipelines: 'app', regions: 'us-east-1', 'connection-arn': cn })).toBe(
      "Input 'connection-arn' names partition 'aws-cn', but the pipelines are in partition 'aws': a pipeline can use a connection of its own partition only"
    )
    // A connection in another region of the same partition is fine: connections are global.
    expect(
      inputs({ pipelines: 'app', regions: 'eu-west-1', 'connection-arn': NEW }).connection?.region
    ).toBe('us-east-1')
  })
})
