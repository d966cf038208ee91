// The `avs export`, `avs import-avsbench`, `avs import-predictions` and `avs eval` commands; cli.ts
// parses the arguments and hands them here.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { AvsFormat, exportClipsText, type AvsbenchImportProgress, type ExportProgress, type PredictionImportReport } from '../../../shared/avsbench'
import { Split } from '../../../shared/domain'
import type { App } from '../../app'
import { DB_FILE } from '../project/ProjectService'
import { evaluateFolders, folderPredictions, projectPredictions } from './evaluate'

export const AVSBENCH_USAGE = `  avs export <project> --format s4|ms3|avss --out <dir> [--frames accepted|all]
            [--split-ratio 0.7,0.15,0.15] [--seed <n>] [--overwrite] [--json]   write an AVSBench dataset
  avs import-avsbench <dir> --format s4|ms3|avss <new-project> [--json]   official release → new project
  avs import-predictions <project> <pred-dir> [--model <name>]   --save_pred_mask folder → model masks
  avs eval --format s4|ms3|avss --gt <dir> --pred <dir|project> [--split test] [--batch <clips>] [--json]`

export interface CliArgs {
  positional: string[]
  flag: (name: string) => string | undefined
  has: (name: string) => boolean
  /** Throws the CLI's usage error (exit code 2). */
  usage: (message: string) => never
}

/** `--clips 1,2,3` as clip ids (undefined when not given); anything else is a usage error. */
export function clipIdsArg(text: string | undefined, usage: (message: string) => never): number[] | undefined {
  if (text === undefined) return undefined
  const ids = text.split(',').map((x) => (x.trim() === '' ? NaN : Number(x.trim())))
  if (ids.some((n) => !Number.isInteger(n) || n <= 0)) usage(`--clips must be clip ids such as 1,2,3, got "${text}"`)
  return ids
}

const out = (s: string): void => void process.stdout.write(s)
const err = (s: string): void => void process.stderr.write(s)

function format(a: CliArgs): AvsFormat {
  const f = AvsFormat.safeParse(a.flag('format')?.toLowerCase())
  if (!f.success) a.usage('--format must be s4, ms3 or avss')
  return f.data
}

function printSkipped(skipped: Array<{ clip: string; reason: string }>): void {
  for (const s of skipped) err(`skipped ${s.clip}: ${s.reason}\n`)
}

export async function cmdExport(app: App, a: CliArgs): Promise<number> {
  const [dir] = a.positional
  if (!dir) a.usage('missing <project> folder')
  const fmt = format(a)
  const dest = a.flag('out')
  if (!dest) a.usage('missing --out <dir>')
  const frames = a.flag('frames') ?? 'accepted'
  if (frames !== 'accepted' && frames !== 'all') a.usage('--frames must be accepted or all')
  const ratioText = a.flag('split-ratio')
  const splitRatio = ratioText?.split(',').map(Number)
  if (splitRatio && (splitRatio.length !== 3 || splitRatio.some((x) => !Number.isFinite(x) || x < 0))) a.usage(`--split-ratio must be three numbers like 0.7,0.15,0.15, got ${ratioText}`)
  if (splitRatio && splitRatio.every((x) => x === 0)) a.usage(`--split-ratio needs at least one weight above 0 (train,val,test), got ${ratioText}`)
  const seedText = a.flag('seed')
  const seed = seedText === undefined ? undefined : Number(seedText)
  if (seed !== undefined && !Number.isInteger(seed)) a.usage(`--seed must be an integer, got ${seedText}`)
  await app.dispatch('project.open', { dir })
  const tty = process.stderr.isTTY
  app.events.subscribe((event, payload) => {
    if (event !== 'export.progress' || !tty) return
    const e = payload as ExportProgress
    err(`\r\x1b[K${[e.stage, exportClipsText(e), `${Math.round(e.fraction * 100)}%`].filter(Boolean).join(' ')}`)
  })
  const { jobId } = (await app.dispatch('export.start', {
    format: fmt,
    out: dest,
    frames,
    splitRatio: splitRatio as [number, number, number] | undefined,
    seed,
    overwrite: a.has('overwrite')
  })) as { jobId: string }
  process.once('SIGINT', () => app.avsbench.cancelExport(jobId))
  const result = await app.avsbench.waitExport(jobId)
  if (tty) err('\r\x1b[K')
  if (!result.report) throw new Error(result.error ?? 'export failed')
  const r = result.report
  if (a.has('json')) out(`${JSON.stringify(r, null, 2)}\n`)
  else out(`Exported ${r.clips} clip(s), ${r.frames} frame(s), ${r.masks} mask(s) as ${r.format.toUpperCase()} to ${r.out}${r.skipped.length ? `; skipped ${r.skipped.length}` : ''}\n`)
  printSkipped(r.skipped)
  return 0
}

export async function cmdImportAvsbench(app: App, a: CliArgs): Promise<number> {
  const [dir, projectDir] = a.positional
  if (!dir) a.usage('missing <dir> of the AVSBench release')
  if (!projectDir) a.usage('missing <new-project> folder')
  const tty = process.stderr.isTTY
  app.events.subscribe((event, payload) => {
    if (event !== 'avsbench.importProgress' || !tty) return
    const e = payload as AvsbenchImportProgress
    if (e.stage === 'reading') err('\r\x1b[Kchecking the release files…')
    else if (e.stage === 'importing') err(`\r\x1b[Kimporting ${e.clips} / ${e.total} clips`)
  })
  const { jobId } = (await app.dispatch('avsbench.importStart', { dir, format: format(a), projectDir, name: a.flag('name') })) as { jobId: string }
  // Ctrl-C cancels: the half-made project is removed before the command exits (a second Ctrl-C kills it).
  const onSigint = (): void => app.avsbench.cancelImport(jobId)
  process.once('SIGINT', onSigint)
  const result = await app.avsbench.waitImport(jobId)
  process.off('SIGINT', onSigint)
  if (tty) err('\r\x1b[K')
  if (!result.report) throw new Error(result.error === 'cancelled' ? `Import cancelled; ${projectDir} holds no project` : (result.error ?? 'import failed'))
  const r = result.report
  if (a.has('json')) out(`${JSON.stringify(r, null, 2)}\n`)
  else out(`Imported ${r.clips} clip(s), ${r.frames} frame(s), ${r.masks} mask(s) into ${r.project.dir}${r.skipped.length ? `; skipped ${r.skipped.length}` : ''}\n`)
  printSkipped(r.skipped)
  for (const w of r.warnings) err(`warning: ${w}\n`)
  return 0
}

export async function cmdImportPredictions(app: App, a: CliArgs): Promise<number> {
  const [dir, predDir] = a.positional
  if (!dir) a.usage('missing <project> folder')
  if (!predDir) a.usage('missing <pred-dir>')
  await app.dispatch('project.open', { dir })
  const r = (await app.dispatch('avsbench.importPredictions', { dir: predDir, model: a.flag('model') })) as PredictionImportReport
  out(`Imported ${r.masks} model mask(s) for ${r.clips} clip(s)\n`)
  printSkipped(r.skipped)
  for (const w of r.warnings) err(`warning: ${w}\n`)
  return 0
}

export async function cmdEval(app: App, a: CliArgs): Promise<number> {
  const fmt = format(a)
  const gt = a.flag('gt')
  const pred = a.flag('pred')
  if (!gt) a.usage('missing --gt <dir>')
  if (!pred) a.usage('missing --pred <dir|project>')
  const split = Split.safeParse(a.flag('split') ?? 'test')
  if (!split.success) a.usage('--split must be train, val or test')
  const batchText = a.flag('batch')
  const batchClips = batchText === undefined ? undefined : Number(batchText)
  if (batchClips !== undefined && !(Number.isInteger(batchClips) && batchClips > 0)) a.usage(`--batch must be a positive integer, got ${batchText}`)
  let lookup
  if (existsSync(join(pred, DB_FILE))) {
    await app.dispatch('project.open', { dir: pred })
    lookup = projectPredictions(app.projects.require().store)
  } else {
    if (!existsSync(pred)) throw new Error(`--pred ${pred} does not exist`)
    lookup = folderPredictions(pred, fmt)
  }
  const r = await evaluateFolders({ format: fmt, gt, pred: lookup, split: split.data, batchClips })
  if (a.has('json')) out(`${JSON.stringify(r, null, 2)}\n`)
  else {
    const f = (x: number | null): string => (x === null ? '-' : x.toFixed(4))
    out(`${fmt.toUpperCase()} ${r.split}: ${r.clips} clip(s), ${r.frames} frame(s)  mIoU ${f(r.miou)}  F ${f(r.fscore)}\n`)
    for (const c of r.perClip) out(`  ${c.clip}  J ${f(c.miou)}  F ${f(c.fscore)}\n`)
  }
  if (r.missingPredictions) err(`warning: ${r.missingPredictions} frame(s) had no prediction and were scored as empty masks\n`)
  return 0
}
