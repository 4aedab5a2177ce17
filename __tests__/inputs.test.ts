import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'

jest.unstable_mockModule('@actions/core', () => core)
const { parseInputs, readToken, splitList, parsePipelineEntry, parseSecretEntry } =
  await import('../src/inputs.js')

const TOKEN = 'test-token-0123456789abcdef'

function inputs(values: Record<string, string>) {
  core.setInputs({ token: TOKEN, 'dry-run': 'false', 'verify-token': 'true', ...values })
  return parseInputs(readToken())
}

beforeEach(() => {
  core.resetCore()
  delete process.env['AWS_REGION']
  delete process.env['AWS_DEFAULT_REGION']
})

describe('readToken', () => {
  it('masks the token before anything else and trims surrounding whitespace', () => {
    core.setInputs({ token: `\n  ${TOKEN}\n` })
    expect(readToken()).toBe(TOKEN)
    expect(core.setSecret).toHaveBeenCalledWith(TOKEN)
  })

  it('refuses an empty token, naming the input', () => {
    core.setInputs({ token: '   ' })
    expect(() => readToken()).toThrow(/Input 'token' is empty/)
  })

  it('refuses whitespace inside the token without printing it, and masks each part', () => {
    core.setInputs({ token: 'first-part-1234 second-part-5678' })
    let message = ''
    try {
      readToken()
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toMatch(/Input 'token' contains whitespace/)
    expect(message).not.toContain('first-part-1234')
    expect(core.setSecret).toHaveBeenCalledWith('first-part-1234')
    expect(core.setSecret).toHaveBeenCalledWith('second-part-5678')
  })
})

describe('readToken: masking', () => {
  it('masks a well-formed token once, as a whole', () => {
    core.setInputs({ token: TOKEN })
    readToken()
    expect(core.setSecret.mock.calls).toEqual([[TOKEN]])
  })

  it('does not mask fragments of a split token too short to hide anything', () => {
    core.setInputs({ token: 'first-part-1234 ab' })
    expect(() => readToken()).toThrow(/Input 'token' contains whitespace/)
    expect(core.setSecret.mock.calls).toEqual([['first-part-1234 ab'], ['first-part-1234']])
  })
})

describe('splitList', () => {
  it('splits on newlines and commas, dropping blanks', () => {
    expect(splitList('a, b\n\n c,,\nd')).toEqual(['a', 'b', 'c', 'd'])
  })
})

describe('parsePipelineEntry', () => {
  it('recognises names, patterns and ARNs', () => {
    expect(parsePipelineEntry('MyFirstPipeline')).toEqual({
      kind: 'name',
      entry: 'MyFirstPipeline',
      name: 'MyFirstPipeline'
    })
    expect(parsePipelineEntry('prod-*')).toMatchObject({ kind: 'glob', pattern: 'prod-*' })
    expect(parsePipelineEntry('arn:aws:codepipeline:eu-west-1:123456789012:app')).toEqual({
      kind: 'arn',
      entry: 'arn:aws:codepipeline:eu-west-1:123456789012:app',
      name: 'app',
      region: 'eu-west-1',
      account: '123456789012',
      partition: 'aws'
    })
  })

  it.each([
    ['my pipeline', /not a valid pipeline name/],
    ['prod-[ab]', /not a valid pipeline name/],
    ['prod/*', /not a valid pattern/],
    ['arn:aws:codepipeline:nowhere:123:app', /not a pipeline ARN/],
    ['arn:aws:s3:::bucket', /not a pipeline ARN/],
    ['x'.repeat(101), /not a valid pipeline name/]
  ])('refuses %s', (entry, message) => {
    expect(() => parsePipelineEntry(entry)).toThrow(message)
    expect(() => parsePipelineEntry(entry)).toThrow(/Input 'pipelines'/)
  })
})

describe('parseSecretEntry', () => {
  it('reads names, ARNs and #key', () => {
    expect(parseSecretEntry('ci/github#token')).toEqual({
      entry: 'ci/github#token',
      secretId: 'ci/github',
      key: 'token',
      region: undefined
    })
    expect(
      parseSecretEntry('arn:aws:secretsmanager:eu-west-1:123456789012:secret:gh-AbCdEf')
    ).toMatchObject({ region: 'eu-west-1', key: undefined })
  })

  it('refuses an empty key and malformed ARNs', () => {
    expect(() => parseSecretEntry('ci/github#')).toThrow(/Input 'secrets'.*empty key/)
    expect(() => parseSecretEntry('arn:aws:s3:::x')).toThrow(/Input 'secrets'/)
    expect(() => parseSecretEntry('bad name')).toThrow(/Input 'secrets'/)
  })
})

describe('parseInputs', () => {
  it('applies defaults and the job region', () => {
    process.env['AWS_REGION'] = 'eu-central-1'
    const parsed = inputs({ pipelines: 'a,b\nprod-*\na' })
    expect(parsed.regions).toEqual(['eu-central-1'])
    expect(parsed.pipelines.map((p) => p.entry)).toEqual(['a', 'b', 'prod-*'])
    expect(parsed.dryRun).toBe(false)
    expect(parsed.maxConcurrency).toBe(8)
    expect(parsed.minDaysLeft).toBe(7)
    expect(parsed.codebuild.mode).toBe('off')
    expect(parsed.roleSessionName).toMatch(/^rotate-github-token-/)
  })

  it('falls back to AWS_DEFAULT_REGION and deduplicates regions', () => {
    process.env['AWS_DEFAULT_REGION'] = 'us-west-2'
    expect(inputs({ pipelines: 'a' }).regions).toEqual(['us-west-2'])
    expect(inputs({ pipelines: 'a', regions: 'us-east-1, us-east-1,eu-west-1' }).regions).toEqual([
      'us-east-1',
      'eu-west-1'
    ])
  })

  it('names AWS_REGION when the region it falls back to is not a region', () => {
    process.env['AWS_REGION'] = 'Europe'
    expect(() => inputs({ pipelines: 'a' })).toThrow(
      "Input 'regions (from AWS_REGION)' 'Europe' is not an AWS region name: expected e.g. us-east-1 or eu-west-1"
    )
  })

  it('needs no region when every entry is an ARN', () => {
    const parsed = inputs({ pipelines: 'arn:aws:codepipeline:eu-west-1:123456789012:app' })
    expect(parsed.regions).toEqual([])
  })

  it.each([
    [{ pipelines: 'a', regions: 'us-east-1, moon-1' }, /Input 'regions'.*'moon-1'/],
    [{ pipelines: 'a' }, /Input 'regions' no region/],
    [
      { pipelines: 'a', regions: 'us-east-1', 'dry-run': 'yes' },
      /Input 'dry-run' expected true or false, got 'yes'/
    ],
    [{ pipelines: 'a', regions: 'us-east-1', 'verify-token': 'maybe' }, /Input 'verify-token'/],
    [{ regions: 'us-east-1' }, /Input 'pipelines' nothing to do/],
    [
      { pipelines: 'a', regions: 'us-east-1', 'max-concurrency': '0' },
      /Input 'max-concurrency' expected a whole number from 1 to 64/
    ],
    [{ pipelines: 'a', regions: 'us-east-1', 'min-days-left': '-1' }, /Input 'min-days-left'/],
    [
      { pipelines: 'a', regions: 'us-east-1', codebuild: 'yes' },
      /Input 'codebuild' expected one of import, disconnect/
    ],
    [
      { regions: 'us-east-1', codebuild: 'import', 'codebuild-server-type': 'GITLAB' },
      /Input 'codebuild-server-type'/
    ],
    [
      {
        regions: 'us-east-1',
        codebuild: 'import',
        'codebuild-server-type': 'BITBUCKET',
        'codebuild-auth-type': 'BASIC_AUTH'
      },
      /Input 'codebuild-username' is required/
    ],
    [
      {
        regions: 'us-east-1',
        codebuild: 'import',
        'codebuild-auth-type': 'BASIC_AUTH',
        'codebuild-username': 'u'
      },
      /Input 'codebuild-auth-type' BASIC_AUTH is for Bitbucket/
    ],
    [
      { pipelines: 'a', regions: 'us-east-1', 'role-to-assume': 'my-role' },
      /Input 'role-to-assume'/
    ],
    [
      { pipelines: 'a', regions: 'us-east-1', 'role-session-name': 'has space' },
      /Input 'role-session-name'/
    ],
    [
      { pipelines: 'a', regions: 'us-east-1', 'github-api-url': 'not a url' },
      /Input 'github-api-url'/
    ],
    [
      { pipelines: 'a', regions: 'us-east-1', 'github-api-url': 'ftp://example.com' },
      /Input 'github-api-url'/
    ]
  ])('refuses %j', (values, message) => {
    expect(() => inputs(values)).toThrow(message)
  })

  it('reads CodeBuild settings, accepting true as import', () => {
    const parsed = inputs({
      regions: 'us-east-1',
      codebuild: 'true',
      'codebuild-server-type': 'bitbucket',
      'codebuild-auth-type': 'BASIC_AUTH',
      'codebuild-username': 'builder'
    })
    expect(parsed.codebuild).toEqual({
      mode: 'import',
      serverType: 'BITBUCKET',
      authType: 'BASIC_AUTH',
      username: 'builder'
    })
    expect(inputs({ regions: 'us-east-1', codebuild: 'disconnect' }).codebuild.mode).toBe(
      'disconnect'
    )
  })

  it('reads the GitHub API URL, OIDC role and limits', () => {
    const parsed = inputs({
      pipelines: 'a',
      regions: 'us-east-1',
      'github-api-url': 'https://ghe.example.com/api/v3/',
      'role-to-assume': 'arn:aws:iam::123456789012:role/rotator',
      'role-session-name': 'my-session',
      'min-days-left': '0',
      'max-concurrency': '3',
      secrets: 'ci/github#token, other'
    })
    expect(parsed.githubApiUrl).toBe('https://ghe.example.com/api/v3')
    expect(parsed.roleToAssume).toBe('arn:aws:iam::123456789012:role/rotator')
    expect(parsed.roleSessionName).toBe('my-session')
    expect(parsed.minDaysLeft).toBe(0)
    expect(parsed.maxConcurrency).toBe(3)
    expect(parsed.secrets.map((s) => s.secretId)).toEqual(['ci/github', 'other'])
  })
})
