import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import { actionDefaults } from '../__fixtures__/value-stores.js'

jest.unstable_mockModule('@actions/core', () => core)
const { parseInputs, splitList, DEFAULT_MAX_CONCURRENCY } = await import('../src/inputs/parse.js')
const { InputError } = await import('../src/core/errors.js')

const ACCOUNT = '123456789012'

/** The inputs as the runner sets them: action.yml's defaults, then the step's `with:`. */
function inputs(values: Record<string, string>, retirePrevious = false) {
  core.setInputs({ ...actionDefaults(), ...values })
  return parseInputs(retirePrevious)
}

/** Only the step's `with:`: every other input empty, as when run outside a runner. */
function bare(values: Record<string, string>) {
  core.setInputs(values)
  return parseInputs(false)
}

function refusal(
  values: Record<string, string>,
  retirePrevious = false
): InstanceType<typeof InputError> {
  try {
    inputs(values, retirePrevious)
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    return error as InstanceType<typeof InputError>
  }
  throw new Error(`accepted ${JSON.stringify(values)}`)
}

const pipelineEntry = (entry: string) =>
  inputs({ pipelines: entry, regions: 'us-east-1' }).pipelines
const secretEntry = (entry: string) => inputs({ secrets: entry, regions: 'us-east-1' }).secrets
const parameterEntry = (entry: string) =>
  inputs({ parameters: entry, regions: 'us-east-1' }).parameters

beforeEach(() => {
  core.resetCore()
  for (const name of [
    'AWS_REGION',
    'AWS_DEFAULT_REGION',
    'GITHUB_API_URL',
    'GITHUB_REPOSITORY',
    'GITHUB_RUN_ID'
  ]) {
    delete process.env[name]
  }
})

describe('splitList', () => {
  it('splits on newlines and commas, dropping blanks', () => {
    expect(splitList('a, b\n\n c,,\nd')).toEqual(['a', 'b', 'c', 'd'])
  })

  it('drops `# ` comment lines but keeps #key entries', () => {
    expect(splitList('# the CI secrets\nci/github#token\n  # another comment\n#x')).toEqual([
      'ci/github#token',
      '#x'
    ])
  })
})

describe('pipelines entries', () => {
  it('recognises names, patterns and ARNs', () => {
    expect(pipelineEntry('MyFirstPipeline')).toEqual([
      { kind: 'name', entry: 'MyFirstPipeline', name: 'MyFirstPipeline' }
    ])
    expect(pipelineEntry('prod-*')).toEqual([{ kind: 'glob', entry: 'prod-*', pattern: 'prod-*' }])
    // Changed: the selector keeps the ARN as given instead of a partition field.
    expect(pipelineEntry(`arn:aws:codepipeline:eu-west-1:${ACCOUNT}:app`)).toEqual([
      {
        kind: 'arn',
        entry: `arn:aws:codepipeline:eu-west-1:${ACCOUNT}:app`,
        name: 'app',
        region: 'eu-west-1',
        account: ACCOUNT,
        arn: `arn:aws:codepipeline:eu-west-1:${ACCOUNT}:app`
      }
    ])
  })

  it.each([
    ['my pipeline', /not a valid pipeline name/],
    ['prod-[ab]', /not a valid pipeline name/],
    ['prod/*', /not a valid pattern/],
    ['arn:aws:codepipeline:nowhere:123:app', /not a pipeline ARN/],
    ['arn:aws:s3:::bucket', /not a pipeline ARN/],
    ['x'.repeat(101), /not a valid pipeline name/],
    [`arn:aws:codepipeline:us-east-1:${ACCOUNT}:bad/name`, /which is not a pipeline name/]
  ])('refuses %s', (entry, message) => {
    const error = refusal({ pipelines: entry, regions: 'us-east-1' })
    expect(error.message).toMatch(/^Input 'pipelines'/)
    expect(error.message).toMatch(message)
    expect(error.input).toBe('pipelines')
  })

  it('lists each pipeline once, an ARN once per region and name', () => {
    const arn = `arn:aws:codepipeline:eu-west-1:${ACCOUNT}:app`
    expect(
      inputs({ pipelines: `a,b\nprod-*\na\n${arn}\n${arn}`, regions: 'us-east-1' }).pipelines.map(
        (p) => p.entry
      )
    ).toEqual(['a', 'b', 'prod-*', arn])
  })
})

describe('secrets entries', () => {
  it('reads names, ARNs and #key', () => {
    // Changed: `secretId` is now `id`, and an ARN's account is kept.
    expect(secretEntry('ci/github#token')).toEqual([
      {
        entry: 'ci/github#token',
        id: 'ci/github',
        key: 'token',
        region: undefined,
        account: undefined
      }
    ])
    expect(secretEntry(`arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:gh-AbCdEf`)).toEqual([
      {
        entry: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:gh-AbCdEf`,
        id: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:gh-AbCdEf`,
        key: undefined,
        region: 'eu-west-1',
        account: ACCOUNT
      }
    ])
    expect(
      secretEntry(`arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:gh-AbCdEf#pat`)[0]
    ).toMatchObject({
      id: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:gh-AbCdEf`,
      key: 'pat'
    })
  })

  // Changed: the entry splits at the first '#' (no name or ARN holds one), so
  // the key may hold '#'.
  it('splits NAME#key at the first #', () => {
    expect(secretEntry('ci/github#a#b')[0]).toMatchObject({ id: 'ci/github', key: 'a#b' })
  })

  it('refuses an empty key and malformed ARNs', () => {
    expect(refusal({ secrets: 'ci/github#', regions: 'us-east-1' }).message).toMatch(
      /^Input 'secrets' entry 'ci\/github#' has an empty key after '#'/
    )
    expect(refusal({ secrets: 'ci/github#  ', regions: 'us-east-1' }).message).toMatch(/empty key/)
    expect(refusal({ secrets: 'arn:aws:s3:::x', regions: 'us-east-1' }).message).toMatch(
      /^Input 'secrets' entry 'arn:aws:s3:::x' is not a secret ARN/
    )
    expect(
      refusal({
        secrets: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:key:x`,
        regions: 'us-east-1'
      }).message
    ).toMatch(/^Input 'secrets' .* is not a secret ARN: expected arn:aws:secretsmanager:/)
    expect(refusal({ secrets: 'bad name', regions: 'us-east-1' }).message).toMatch(
      /^Input 'secrets' entry 'bad name' is not a secret name or ARN/
    )
  })

  it('lists each entry once', () => {
    expect(secretEntry('a, a#k, a, a#k').map((s) => s.entry)).toEqual(['a', 'a#k'])
  })
})

describe('parameters entries', () => {
  it('reads names (hierarchical or not), ARNs and #key', () => {
    expect(parameterEntry('/ci/github-token')).toEqual([
      {
        entry: '/ci/github-token',
        id: '/ci/github-token',
        key: undefined,
        region: undefined,
        account: undefined
      }
    ])
    expect(parameterEntry('ci.github_token#pat#2')[0]).toMatchObject({
      id: 'ci.github_token',
      key: 'pat#2'
    })
    const arn = `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/ci/github-token`
    expect(parameterEntry(`${arn}#token`)).toEqual([
      { entry: `${arn}#token`, id: arn, key: 'token', region: 'eu-west-1', account: ACCOUNT }
    ])
  })

  it.each([
    ['bad name', /is not a parameter name or ARN/],
    ['/aws/reference/x', /not starting with aws or ssm/],
    ['ssm-thing', /not starting with aws or ssm/],
    ['a//b', /is not a parameter name or ARN/],
    [`/${'x'.repeat(1011)}`, /is not a parameter name or ARN/],
    ['/ci/token#', /has an empty key after '#': expected NAME#key, e.g. \/ci\/github#token/],
    [`arn:aws:ssm:us-east-1:${ACCOUNT}:document/x`, /is not a parameter ARN/],
    [`arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/bad name`, /is not a parameter ARN/],
    [`arn:aws:secretsmanager:us-east-1:${ACCOUNT}:parameter/x`, /is not a parameter ARN/]
  ])('refuses %s', (entry, message) => {
    const error = refusal({ parameters: entry, regions: 'us-east-1' })
    expect(error.input).toBe('parameters')
    expect(error.message).toMatch(message)
  })

  it('needs regions for a parameter named by name, none for one named by ARN', () => {
    expect(refusal({ parameters: '/ci/token' }).message).toMatch(/^Input 'regions' no region/)
    expect(
      inputs({ parameters: `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/ci/token` }).regions
    ).toEqual([])
  })
})

describe('partitions', () => {
  it.each([
    [
      `arn:aws-cn:codepipeline:us-east-1:${ACCOUNT}:app`,
      'pipelines',
      "names partition 'aws-cn', but region us-east-1 is in partition 'aws': write arn:aws:codepipeline:us-east-1:…"
    ],
    [
      `arn::codepipeline:us-east-1:${ACCOUNT}:app`,
      'pipelines',
      "names no partition, but region us-east-1 is in partition 'aws'"
    ],
    [
      `arn:aws:secretsmanager:us-gov-west-1:${ACCOUNT}:secret:gh`,
      'secrets',
      "region us-gov-west-1 is in partition 'aws-us-gov': write arn:aws-us-gov:secretsmanager:us-gov-west-1:…"
    ],
    [
      `arn:aws:ssm:cn-north-1:${ACCOUNT}:parameter/gh`,
      'parameters',
      "region cn-north-1 is in partition 'aws-cn'"
    ],
    [
      `arn:aws:ssm:us-iso-east-1:${ACCOUNT}:parameter/gh`,
      'parameters',
      "region us-iso-east-1 is in partition 'aws-iso'"
    ],
    [
      `arn:aws-iso:ssm:us-isob-east-1:${ACCOUNT}:parameter/gh`,
      'parameters',
      "names partition 'aws-iso', but region us-isob-east-1 is in partition 'aws-iso-b'"
    ]
  ])('refuses %s: the partition must be the region’s', (arn, input, message) => {
    const error = refusal({ [input]: arn })
    expect(error.input).toBe(input)
    expect(error.message).toContain(`Input '${input}' entry '${arn}' `)
    expect(error.message).toContain(message)
  })

  it.each([
    `arn:aws-cn:codepipeline:cn-north-1:${ACCOUNT}:app`,
    `arn:aws-us-gov:codepipeline:us-gov-west-1:${ACCOUNT}:app`,
    `arn:aws-iso:codepipeline:us-iso-east-1:${ACCOUNT}:app`,
    `arn:aws-iso-b:codepipeline:us-isob-east-1:${ACCOUNT}:app`,
    `arn:aws-iso-e:codepipeline:eu-isoe-west-1:${ACCOUNT}:app`
  ])('accepts %s, in its region’s partition', (arn) => {
    expect(inputs({ pipelines: arn }).pipelines[0]).toMatchObject({ kind: 'arn', arn })
  })

  it.each([
    [{ pipelines: 'a', regions: 'us-east-1, cn-north-1' }, 'aws and aws-cn'],
    [
      {
        pipelines: `app, arn:aws-us-gov:codepipeline:us-gov-west-1:${ACCOUNT}:app`,
        regions: 'us-east-1'
      },
      'aws and aws-us-gov'
    ],
    [
      {
        secrets: `arn:aws-cn:secretsmanager:cn-north-1:${ACCOUNT}:secret:gh`,
        parameters: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/gh`
      },
      'aws-cn and aws'
    ]
  ])('refuses a run across partitions: %j', (values, partitions) => {
    const error = refusal(values)
    expect(error.message).toBe(
      `Input 'regions' the regions and ARNs span the partitions ${partitions}: one run uses one set of AWS credentials, which belong to one partition — run the action once per partition`
    )
  })

  it('refuses a role-to-assume of another partition than the regions', () => {
    expect(
      refusal({
        pipelines: 'a',
        regions: 'cn-north-1',
        'role-to-assume': `arn:aws:iam::${ACCOUNT}:role/rotator`
      }).message
    ).toBe(
      `Input 'role-to-assume' 'arn:aws:iam::${ACCOUNT}:role/rotator' is not in partition 'aws-cn' of the regions: expected arn:aws-cn:iam::ACCOUNT:role/NAME`
    )
    expect(
      refusal({
        pipelines: `arn:aws-us-gov:codepipeline:us-gov-east-1:${ACCOUNT}:app`,
        'role-to-assume': `arn:aws-cn:iam::${ACCOUNT}:role/rotator`
      }).input
    ).toBe('role-to-assume')
    expect(
      inputs({
        pipelines: 'a',
        regions: 'cn-north-1',
        'role-to-assume': `arn:aws-cn:iam::${ACCOUNT}:role/rotator`
      }).roleToAssume
    ).toBe(`arn:aws-cn:iam::${ACCOUNT}:role/rotator`)
  })
})

describe('parseInputs', () => {
  it('applies defaults and the job region', () => {
    process.env['AWS_REGION'] = 'eu-central-1'
    const parsed = inputs({ pipelines: 'a,b\nprod-*\na' })
    expect(parsed.regions).toEqual(['eu-central-1'])
    expect(parsed.pipelines.map((p) => p.entry)).toEqual(['a', 'b', 'prod-*'])
    expect(parsed.dryRun).toBe(false)
    expect(parsed.verifyToken).toBe(true)
    expect(parsed.followStacks).toBe(true)
    expect(parsed.inProgress).toEqual({ mode: 'wait', timeoutSeconds: 1800 })
    expect(parsed.maxConcurrency).toBe(8)
    expect(parsed.minDaysLeft).toBe(7)
    expect(parsed.codebuild).toEqual({
      mode: 'off',
      serverType: 'GITHUB',
      authType: 'PERSONAL_ACCESS_TOKEN',
      username: undefined
    })
    expect(parsed.secrets).toEqual([])
    expect(parsed.parameters).toEqual([])
    expect(parsed.roleToAssume).toBeUndefined()
    expect(parsed.roleSessionName).toBe('rotate-github-token-local-0')
    expect(parsed.githubApiUrl).toBe('https://api.github.com')
    expect(parsed.retirePrevious).toBe(false)
  })

  it('falls back to the same values when optional inputs are empty', () => {
    const parsed = bare({
      pipelines: 'a',
      regions: 'us-east-1',
      'dry-run': 'false',
      'verify-token': 'true',
      'follow-stacks': 'false'
    })
    expect(parsed.inProgress).toEqual({ mode: 'wait', timeoutSeconds: 1800 })
    expect(parsed.maxConcurrency).toBe(DEFAULT_MAX_CONCURRENCY)
    expect(parsed.minDaysLeft).toBe(7)
    expect(parsed.codebuild.serverType).toBe('GITHUB')
    expect(parsed.followStacks).toBe(false)
    expect(parsed.githubApiUrl).toBe('https://api.github.com')
  })

  it('names the repository and run in the default session name', () => {
    process.env['GITHUB_REPOSITORY'] = 'example-org/app repo'
    process.env['GITHUB_RUN_ID'] = '4242'
    expect(inputs({ pipelines: 'a', regions: 'us-east-1' }).roleSessionName).toBe(
      'rotate-github-token-example-org-app-repo-4242'
    )
    process.env['GITHUB_REPOSITORY'] = 'o/' + 'r'.repeat(80)
    expect(inputs({ pipelines: 'a', regions: 'us-east-1' }).roleSessionName).toHaveLength(64)
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
    const parsed = inputs({ pipelines: `arn:aws:codepipeline:eu-west-1:${ACCOUNT}:app` })
    expect(parsed.regions).toEqual([])
  })

  it.each([
    [{ pipelines: 'a', regions: 'us-east-1, moon-1' }, /^Input 'regions'.*'moon-1'/],
    [{ pipelines: 'a' }, /^Input 'regions' no region/],
    [{ secrets: 'ci/github' }, /^Input 'regions' no region/],
    [{ codebuild: 'import' }, /^Input 'regions' no region/],
    [
      { pipelines: 'a', regions: 'us-east-1', 'dry-run': 'yes' },
      /^Input 'dry-run' expected true or false, got 'yes'/
    ],
    [{ pipelines: 'a', regions: 'us-east-1', 'verify-token': 'maybe' }, /^Input 'verify-token'/],
    [
      { pipelines: 'a', regions: 'us-east-1', 'follow-stacks': 'sometimes' },
      /^Input 'follow-stacks' expected true or false, got 'sometimes'/
    ],
    [
      { regions: 'us-east-1' },
      /^Input 'pipelines' nothing to do: set `pipelines` \(names, patterns such as prod-\*, or ARNs\), `codebuild: import`, `secrets` or `parameters`/
    ],
    [
      { pipelines: 'a', regions: 'us-east-1', 'max-concurrency': '0' },
      /^Input 'max-concurrency' expected a whole number from 1 to 64, got '0'/
    ],
    [{ pipelines: 'a', regions: 'us-east-1', 'max-concurrency': '65' }, /from 1 to 64/],
    [
      { pipelines: 'a', regions: 'us-east-1', 'aws-timeout': '0' },
      /^Input 'aws-timeout' expected a whole number from 1 to 300, got '0'/
    ],
    [{ pipelines: 'a', regions: 'us-east-1', 'aws-timeout': '301' }, /from 1 to 300/],
    [{ pipelines: 'a', regions: 'us-east-1', 'min-days-left': '-1' }, /^Input 'min-days-left'/],
    [{ pipelines: 'a', regions: 'us-east-1', 'min-days-left': '367' }, /from 0 to 366/],
    [{ pipelines: 'a', regions: 'us-east-1', 'min-days-left': '1.5' }, /^Input 'min-days-left'/],
    [
      { pipelines: 'a', regions: 'us-east-1', codebuild: 'yes' },
      /^Input 'codebuild' expected one of import, disconnect/
    ],
    [
      { regions: 'us-east-1', codebuild: 'import', 'codebuild-server-type': 'GITLAB' },
      /^Input 'codebuild-server-type'/
    ],
    [
      { regions: 'us-east-1', codebuild: 'import', 'codebuild-auth-type': 'OAUTH' },
      /^Input 'codebuild-auth-type' expected one of PERSONAL_ACCESS_TOKEN, BASIC_AUTH/
    ],
    [
      {
        regions: 'us-east-1',
        codebuild: 'import',
        'codebuild-server-type': 'BITBUCKET',
        'codebuild-auth-type': 'BASIC_AUTH'
      },
      /^Input 'codebuild-username' is required/
    ],
    [
      {
        regions: 'us-east-1',
        codebuild: 'import',
        'codebuild-auth-type': 'BASIC_AUTH',
        'codebuild-username': 'u'
      },
      /^Input 'codebuild-auth-type' BASIC_AUTH is for Bitbucket/
    ],
    [
      { pipelines: 'a', regions: 'us-east-1', 'role-to-assume': 'my-role' },
      /^Input 'role-to-assume'/
    ],
    [
      { pipelines: 'a', regions: 'us-east-1', 'role-session-name': 'has space' },
      /^Input 'role-session-name'/
    ],
    [
      { pipelines: 'a', regions: 'us-east-1', 'github-api-url': 'not a url' },
      /^Input 'github-api-url' expected an https URL/
    ],
    [
      { pipelines: 'a', regions: 'us-east-1', 'github-api-url': 'ftp://example.com' },
      /^Input 'github-api-url' must be an https:\/\/ URL/
    ],
    [
      { pipelines: 'a', regions: 'us-east-1', 'in-progress': 'cancel' },
      /^Input 'in-progress' expected one of wait, skip, proceed, got 'cancel'/
    ],
    [
      { pipelines: 'a', regions: 'us-east-1', 'in-progress-timeout': '361' },
      /^Input 'in-progress-timeout' expected minutes \(a whole number such as 30, or 30m\) or seconds \(such as 90s\), from 0 to 360 minutes, got '361'/
    ],
    [
      { pipelines: 'a', regions: 'us-east-1', 'in-progress-timeout': '21601s' },
      /^Input 'in-progress-timeout' expected minutes .* got '21601s'/
    ],
    [
      { pipelines: 'a', regions: 'us-east-1', 'in-progress-timeout': '1.5' },
      /^Input 'in-progress-timeout' expected minutes/
    ],
    [
      { pipelines: 'a', regions: 'us-east-1', 'in-progress-timeout': '10h' },
      /^Input 'in-progress-timeout' expected minutes/
    ],
    [
      { pipelines: 'a', regions: 'us-east-1', 'in-progress-timeout': '-5s' },
      /^Input 'in-progress-timeout' expected minutes/
    ]
  ])('refuses %j', (values, message) => {
    expect(() => inputs(values)).toThrow(message)
  })

  it('accepts a run with only parameters, or only secrets', () => {
    expect(inputs({ parameters: '/ci/token', regions: 'us-east-1' }).parameters).toHaveLength(1)
    expect(inputs({ secrets: 'ci/token', regions: 'us-east-1' }).secrets).toHaveLength(1)
  })

  it('reads CodeBuild settings, accepting true as import', () => {
    const parsed = inputs({
      regions: 'us-east-1',
      codebuild: 'true',
      'codebuild-server-type': 'bitbucket',
      'codebuild-auth-type': 'BASIC_AUTH',
      'codebuild-username': 'builder@example.com'
    })
    expect(parsed.codebuild).toEqual({
      mode: 'import',
      serverType: 'BITBUCKET',
      authType: 'BASIC_AUTH',
      username: 'builder@example.com'
    })
    expect(inputs({ regions: 'us-east-1', codebuild: 'disconnect' }).codebuild.mode).toBe(
      'disconnect'
    )
    for (const off of ['false', 'off', 'OFF']) {
      expect(inputs({ pipelines: 'a', regions: 'us-east-1', codebuild: off }).codebuild.mode).toBe(
        'off'
      )
    }
    // A user name is only needed to import Bitbucket basic auth.
    expect(
      inputs({
        regions: 'us-east-1',
        codebuild: 'disconnect',
        'codebuild-server-type': 'BITBUCKET',
        'codebuild-auth-type': 'BASIC_AUTH'
      }).codebuild
    ).toMatchObject({ mode: 'disconnect', username: undefined })
  })

  it('refuses BITBUCKET with pipelines, naming both inputs', () => {
    const error = refusal({
      pipelines: 'app',
      regions: 'us-east-1',
      codebuild: 'import',
      'codebuild-server-type': 'BITBUCKET',
      'codebuild-auth-type': 'BASIC_AUTH',
      'codebuild-username': 'builder@example.com'
    })
    expect(error.input).toBe('pipelines')
    expect(error.message).toMatch(
      /^Input 'pipelines' must be empty with codebuild-server-type: BITBUCKET: the token is then a Bitbucket API token or access token/
    )
  })

  it('refuses a Bitbucket user name that is not an email: app passwords are gone', () => {
    for (const username of ['builder', 'team-bot', 'a@b', 'two words@example.com']) {
      const error = refusal({
        regions: 'us-east-1',
        codebuild: 'import',
        'codebuild-server-type': 'BITBUCKET',
        'codebuild-auth-type': 'BASIC_AUTH',
        'codebuild-username': username
      })
      expect(error.input).toBe('codebuild-username')
      expect(error.message).toContain('is not an email address')
      expect(error.message).toContain('stopped working on 2026-07-28')
      expect(error.message).toContain('API token')
      expect(error.message).toContain('email address of your Atlassian account')
    }
    // An access token needs no user name, and a disconnect none either.
    expect(
      inputs({
        regions: 'us-east-1',
        codebuild: 'import',
        'codebuild-server-type': 'BITBUCKET',
        'codebuild-auth-type': 'PERSONAL_ACCESS_TOKEN'
      }).codebuild.username
    ).toBeUndefined()
  })

  it('reads bitbucket-api-url: https only, loopback excepted, trailing slash dropped', () => {
    expect(inputs({ codebuild: 'import', regions: 'us-east-1' }).bitbucketApiUrl).toBe(
      'https://api.bitbucket.org/2.0'
    )
    expect(
      inputs({
        codebuild: 'import',
        regions: 'us-east-1',
        'bitbucket-api-url': 'http://127.0.0.1:8080/2.0/'
      }).bitbucketApiUrl
    ).toBe('http://127.0.0.1:8080/2.0')
    for (const bad of [
      'http://api.bitbucket.org/2.0',
      'not a url',
      'https://u:p@api.bitbucket.org/2.0'
    ]) {
      const error = refusal({ codebuild: 'import', regions: 'us-east-1', 'bitbucket-api-url': bad })
      expect(error.input).toBe('bitbucket-api-url')
      expect(error.message).not.toContain('u:p')
    }
  })

  it('refuses BITBUCKET with a previous-token, naming both inputs', () => {
    const values = {
      regions: 'us-east-1',
      codebuild: 'import',
      'codebuild-server-type': 'BITBUCKET',
      'codebuild-auth-type': 'BASIC_AUTH',
      'codebuild-username': 'builder@example.com'
    }
    const error = refusal(values, true)
    expect(error.input).toBe('previous-token')
    expect(error.message).toMatch(
      /^Input 'previous-token' must be empty with codebuild-server-type: BITBUCKET: only GitHub tokens can be revoked/
    )
    // Without a previous token, the same inputs are fine.
    expect(inputs(values).retirePrevious).toBe(false)
  })

  it('passes on whether the previous token is retired', () => {
    expect(inputs({ pipelines: 'a', regions: 'us-east-1' }, true).retirePrevious).toBe(true)
  })

  it('accepts previous-token alone: a last job that only retires the old token', () => {
    const parsed = inputs({}, true)
    expect(parsed).toMatchObject({
      retirePrevious: true,
      pipelines: [],
      secrets: [],
      parameters: []
    })
    expect(parsed.codebuild.mode).toBe('off')
    expect(parsed.regions).toEqual([])
  })

  it('reads the new inputs: parameters, follow-stacks, in-progress and its timeout', () => {
    const parsed = inputs({
      pipelines: 'a',
      regions: 'us-east-1',
      parameters: '/ci/github-token, /ci/json#token',
      'follow-stacks': 'false',
      'in-progress': 'SKIP',
      'in-progress-timeout': '0'
    })
    expect(parsed.parameters.map((p) => [p.id, p.key])).toEqual([
      ['/ci/github-token', undefined],
      ['/ci/json', 'token']
    ])
    expect(parsed.followStacks).toBe(false)
    expect(parsed.inProgress).toEqual({ mode: 'skip', timeoutSeconds: 0 })
    expect(
      inputs({
        pipelines: 'a',
        regions: 'us-east-1',
        'in-progress': 'proceed',
        'in-progress-timeout': '360'
      }).inProgress
    ).toEqual({ mode: 'proceed', timeoutSeconds: 21600 })
  })

  it.each([
    ['30', 1800],
    ['2m', 120],
    ['2 min', 120],
    ['90s', 90],
    ['90 S', 90],
    ['0s', 0],
    ['21600s', 21600]
  ])('reads in-progress-timeout %j as %d seconds', (value, seconds) => {
    expect(
      inputs({ pipelines: 'a', regions: 'us-east-1', 'in-progress-timeout': value }).inProgress
        .timeoutSeconds
    ).toBe(seconds)
  })

  it('reads the GitHub API URL, OIDC role and limits', () => {
    const parsed = inputs({
      pipelines: 'a',
      regions: 'us-east-1',
      'github-api-url': 'https://ghe.example.com/api/v3/',
      'role-to-assume': `arn:aws:iam::${ACCOUNT}:role/rotator`,
      'role-session-name': 'my-session',
      'min-days-left': '0',
      'max-concurrency': '3',
      'aws-timeout': '5',
      secrets: 'ci/github#token, other'
    })
    expect(parsed.githubApiUrl).toBe('https://ghe.example.com/api/v3')
    expect(parsed.roleToAssume).toBe(`arn:aws:iam::${ACCOUNT}:role/rotator`)
    expect(parsed.roleSessionName).toBe('my-session')
    expect(parsed.minDaysLeft).toBe(0)
    expect(parsed.maxConcurrency).toBe(3)
    expect(parsed.awsTimeoutSeconds).toBe(5)
    expect(inputs({ pipelines: 'a', regions: 'us-east-1' }).awsTimeoutSeconds).toBe(30)
    expect(parsed.secrets.map((s) => s.id)).toEqual(['ci/github', 'other'])
  })
})

describe('github-api-url', () => {
  const url = (value: string) =>
    inputs({ pipelines: 'a', regions: 'us-east-1', 'github-api-url': value }).githubApiUrl
  const refused = (value: string) =>
    refusal({ pipelines: 'a', regions: 'us-east-1', 'github-api-url': value })

  it('falls back to GITHUB_API_URL, then to GitHub.com', () => {
    process.env['GITHUB_API_URL'] = 'https://ghe.example.com/api/v3'
    expect(url('')).toBe('https://ghe.example.com/api/v3')
    delete process.env['GITHUB_API_URL']
    expect(url('')).toBe('https://api.github.com')
  })

  it.each([
    ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080'],
    ['http://127.5.6.7/api/v3', 'http://127.5.6.7/api/v3'],
    ['http://[::1]:3000', 'http://[::1]:3000'],
    ['http://localhost:3000/api', 'http://localhost:3000/api'],
    ['http://LOCALHOST', 'http://localhost']
  ])('allows plain http to this machine: %s', (value, expected) => {
    expect(url(value)).toBe(expected)
  })

  it.each([
    'http://ghe.example.com/api/v3',
    'http://127.0.0.1.example.com',
    'http://10.0.0.1',
    'http://[::2]'
  ])('refuses plain http to another host: %s', (value) => {
    expect(refused(value).message).toBe(
      `Input 'github-api-url' must be an https:// URL (the token is sent to it), such as https://api.github.com or https://HOST/api/v3; got '${value}'`
    )
  })

  it.each([
    ['user-info', 'https://robot:hunter2-secret@ghe.example.com/api/v3'],
    ['a user name', 'https://robot@ghe.example.com/api/v3'],
    ['a query', 'https://ghe.example.com/api/v3?access_token=hunter2-secret'],
    ['a fragment', 'https://ghe.example.com/api/v3#hunter2-secret'],
    ['an empty fragment', 'https://ghe.example.com/api/v3#']
  ])('refuses %s, without echoing it', (_what, value) => {
    const error = refused(value)
    expect(error.message).toBe(
      "Input 'github-api-url' must be a plain API base URL without user name, password, query or fragment, such as https://HOST/api/v3; got 'https://ghe.example.com/api/v3…'"
    )
    expect(error.message).not.toContain('hunter2')
    expect(error.message).not.toContain('robot')
  })
})
