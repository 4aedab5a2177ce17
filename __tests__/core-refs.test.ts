import { describe, it, expect } from '@jest/globals'
import { Contributions, mergeRows, type ValueRef } from '../src/core/refs.js'

function ref(id: string, overrides: Partial<ValueRef> = {}): ValueRef {
  return {
    entry: id,
    id,
    key: undefined,
    region: 'us-east-1',
    account: undefined,
    origin: undefined,
    ...overrides
  }
}

interface Row {
  ref: ValueRef
  result: { name: string; from?: string[] }
}

const row = (r: ValueRef, name = r.id): Row => ({
  ref: r,
  result: { name, ...(r.origin ? { from: [r.origin] } : {}) }
})

describe('Contributions', () => {
  const late = (r: ValueRef) => `${r.entry} came too late`

  it('throws on a contribution once the receiver took the refs: it would never be planned', () => {
    const contributions = new Contributions<string>(late)
    const early = ref('early', { origin: 'stack one' })
    contributions.add(early)
    expect(contributions.close()).toEqual([early])
    expect(() => contributions.add(ref('ci/late#token'))).toThrow('ci/late#token came too late')
    // What was taken stays as it was.
    expect(contributions.close()).toEqual([early])
  })

  it('hands back, for each ref added, the result settled for it', () => {
    const contributions = new Contributions<string>(late)
    const a = ref('a', { origin: 'stack one' })
    const b = ref('b', { origin: 'CodeBuild credential in us-east-1' })
    const lookA = contributions.add(a)
    const lookB = contributions.add(b)
    expect(contributions.close()).toEqual([a, b])
    // Before the writing store planned: nothing yet.
    expect(lookA()).toBeUndefined()
    contributions.settle((r) => (r === a ? 'row of a' : undefined))
    expect(lookA()).toBe('row of a')
    expect(lookB()).toBeUndefined()
    contributions.settle((r) => `again ${r.id}`)
    expect([lookA(), lookB()]).toEqual(['again a', 'again b'])
  })

  it('keeps the same ref added twice as two lookups', () => {
    const contributions = new Contributions<number>(late)
    const same = ref('x')
    const first = contributions.add(same)
    const second = contributions.add(same)
    let n = 0
    contributions.settle(() => ++n)
    expect([first(), second()]).toEqual([1, 2])
  })
})

describe('mergeRows', () => {
  it('keeps one row per target, with every place that named it', () => {
    const byName = ref('ci/gh')
    const byArn = ref('arn:aws:secretsmanager:us-east-1:123456789012:secret:ci/gh-AbCdEf', {
      origin: 'stack ci'
    })
    const other = ref('other')
    const rows = [row(byName, 'T'), row(byArn, 'T'), row(other, 'O')]
    const { kept, rowOf } = mergeRows(rows, (r) => r.result.name, 'the secrets input')
    expect(kept).toEqual([rows[0], rows[2]])
    expect(kept[0]?.result.from).toEqual(['stack ci'])
    expect(rowOf.get(byName)).toBe(rows[0]?.result)
    expect(rowOf.get(byArn)).toBe(rows[0]?.result)
    expect(rowOf.get(other)).toBe(rows[2]?.result)
  })

  it('names the input when a contributed row comes first and the input second', () => {
    const fromStack = ref('x', { origin: 'stack a' })
    const fromCodeBuild = ref('x', { origin: 'CodeBuild credential in eu-west-1' })
    const fromInput = ref('x')
    const rows = [row(fromStack), row(fromCodeBuild), row(fromInput)]
    const { kept } = mergeRows(rows, (r) => r.result.name, 'the secrets input')
    expect(kept).toHaveLength(1)
    expect(kept[0]?.result.from).toEqual([
      'stack a',
      'CodeBuild credential in eu-west-1',
      'the secrets input'
    ])
  })

  it('adds no "from" when the input names the same value twice', () => {
    const rows = [row(ref('x')), row(ref('x', { entry: 'arn-of-x' }))]
    const { kept } = mergeRows(rows, (r) => r.result.name, 'the secrets input')
    expect(kept).toHaveLength(1)
    expect(kept[0]?.result).not.toHaveProperty('from')
  })

  it('keeps every row that was not read (no target), each standing for itself', () => {
    const a = ref('missing')
    const b = ref('missing')
    const rows = [row(a), row(b)]
    const { kept, rowOf } = mergeRows(rows, () => undefined, 'the parameters input')
    expect(kept).toEqual(rows)
    expect(rowOf.get(a)).toBe(rows[0]?.result)
    expect(rowOf.get(b)).toBe(rows[1]?.result)
  })
})
