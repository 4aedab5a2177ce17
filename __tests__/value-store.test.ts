/**
 * The value-store cycle (core/value-store.ts), once for each store that
 * plugs into it: what Secrets Manager and Parameter Store share is tested
 * here, each store's own reads and checks in secrets.test.ts and
 * ssm-store.test.ts.
 */
import { jest, describe, it, expect, beforeEach } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import type { ValueRef } from '../src/core/refs.js'
import {
  FakeParameters,
  FakeSecrets,
  actionDefaults,
  awsError,
  limit
} from '../__fixtures__/value-stores.js'

jest.unstable_mockModule('@actions/core', () => core)
const { secretsStore } = await import('../src/stores/secrets-manager/store.js')
const { parameterStore } = await import('../src/stores/ssm/store.js')
const { parseInputs } = await import('../src/inputs/parse.js')
const { SealedToken } = await import('../src/core/sealed-token.js')

const TOKEN = 'unit-token-value-store-0123456789'
const OLD = 'old-token-value-do-not-print'
const PREVIOUS = 'previous-token-value-do-not-print'
const OTHER = 'other-value-do-not-print'
const JSON_TEXT = `{\n  "user": "bot",\n  "token": "${OLD}",\n  "other": "${OTHER}",\n  "id": 12345678901234567890\n}`

interface Subject {
  input: 'secrets' | 'parameters'
  noun: string
  output: string
  /** The name of the plain and the JSON value. */
  plain: string
  json: string
  seed(): void
  value(name: string): string | undefined
  /** Another actor's write. */
  set(name: string, text: string): void
  puts(): number
  onGet(run: (count: number) => void): void
  failGet(error: Error | undefined): void
  afterPut(run: () => void): void
  make(values: Record<string, string>, previous?: string): ReturnType<typeof secretsStore>
}

function setup(values: Record<string, string>) {
  core.setInputs({ ...actionDefaults(), 'verify-token': 'false', regions: 'us-east-1', ...values })
  return parseInputs(false)
}

let secrets: FakeSecrets
let parameters: FakeParameters
const secret = (s?: string) => (s === undefined ? undefined : new SealedToken(s))

const subjects: Subject[] = [
  {
    input: 'secrets',
    noun: 'secret',
    output: 'secrets-updated',
    plain: 'ci/plain',
    json: 'ci/json',
    seed: () => {
      secrets = new FakeSecrets('us-east-1').add('ci/plain', OLD).add('ci/json', JSON_TEXT)
    },
    value: (name) => secrets.current(name),
    set: (name, text) => secrets.write(name, text),
    puts: () => secrets.puts.length,
    onGet: (run) => (secrets.onGet = (count) => run(count)),
    failGet: (error) => {
      if (error) secrets.failures.get = error
      else delete secrets.failures.get
    },
    afterPut: (run) => (secrets.afterPut = () => run()),
    make: (values, previous) =>
      secretsStore(setup(values), {
        apiFor: () => secrets,
        limit,
        token: new SealedToken(TOKEN),
        previous: secret(previous)
      })
  },
  {
    input: 'parameters',
    noun: 'parameter',
    output: 'parameters-updated',
    plain: '/ci/plain',
    json: '/ci/json',
    seed: () => {
      parameters = new FakeParameters('us-east-1').add('/ci/plain', OLD).add('/ci/json', JSON_TEXT)
    },
    value: (name) => parameters.find(name).value,
    set: (name, text) => {
      const p = parameters.find(name)
      p.value = text
      p.version = (p.version ?? 0) + 1
    },
    puts: () => parameters.puts.length,
    onGet: (run) => (parameters.onGet = (count) => run(count)),
    failGet: (error) => {
      if (error) parameters.failures.get = error
      else delete parameters.failures.get
    },
    afterPut: (run) => (parameters.afterPut = () => run()),
    make: (values, previous) =>
      parameterStore(setup(values), {
        apiFor: () => parameters,
        limit,
        token: new SealedToken(TOKEN),
        previous: secret(previous)
      }) as unknown as ReturnType<typeof secretsStore>
  }
]

beforeEach(() => {
  core.resetCore()
  delete process.env['AWS_REGION']
  delete process.env['AWS_DEFAULT_REGION']
  for (const s of subjects) s.seed()
})

describe.each(subjects)('the value-store cycle: $input', (s) => {
  async function rotate(values: Record<string, string>, refs: ValueRef[] = [], previous?: string) {
    const store = s.make(values, previous)
    const lookups = refs.map((ref) => store.contribute(ref))
    await store.plan()
    if (values['dry-run'] !== 'true') await store.apply()
    const report = store.report()
    return { store, report, lookups, everything: JSON.stringify(report) }
  }
  const contributed = (id: string, key?: string): ValueRef => ({
    entry: key === undefined ? id : `${id}#${key}`,
    id,
    key,
    region: 'us-east-1',
    account: undefined,
    origin: 'stack ci-stack'
  })

  it('sets one key of a JSON value, every other byte kept, and two keys in one write', async () => {
    const { report, everything } = await rotate({ [s.input]: `${s.json}#token, ${s.json}#user` })
    expect(s.puts()).toBe(1)
    expect(s.value(s.json)).toBe(JSON_TEXT.replace(OLD, TOKEN).replace('"bot"', `"${TOKEN}"`))
    expect(report.failures).toEqual([])
    for (const value of [TOKEN, OLD, OTHER]) expect(everything).not.toContain(value)
  })

  it('skips a value that already holds the token, whole or by key', async () => {
    s.set(s.plain, TOKEN)
    s.set(s.json, `{"token": "${TOKEN}"}`)
    const { report } = await rotate({ [s.input]: `${s.plain}, ${s.json}#token` })
    expect(s.puts()).toBe(0)
    expect(report.sections[0]?.rows.map((r) => r.at(-1))).toEqual([
      "⏭️ skipped: key 'token' already holds this token",
      '⏭️ skipped: already holds this token'
    ])
  })

  it('edits the latest value when it changed after the plan', async () => {
    s.onGet((count) => {
      if (count === 1) s.set(s.json, `{"token": "x", "added": "${OTHER}"}`)
    })
    const { report } = await rotate({ [s.input]: `${s.json}#token` })
    expect(JSON.parse(s.value(s.json) ?? '')).toEqual({ token: TOKEN, added: OTHER })
    expect(report.failures).toEqual([])
  })

  it('fails, writing nothing, when the value stopped being JSON after the plan', async () => {
    s.onGet((count) => {
      if (count === 1) s.set(s.json, 'plain now')
    })
    const { report } = await rotate({ [s.input]: `${s.json}#token` })
    expect(report.failures[0]).toMatch(/changed since it was planned and now is not JSON/)
    expect(s.puts()).toBe(0)
  })

  it('skips when someone else wrote the same token after the plan', async () => {
    s.onGet((count) => {
      if (count === 1) s.set(s.plain, TOKEN)
    })
    const { report } = await rotate({ [s.input]: s.plain })
    expect(report.lines[0]?.line).toMatch(/skipped .*written by someone else meanwhile\)$/)
    expect(s.puts()).toBe(0)
  })

  it('fails when the read before writing fails', async () => {
    s.onGet((count) => {
      if (count === 1) s.failGet(awsError('InternalServerError', 'boom', 500))
    })
    const { report } = await rotate({ [s.input]: s.plain })
    expect(report.failures[0]).toMatch(/InternalServerError: boom/)
    expect(s.puts()).toBe(0)
  })

  it('fails only the value whose read throws unexpectedly, and writes the others', async () => {
    s.onGet((count) => {
      if (count === 0) throw new RangeError('Maximum call stack size exceeded')
    })
    const { report } = await rotate({ [s.input]: `${s.plain}, ${s.json}#token` })
    expect(report.failures).toHaveLength(1)
    expect(report.failures[0]).toMatch(/Maximum call stack size exceeded$/)
    expect(report.outputs[s.output]).toHaveLength(1)
  })

  it('edits a value nested thousands of levels deep, reading only its top level', async () => {
    const deep = `{"token":"${OLD}","x":${'['.repeat(20_000)}${']'.repeat(20_000)}}`
    s.set(s.json, deep)
    const { report } = await rotate({ [s.input]: `${s.json}#token` })
    expect(report.failures).toEqual([])
    expect(s.value(s.json)).toBe(deep.replace(OLD, TOKEN))
  })

  it('refuses a key that differs only in case from the value’s own, naming both', async () => {
    const { report } = await rotate({ [s.input]: `${s.json}#Token` })
    expect(report.failures[0]).toMatch(/has key 'token', which differs from 'Token' only in case/)
    expect(s.puts()).toBe(0)
  })

  it('warns about a key it adds', async () => {
    const { report } = await rotate({ [s.input]: `${s.json}#pat` })
    expect(report.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `has no key 'pat': it will be added, the other keys kept\\..*fix the ${s.input} input\\.$`
        )
      )
    ])
  })

  it('writes a contributed value once with the input’s, and shows where it came from', async () => {
    const { report, lookups } = await rotate({ [s.input]: `${s.json}#token` }, [
      contributed(s.json, 'token')
    ])
    expect(s.puts()).toBe(1)
    expect(report.sections[0]?.rows).toHaveLength(1)
    expect(report.sections[0]?.rows[0]?.[1]).toBe(`${s.json} (from stack ci-stack)`)
    expect(lookups[0]?.()?.status).toBe('updated')
  })

  it('throws when a value is contributed after it planned: it would never be written', async () => {
    const store = s.make({ pipelines: 'app' })
    store.contribute(contributed(s.plain))
    await store.plan()
    expect(() => store.contribute(contributed(s.json, 'token'))).toThrow(
      `${s.noun.charAt(0).toUpperCase()}${s.noun.slice(1)} ${s.json}#token (from stack ci-stack) was contributed after the ${s.input} store planned, so it would never be written`
    )
    await store.apply()
    expect(s.value(s.plain)).toBe(TOKEN)
  })

  it('registers every value it reads as a secret, before and at the write', async () => {
    const [old, colleague, fresh] = ['old', 'colleague', 'fresh'].map(
      (w) => `${w}-${s.input}-value`
    )
    const text = JSON.stringify({ token: old, user: colleague })
    s.set(s.json, text)
    s.onGet((count) => {
      if (count === 1) s.set(s.json, JSON.stringify({ token: old, fresh }))
    })
    await rotate({ [s.input]: `${s.json}#token` })
    const masked = core.setSecret.mock.calls.map(([v]) => v)
    expect(masked).toEqual(expect.arrayContaining([text, old, colleague, fresh]))
  })
})

describe.each(subjects)('previous-token holdouts: $input', (s) => {
  async function rotate(values: Record<string, string>, previous?: string) {
    const store = s.make(values, previous)
    await store.plan()
    if (values['dry-run'] !== 'true') await store.apply()
    return store.report()
  }

  it('reports another key that still holds it, by name, and warns', async () => {
    s.set(s.json, `{"token": "${PREVIOUS}", "other": "x"}`)
    const report = await rotate({ [s.input]: `${s.json}#pat` }, PREVIOUS)
    expect(report.holdouts).toEqual([
      `${s.noun} ${s.json} in us-east-1: key 'token' still holds previous-token`
    ])
    expect(report.warnings).toContain(
      `${s.noun.charAt(0).toUpperCase()}${s.noun.slice(1)} ${s.json} in us-east-1: key 'token' still holds previous-token: previous-token is kept (not revoked) until this is resolved`
    )
    expect(JSON.stringify(report)).not.toContain(PREVIOUS)
  })

  it('reports nothing once every value holds the new token, and scans nothing without it', async () => {
    s.set(s.plain, PREVIOUS)
    expect((await rotate({ [s.input]: s.plain }, PREVIOUS)).holdouts).toEqual([])
    s.set(s.plain, PREVIOUS)
    expect((await rotate({ [s.input]: s.plain })).holdouts).toEqual([])
  })

  it('reports what a dry run would leave holding it', async () => {
    s.set(s.json, `{"token": "${PREVIOUS}"}`)
    const report = await rotate({ [s.input]: `${s.json}#pat`, 'dry-run': 'true' }, PREVIOUS)
    expect(report.holdouts).toEqual([
      `${s.noun} ${s.json} in us-east-1: key 'token' still holds previous-token`
    ])
  })

  it('reports a value it skipped because it already holds the token', async () => {
    s.set(s.json, `{"token": "${TOKEN}", "old": "${PREVIOUS}"}`)
    const report = await rotate({ [s.input]: `${s.json}#token` }, PREVIOUS)
    expect(report.holdouts).toEqual([
      `${s.noun} ${s.json} in us-east-1: key 'old' still holds previous-token`
    ])
  })
})

describe('previous-token in older versions', () => {
  it('reports a parameter label on an older version, and the check it could not make', async () => {
    const p = parameters.find('/ci/plain')
    p.value = PREVIOUS
    p.labels = ['prod']
    const store = subjects[1]!.make({ parameters: '/ci/plain' }, PREVIOUS)
    await store.plan()
    await store.apply()
    expect(store.report().holdouts).toEqual([
      'parameter /ci/plain in us-east-1: label prod (version 1): its value still holds previous-token'
    ])
    parameters.failures.history = awsError('AccessDeniedException', 'denied')
    const denied = subjects[1]!.make({ parameters: '/ci/json#token' }, PREVIOUS)
    await denied.plan()
    expect(denied.report().holdouts).toEqual([
      "parameter /ci/json in us-east-1: its labelled versions could not be checked for previous-token: AccessDeniedException: denied — the role needs permission ssm:GetParameterHistory (see the README's IAM policy)"
    ])
  })

  it('reports a secret version a staging label of its own still reaches, not AWSPREVIOUS', async () => {
    const s = secrets.find('ci/plain')
    s.versions = [
      { id: 'v-labelled', text: PREVIOUS, stages: ['prod'] },
      { id: 'v-current', text: PREVIOUS }
    ]
    const store = subjects[0]!.make({ secrets: 'ci/plain' }, PREVIOUS)
    await store.plan()
    await store.apply()
    expect(store.report().holdouts).toEqual([
      'secret ci/plain in us-east-1: staging label prod (version v-labelled): its value still holds previous-token'
    ])
    expect(secrets.current('ci/plain')).toBe(TOKEN)
    secrets.failures.versions = awsError('AccessDeniedException', 'denied')
    const denied = subjects[0]!.make({ secrets: 'ci/json#token' }, PREVIOUS)
    await denied.plan()
    expect(denied.report().holdouts).toEqual([
      "secret ci/json in us-east-1: its staged versions could not be checked for previous-token: AccessDeniedException: denied — the role needs permission secretsmanager:ListSecretVersionIds (see the README's IAM policy)"
    ])
  })
})

describe('valueStore: a write that breaks after its put', () => {
  it('fails that write alone, saying it was written', async () => {
    const { valueStore } = await import('../src/core/value-store.js')
    const text = new Map([
      ['a', OLD],
      ['b', OLD]
    ])
    const store = valueStore<
      {
        region: string
        entry: string
        status: 'planned' | 'updated' | 'skipped' | 'failed'
        error?: string
      },
      null,
      string
    >({
      input: 'things',
      output: 'things-updated',
      noun: 'thing',
      title: 'Things',
      regions: ['us-east-1'],
      dryRun: false,
      token: new SealedToken(TOKEN),
      previous: undefined,
      inputRefs: ['a', 'b'].map((id) => ({
        entry: id,
        id,
        key: undefined,
        region: 'us-east-1',
        account: undefined,
        origin: undefined
      })),
      backend: {
        row: (ref) => ({ region: ref.region, entry: ref.entry, status: 'planned' }),
        read: async (ref) => ({
          id: ref.id,
          stored: { id: ref.id, name: ref.id, text: text.get(ref.id) ?? '', meta: null }
        }),
        reread: async (write) => ({ ...write.stored, text: text.get(write.stored.id) ?? '' }),
        put: async (write, _current, value) => {
          text.set(write.stored.id, value)
          return write.stored.id
        },
        written: () => ({}),
        verify: async (_write, _current, _text, id) => {
          if (id === 'a') throw new TypeError('the answer was not what it should be')
          return undefined
        },
        updated: () => ({}),
        describe: () => 'described',
        wouldWrite: () => 'would write'
      },
      idOf: (r) => r.entry,
      section: () => ({ title: 'Things', headers: [], rows: [] }),
      lines: () => []
    })
    await store.plan()
    await store.apply()
    const report = store.report()
    expect(report.failures).toEqual([
      'us-east-1 thing a: was written, but then failed unexpectedly: the answer was not what it should be'
    ])
    expect(report.outputs).toEqual({ 'things-updated': ['b'] })
    expect(text.get('b')).toBe(TOKEN)
  })
})
