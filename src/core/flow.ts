/**
 * The run, in one place: plan every store (read-only) → let the gate check
 * the token → apply (write and verify) → retire the old token → report.
 * Nothing is written until every plan is complete and the gate is open,
 * with one exception: a store may write a target during its plan once the
 * token check has passed for that target on its own (the token, and every
 * repository it builds), or when the token is not checked — see the
 * CodePipeline store's clearWith and writeOnRead. If the gate then refuses
 * the run, those writes end and are reported (settle), and nothing else is
 * written.
 */
import { messageOf } from './errors.js'
import { emptyReport, publish, StepFailure, type Report } from './report.js'

/** A place the token lives. */
export interface Store {
  /** Stores this one plans after: those it reads, and those that hand it values (stores/registry.ts). */
  readonly after?: readonly Store[]
  /** Read-only: decide what will be written. */
  plan(): Promise<void>
  /** Write the token and verify it landed. Not called in a dry run. */
  apply(): Promise<void>
  /**
   * For a store that writes a target as soon as the token check passes for
   * it: called instead of apply() when the check refused the run. Lets the
   * writes already started end (so they are reported) and starts none;
   * says what was written, if anything.
   */
  settle?(): Promise<string | undefined>
  report(): Report
}

/** What the gate decided about the token. */
export interface Verdict {
  open: boolean
  /** GitHub confirmed the token (false when the check was skipped). */
  confirmed: boolean
  report: Report
}

/** The token check between plan and apply: it opens the run or stops it. */
export interface Gate {
  check(): Promise<Verdict>
}

/** What the run achieved, for the step that retires the old token. */
export interface Outcome {
  dryRun: boolean
  confirmed: boolean
  failures: string[]
  holdouts: string[]
}

export interface Retire {
  run(outcome: Outcome): Promise<Report>
}

export interface Flow {
  title: string
  dryRun: boolean
  regions: string[]
  stores: Store[]
  gate: Gate
  retire?: Retire
}

/**
 * Runs `task`, turning anything it throws into one line of `problems`: a
 * store that breaks must not keep the others' writes from being reported.
 */
async function guarded(what: string, problems: string[], task: () => Promise<void>): Promise<void> {
  try {
    await task()
  } catch (error) {
    problems.push(`${what} failed unexpectedly: ${messageOf(error)}`)
  }
}

function planAll(stores: Store[], problems: string[]): Promise<void[]> {
  const planned = new Map<Store, Promise<void>>()
  const planOf = (store: Store): Promise<void> => {
    let promise = planned.get(store)
    if (promise === undefined) {
      promise = Promise.all((store.after ?? []).map(planOf)).then(() =>
        guarded('Planning', problems, () => store.plan())
      )
      planned.set(store, promise)
    }
    return promise
  }
  return Promise.all(stores.map(planOf))
}

/**
 * Lets the writes each store started during its plan end (Store.settle);
 * what each says it wrote.
 */
async function settleAll(stores: Store[], problems: string[]): Promise<string[]> {
  const written: string[] = []
  await Promise.all(
    stores.map((store) =>
      guarded('Writing', problems, async () => {
        const what = await store.settle?.()
        if (what) written.push(what)
      })
    )
  )
  return written
}

/** Every store's report; one that cannot report says so instead of hiding the others. */
function reportsOf(stores: Store[]): Report[] {
  return stores.map((store) => {
    try {
      return store.report()
    } catch (error) {
      return emptyReport({
        failures: [`A store could not report its results: ${messageOf(error)}`]
      })
    }
  })
}

/**
 * Plan, check, apply, retire, report. Whatever throws on the way (a store's
 * plan or apply, the gate, the retire step), every store's report is still
 * published — each write made so far is in the log, the outputs and the
 * summary — and the step fails naming what broke; nothing is written after
 * a plan or the gate broke.
 */
export async function runFlow(flow: Flow): Promise<void> {
  const intro = flow.dryRun ? ['**Dry run** — nothing was written; this is the plan.'] : []
  const problems: string[] = []
  await planAll(flow.stores, problems)

  let verdict: Verdict | undefined
  if (problems.length === 0) {
    await guarded('The token check', problems, async () => {
      verdict = await flow.gate.check()
    })
  }
  if (verdict && !verdict.open) {
    // Targets written as soon as the check passed for them: their writes end
    // and are reported; nothing else is written.
    const written = await settleAll(flow.stores, problems)
    const reports = [
      verdict.report,
      ...reportsOf(flow.stores),
      emptyReport({ failures: problems, outputs: { complete: 'false' } })
    ]
    const only = `only what the token check had passed on its own was written (${written.join('; ')}), nothing else`
    await publish({
      title: flow.title,
      intro: [
        written.length === 0
          ? '**Nothing was written: GitHub refused the token.**'
          : `**GitHub refused the token: ${only}.**`,
        ...intro
      ],
      reports,
      regions: flow.regions
    }).catch(() => undefined)
    const failed = reports.flatMap((r) => r.failures).map((f) => `- ${f}`)
    throw new StepFailure([
      written.length === 0
        ? 'The GitHub token was refused, so nothing was written:'
        : `The GitHub token was refused, so ${only}:`,
      ...failed
    ])
  }

  if (verdict && !flow.dryRun) {
    await Promise.all(flow.stores.map((store) => guarded('Writing', problems, () => store.apply())))
  } else {
    // A plan or the gate broke (or a dry run): the writes a store started
    // during its plan still end before anything is reported.
    await settleAll(flow.stores, problems)
  }

  const broken = emptyReport({ failures: problems })
  const reports = [verdict?.report ?? emptyReport(), ...reportsOf(flow.stores), broken]
  const outcome: Outcome = {
    dryRun: flow.dryRun,
    confirmed: verdict?.confirmed ?? false,
    failures: reports.flatMap((r) => r.failures),
    holdouts: reports.flatMap((r) => r.holdouts)
  }
  // Every target holds the new token: written (or already holding it), nothing
  // failed, nothing left holding the old one.
  const complete = !flow.dryRun && outcome.failures.length === 0 && outcome.holdouts.length === 0
  reports.push(emptyReport({ outputs: { complete: String(complete) } }))
  if (flow.retire && verdict) {
    const retire = flow.retire
    await guarded('Retiring the previous token', broken.failures, async () => {
      reports.push(await retire.run(outcome))
    })
  }
  await publish({ title: flow.title, intro, reports, regions: flow.regions })
}
