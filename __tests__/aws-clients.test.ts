import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CodePipelineClient, GetPipelineCommand } from '@aws-sdk/client-codepipeline'
import { createPipelineApi } from '../src/codepipeline.js'
import { createCodeBuildApi } from '../src/codebuild.js'
import { createSecretsApi } from '../src/secrets.js'
import { createStackOwners } from '../src/tagging.js'
import { clientConfig, type AwsSettings } from '../src/aws.js'

// A local server speaking the AWS JSON protocol: the real SDK clients, with
// our middleware, signing and retries, talk to it through AWS_ENDPOINT_URL-
// style endpoint configuration.
interface Seen {
  target: string
  body: string
  headers: Record<string, string | string[] | undefined>
}
type Reply = { status?: number; body: unknown; type?: string }
let replies: Array<(seen: Seen) => Reply> = []
let seen: Seen[] = []
let server: Server
let endpoint = ''

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      const request = { target: String(req.headers['x-amz-target']), body, headers: req.headers }
      seen.push(request)
      const next = replies.shift()
      const reply = next
        ? next(request)
        : { status: 500, body: { __type: 'NoReply', message: 'no reply queued' } }
      const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' }
      if (reply.type) headers['x-amzn-errortype'] = reply.type
      res.writeHead(reply.status ?? 200, headers).end(JSON.stringify(reply.body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))
beforeEach(() => {
  replies = []
  seen = []
  process.env['AWS_ENDPOINT_URL'] = endpoint
})

const credentials = async () => ({ accessKeyId: 'unit', secretAccessKey: 'unit' })
function settings(onThrottle?: AwsSettings['onThrottle']): AwsSettings {
  return { credentials, maxConcurrency: 4, onThrottle }
}

const PIPELINE = {
  name: 'app',
  roleArn: 'arn:aws:iam::123456789012:role/r',
  stages: [{ name: 'Source', actions: [], stageSettingFromTheFuture: { a: 1 } }],
  version: 3,
  pipelineSettingFromTheFuture: ['kept', 1.5, null]
}

describe('clientConfig', () => {
  it('uses adaptive retries, keep-alive sockets and a request timeout that throws', () => {
    const config = clientConfig(settings(), 'eu-west-1')
    expect(config).toMatchObject({ region: 'eu-west-1', retryMode: 'adaptive', maxAttempts: 10 })
    expect(config.requestHandler).toMatchObject({
      throwOnRequestTimeout: true,
      requestTimeout: 20000
    })
    process.env['ROTATE_REQUEST_TIMEOUT_MS'] = '750'
    expect(clientConfig(settings(), 'eu-west-1').requestHandler.requestTimeout).toBe(750)
    delete process.env['ROTATE_REQUEST_TIMEOUT_MS']
  })
})

describe('createPipelineApi', () => {
  it('returns GetPipeline exactly as AWS sent it, members the SDK does not know included', async () => {
    const body = {
      pipeline: PIPELINE,
      metadata: {
        pipelineArn: 'arn:aws:codepipeline:us-east-1:123456789012:app',
        created: 1700000000
      }
    }
    replies.push(() => ({ body }))
    const raw = await createPipelineApi(settings(), 'us-east-1').getPipeline('app')
    expect(raw).toEqual({ pipeline: PIPELINE, arn: body.metadata.pipelineArn })
    expect(seen[0]?.target).toBe('CodePipeline_20150709.GetPipeline')

    // Why the middleware exists: the SDK's typed output drops those members.
    replies.push(() => ({ body }))
    const client = new CodePipelineClient(clientConfig(settings(), 'us-east-1'))
    const typed = await client.send(new GetPipelineCommand({ name: 'app' }))
    expect(JSON.stringify(typed.pipeline)).not.toContain('FromTheFuture')
  })

  it('refuses a GetPipeline answer without a pipeline', async () => {
    replies.push(() => ({ body: { metadata: {} } }))
    await expect(createPipelineApi(settings(), 'us-east-1').getPipeline('app')).rejects.toThrow(
      "GetPipeline returned no pipeline for 'app'"
    )
  })

  it('sends UpdatePipeline as {pipeline} byte for byte, and reads the new version', async () => {
    replies.push(({ body }) => ({
      body: { pipeline: { ...JSON.parse(body).pipeline, version: 4 } }
    }))
    const result = await createPipelineApi(settings(), 'us-east-1').updatePipeline(PIPELINE)
    expect(result).toEqual({ version: 4, attempts: 1 })
    expect(seen[0]?.body).toBe(JSON.stringify({ pipeline: PIPELINE }))
    expect(Number(seen[0]?.headers['content-length'])).toBe(Buffer.byteLength(seen[0]?.body ?? ''))
  })

  it('keeps each call its own raw body when many run at once on one cached stack', async () => {
    // The middleware is the client's and its stack is resolved once
    // (cacheMiddleware): each call's raw I/O travels with its own input.
    const names = Array.from({ length: 12 }, (_, i) => `p${i}`)
    for (let i = 0; i < names.length * 2; i++) {
      replies.push(({ target, body }) => {
        const sent = JSON.parse(body) as { name?: string; pipeline?: { name: string } }
        const name = sent.name ?? sent.pipeline?.name ?? ''
        const version = target.endsWith('UpdatePipeline') ? 20 + Number(name.slice(1)) : 1
        return { body: { pipeline: { name, version, marker: `${name}-${version}` } } }
      })
    }
    const api = createPipelineApi(settings(), 'us-east-1')
    expect(clientConfig(settings(), 'us-east-1').cacheMiddleware).toBe(true)
    const results = await Promise.all(
      names.map(async (name) => {
        const read = await api.getPipeline(name)
        const written = await api.updatePipeline({ ...read.pipeline, extra: name })
        return { read: read.pipeline, written }
      })
    )
    results.forEach(({ read, written }, i) => {
      expect(read).toEqual({ name: `p${i}`, version: 1, marker: `p${i}-1` })
      expect(written).toEqual({ version: 20 + i, attempts: 1 })
    })
    const updates = seen.filter((s) => s.target.endsWith('UpdatePipeline')).map((s) => s.body)
    expect(updates.sort()).toEqual(
      names
        .map((name) =>
          JSON.stringify({ pipeline: { name, version: 1, marker: `${name}-1`, extra: name } })
        )
        .sort()
    )
  })

  it('reads no version from an UpdatePipeline answer without one', async () => {
    replies.push(() => ({ body: { pipeline: { name: 'app' } } }))
    expect(await createPipelineApi(settings(), 'us-east-1').updatePipeline(PIPELINE)).toEqual({
      version: undefined,
      attempts: 1
    })
  })

  it('follows ListPipelines and ListTagsForResource pagination', async () => {
    replies.push(() => ({ body: { pipelines: [{ name: 'a' }, { name: 'b' }], nextToken: 't1' } }))
    replies.push(({ body }) => ({
      body: { pipelines: [{ name: JSON.parse(body).nextToken === 't1' ? 'c' : 'wrong' }, {}] }
    }))
    replies.push(() => ({ body: { tags: [{ key: 'team', value: 'x' }], nextToken: 'n' } }))
    replies.push(() => ({
      body: { tags: [{ key: 'aws:cloudformation:stack-name', value: 's' }, { key: 'empty' }] }
    }))
    const api = createPipelineApi(settings(), 'us-east-1')
    expect(await api.listPipelineNames()).toEqual(['a', 'b', 'c'])
    // The largest page AWS allows, on every page: one call lists most fleets.
    expect(seen.slice(0, 2).map((s) => JSON.parse(s.body))).toEqual([
      { maxResults: 1000 },
      { maxResults: 1000, nextToken: 't1' }
    ])
    expect(await api.listTags('arn:aws:codepipeline:us-east-1:123456789012:a')).toEqual({
      team: 'x',
      'aws:cloudformation:stack-name': 's',
      empty: ''
    })
  })

  it('retries throttling, reports each throttled attempt, and counts attempts', async () => {
    const onThrottle = jest.fn()
    const throttled = () => ({
      status: 400,
      type: 'ThrottlingException',
      body: { __type: 'ThrottlingException', message: 'Rate exceeded' }
    })
    replies.push(throttled, throttled)
    replies.push(({ body }) => ({
      body: { pipeline: { ...JSON.parse(body).pipeline, version: 4 } }
    }))
    const result = await createPipelineApi(settings(onThrottle), 'eu-west-1').updatePipeline(
      PIPELINE
    )
    expect(result.attempts).toBe(3)
    expect(onThrottle).toHaveBeenCalledTimes(2)
    expect(onThrottle).toHaveBeenCalledWith('eu-west-1', 'UpdatePipeline')
  })

  it('does not report errors other than throttling as throttling', async () => {
    const onThrottle = jest.fn()
    replies.push(() => ({
      status: 400,
      type: 'PipelineNotFoundException',
      body: { __type: 'PipelineNotFoundException', message: 'no such pipeline' }
    }))
    await expect(
      createPipelineApi(settings(onThrottle), 'us-east-1').getPipeline('x')
    ).rejects.toMatchObject({
      name: 'PipelineNotFoundException'
    })
    expect(onThrottle).not.toHaveBeenCalled()
  })
})

describe('createCodeBuildApi', () => {
  it('imports, lists and deletes source credentials', async () => {
    const arn = 'arn:aws:codebuild:us-east-1:123456789012:token/github'
    replies.push(() => ({ body: { arn } }))
    replies.push(() => ({
      body: {
        sourceCredentialsInfos: [
          { arn, serverType: 'GITHUB', authType: 'PERSONAL_ACCESS_TOKEN' },
          { arn: 'c', serverType: 'BITBUCKET', authType: 'CODECONNECTIONS', resource: 'arn:conn' },
          {}
        ]
      }
    }))
    replies.push(() => ({ body: { arn } }))
    const api = createCodeBuildApi(settings(), 'us-east-1')
    expect(
      await api.importCredentials({
        serverType: 'GITHUB',
        authType: 'PERSONAL_ACCESS_TOKEN',
        token: 'unit-token-value',
        shouldOverwrite: true
      })
    ).toBe(arn)
    expect(JSON.parse(seen[0]?.body ?? '{}')).toEqual({
      serverType: 'GITHUB',
      authType: 'PERSONAL_ACCESS_TOKEN',
      token: 'unit-token-value',
      shouldOverwrite: true
    })
    expect(await api.listCredentials()).toEqual([
      { arn, serverType: 'GITHUB', authType: 'PERSONAL_ACCESS_TOKEN' },
      { arn: 'c', serverType: 'BITBUCKET', authType: 'CODECONNECTIONS', resource: 'arn:conn' },
      { arn: '', serverType: '', authType: '' }
    ])
    expect(await api.deleteCredentials(arn)).toBe(arn)
    expect(seen.map((s) => s.target)).toEqual([
      'CodeBuild_20161006.ImportSourceCredentials',
      'CodeBuild_20161006.ListSourceCredentials',
      'CodeBuild_20161006.DeleteSourceCredentials'
    ])
  })

  it('lists nothing when CodeBuild answers without a list', async () => {
    replies.push(() => ({ body: {} }))
    expect(await createCodeBuildApi(settings(), 'us-east-1').listCredentials()).toEqual([])
  })
})

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
    const api = createSecretsApi(settings(), 'us-east-1')
    expect(await api.describeSecret('ci')).toEqual({
      arn,
      primaryRegion: 'eu-west-1',
      deleted: true,
      rotationEnabled: true,
      owningService: 'rds'
    })
    expect(await api.getSecretString('ci')).toEqual({ arn, versionId: 'v1', text: '{"a":1}' })
    expect(await api.putSecretString('ci', 'new-value')).toEqual({ arn, versionId: 'v2' })
    const put = JSON.parse(seen[2]?.body ?? '{}') as Record<string, unknown>
    expect(put).toMatchObject({ SecretId: 'ci', SecretString: 'new-value' })
    expect(put).not.toHaveProperty('VersionStages')

    // Answers without ARNs fall back to the id asked for.
    expect(await api.describeSecret('bare')).toMatchObject({
      arn: 'bare',
      deleted: false,
      rotationEnabled: false
    })
    expect(await api.getSecretString('bare')).toMatchObject({ arn: 'bare', text: undefined })
    expect(await api.putSecretString('bare', 'v')).toMatchObject({ arn: 'bare' })
  })
})

describe('createStackOwners', () => {
  it('maps each CloudFormation-owned pipeline to its stack, over every page', async () => {
    const arn = (name: string) => `arn:aws:codepipeline:us-east-1:123456789012:${name}`
    const tag = (stack: string) => [{ Key: 'aws:cloudformation:stack-name', Value: stack }]
    replies.push(() => ({
      body: {
        ResourceTagMappingList: [{ ResourceARN: arn('a'), Tags: tag('s1') }],
        PaginationToken: 'p2'
      }
    }))
    replies.push(() => ({
      body: {
        ResourceTagMappingList: [
          { ResourceARN: arn('b'), Tags: tag('s2') },
          { ResourceARN: arn('c'), Tags: [{ Key: 'team', Value: 'x' }] },
          { Tags: tag('no-arn') }
        ],
        PaginationToken: ''
      }
    }))
    const owners = await createStackOwners(settings(), 'us-east-1')()
    expect([...owners]).toEqual([
      [arn('a'), 's1'],
      [arn('b'), 's2']
    ])
    expect(seen[0]?.target).toBe('ResourceGroupsTaggingAPI_20170126.GetResources')
    expect(JSON.parse(seen[0]?.body ?? '{}')).toEqual({
      ResourceTypeFilters: ['codepipeline'],
      TagFilters: [{ Key: 'aws:cloudformation:stack-name' }]
    })
    expect(JSON.parse(seen[1]?.body ?? '{}')).toMatchObject({ PaginationToken: 'p2' })
  })
})
