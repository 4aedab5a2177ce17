import { describe, it, expect } from '@jest/globals'
import type { Webhook } from '../src/stores/codepipeline/api.js'
import { webhooksFor, writeWithWebhooks } from '../src/stores/codepipeline/migration/webhooks.js'
import { awsError } from '../__fixtures__/pipelines.js'

const hook = (name: string, targetPipeline: string, targetAction: string): Webhook => ({
  name,
  targetPipeline,
  targetAction,
  arn: `arn:aws:codepipeline:us-east-1:123456789012:webhook:${name}`
})

/** CodePipeline's webhook calls in memory: each call recorded; `fail` makes one refuse. */
class FakeWebhooks {
  readonly calls: string[] = []
  fail = new Map<string, Error>()
  private call(what: string): Promise<void> {
    this.calls.push(what)
    const error = this.fail.get(what)
    return error ? Promise.reject(error) : Promise.resolve()
  }
  deregisterWebhook = (name: string) => this.call(`deregister ${name}`)
  registerWebhook = (name: string) => this.call(`register ${name}`)
  deleteWebhook = (name: string) => this.call(`delete ${name}`)
}

describe('webhooksFor', () => {
  it('picks the webhooks whose definition targets the pipeline and one of the actions', () => {
    const all = [
      hook('a', 'p', 'App'),
      hook('b', 'p', 'Lib'),
      hook('c', 'other', 'App'),
      hook('d', 'p', 'Build')
    ]
    expect(webhooksFor(all, 'p', ['App', 'Lib']).map((w) => w.name)).toEqual(['a', 'b'])
    expect(webhooksFor(all, 'q', ['App'])).toEqual([])
  })
})

describe('writeWithWebhooks', () => {
  it('deregisters, writes, then deletes — in that order', async () => {
    const api = new FakeWebhooks()
    const result = await writeWithWebhooks(api, ['a', 'b'], async () => {
      api.calls.push('UpdatePipeline')
      return { written: true, value: 5 }
    })
    expect(api.calls).toEqual([
      'deregister a',
      'deregister b',
      'UpdatePipeline',
      'delete a',
      'delete b'
    ])
    expect(result).toMatchObject({
      outcome: { written: true, value: 5 },
      deregistered: ['a', 'b'],
      deleted: ['a', 'b'],
      registeredAgain: [],
      problems: [],
      notes: ['webhook(s) a, b deregistered and deleted']
    })
  })

  it('writes with no webhook to frame', async () => {
    const api = new FakeWebhooks()
    const result = await writeWithWebhooks(api, [], async () => ({ written: true, value: 'ok' }))
    expect(api.calls).toEqual([])
    expect(result.notes).toEqual([])
    expect(result.outcome?.value).toBe('ok')
  })

  it('registers the webhooks again when the update fails, and keeps the error', async () => {
    const api = new FakeWebhooks()
    const refused = awsError('ValidationException', 'bad pipeline')
    const result = await writeWithWebhooks(api, ['a', 'b'], async () => {
      api.calls.push('UpdatePipeline')
      throw refused
    })
    expect(api.calls).toEqual([
      'deregister a',
      'deregister b',
      'UpdatePipeline',
      'register a',
      'register b'
    ])
    expect(result.error).toBe(refused)
    expect(result.outcome).toBeUndefined()
    expect(result.registeredAgain).toEqual(['a', 'b'])
    expect(result.notes).toEqual(['webhook(s) a, b registered with GitHub again, as before'])
  })

  it('registers them again when the callback did not write (runs in flight, say)', async () => {
    const api = new FakeWebhooks()
    const result = await writeWithWebhooks(api, ['a'], async () => ({
      written: false,
      value: 'busy'
    }))
    expect(api.calls).toEqual(['deregister a', 'register a'])
    expect(result.outcome).toEqual({ written: false, value: 'busy' })
  })

  it('writes nothing when a deregistration fails, and registers the ones already done again', async () => {
    const api = new FakeWebhooks()
    api.fail.set('deregister b', awsError('WebhookNotFoundException', 'gone'))
    let wrote = false
    const result = await writeWithWebhooks(api, ['a', 'b', 'c'], async () => {
      wrote = true
      return { written: true, value: undefined }
    })
    expect(wrote).toBe(false)
    expect(api.calls).toEqual(['deregister a', 'deregister b', 'register a'])
    expect(result.problems).toEqual([
      'webhook b could not be deregistered from GitHub (WebhookNotFoundException: gone), and it cannot be once the action is replaced: the pipeline was not written'
    ])
  })

  it('says what to run by hand when a registration or a deletion fails', async () => {
    const api = new FakeWebhooks()
    api.fail.set('register a', awsError('ValidationException', 'not GitHub'))
    const failed = await writeWithWebhooks(api, ['a'], async () => {
      throw new Error('timed out')
    })
    expect(failed.problems).toEqual([
      'webhook a was deregistered from GitHub and could not be registered again (ValidationException: not GitHub): pushes no longer start the pipeline — run aws codepipeline register-webhook-with-third-party --webhook-name a'
    ])
    expect(failed.notes).toEqual([])

    const again = new FakeWebhooks()
    again.fail.set('delete a', awsError('ConcurrentModificationException', 'busy'))
    const written = await writeWithWebhooks(again, ['a'], async () => ({
      written: true,
      value: 1
    }))
    expect(written.deleted).toEqual([])
    expect(written.problems).toEqual([
      'webhook a was deregistered from GitHub but could not be deleted (ConcurrentModificationException: busy): it starts nothing now — delete it with aws codepipeline delete-webhook --name a'
    ])
  })
})
