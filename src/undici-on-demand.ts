/*
 * What @actions/http-client and @actions/github take from undici, loaded on
 * first use. Both import undici at start-up (through @actions/core, on every
 * run) but use it only for GitHub calls: `fetch`, and `ProxyAgent` behind an
 * HTTP proxy. Evaluating undici costs about 18 ms of the action's start-up
 * (bench/bench.mjs, "cold start"), before the first AWS request.
 *
 * tsconfig.json's `paths` points their `import ... from 'undici'` here when
 * ncc bundles; the `require` below is webpack's, so the real undici is still
 * in dist/index.js (and dist/licenses.txt) and runs only when first called.
 * It runs only in the bundle, so the e2e suite covers it (every GitHub check,
 * and one behind a proxy), not the unit tests.
 */
type Undici = typeof import('undici/index.js')
declare const require: (id: string) => unknown

let undici: Undici | undefined
const load = (): Undici => (undici ??= require('undici/index.js') as Undici)

export class ProxyAgent {
  constructor(...args: ConstructorParameters<Undici['ProxyAgent']>) {
    // A constructor that returns an object makes `new` yield that object.
    return new (load().ProxyAgent)(...args)
  }
}

export const fetch: Undici['fetch'] = (...args) => load().fetch(...args)
