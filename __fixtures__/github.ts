/**
 * A GitHubApi that answers from tables: the user (or the error GET /user
 * gives) and, per repository (lower case), the error GET /repos gives.
 * Records every repository asked for. Type imports only from src/.
 */
import { jest } from '@jest/globals'
import type { GitHubApi, GitHubUser } from '../src/github/api.js'

export function fakeGitHubApi(
  user: Partial<GitHubUser> | Error = {},
  repos: Record<string, Error | undefined> = {},
  hooks: Record<string, Error | undefined> = {}
) {
  const asked: string[] = []
  const api = {
    getUser: jest.fn(async (): Promise<GitHubUser> => {
      if (user instanceof Error) throw user
      return {
        login: 'rotation-bot',
        scopes: ['repo', 'admin:repo_hook'],
        expiresAt: null,
        enterpriseVersion: null,
        ...user
      }
    }),
    getRepo: jest.fn(async (owner: string, repo: string) => {
      asked.push(`${owner}/${repo}`)
      const error = repos[`${owner}/${repo}`.toLowerCase()]
      if (error) throw error
      return { fullName: `${owner}/${repo}`, private: true }
    }),
    getHooks: jest.fn(async (owner: string, repo: string) => {
      const error = hooks[`${owner}/${repo}`.toLowerCase()]
      if (error) throw error
    }),
    revoke: jest.fn(async () => 0)
  } satisfies GitHubApi
  return { api, asked }
}
