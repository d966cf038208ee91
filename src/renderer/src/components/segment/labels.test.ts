import { describe, expect, test } from 'vitest'
import type { ProjectSummary } from '../../../../shared/domain'
import type { ModelInfo } from '../../../../shared/inference'
import { defaultModel } from './AutoSegmentDialog'
import { formatDuration, modelMismatch } from './labels'

const project = (task: ProjectSummary['task'], clipSeconds: number): ProjectSummary => ({
  dir: '/p', name: 'p', task, clipSeconds, createdAt: '', videoCount: 1, clipCount: 2, frameCount: 10
})
const model = (id: string, patch: Partial<ModelInfo> = {}): ModelInfo => ({
  id, origin: 'shipped', onnxPath: `/m/${id}.onnx`, valid: true, reason: null, name: id, version: '1', task: 'binary', clipFrames: 5,
  inputSize: [96, 96], classes: null, metrics: null, license: null, licenseNote: null, summary: null, source: null, isDefault: false, defaultMaxClipSeconds: null, clipSeconds: null, sizeBytes: 1, ...patch
})

describe('segment labels', () => {
  test('durations read as seconds, minutes or hours', () => {
    expect(formatDuration(0)).toBe('0 s')
    expect(formatDuration(42_400)).toBe('42 s')
    expect(formatDuration(185_000)).toBe('3 min 05 s')
    expect(formatDuration(3_720_000)).toBe('1 h 02 min')
  })

  test('a model that cannot segment the project says why (as the backend checks it)', () => {
    expect(modelMismatch(model('a'), project('s4', 5))).toBeNull()
    // A binary model fits AVSS too (its masks take the class the job names), in 5-frame windows of a 10-frame clip.
    expect(modelMismatch(model('a'), project('avss', 10))).toBeNull()
    expect(modelMismatch(model('e', { task: 'semantic', clipFrames: 10 }), project('s4', 10))).toMatch(/a semantic model; this S4 project needs a binary one/)
    expect(modelMismatch(model('f', { clipFrames: 3 }), project('avss', 10))).toMatch(/takes 3 frames per clip; this project's clips have 10/)
    expect(modelMismatch(model('b', { task: 'semantic', clipFrames: 10 }), project('avss', 10))).toBeNull()
    expect(modelMismatch(model('c', { clipFrames: 10 }), project('ms3', 5))).toMatch(/takes 10 frames per clip; this project's clips have 5/)
    expect(modelMismatch(model('d', { valid: false, reason: 'sha256 differs' }), project('s4', 5))).toBe('sha256 differs')
  })

  test('the default model: the setting when it fits, else the first that fits, never a refused one', () => {
    const list = [model('bad', { valid: false, reason: 'x' }), model('avss', { task: 'semantic', clipFrames: 10 }), model('s4a'), model('s4b')]
    expect(defaultModel(list, null, project('s4', 5))?.id).toBe('s4a')
    expect(defaultModel(list, 's4b', project('s4', 5))?.id).toBe('s4b')
    expect(defaultModel(list, 'avss', project('s4', 5))?.id).toBe('s4a')
    expect(defaultModel(list, 'bad', project('avss', 10))?.id).toBe('avss')
    // AVSS: a semantic model before a binary one that only fits, wherever it is listed.
    expect(defaultModel([model('s4a'), model('avss', { task: 'semantic', clipFrames: 10 })], null, project('avss', 10))?.id).toBe('avss')
    expect(defaultModel([model('s4a')], null, project('avss', 10))?.id).toBe('s4a')
    expect(defaultModel(list.slice(0, 1), null, project('s4', 5))).toBeUndefined()
  })
})
