import { describe, it, expect } from '@jest/globals'
import {
  findPipelineResource,
  parameterType,
  parseDynamicReference,
  parseTemplate,
  tokenSources
} from '../src/stores/cloudformation/template.js'

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ci/github-AbCdEf'
const SSM_ARN = 'arn:aws:ssm:us-east-1:123456789012:parameter/ci/github-token'

/** A GitHub (version 1) source action as a template declares it. */
function githubAction(name: string, token: unknown, version: unknown = '1') {
  return {
    Name: name,
    ActionTypeId: { Category: 'Source', Owner: 'ThirdParty', Provider: 'GitHub', Version: version },
    Configuration: {
      Owner: 'example-org',
      Repo: 'app',
      Branch: 'main',
      ...(token === undefined ? {} : { OAuthToken: token })
    },
    OutputArtifacts: [{ Name: `${name}Out` }]
  }
}

function pipelineResource(actions: unknown[], name?: string) {
  return {
    Type: 'AWS::CodePipeline::Pipeline',
    Properties: {
      ...(name ? { Name: name } : {}),
      RoleArn: 'arn:aws:iam::123456789012:role/pipeline-role',
      Stages: [
        { Name: 'Source', Actions: actions },
        {
          Name: 'Build',
          Actions: [
            {
              Name: 'Build',
              ActionTypeId: {
                Category: 'Build',
                Owner: 'AWS',
                Provider: 'CodeBuild',
                Version: '1'
              },
              Configuration: { ProjectName: 'build' }
            }
          ]
        }
      ]
    }
  }
}

describe('parseTemplate', () => {
  it('reads a JSON template as GetTemplate returns it', async () => {
    const body = `\n  ${JSON.stringify({ Resources: { P: { Type: 'AWS::CodePipeline::Pipeline' } } })}`
    expect(await parseTemplate(body)).toEqual({
      Resources: { P: { Type: 'AWS::CodePipeline::Pipeline' } }
    })
  })

  it('reads a flow-style YAML template that starts with a brace', async () => {
    expect(
      await parseTemplate('{Resources: {P: {Type: !Sub "AWS::CodePipeline::Pipeline"}}}')
    ).toEqual({
      Resources: { P: { Type: { 'Fn::Sub': 'AWS::CodePipeline::Pipeline' } } }
    })
  })

  it('reads a YAML template with the short forms as the JSON they stand for', async () => {
    const template = await parseTemplate(
      [
        'AWSTemplateFormatVersion: "2010-09-09"',
        'Conditions:',
        '  IsProd: !Equals [!Ref Env, prod]',
        '  NotProd: !Not [!Condition IsProd]',
        '  Either: !Or [!Condition IsProd, !And [!Condition NotProd, !Condition IsProd]]',
        'Resources:',
        '  Pipeline:',
        '    Type: AWS::CodePipeline::Pipeline',
        '    Properties:',
        '      Name: !Sub "${AWS::StackName}-pipeline"',
        '      RoleArn: !GetAtt PipelineRole.Arn',
        '      Alt: !GetAtt [PipelineRole, Arn]',
        '      Whole: !GetAtt PipelineRole',
        '      Joined: !Join ["-", [a, !Ref B]]',
        '      Chosen: !Select [0, !GetAZs ""]',
        '      Pick: !If [IsProd, !ImportValue shared-token, !FindInMap [M, K, V]]',
        '      Encoded: !Base64 text',
        '      Parts: !Split [",", "a,b"]',
        '      Range: !Cidr [10.0.0.0/16, 2, 8]',
        '      Sub2: !Sub',
        '        - "${X}"',
        '        - X: !Ref Y',
        '      Json: !ToJsonString { a: 1 }',
        '      Len: !Length [1, 2]',
        '      Macro: !Transform { Name: M, Parameters: {} }'
      ].join('\n')
    )
    expect(template['Conditions']).toEqual({
      IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] },
      NotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] },
      Either: {
        'Fn::Or': [
          { Condition: 'IsProd' },
          { 'Fn::And': [{ Condition: 'NotProd' }, { Condition: 'IsProd' }] }
        ]
      }
    })
    const properties = (template['Resources'] as Record<string, { Properties: unknown }>)[
      'Pipeline'
    ]?.Properties
    expect(properties).toEqual({
      Name: { 'Fn::Sub': '${AWS::StackName}-pipeline' },
      RoleArn: { 'Fn::GetAtt': ['PipelineRole', 'Arn'] },
      Alt: { 'Fn::GetAtt': ['PipelineRole', 'Arn'] },
      Whole: { 'Fn::GetAtt': ['PipelineRole'] },
      Joined: { 'Fn::Join': ['-', ['a', { Ref: 'B' }]] },
      Chosen: { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] },
      Pick: {
        'Fn::If': [
          'IsProd',
          { 'Fn::ImportValue': 'shared-token' },
          { 'Fn::FindInMap': ['M', 'K', 'V'] }
        ]
      },
      Encoded: { 'Fn::Base64': 'text' },
      Parts: { 'Fn::Split': [',', 'a,b'] },
      Range: { 'Fn::Cidr': ['10.0.0.0/16', 2, 8] },
      Sub2: { 'Fn::Sub': ['${X}', { X: { Ref: 'Y' } }] },
      Json: { 'Fn::ToJsonString': { a: 1 } },
      Len: { 'Fn::Length': [1, 2] },
      Macro: { 'Fn::Transform': { Name: 'M', Parameters: {} } }
    })
  })

  it('keeps a YAML template’s long forms and a dynamic reference as they are', async () => {
    const template = await parseTemplate(
      [
        'Resources:',
        '  P:',
        '    Properties:',
        '      A: { "Fn::Sub": "x" }',
        "      T: '{{resolve:secretsmanager:ci/github:SecretString:token}}'"
      ].join('\n')
    )
    expect(template).toEqual({
      Resources: {
        P: {
          Properties: {
            A: { 'Fn::Sub': 'x' },
            T: '{{resolve:secretsmanager:ci/github:SecretString:token}}'
          }
        }
      }
    })
  })

  it.each([
    ['a YAML list', '- a\n- b'],
    ['a YAML scalar', 'just text'],
    ['an empty body', '']
  ])('refuses %s: a template is an object', async (_what, body) => {
    await expect(parseTemplate(body)).rejects.toThrow('the template is not an object')
  })

  it('throws on a body that is neither JSON nor YAML', async () => {
    await expect(parseTemplate('{"Resources": ')).rejects.toThrow()
    await expect(parseTemplate('Resources: [unclosed')).rejects.toThrow()
  })
})

describe('findPipelineResource', () => {
  const one = pipelineResource([githubAction('App', 'x')], 'app')
  const other = pipelineResource([githubAction('Other', 'y')], 'other')
  const template = {
    Resources: {
      Role: { Type: 'AWS::IAM::Role', Properties: { Name: 'app' } },
      AppPipeline: one,
      OtherPipeline: other,
      Broken: 'not a resource'
    }
  }

  it('finds the pipeline by its logical ID', () => {
    expect(findPipelineResource(template, 'OtherPipeline', 'other', 's')).toEqual({
      logicalId: 'OtherPipeline',
      resource: other
    })
  })

  // No fallback by name or to the template's only pipeline: either could
  // follow another pipeline's secret.
  it.each<[string, Record<string, unknown>, string | undefined, string, RegExp]>([
    ['no logical ID', template, undefined, 'app', /has no aws:cloudformation:logical-id tag/],
    ['a logical ID not in the template', template, 'Gone', 'other', /\(logical ID Gone\)/],
    [
      'the only pipeline, under another logical ID',
      { Resources: { Role: template.Resources.Role, Only: one } },
      'Pipeline',
      'app',
      /\(logical ID Pipeline\)/
    ],
    ['a resource that is no pipeline', template, 'Role', 'app', /\(logical ID Role\)/],
    [
      'a pipeline named otherwise',
      template,
      'OtherPipeline',
      'app',
      /names its OtherPipeline 'other', not 'app'/
    ],
    [
      'a template without resources',
      { Resources: [] },
      'AppPipeline',
      'app',
      /no AWS::CodePipeline::Pipeline/
    ]
  ])('finds nothing, saying why, for %s', (_what, t, logicalId, name, why) => {
    const found = findPipelineResource(t, logicalId, name, 'ci-stack')
    expect(typeof found).toBe('string')
    expect(found).toMatch(why)
    expect(found).toMatch(/its token source was not followed$/)
  })
})

describe('tokenSources', () => {
  it('reads the OAuthToken of GitHub (version 1) source actions only', () => {
    const resource = pipelineResource([
      githubAction('App', `{{resolve:secretsmanager:ci/github:SecretString:token}}`),
      githubAction('Numbered', '{{resolve:ssm:/ci/github-token}}', 1),
      githubAction('V2', 'not-followed', '2'),
      {
        Name: 'Connection',
        ActionTypeId: {
          Category: 'Source',
          Owner: 'AWS',
          Provider: 'CodeStarSourceConnection',
          Version: '1'
        },
        Configuration: {
          ConnectionArn: 'arn:aws:codeconnections:us-east-1:123456789012:connection/x'
        }
      },
      {
        Name: 'OwnGitHub',
        ActionTypeId: { Category: 'Source', Owner: 'Custom', Provider: 'GitHub', Version: '1' },
        Configuration: { OAuthToken: 'custom' }
      },
      { Name: 'NoType' },
      'not an action'
    ])
    expect(tokenSources(resource)).toEqual([
      {
        action: 'Source/App',
        source: { kind: 'secret', id: 'ci/github', key: 'token', pinned: undefined }
      },
      {
        action: 'Source/Numbered',
        source: { kind: 'ssm', name: '/ci/github-token', secure: false, pinned: undefined }
      }
    ])
  })

  it('tells a parameter, a literal token and what it cannot follow apart', () => {
    const resource = pipelineResource([
      githubAction('Param', { Ref: 'GitHubToken' }),
      githubAction('Literal', 'ghp_literal-token-in-the-template'),
      githubAction('SubPlain', { 'Fn::Sub': '{{resolve:secretsmanager:ci/github}}' }),
      githubAction('SubVars', { 'Fn::Sub': '{{resolve:secretsmanager:${Name}}}' }),
      githubAction('Joined', { 'Fn::Join': ['', ['a', 'b']] }),
      githubAction('Import', { 'Fn::ImportValue': 'shared-token' }),
      githubAction('Empty', {}),
      githubAction('Missing', undefined),
      githubAction('Number', 42)
    ])
    expect(tokenSources(resource)).toEqual([
      { action: 'Source/Param', source: { kind: 'parameter', name: 'GitHubToken' } },
      {
        action: 'Source/Literal',
        source: { kind: 'literal' },
        literals: ['ghp_literal-token-in-the-template']
      },
      {
        action: 'Source/SubPlain',
        source: { kind: 'secret', id: 'ci/github', key: undefined, pinned: undefined }
      },
      { action: 'Source/SubVars', source: { kind: 'unknown', what: 'Fn::Sub' } },
      { action: 'Source/Joined', source: { kind: 'unknown', what: 'Fn::Join' } },
      { action: 'Source/Import', source: { kind: 'unknown', what: 'Fn::ImportValue' } },
      { action: 'Source/Empty', source: { kind: 'unknown', what: 'an empty object' } },
      { action: 'Source/Missing', source: { kind: 'unknown', what: 'no OAuthToken' } },
      { action: 'Source/Number', source: { kind: 'unknown', what: 'number' } }
    ])
  })

  it('names an action without names by question marks, and reads nothing from a bare resource', () => {
    const nameless = {
      Properties: { Stages: [{ Actions: [{ ...githubAction('x', 'tok'), Name: undefined }] }] }
    }
    expect(tokenSources(nameless).map((s) => s.action)).toEqual(['?/?'])
    const unconfigured = {
      Properties: {
        Stages: [{ Name: 'S', Actions: [{ ...githubAction('A', 'x'), Configuration: 'none' }] }]
      }
    }
    expect(tokenSources(unconfigured)).toEqual([
      { action: 'S/A', source: { kind: 'unknown', what: 'no OAuthToken' } }
    ])
    expect(tokenSources({})).toEqual([])
    expect(tokenSources({ Properties: { Stages: 'x' } })).toEqual([])
    expect(tokenSources({ Properties: { Stages: [{ Actions: 'x' }] } })).toEqual([])
  })
})

describe('parseDynamicReference', () => {
  const secret = (id: string, key?: string, pinned?: string) => ({
    kind: 'secret',
    id,
    key,
    pinned
  })

  it.each([
    ['{{resolve:secretsmanager:ci/github}}', secret('ci/github')],
    ['{{resolve:secretsmanager:ci/github:SecretString}}', secret('ci/github')],
    ['{{resolve:secretsmanager:ci/github:SecretString:token}}', secret('ci/github', 'token')],
    [
      '{{resolve:secretsmanager:ci/github:SecretString:token:AWSCURRENT}}',
      secret('ci/github', 'token')
    ],
    [
      '{{resolve:secretsmanager:ci/github:SecretString:token:AWSPREVIOUS}}',
      secret('ci/github', 'token', 'version stage AWSPREVIOUS')
    ],
    [
      '{{resolve:secretsmanager:ci/github:SecretString::AWSPENDING}}',
      secret('ci/github', undefined, 'version stage AWSPENDING')
    ],
    [
      '{{resolve:secretsmanager:ci/github:SecretString:token::d2f1c7e4-0000-4000-8000-000000000001}}',
      secret('ci/github', 'token', 'version id d2f1c7e4-0000-4000-8000-000000000001')
    ],
    [
      '{{resolve:secretsmanager:ci/github:SecretString:::d2f1c7e4}}',
      secret('ci/github', undefined, 'version id d2f1c7e4')
    ],
    [
      '{{resolve:secretsmanager:ci/github:SecretString:token:AWSCURRENT:d2f1c7e4}}',
      secret('ci/github', 'token', 'version id d2f1c7e4')
    ],
    [`{{resolve:secretsmanager:${ARN}}}`, secret(ARN)],
    [`{{resolve:secretsmanager:${ARN}:SecretString:token}}`, secret(ARN, 'token')],
    [
      `{{resolve:secretsmanager:${ARN}:SecretString:token:AWSPREVIOUS}}`,
      secret(ARN, 'token', 'version stage AWSPREVIOUS')
    ]
  ])('reads %s', (text, expected) => {
    expect(parseDynamicReference(text)).toEqual(expected)
  })

  it.each([
    [
      '{{resolve:ssm:/ci/github-token}}',
      { kind: 'ssm', name: '/ci/github-token', secure: false, pinned: undefined }
    ],
    [
      '{{resolve:ssm:/ci/github-token:3}}',
      { kind: 'ssm', name: '/ci/github-token', secure: false, pinned: 'version 3' }
    ],
    [
      '{{resolve:ssm-secure:/ci/github-token}}',
      { kind: 'ssm', name: '/ci/github-token', secure: true, pinned: undefined }
    ],
    [
      '{{resolve:ssm-secure:/ci/github-token:12}}',
      { kind: 'ssm', name: '/ci/github-token', secure: true, pinned: 'version 12' }
    ],
    [
      '{{resolve:ssm:ci-token}}',
      { kind: 'ssm', name: 'ci-token', secure: false, pinned: undefined }
    ],
    [
      `{{resolve:ssm:${SSM_ARN}}}`,
      { kind: 'ssm', name: SSM_ARN, secure: false, pinned: undefined }
    ],
    [
      `{{resolve:ssm:${SSM_ARN}:2}}`,
      { kind: 'ssm', name: SSM_ARN, secure: false, pinned: 'version 2' }
    ]
  ])('reads %s', (text, expected) => {
    expect(parseDynamicReference(text)).toEqual(expected)
  })

  it('finds nothing in a literal or another service’s reference', () => {
    expect(parseDynamicReference('ghp_notAReference')).toBeUndefined()
    expect(parseDynamicReference('{{resolve:s3:bucket/key}}')).toBeUndefined()
    expect(parseDynamicReference('{{resolve:secretsmanager:unclosed')).toBeUndefined()
  })

  it('reads only a value that is exactly one reference', () => {
    for (const text of [
      '{{resolve:secretsmanager:ci/a:SecretString:head}}{{resolve:secretsmanager:ci/a:SecretString:tail}}',
      'ghp_{{resolve:ssm-secure:/ci/body}}',
      '{{resolve:ssm:/ci/token}} ',
      ' {{resolve:ssm:/ci/token}}'
    ]) {
      expect(parseDynamicReference(text)).toBeUndefined()
    }
  })
})

describe('tokenSources: a token built from parts', () => {
  it.each([
    [
      '{{resolve:secretsmanager:ci/a:SecretString:head}}{{resolve:secretsmanager:ci/a:SecretString:tail}}',
      { kind: 'parts', references: 2, text: false },
      []
    ],
    ['ghp_{{resolve:ssm-secure:/ci/body}}', { kind: 'parts', references: 1, text: true }, ['ghp_']],
    [
      'prefix-of-token-{{resolve:ssm:/a}}-suffix-of-token',
      { kind: 'parts', references: 1, text: true },
      ['prefix-of-token-', '-suffix-of-token']
    ]
  ])('is not a reference to follow: %s', (token, source, literals) => {
    const [found] = tokenSources(pipelineResource([githubAction('App', token)]))
    expect(found?.source).toEqual(source)
    expect(found?.literals).toEqual(literals)
  })
})

describe('parameterType', () => {
  const template = {
    Transform: 'AWS::Serverless-2016-10-31',
    Parameters: {
      Token: { Type: 'String', NoEcho: true },
      TokenName: { Type: 'AWS::SSM::Parameter::Value<String>' },
      Odd: { Type: 5 },
      Bare: 'x'
    }
  }

  it('reads the type of a template parameter', () => {
    expect(parameterType(template, 'Token')).toBe('String')
    expect(parameterType(template, 'TokenName')).toBe('AWS::SSM::Parameter::Value<String>')
    expect(parameterType(template, 'Odd')).toBeUndefined()
    expect(parameterType(template, 'Bare')).toBeUndefined()
    expect(parameterType(template, 'Missing')).toBeUndefined()
    expect(parameterType({}, 'Token')).toBeUndefined()
  })
})
