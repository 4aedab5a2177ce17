import { jest, describe, it, expect } from '@jest/globals'
import { createLimit } from '../src/core/limit.js'
import { once } from '../src/core/once.js'
import { byText, sortByRegion } from '../src/core/order.js'
import { counted, listAtMost } from '../src/core/text.js'

describe('byText', () => {
  it('orders by code point, whatever the locale', () => {
    expect(['b', 'B', 'a', 'é', 'A', 'a'].sort(byText)).toEqual(['A', 'B', 'a', 'a', 'b', 'é'])
    expect(byText('x', 'x')).toBe(0)
  })
})

describe('sortByRegion', () => {
  it('sorts by the order the regions were listed in, then by name; unlisted regions last', () => {
    const results = [
      { region: 'us-east-1', name: 'b' },
      { region: 'ap-south-1', name: 'z' },
      { region: 'eu-west-1', name: 'c' },
      { region: 'us-east-1', name: 'a' },
      { region: 'af-south-1', name: 'y' }
    ]
    const sorted = sortByRegion(results, ['eu-west-1', 'us-east-1'], (r) => r.name)
    expect(sorted.map((r) => `${r.region}/${r.name}`)).toEqual([
      'eu-west-1/c',
      'us-east-1/a',
      'us-east-1/b',
      'af-south-1/y',
      'ap-south-1/z'
    ])
    // The input is left as it was.
    expect(results[0]).toEqual({ region: 'us-east-1', name: 'b' })
  })
})

describe('listed and plural', () => {
  it('lists at most max items, then counts the rest', () => {
    expect(listAtMost([])).toBe('')
    expect(listAtMost(['a', 'b'])).toBe('a, b')
    const twelve = Array.from({ length: 12 }, (_, i) => `p${i}`)
    expect(listAtMost(twelve)).toBe('p0, p1, p2, p3, p4, p5, p6, p7, p8, p9 and 2 more')
    expect(listAtMost(twelve, 3)).toBe('p0, p1, p2 and 9 more')
    expect(listAtMost(twelve.slice(0, 3), 3)).toBe('p0, p1, p2')
  })

  it('adds an s unless there is exactly one', () => {
    expect(counted(0, 'day')).toBe('0 days')
    expect(counted(1, 'day')).toBe('1 day')
    expect(counted(2, 'day')).toBe('2 days')
    expect(counted(-1, 'day')).toBe('-1 days')
  })
})

describe('createLimit', () => {
  it('runs at most `concurrency` tasks at once, and passes on results and errors', async () => {
    const limit = createLimit(2)
    let running = 0
    let peak = 0
    const task = (n: number) =>
      limit(async () => {
        running++
        peak = Math.max(peak, running)
        await new Promise((resolve) => setTimeout(resolve, 5))
        running--
        if (n === 3) throw new Error('three')
        return n * 10
      })
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(task))
    expect(peak).toBe(2)
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : String(r.reason)))).toEqual([
      10,
      20,
      'Error: three',
      40,
      50
    ])
  })
})

describe('once', () => {
  it('loads on first use only, and shares the promise', async () => {
    const load = jest.fn(async () => ({ loaded: true }))
    const get = once(load)
    expect(load).not.toHaveBeenCalled()
    const [a, b] = await Promise.all([get(), get()])
    expect(a).toBe(b)
    expect(await get()).toBe(a)
    expect(load).toHaveBeenCalledTimes(1)
  })
})
