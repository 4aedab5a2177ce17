/**
 * `pipelines:` patterns: `*` matches any run of characters (none included),
 * `?` exactly one, every other character itself — the whole name. Matched
 * with two pointers and one resume point (the last `*` seen), never a
 * regular expression: a `*` met later supersedes every earlier one, so the
 * match never backtracks further than the last star, and takes at most
 * |pattern| × |name| steps (10,000 for the longest pattern and name
 * CodePipeline allows), where a backtracking engine given
 * `*a*a*a*a*a*a*a*a*b` and a 100-character name runs for minutes.
 */
export function globMatches(pattern: string, name: string): boolean {
  let p = 0
  let n = 0
  // The last `*` seen, and the name position its run currently ends at.
  let star = -1
  let resume = 0
  while (n < name.length) {
    const char = pattern[p]
    if (char === '*') {
      star = p++
      resume = n
    } else if (char !== undefined && (char === '?' || char === name[n])) {
      p++
      n++
    } else if (star >= 0) {
      // Let the last star take one more character and try again after it.
      p = star + 1
      n = ++resume
    } else {
      return false
    }
  }
  while (pattern[p] === '*') p++
  return p === pattern.length
}
