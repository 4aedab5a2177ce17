import { describe, expect, it, jest } from '@jest/globals'
import { skipSdkWaits, useAwsServer } from '../__fixtures__/aws-server.js'
import { CodePipelineClient, GetPipelineCommand } from '@aws-sdk/client-codepipeline'
import { clientConfig, type AwsSettings } from '../src/aws/client.js'
import { createCodeBuildApi } from '../src/stores/codebuild/api.js'
import { createPipelineApi } from '../src/stores/codepipeline/api.js'

const { replies, seen } = useAwsServer()

const credentials = async () => ({ accessKeyId: 'unit', secretAccessKey: 'unit' })
function settings(onThrottle?: AwsSettings['onThrottle']): AwsSettings {
  return { credentials, maxConcurrency: 4, onThrottle }
}
const sent = (i: number) => JSON.parse(seen[i]?.body ?? '{}') as Record<string, unknown>

const PIPELINE = {
  name: 'app',
  roleArn: 'arn:aws:iam::123456789012:role/r',
  stages: [{ name: 'Source', actions: [], stageSettingFromTheFuture: { a: 1 } }],
  version: 3,
  pipelineSettingFromTheFuture: ['kept', 1.5, null]
}

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
    expect(sent(0)).toEqual({ name: 'app' })

    // Why the middleware exists: the SDK's typed output drops those members.
    replies.push(() => ({ body }))
    const client = new CodePipelineClient(clientConfig(settings(), 'us-east-1'))
    const typed = await client.send(new GetPipelineCommand({ name: 'app' }))
    expect(JSON.stringify(typed.pipeline)).not.toContain('FromTheFuture')
  })

  it('reads no ARN from a GetPipeline answer without metadata, or with one that is not a string', async () => {
    replies.push(() => ({ body: { pipeline: PIPELINE } }))
    replies.push(() => ({ body: { pipeline: PIPELINE, metadata: { pipelineArn: 7 } } }))
    const api = createPipelineApi(settings(), 'us-east-1')
    expect(await api.getPipeline('app')).toEqual({ pipeline: PIPELINE, arn: undefined })
    expect(await api.getPipeline('app')).toEqual({ pipeline: PIPELINE, arn: undefined })
  })

  it('refuses a GetPipeline answer without a pipeline', async () => {
    replies.push(() => ({ body: { metadata: {} } }))
    replies.push(() => ({ body: { pipeline: [PIPELINE] } }))
    const api = createPipelineApi(settings(), 'us-east-1')
    await expect(api.getPipeline('app')).rejects.toThrow(
      "GetPipeline returned no pipeline for 'app'"
    )
    await expect(api.getPipeline('app')).rejects.toThrow(
      "GetPipeline returned no pipeline for 'app'"
    )
  })

  it('sends UpdatePipeline as {pipeline} byte for byte, and reads the new version and the Date', async () => {
    replies.push(({ body }) => ({
      body: { pipeline: { ...JSON.parse(body).pipeline, version: 4 } },
      headers: { date: 'Tue, 01 Dec 2026 09:40:54 GMT' }
    }))
    const result = await createPipelineApi(settings(), 'us-east-1').updatePipeline(PIPELINE)
    expect(result).toEqual({
      version: 4,
      attempts: 1,
      answeredAt: new Date(Date.UTC(2026, 11, 1, 9, 40, 54))
    })
    expect(seen[0]?.target).toBe('CodePipeline_20150709.UpdatePipeline')
    expect(seen[0]?.body).toBe(JSON.stringify({ pipeline: PIPELINE }))
    expect(Number(seen[0]?.headers['content-length'])).toBe(Buffer.byteLength(seen[0]?.body ?? ''))
  })

  it('keeps each call its own raw body when many run at once on one cached stack', async () => {
    // The middleware is the client's and its stack is resolved once
    // (cacheMiddleware): each call's raw I/O travels with its own input.
    const names = Array.from({ length: 12 }, (_, i) => `p${i}`)
    for (let i = 0; i < names.length * 2; i++) {
      replies.push(({ target, body }) => {
        const request = JSON.parse(body) as { name?: string; pipeline?: { name: string } }
        const name = request.name ?? request.pipeline?.name ?? ''
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
      expect(written).toEqual({ version: 20 + i, attempts: 1, answeredAt: expect.any(Date) })
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
    replies.push(() => ({ body: {} }))
    const api = createPipelineApi(settings(), 'us-east-1')
    const before = Math.floor(Date.now() / 1000) * 1000
    const first = await api.updatePipeline(PIPELINE)
    expect(first).toEqual({ version: undefined, attempts: 1, answeredAt: expect.any(Date) })
    // node:http's own Date header: now, in whole seconds.
    expect(first.answeredAt?.getTime()).toBeGreaterThanOrEqual(before)
    expect(first.answeredAt?.getTime()).toBeLessThanOrEqual(Date.now())
    expect(first.answeredAt?.getMilliseconds()).toBe(0)
    expect(await api.updatePipeline(PIPELINE)).toMatchObject({ version: undefined, attempts: 1 })
  })

  it('has no answer time when UpdatePipeline answers without a Date header, or an unreadable one', async () => {
    replies.push(() => ({ body: { pipeline: { version: 4 } }, sendDate: false }))
    replies.push(() => ({ body: { pipeline: { version: 5 } }, headers: { date: 'yesterday' } }))
    const api = createPipelineApi(settings(), 'us-east-1')
    expect(await api.updatePipeline(PIPELINE)).toEqual({
      version: 4,
      attempts: 1,
      answeredAt: undefined
    })
    expect(seen).toHaveLength(1)
    expect(await api.updatePipeline(PIPELINE)).toEqual({
      version: 5,
      attempts: 1,
      answeredAt: undefined
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
    replies.push(() => ({ body: {} }))
    replies.push(() => ({ body: {} }))
    const api = createPipelineApi(settings(), 'us-east-1')
    expect(await api.listPipelineNames()).toEqual(['a', 'b', 'c'])
    // The largest page AWS allows, on every page: one call lists most fleets.
    expect([sent(0), sent(1)]).toEqual([
      { maxResults: 1000 },
      { maxResults: 1000, nextToken: 't1' }
    ])
    expect(await api.listTags('arn:aws:codepipeline:us-east-1:123456789012:a')).toEqual({
      team: 'x',
      'aws:cloudformation:stack-name': 's',
      empty: ''
    })
    expect(sent(3)).toMatchObject({
      resourceArn: 'arn:aws:codepipeline:us-east-1:123456789012:a',
      nextToken: 'n'
    })
    // Answers without lists list nothing.
    expect(await api.listPipelineNames()).toEqual([])
    expect(await api.listTags('arn:aws:codepipeline:us-east-1:123456789012:a')).toEqual({})
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
    const clock = skipSdkWaits()
    const result = await createPipelineApi(settings(onThrottle), 'eu-west-1')
      .updatePipeline(PIPELINE)
      .finally(clock.restore)
    expect(result.attempts).toBe(3)
    // The SDK backed off between the attempts (on the fake clock).
    expect(clock.skipped()).toBeGreaterThan(0)
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
    expect(seen).toHaveLength(1)
  })

  it('maps each CloudFormation-owned pipeline to its stack and logical ID, over every page', async () => {
    const arn = (name: string) => `arn:aws:codepipeline:us-east-1:123456789012:${name}`
    const tags = (stack: string, logicalId?: string) => [
      { Key: 'aws:cloudformation:stack-name', Value: stack },
      ...(logicalId ? [{ Key: 'aws:cloudformation:logical-id', Value: logicalId }] : [])
    ]
    replies.push(() => ({
      body: {
        ResourceTagMappingList: [{ ResourceARN: arn('a'), Tags: tags('s1', 'Pipeline') }],
        PaginationToken: 'p2'
      }
    }))
    replies.push(() => ({
      body: {
        ResourceTagMappingList: [
          { ResourceARN: arn('b'), Tags: tags('s2') },
          { ResourceARN: arn('c'), Tags: [{ Key: 'team', Value: 'x' }] },
          { ResourceARN: arn('d') },
          { Tags: tags('no-arn') }
        ],
        PaginationToken: ''
      }
    }))
    replies.push(() => ({ body: {} }))
    const api = createPipelineApi(settings(), 'us-east-1')
    const owners = await api.stackOwners()
    expect([...owners]).toEqual([
      [arn('a'), { stack: 's1', logicalId: 'Pipeline' }],
      [arn('b'), { stack: 's2', logicalId: undefined }]
    ])
    expect(seen[0]?.target).toBe('ResourceGroupsTaggingAPI_20170126.GetResources')
    expect(sent(0)).toEqual({
      ResourceTypeFilters: ['codepipeline'],
      TagFilters: [{ Key: 'aws:cloudformation:stack-name' }]
    })
    expect(sent(1)).toMatchObject({ PaginationToken: 'p2' })
    // The client is loaded once: a second lookup sends one more request, and
    // an answer without a list owns nothing.
    expect([...(await api.stackOwners())]).toEqual([])
    expect(seen).toHaveLength(3)
  })

  it('lists the newest 100 runs with their times, revisions and trigger', async () => {
    replies.push(() => ({
      body: {
        pipelineExecutionSummaries: [
          {
            pipelineExecutionId: 'e2',
            status: 'InProgress',
            startTime: 1700000100,
            lastUpdateTime: 1700000160.5,
            sourceRevisions: [
              { actionName: 'App', revisionId: 'c2' },
              { actionName: 'NoRevision' },
              { revisionId: 'no-action' }
            ],
            trigger: { triggerType: 'Webhook' }
          },
          {}
        ],
        nextToken: 'more'
      }
    }))
    replies.push(() => ({ body: {} }))
    const api = createPipelineApi(settings(), 'us-east-1')
    expect(await api.listExecutions('app')).toEqual([
      {
        id: 'e2',
        status: 'InProgress',
        startTime: new Date(1700000100 * 1000),
        lastUpdateTime: new Date(1700000160500),
        sourceRevisions: [{ actionName: 'App', revisionId: 'c2' }],
        trigger: 'Webhook'
      },
      {
        id: '',
        status: '',
        startTime: undefined,
        lastUpdateTime: undefined,
        sourceRevisions: [],
        trigger: undefined
      }
    ])
    // One page only: the newest 100.
    expect(seen.map((s) => s.target)).toEqual(['CodePipeline_20150709.ListPipelineExecutions'])
    expect(sent(0)).toEqual({ pipelineName: 'app', maxResults: 100 })
    expect(await api.listExecutions('app')).toEqual([])
  })

  it("reads each stage's latest run and the runs waiting to enter it", async () => {
    replies.push(() => ({
      body: {
        pipelineVersion: 7,
        stageStates: [
          {
            stageName: 'Source',
            latestExecution: { pipelineExecutionId: 'e1', status: 'Succeeded' }
          },
          { stageName: 'Build', latestExecution: { pipelineExecutionId: 'e2' } },
          {
            stageName: 'Deploy',
            inboundExecution: { pipelineExecutionId: 'q1', status: 'InProgress' },
            inboundExecutions: [
              { pipelineExecutionId: 'q2', status: 'InProgress' },
              { status: 'InProgress' }
            ]
          },
          { stageName: 'Test', inboundExecutions: [{ pipelineExecutionId: 'q3' }] },
          { latestExecution: { pipelineExecutionId: 'e3', status: 'InProgress' } },
          { stageName: 'Nameless', latestExecution: { status: 'InProgress' } }
        ]
      }
    }))
    replies.push(() => ({ body: {} }))
    const api = createPipelineApi(settings(), 'us-east-1')
    expect(await api.pipelineState('app')).toEqual({
      version: 7,
      stages: [
        { stage: 'Source', latest: { executionId: 'e1', status: 'Succeeded' }, inbound: [] },
        { stage: 'Build', latest: { executionId: 'e2', status: '' }, inbound: [] },
        { stage: 'Deploy', latest: undefined, inbound: ['q1', 'q2'] },
        { stage: 'Test', latest: undefined, inbound: ['q3'] },
        { stage: '', latest: { executionId: 'e3', status: 'InProgress' }, inbound: [] },
        // A latest run without an ID names nothing to wait for.
        { stage: 'Nameless', latest: undefined, inbound: [] }
      ]
    })
    expect(seen[0]?.target).toBe('CodePipeline_20150709.GetPipelineState')
    expect(sent(0)).toEqual({ name: 'app' })
    expect(await api.pipelineState('app')).toEqual({ version: undefined, stages: [] })
  })

  it('reads the resolved variables of a run', async () => {
    replies.push(() => ({
      body: {
        pipelineExecution: {
          variables: [
            { name: 'STAGE', resolvedValue: 'prod' },
            { name: 'EMPTY', resolvedValue: '' },
            { name: 'UNRESOLVED' },
            { resolvedValue: 'nameless' }
          ]
        }
      }
    }))
    replies.push(() => ({ body: {} }))
    const api = createPipelineApi(settings(), 'us-east-1')
    expect(await api.executionVariables('app', 'e1')).toEqual([
      { name: 'STAGE', value: 'prod' },
      { name: 'EMPTY', value: '' }
    ])
    expect(seen[0]?.target).toBe('CodePipeline_20150709.GetPipelineExecution')
    expect(sent(0)).toEqual({ pipelineName: 'app', pipelineExecutionId: 'e1' })
    expect(await api.executionVariables('app', 'e1')).toEqual([])
  })

  it('reads the pipeline version a run ran on', async () => {
    replies.push(() => ({ body: { pipelineExecution: { pipelineVersion: 4 } } }))
    replies.push(() => ({ body: {} }))
    const api = createPipelineApi(settings(), 'us-east-1')
    expect(await api.runVersion('app', 'e1')).toBe(4)
    expect(seen[0]?.target).toBe('CodePipeline_20150709.GetPipelineExecution')
    expect(sent(0)).toEqual({ pipelineName: 'app', pipelineExecutionId: 'e1' })
    expect(await api.runVersion('app', 'e1')).toBeUndefined()
  })

  it('starts a run with the overrides given and an idempotency token the SDK keeps across retries', async () => {
    const throttled = () => ({
      status: 400,
      type: 'ThrottlingException',
      body: { __type: 'ThrottlingException', message: 'Rate exceeded' }
    })
    replies.push(throttled)
    replies.push(() => ({ body: { pipelineExecutionId: 'e9' } }))
    replies.push(() => ({ body: {} }))
    const clock = skipSdkWaits()
    const api = createPipelineApi(settings(), 'us-east-1')
    const request = {
      sourceRevisions: [
        { actionName: 'App', revisionType: 'COMMIT_ID' as const, revisionValue: 'c1' }
      ],
      variables: [{ name: 'STAGE', value: 'prod' }]
    }
    expect(await api.startExecution('app', request)).toBe('e9')
    expect(seen.map((s) => s.target)).toEqual([
      'CodePipeline_20150709.StartPipelineExecution',
      'CodePipeline_20150709.StartPipelineExecution'
    ])
    const [first, second] = [sent(0), sent(1)]
    expect(first).toMatchObject({ name: 'app', ...request })
    expect(typeof first['clientRequestToken']).toBe('string')
    expect(second['clientRequestToken']).toBe(first['clientRequestToken'])
    // Still on the fake clock: the client's rate limiter remembers the times it saw.
    expect(await api.startExecution('app', {}).finally(clock.restore)).toBeUndefined()
    expect(sent(2)['clientRequestToken']).not.toBe(first['clientRequestToken'])
    expect(clock.skipped()).toBeGreaterThan(0)
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
    expect(sent(0)).toEqual({
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
    expect(sent(2)).toEqual({ arn })
    expect(seen.map((s) => s.target)).toEqual([
      'CodeBuild_20161006.ImportSourceCredentials',
      'CodeBuild_20161006.ListSourceCredentials',
      'CodeBuild_20161006.DeleteSourceCredentials'
    ])
  })

  it('imports a Bitbucket app password with its username, and lists a credential kept in Secrets Manager', async () => {
    const arn = 'arn:aws:codebuild:us-east-1:123456789012:token/github'
    replies.push(() => ({ body: { arn } }))
    replies.push(() => ({
      body: {
        sourceCredentialsInfos: [
          { arn, serverType: 'GITHUB', authType: 'PERSONAL_ACCESS_TOKEN' },
          {
            arn: 'c',
            serverType: 'GITHUB',
            authType: 'SECRETS_MANAGER',
            resource: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:cb-AbCdEf'
          },
          {}
        ]
      }
    }))
    replies.push(() => ({ body: { arn } }))
    const api = createCodeBuildApi(settings(), 'us-east-1')
    expect(
      await api.importCredentials({
        serverType: 'BITBUCKET',
        authType: 'BASIC_AUTH',
        token: 'unit-token-value',
        username: 'builder',
        shouldOverwrite: true
      })
    ).toBe(arn)
    expect(sent(0)).toEqual({
      serverType: 'BITBUCKET',
      authType: 'BASIC_AUTH',
      token: 'unit-token-value',
      username: 'builder',
      shouldOverwrite: true
    })
    expect(await api.listCredentials()).toEqual([
      { arn, serverType: 'GITHUB', authType: 'PERSONAL_ACCESS_TOKEN' },
      {
        arn: 'c',
        serverType: 'GITHUB',
        authType: 'SECRETS_MANAGER',
        resource: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:cb-AbCdEf'
      },
      { arn: '', serverType: '', authType: '' }
    ])
    expect(await api.deleteCredentials(arn)).toBe(arn)
    expect(sent(2)).toEqual({ arn })
    expect(seen.map((s) => s.target)).toEqual([
      'CodeBuild_20161006.ImportSourceCredentials',
      'CodeBuild_20161006.ListSourceCredentials',
      'CodeBuild_20161006.DeleteSourceCredentials'
    ])
  })

  it('lists projects page by page, then BatchGetProjects at most 100 names a call', async () => {
    const names = Array.from({ length: 150 }, (_, i) => `p${String(i).padStart(3, '0')}`)
    replies.push(() => ({ body: { projects: names.slice(0, 100), nextToken: 'page-2' } }))
    replies.push(() => ({ body: { projects: [...names.slice(100), 'p000'] } }))
    replies.push(() => ({
      body: {
        projects: [
          {
            name: 'p000',
            source: { type: 'GITHUB', location: 'https://github.com/o/a.git' },
            secondarySources: [
              {
                type: 'BITBUCKET',
                location: 'https://bitbucket.org/w/b',
                sourceIdentifier: 'lib',
                auth: { type: 'SECRETS_MANAGER', resource: 'arn:aws:secretsmanager:x' }
              },
              {}
            ],
            webhook: { url: 'https://example.com' }
          },
          {}
        ]
      }
    }))
    replies.push(() => ({ body: {} }))
    const projects = await createCodeBuildApi(settings(), 'us-east-1').listProjects()
    expect(projects).toEqual([
      {
        name: 'p000',
        webhook: true,
        sources: [
          { id: 'primary', type: 'GITHUB', location: 'https://github.com/o/a.git' },
          {
            id: 'lib',
            type: 'BITBUCKET',
            location: 'https://bitbucket.org/w/b',
            auth: { type: 'SECRETS_MANAGER', resource: 'arn:aws:secretsmanager:x' }
          },
          { id: '', type: '', location: '' }
        ]
      },
      { name: '', webhook: false, sources: [] }
    ])
    expect(seen.map((s) => s.target)).toEqual([
      'CodeBuild_20161006.ListProjects',
      'CodeBuild_20161006.ListProjects',
      'CodeBuild_20161006.BatchGetProjects',
      'CodeBuild_20161006.BatchGetProjects'
    ])
    expect(sent(1)).toEqual({ sortBy: 'NAME', nextToken: 'page-2' })
    expect((sent(2)['names'] as string[]).length).toBe(100)
    expect(sent(3)['names']).toEqual(names.slice(100))
  })

  it('lists nothing when CodeBuild answers without a list', async () => {
    replies.push(() => ({ body: {} }))
    expect(await createCodeBuildApi(settings(), 'us-east-1').listCredentials()).toEqual([])
  })
})
