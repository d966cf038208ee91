// The dataset dialogs' pure logic (no React, no DOM), unit-tested beside.
import type { AvsFormat, ExportRequest, ProjectEvalResult } from '../../../../shared/avsbench'
import type { ProjectSummary } from '../../../../shared/domain'

/** The formats a project can be exported as: binary masks give S4 or MS3, class masks AVSS. */
export const exportFormats = (p: Pick<ProjectSummary, 'task'>): AvsFormat[] => (p.task === 'avss' ? ['avss'] : p.task === 'ms3' ? ['ms3', 's4'] : ['s4', 'ms3'])

/** The export form's fields as typed, kept while the dialog is closed so a second export starts from the first's choices. */
export interface ExportForm {
  format: AvsFormat
  out: string
  frames: 'accepted' | 'all'
  ratio: [string, string, string]
  seed: string
  overwrite: boolean
}

export const initialExportForm = (p: Pick<ProjectSummary, 'task'>): ExportForm => ({
  format: exportFormats(p)[0],
  out: '',
  frames: 'accepted',
  ratio: ['70', '15', '15'],
  seed: '0',
  overwrite: false
})

/** The request for the form, or what is wrong with it. */
export function toExportRequest(f: ExportForm): ExportRequest | string {
  const out = f.out.trim()
  if (!out) return 'Choose a destination folder'
  const ratio = f.ratio.map((r) => (r.trim() === '' ? 0 : Number(r))) as [number, number, number]
  if (ratio.some((r) => !Number.isFinite(r) || r < 0)) return 'Split weights must be numbers, 0 or more'
  if (ratio[0] + ratio[1] + ratio[2] <= 0) return 'At least one split weight must be positive'
  const seed = f.seed.trim() === '' ? 0 : Number(f.seed)
  if (!Number.isSafeInteger(seed)) return 'The seed must be a whole number'
  return { format: f.format, out, frames: f.frames, splitRatio: ratio, seed, overwrite: f.overwrite || undefined }
}

/** A folder name for an export: the project's name and the format, safe on every OS. */
export const exportFolderName = (p: Pick<ProjectSummary, 'name'>, f: AvsFormat): string =>
  `${p.name.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'avs'}-${f}`

/** A new export folder inside a folder picked with Browse, with that folder's separator. */
export function exportFolderIn(dir: string, name: string): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/'
  return `${dir.replace(/[\\/]+$/, '')}${sep}${name}`
}

/** Scores as the metrics report them: three decimals, a dash when there was nothing to score. */
export const formatScore = (v: number | null): string => (v === null ? '—' : v.toFixed(3))

export type EvalRow = ProjectEvalResult['clips'][number]
export type EvalSortKey = 'clip' | 'frames' | 'miou' | 'fscore'

/** Ascending (dir 1) or descending (-1); clips without a score go last either way, ties by name. */
export function compareEvalRows(key: EvalSortKey, dir: 1 | -1): (a: EvalRow, b: EvalRow) => number {
  const byName = (a: EvalRow, b: EvalRow): number => a.clip.localeCompare(b.clip, undefined, { numeric: true })
  return (a, b) => {
    if (key === 'clip') return dir * byName(a, b)
    const x = a[key]
    const y = b[key]
    if (x === null || y === null) return (x === null ? 1 : 0) - (y === null ? 1 : 0) || byName(a, b)
    return dir * (x - y) || byName(a, b)
  }
}
