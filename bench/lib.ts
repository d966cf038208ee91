import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'

export interface Figure {
  value: number
  unit: string
  baseline: number | null
  ratio: number | null
  note?: string
}

export const BENCH_DIR = __dirname
export const WORK_DIR = join(__dirname, '.work')
mkdirSync(WORK_DIR, { recursive: true })

const results: Record<string, Figure> = {}

/** Records one figure with the baseline measured in the same run; ratio = value / baseline. */
export function record(name: string, value: number, unit: string, baseline: number | null = null, note?: string): void {
  const ratio = baseline ? value / baseline : null
  results[name] = { value: round(value), unit, baseline: baseline === null ? null : round(baseline), ratio: ratio === null ? null : round(ratio), ...(note ? { note } : {}) }
  const b = baseline === null ? '' : `  baseline ${round(baseline)} ${unit}  ratio ${round(ratio as number)}×`
  process.stdout.write(`${name.padEnd(44)} ${String(round(value)).padStart(10)} ${unit}${b}${note ? `  (${note})` : ''}\n`)
}

const round = (x: number): number => Math.round(x * 1000) / 1000

/** The stages of one clip in a segment job, as SegmentService.timings() reports them. */
export const JOB_STAGES = ['decode', 'features', 'inference', 'postprocess', 'store'] as const
export type JobStage = (typeof JOB_STAGES)[number]

/** Total ms of each stage over a segment job's clips, and of all stages together (`staged`). */
export function stageTotals(timings: ReadonlyArray<Record<JobStage, number>>): Record<JobStage | 'staged', number> {
  const totals = { decode: 0, features: 0, inference: 0, postprocess: 0, store: 0, staged: 0 }
  for (const t of timings) for (const k of JOB_STAGES) totals[k] += t[k]
  totals.staged = JOB_STAGES.reduce((a, k) => a + totals[k], 0)
  return totals
}

/** Merges this run's figures into bench/results.json. */
export function writeResults(): void {
  const file = join(BENCH_DIR, 'results.json')
  const old = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, Figure>) : {}
  writeFileSync(file, `${JSON.stringify({ ...old, ...results }, null, 2)}\n`)
  process.stdout.write(`\nwrote ${file}\n`)
}

export async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const t0 = performance.now()
  const result = await fn()
  return { ms: performance.now() - t0, result }
}

/** Samples the peak resident memory (VmHWM) of this process and its child processes while `fn` runs. */
export async function withPeakMemory<T>(fn: () => Promise<T>): Promise<{ result: T; selfMB: number; childrenMB: number }> {
  const { readdirSync } = await import('node:fs')
  let childrenKB = 0
  const hwm = (pid: number): number => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      return m ? Number(m[1]) : 0
    } catch {
      return 0
    }
  }
  const childrenOf = (pid: number): number[] => {
    try {
      return readdirSync(`/proc/${pid}/task`).flatMap((t) =>
        readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
      )
    } catch {
      return []
    }
  }
  const timer = setInterval(() => {
    let sum = 0
    for (const c of childrenOf(process.pid)) sum += hwm(c)
    childrenKB = Math.max(childrenKB, sum)
  }, 50)
  try {
    const result = await fn()
    return { result, selfMB: hwm(process.pid) / 1024, childrenMB: childrenKB / 1024 }
  } finally {
    clearInterval(timer)
  }
}
