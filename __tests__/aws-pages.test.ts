import { describe, it, expect } from '@jest/globals'
import { MAX_PAGES, PaginationError, boundedPages } from '../src/aws/pages.js'

interface Page {
  items: string[]
  next?: string
}

/** A paginated answer: the pages given, then nothing more. */
async function* pagesOf(pages: Page[]): AsyncGenerator<Page> {
  for (const page of pages) yield page
}

/** A server that answers page after page for as long as it is asked. */
async function* endless(next: (n: number) => string): AsyncGenerator<Page> {
  for (let n = 0; ; n++) yield { items: [`p${n}`], next: next(n) }
}

async function collect(pages: AsyncIterable<Page>, max?: number): Promise<string[]> {
  const items: string[] = []
  for await (const page of boundedPages('svc:ListThings', pages, (p) => p.next, max)) {
    items.push(...page.items)
  }
  return items
}

describe('boundedPages', () => {
  it('yields every page of a listing that ends', async () => {
    const pages = [{ items: ['a'], next: 't1' }, { items: ['b'], next: 't2' }, { items: ['c'] }]
    expect(await collect(pagesOf(pages))).toEqual(['a', 'b', 'c'])
  })

  it('takes an empty page with a token as a page like any other', async () => {
    const pages = [
      { items: [], next: 't1' },
      { items: ['b'], next: '' }
    ]
    expect(await collect(pagesOf(pages))).toEqual(['b'])
  })

  it('stops a server that repeats its page token, naming the call', async () => {
    const listing = collect(endless(() => 'same'))
    await expect(listing).rejects.toThrow(PaginationError)
    await expect(collect(endless(() => 'same'))).rejects.toThrow(
      /^svc:ListThings sent the same page token twice/
    )
  })

  it('stops a server that cycles between tokens', async () => {
    await expect(collect(endless((n) => `t${n % 3}`))).rejects.toThrow(/same page token twice/)
  })

  it('stops after the page cap, naming the call', async () => {
    await expect(collect(endless((n) => `t${n}`))).rejects.toThrow(
      `svc:ListThings answered more than ${MAX_PAGES} pages`
    )
    await expect(
      collect(
        endless((n) => `t${n}`),
        3
      )
    ).rejects.toThrow(/more than 3 pages/)
  })
})
