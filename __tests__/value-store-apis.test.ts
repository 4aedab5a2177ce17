import { describe, expect, it } from '@jest/globals'
import { useAwsServer } from '../__fixtures__/aws-server.js'
import type { AwsSettings } from '../src/aws/client.js'
import { createStacksApi } from '../src/stores/cloudformation/api.js'
import { createSecretsApi } from '../src/stores/secrets-manager/api.js'
import { createParametersApi } from '../src/stores/ssm/api.js'

const { replies, seen } = useAwsServer()

const credentials = async () => ({ accessKeyId: 'unit', secretAccessKey: 'unit' })
const settings: AwsSettings = { credentials, maxConcurrency: 4 }
const sent = (i: number) => JSON.parse(seen[i]?.body ?? '{}') as Record<string, unknown>
const form = (i: number) => Object.fromEntries(new URLSearchParams(seen[i]?.body ?? ''))

const xml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

describe('createSecretsApi', () => {
  it('describes, reads and writes a secret', async () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ci-AbCdEf'
    replies.push(() => ({
      body: {
        ARN: arn,
        PrimaryRegion: 'eu-west-1',
        DeletedDate: 1700000000,
        RotationEnabled: true,
        OwningService: 'rds'
      }
    }))
    replies.push(() => ({ body: { ARN: arn, VersionId: 'v1', SecretString: '{"a":1}' } }))
    replies.push(() => ({ body: { ARN: arn, VersionId: 'v2' } }))
    replies.push(() => ({ body: {} }))
    replies.push(() => ({ body: {} }))
    replies.push(() => ({ body: {} }))
    const api = createSecretsApi(settings, 'us-east-1')
    expect(await api.describeSecret('ci')).toEqual({
      arn,
      primaryRegion: 'eu-west-1',
      deleted: true,
      rotationEnabled: true,
      owningService: 'rds'
    })
    expect(await api.getSecretString('ci')).toEqual({ arn, versionId: 'v1', text: '{"a":1}' })
    expect(await api.putSecretString('ci', 'new-value')).toEqual({ arn, versionId: 'v2' })
    expect(seen.slice(0, 3).map((s) => s.target)).toEqual([
      'secretsmanager.DescribeSecret',
      'secretsmanager.GetSecretValue',
      'secretsmanager.PutSecretValue'
    ])
    expect(sent(0)).toEqual({ SecretId: 'ci' })
    expect(sent(1)).toEqual({ SecretId: 'ci' })
    const put = sent(2)
    expect(put).toMatchObject({ SecretId: 'ci', SecretString: 'new-value' })
    // A new AWSCURRENT version, the old one becoming AWSPREVIOUS: no stages named.
    expect(put).not.toHaveProperty('VersionStages')

    // Answers without ARNs fall back to the id asked for.
    expect(await api.describeSecret('bare')).toEqual({
      arn: 'bare',
      primaryRegion: undefined,
      deleted: false,
      rotationEnabled: false,
      owningService: undefined
    })
    expect(await api.getSecretString('bare')).toEqual({
      arn: 'bare',
      versionId: undefined,
      text: undefined
    })
    expect(await api.putSecretString('bare', 'v')).toEqual({ arn: 'bare', versionId: undefined })
  })

  it('lists every version of a secret, page by page, with its stages', async () => {
    replies.push(() => ({
      body: {
        Versions: [
          { VersionId: 'v1', VersionStages: ['AWSPREVIOUS'] },
          { VersionStages: ['orphan'] },
          { VersionId: 'v0' }
        ],
        NextToken: 'n'
      }
    }))
    replies.push(() => ({
      body: { Versions: [{ VersionId: 'v2', VersionStages: ['AWSCURRENT'] }] }
    }))
    replies.push(() => ({ body: {} }))
    const api = createSecretsApi(settings, 'us-east-1')
    expect(await api.listVersions('ci/app')).toEqual([
      { versionId: 'v1', stages: ['AWSPREVIOUS'] },
      { versionId: 'v0', stages: [] },
      { versionId: 'v2', stages: ['AWSCURRENT'] }
    ])
    expect(seen[0]?.target).toBe('secretsmanager.ListSecretVersionIds')
    expect(sent(0)).toEqual({ SecretId: 'ci/app' })
    expect(sent(1)).toEqual({ SecretId: 'ci/app', NextToken: 'n' })
    expect(await api.listVersions('none')).toEqual([])
  })

  it('reads one version of a secret by its id', async () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ci-AbCdEf'
    replies.push(() => ({ body: { ARN: arn, VersionId: 'v1', SecretString: 'old' } }))
    replies.push(() => ({ body: {} }))
    const api = createSecretsApi(settings, 'us-east-1')
    expect(await api.getVersionString('ci', 'v1')).toEqual({ arn, versionId: 'v1', text: 'old' })
    expect(sent(0)).toEqual({ SecretId: 'ci', VersionId: 'v1' })
    expect(await api.getVersionString('bare', 'v9')).toEqual({
      arn: 'bare',
      versionId: undefined,
      text: undefined
    })
  })

  it('raises AWS errors by name', async () => {
    replies.push(() => ({
      status: 400,
      type: 'ResourceNotFoundException',
      body: { __type: 'ResourceNotFoundException', message: "can't find the secret" }
    }))
    await expect(createSecretsApi(settings, 'us-east-1').describeSecret('x')).rejects.toMatchObject(
      { name: 'ResourceNotFoundException' }
    )
  })
})

describe('createParametersApi', () => {
  const arn = 'arn:aws:ssm:us-east-1:123456789012:parameter/ci/token'

  it('reads a parameter with decryption, by name or ARN, answering with its name', async () => {
    replies.push(() => ({
      body: {
        Parameter: { Name: '/ci/token', ARN: arn, Type: 'SecureString', Value: 'v', Version: 4 }
      }
    }))
    replies.push(() => ({ body: {} }))
    const api = createParametersApi(settings, 'us-east-1')
    expect(await api.getParameter(arn)).toEqual({
      name: '/ci/token',
      arn,
      type: 'SecureString',
      value: 'v',
      version: 4
    })
    expect(seen[0]?.target).toBe('AmazonSSM.GetParameter')
    expect(sent(0)).toEqual({ Name: arn, WithDecryption: true })
    expect(await api.getParameter('/ci/other')).toEqual({
      name: '/ci/other',
      arn: undefined,
      type: '',
      value: '',
      version: undefined
    })
  })

  it('describes a parameter with every setting a write must keep', async () => {
    replies.push(() => ({
      body: {
        Parameters: [
          { Name: '/ci/token-old', Type: 'String' },
          {
            Name: '/ci/token',
            Type: 'SecureString',
            KeyId: 'alias/ci',
            Tier: 'Advanced',
            AllowedPattern: '^[\\w-]+$',
            DataType: 'text',
            Description: 'CI token',
            Policies: [
              { PolicyType: 'Expiration', PolicyText: '{}' },
              { PolicyText: '{"Type":"NoChangeNotification"}' },
              {}
            ],
            Version: 4
          }
        ]
      }
    }))
    replies.push(() => ({ body: { Parameters: [{ Name: '/ci/token-old' }] } }))
    replies.push(() => ({ body: { Parameters: [{ Name: '/ci/bare' }] } }))
    const api = createParametersApi(settings, 'us-east-1')
    expect(await api.describeParameter('/ci/token')).toEqual({
      type: 'SecureString',
      keyId: 'alias/ci',
      tier: 'Advanced',
      allowedPattern: '^[\\w-]+$',
      dataType: 'text',
      description: 'CI token',
      policies: ['Expiration', '{"Type":"NoChangeNotification"}', ''],
      version: 4
    })
    expect(seen[0]?.target).toBe('AmazonSSM.DescribeParameters')
    expect(sent(0)).toEqual({
      ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: ['/ci/token'] }],
      MaxResults: 50
    })
    // Listed under another name only: not the parameter asked for.
    expect(await api.describeParameter('/ci/token')).toBeUndefined()
    expect(await api.describeParameter('/ci/bare')).toEqual({
      type: '',
      keyId: undefined,
      tier: undefined,
      allowedPattern: undefined,
      dataType: undefined,
      description: undefined,
      policies: [],
      version: undefined
    })
  })

  it('follows DescribeParameters past an empty page that says there is more, and stops on a repeated token', async () => {
    replies.push(() => ({ body: { Parameters: [], NextToken: 'page-2' } }))
    replies.push(() => ({ body: { Parameters: [{ Name: '/ci/token', Type: 'String' }] } }))
    const api = createParametersApi(settings, 'us-east-1')
    expect((await api.describeParameter('/ci/token'))?.type).toBe('String')
    expect(sent(1)).toMatchObject({ NextToken: 'page-2' })
    replies.push(() => ({ body: { Parameters: [], NextToken: 'again' } }))
    replies.push(() => ({ body: { Parameters: [], NextToken: 'again' } }))
    await expect(api.describeParameter('/ci/token')).rejects.toThrow(/ssm:DescribeParameters/)
  })

  it('reads every version of a parameter with decryption, labels included', async () => {
    replies.push(() => ({
      body: {
        Parameters: [{ Version: 1, Labels: ['prod'], Value: 'v1' }],
        NextToken: 'n'
      }
    }))
    replies.push(() => ({ body: { Parameters: [{ Version: 2, Value: 'v2' }] } }))
    const api = createParametersApi(settings, 'us-east-1')
    expect(await api.parameterHistory('/ci/token')).toEqual([
      { version: 1, labels: ['prod'], value: 'v1' },
      { version: 2, labels: [], value: 'v2' }
    ])
    expect(sent(0)).toEqual({ Name: '/ci/token', WithDecryption: true, MaxResults: 50 })
  })

  it('writes with Overwrite, sending every setting as it was but no policies', async () => {
    replies.push(() => ({ body: { Version: 5, Tier: 'Advanced' } }))
    const api = createParametersApi(settings, 'us-east-1')
    expect(
      await api.putParameter({
        name: '/ci/token',
        value: 'new-value',
        type: 'SecureString',
        keyId: 'alias/ci',
        tier: 'Advanced',
        allowedPattern: '^[\\w-]+$',
        dataType: 'text',
        description: 'CI token'
      })
    ).toBe(5)
    expect(seen[0]?.target).toBe('AmazonSSM.PutParameter')
    expect(sent(0)).toEqual({
      Name: '/ci/token',
      Value: 'new-value',
      Overwrite: true,
      Type: 'SecureString',
      KeyId: 'alias/ci',
      Tier: 'Advanced',
      AllowedPattern: '^[\\w-]+$',
      DataType: 'text',
      Description: 'CI token'
    })
    expect(sent(0)).not.toHaveProperty('Policies')
  })

  it('sends no KeyId for a String, and leaves out settings the parameter does not have', async () => {
    replies.push(() => ({ body: { Version: 2 } }))
    replies.push(() => ({ body: {} }))
    const api = createParametersApi(settings, 'us-east-1')
    const request = {
      name: '/ci/plain',
      value: 'v',
      type: 'String',
      keyId: 'alias/ignored',
      tier: undefined,
      allowedPattern: undefined,
      dataType: undefined,
      description: undefined
    }
    expect(await api.putParameter(request)).toBe(2)
    expect(sent(0)).toEqual({ Name: '/ci/plain', Value: 'v', Overwrite: true, Type: 'String' })
    expect(
      await api.putParameter({ ...request, type: 'SecureString', keyId: undefined })
    ).toBeUndefined()
    expect(sent(1)).toEqual({
      Name: '/ci/plain',
      Value: 'v',
      Overwrite: true,
      Type: 'SecureString'
    })
  })

  it('raises ParameterNotFound by name', async () => {
    replies.push(() => ({
      status: 400,
      type: 'ParameterNotFound',
      body: { __type: 'ParameterNotFound', message: '' }
    }))
    await expect(
      createParametersApi(settings, 'us-east-1').getParameter('/gone')
    ).rejects.toMatchObject({ name: 'ParameterNotFound' })
  })
})

describe('createStacksApi', () => {
  it('reads the processed template', async () => {
    const template = JSON.stringify({ Resources: { A: { Type: 'AWS::SNS::Topic' } } }, null, 2)
    replies.push(() => ({
      xml: true,
      body: `<GetTemplateResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><GetTemplateResult><TemplateBody>${xml(template)}</TemplateBody></GetTemplateResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetTemplateResponse>`
    }))
    replies.push(() => ({
      xml: true,
      body: '<GetTemplateResponse><GetTemplateResult></GetTemplateResult></GetTemplateResponse>'
    }))
    const api = createStacksApi(settings, 'us-east-1')
    expect(await api.getTemplate('ci-stack')).toBe(template)
    expect(form(0)).toMatchObject({
      Action: 'GetTemplate',
      StackName: 'ci-stack',
      TemplateStage: 'Processed'
    })
    expect(await api.getTemplate('empty')).toBe('')
  })

  it('describes a stack’s parameters and capabilities', async () => {
    replies.push(() => ({
      xml: true,
      body: [
        '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>',
        '<StackName>ci-stack</StackName><CreationTime>2024-01-01T00:00:00Z</CreationTime><StackStatus>UPDATE_COMPLETE</StackStatus>',
        '<Parameters>',
        '<member><ParameterKey>GitHubToken</ParameterKey><ParameterValue>****</ParameterValue></member>',
        '<member><ParameterKey>Env</ParameterKey><ParameterValue>prod</ParameterValue></member>',
        '<member><ParameterKey>Unset</ParameterKey></member>',
        '<member><ParameterValue>no key</ParameterValue></member>',
        '</Parameters>',
        '<Capabilities><member>CAPABILITY_IAM</member><member>CAPABILITY_AUTO_EXPAND</member></Capabilities>',
        '</member></Stacks></DescribeStacksResult></DescribeStacksResponse>'
      ].join('')
    }))
    replies.push(() => ({
      xml: true,
      body: '<DescribeStacksResponse><DescribeStacksResult><Stacks></Stacks></DescribeStacksResult></DescribeStacksResponse>'
    }))
    const api = createStacksApi(settings, 'us-east-1')
    expect(await api.describeStack('ci-stack')).toEqual({
      parameters: [
        { key: 'GitHubToken', value: '****' },
        { key: 'Env', value: 'prod' },
        { key: 'Unset', value: undefined }
      ],
      capabilities: ['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND']
    })
    expect(form(0)).toMatchObject({ Action: 'DescribeStacks', StackName: 'ci-stack' })
    expect(await api.describeStack('none')).toEqual({ parameters: [], capabilities: [] })
  })

  it('finds the pipelines of many stacks, twenty stack names per filter, every page', async () => {
    const stacks = Array.from({ length: 21 }, (_, i) => `stack-${i}`)
    const arn = (n: string) => `arn:aws:codepipeline:us-east-1:123456789012:${n}`
    replies.push(() => ({
      body: {
        ResourceTagMappingList: [
          {
            ResourceARN: arn('a'),
            Tags: [
              { Key: 'aws:cloudformation:stack-name', Value: 'stack-0' },
              { Key: 'empty' },
              { Value: 'no key' }
            ]
          },
          { Tags: [{ Key: 'no', Value: 'arn' }] }
        ],
        PaginationToken: 'p2'
      }
    }))
    replies.push(() => ({ body: { ResourceTagMappingList: [{ ResourceARN: arn('b') }] } }))
    replies.push(() => ({ body: { PaginationToken: '' } }))
    const api = createStacksApi(settings, 'us-east-1')
    const found = await api.stackPipelineTags(stacks)
    expect([...found.entries()]).toEqual([
      [arn('a'), { 'aws:cloudformation:stack-name': 'stack-0', empty: '' }],
      [arn('b'), {}]
    ])
    expect(seen.map((s) => s.target)).toEqual([
      'ResourceGroupsTaggingAPI_20170126.GetResources',
      'ResourceGroupsTaggingAPI_20170126.GetResources',
      'ResourceGroupsTaggingAPI_20170126.GetResources'
    ])
    expect(sent(0)).toEqual({
      ResourceTypeFilters: ['codepipeline:pipeline'],
      TagFilters: [{ Key: 'aws:cloudformation:stack-name', Values: stacks.slice(0, 20) }]
    })
    expect(sent(1)).toMatchObject({ PaginationToken: 'p2' })
    expect(sent(2)).toMatchObject({
      TagFilters: [{ Key: 'aws:cloudformation:stack-name', Values: ['stack-20'] }]
    })
  })

  it('reads a pipeline’s tags, page by page', async () => {
    replies.push(() => ({
      body: {
        tags: [
          { key: 'aws:cloudformation:stack-id', value: 'id-1' },
          { key: 'bare' },
          { value: 'x' }
        ],
        nextToken: 't'
      }
    }))
    replies.push(() => ({ body: { tags: [{ key: 'team', value: 'ci' }] } }))
    replies.push(() => ({ body: {} }))
    const api = createStacksApi(settings, 'us-east-1')
    const pipeline = 'arn:aws:codepipeline:us-east-1:123456789012:app'
    expect(await api.pipelineTags(pipeline)).toEqual({
      'aws:cloudformation:stack-id': 'id-1',
      bare: '',
      team: 'ci'
    })
    expect(seen[0]?.target).toBe('CodePipeline_20150709.ListTagsForResource')
    expect(sent(0)).toEqual({ resourceArn: pipeline })
    expect(sent(1)).toEqual({ resourceArn: pipeline, nextToken: 't' })
    expect(await api.pipelineTags(pipeline)).toEqual({})
  })

  it('raises CloudFormation errors by code', async () => {
    replies.push(() => ({
      xml: true,
      status: 400,
      body: '<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id gone does not exist</Message></Error><RequestId>r</RequestId></ErrorResponse>'
    }))
    await expect(createStacksApi(settings, 'us-east-1').getTemplate('gone')).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'Stack with id gone does not exist'
    })
  })
})
