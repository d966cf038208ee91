import { describe, expect, test } from 'vitest'
import { ExportProgress, exportClipsText } from '../../../../shared/avsbench'
import { compareEvalRows, exportFolderIn, exportFolderName, exportFormats, formatScore, initialExportForm, toExportRequest, type EvalRow } from './datasetLogic'

describe('export form', () => {
  test('formats follow the task: binary masks → S4/MS3 (own task first), class masks → AVSS only', () => {
    expect(exportFormats({ task: 's4' })).toEqual(['s4', 'ms3'])
    expect(exportFormats({ task: 'ms3' })).toEqual(['ms3', 's4'])
    expect(exportFormats({ task: 'avss' })).toEqual(['avss'])
    expect(initialExportForm({ task: 'ms3' })).toMatchObject({ format: 'ms3', frames: 'accepted', overwrite: false })
  })

  test('the request: trimmed destination, weights and seed as numbers, overwrite only when asked', () => {
    const f = { ...initialExportForm({ task: 's4' }), out: '  /data/out s4 ' }
    expect(toExportRequest(f)).toEqual({ format: 's4', out: '/data/out s4', frames: 'accepted', splitRatio: [70, 15, 15], seed: 0, overwrite: undefined })
    expect(toExportRequest({ ...f, ratio: ['1', '', '0.5'], seed: '-7', overwrite: true, frames: 'all' })).toEqual({
      format: 's4',
      out: '/data/out s4',
      frames: 'all',
      splitRatio: [1, 0, 0.5],
      seed: -7,
      overwrite: true
    })
  })

  test('what is wrong with the form is said, not sent', () => {
    const f = { ...initialExportForm({ task: 's4' }), out: '/x' }
    expect(toExportRequest({ ...f, out: ' ' })).toBe('Choose a destination folder')
    expect(toExportRequest({ ...f, ratio: ['1', '-1', '0'] })).toBe('Split weights must be numbers, 0 or more')
    expect(toExportRequest({ ...f, ratio: ['a', '1', '0'] })).toBe('Split weights must be numbers, 0 or more')
    expect(toExportRequest({ ...f, ratio: ['0', '0', ''] })).toBe('At least one split weight must be positive')
    expect(toExportRequest({ ...f, seed: '1.5' })).toBe('The seed must be a whole number')
  })

  test('Browse: a named folder inside the picked one, with its separator', () => {
    expect(exportFolderName({ name: 'Bird song é / v2' }, 's4')).toBe('Bird-song-v2-s4')
    expect(exportFolderName({ name: '***' }, 'avss')).toBe('avs-avss')
    expect(exportFolderIn('/data/sets/', 'x-s4')).toBe('/data/sets/x-s4')
    expect(exportFolderIn('D:\\sets', 'x-s4')).toBe('D:\\sets\\x-s4')
  })

  test('progress shows clips written / clips to write as the export reports them, not derived from the fraction', () => {
    const p: ExportProgress = { jobId: 'j', stage: 'writing', clips: 14, total: 60, fraction: 0.5, error: null }
    expect(ExportProgress.parse(p)).toEqual(p)
    expect(exportClipsText(p)).toBe('14 / 60 clips')
    // Before the first clip is written the total is already known.
    const first: ExportProgress = { ...p, clips: 0, fraction: 0 }
    expect(exportClipsText(first)).toBe('0 / 60 clips')
    // While preparing nothing is planned yet.
    const preparing: ExportProgress = { ...p, stage: 'preparing', clips: 0, total: 0 }
    expect(exportClipsText(preparing)).toBe('')
    expect(() => ExportProgress.parse({ ...p, total: undefined })).toThrow()
  })
})

describe('evaluation table', () => {
  const row = (clip: string, miou: number | null, frames = 5): EvalRow => ({ clipId: clip.length, clip, frames, miou, fscore: miou === null ? null : miou + 0.1 })
  const rows = [row('b', 0.5), row('a10', null), row('a2', 0.2), row('c', 0.5, 1)]

  test('J ascending puts the worst clip first and unscored clips last; descending keeps them last', () => {
    expect(rows.slice().sort(compareEvalRows('miou', 1)).map((r) => r.clip)).toEqual(['a2', 'b', 'c', 'a10'])
    expect(rows.slice().sort(compareEvalRows('miou', -1)).map((r) => r.clip)).toEqual(['b', 'c', 'a2', 'a10'])
    expect(rows.slice().sort(compareEvalRows('fscore', 1)).map((r) => r.clip)).toEqual(['a2', 'b', 'c', 'a10'])
  })

  test('names sort naturally; frames by count', () => {
    expect(rows.slice().sort(compareEvalRows('clip', 1)).map((r) => r.clip)).toEqual(['a2', 'a10', 'b', 'c'])
    expect(rows.slice().sort(compareEvalRows('frames', -1)).map((r) => r.clip)).toEqual(['a2', 'a10', 'b', 'c'])
  })

  test('scores: three decimals, a dash for nothing scored', () => {
    expect(formatScore(0.74149)).toBe('0.741')
    expect(formatScore(1)).toBe('1.000')
    expect(formatScore(null)).toBe('—')
  })
})
