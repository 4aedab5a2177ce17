/**
 * Every page of a paginated AWS call, bounded. The SDK's paginators follow
 * the page token for as long as the server sends one; a server that repeats
 * a token (or cycles between a few) would be followed forever. The paginator
 * is created with `stopOnSameToken` (the SDK stops on a token equal to the
 * one it just sent); this loop also refuses any token seen before and any
 * answer longer than `maxPages` pages, with an error that names the call.
 */

/** More pages than any real account answers with (ListPipelines: 1,000 a page). */
export const MAX_PAGES = 100

/** The paginator configuration every paginated call passes to the SDK. */
export const PAGINATION = { stopOnSameToken: true } as const

/** A paginated answer that cannot be followed to its end. */
export class PaginationError extends Error {
  constructor(
    readonly call: string,
    detail: string
  ) {
    super(
      `${call} ${detail}: the listing was stopped — re-run; if it persists, check the endpoint (AWS_ENDPOINT_URL)`
    )
    this.name = 'PaginationError'
  }
}

/**
 * Yields each page of `pages`; throws a PaginationError when a page token
 * comes back a second time or the pages exceed `maxPages`.
 */
export async function* boundedPages<P>(
  call: string,
  pages: AsyncIterable<P>,
  nextTokenOf: (page: P) => string | undefined,
  maxPages = MAX_PAGES
): AsyncGenerator<P> {
  const seen = new Set<string>()
  let count = 0
  for await (const page of pages) {
    count += 1
    if (count > maxPages) throw new PaginationError(call, `answered more than ${maxPages} pages`)
    const token = nextTokenOf(page)
    if (token !== undefined && token !== '') {
      if (seen.has(token)) throw new PaginationError(call, `sent the same page token twice`)
      seen.add(token)
    }
    yield page
  }
}
