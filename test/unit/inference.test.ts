import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { EXAMPLE_SIZE } from '../../src/shared/audio/logMel'
import { clipLengthMismatch, graphMismatches, parseCard, taskMismatch, taskNative, type ModelCard } from '../../src/main/services/inference/modelCard'
import { encodeNpyFloat32 } from '../../src/main/services/inference/npy'
import { readGraphInfo } from '../../src/main/services/inference/onnxGraph'
import { audioActivity, binaryConfidence, calibrate, emptyMaskConfidence, isEmptyFrame, logitsToMask, secondLevelDb } from '../../src/main/services/inference/postprocess'
import { audioToTensor, framesToTensor, padModeOf } from '../../src/main/services/inference/preprocess'
import { gpuDevicePresent, plainReason, providerPlan } from '../../src/main/services/inference/session'

const norm = { input_size: [2, 2] as const, mean: [0.5, 0.25, 0] as const, std: [0.5, 0.25, 1] as const }

describe('preprocess: frames', () => {
  test('RGB bytes → [T,3,H,W], /255 then (x − mean)/std per channel, planar', () => {
    const f0 = new Uint8Array([255, 0, 51, 0, 255, 102, 255, 255, 0, 0, 0, 255])
    const f1 = new Uint8Array(12).fill(51)
    const t = framesToTensor([f0, f1], 2, 2, norm)
    expect(t.length).toBe(2 * 3 * 4)
    // frame 0, R plane: 255,0,255,0 → (1−.5)/.5 = 1, (0−.5)/.5 = −1
    expect([...t.subarray(0, 4)]).toEqual([1, -1, 1, -1])
    // frame 0, G plane: 0,255,255,0 → (0−.25)/.25 = −1, (1−.25)/.25 = 3
    expect([...t.subarray(4, 8)]).toEqual([-1, 3, 3, -1])
    // frame 0, B plane: 51/255 = .2 ... std 1, mean 0
    expect(t[8]).toBeCloseTo(0.2, 6)
    expect(t[11]).toBeCloseTo(1, 6)
    // frame 1, R plane: (.2 − .5)/.5 = −.6
    expect(t[12]).toBeCloseTo(-0.6, 6)
  })

  test('frames of another size are resized bilinearly; a reused buffer of the wrong size is refused', () => {
    const big = new Uint8Array(4 * 4 * 3).fill(255)
    const t = framesToTensor([big], 4, 4, norm)
    expect([...t.subarray(0, 4)]).toEqual([1, 1, 1, 1])
    expect(() => framesToTensor([big], 4, 4, norm, new Float32Array(5))).toThrow(/holds 5 floats, 12 needed/)
    expect(() => framesToTensor([new Uint8Array(7)], 2, 2, norm)).toThrow(/frame 0 has 7 bytes/)
  })
})

describe('preprocess: audio (spec §4 counts and avsbench-format §4.2 padding)', () => {
  const tone = (n: number, amp = 8000): Int16Array => Int16Array.from({ length: n }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * 440 * i) / 16000) * (1 + (i % 16000) / 16000)))
  const example = (t: Float32Array, k: number): Float32Array => t.subarray(k * EXAMPLE_SIZE, (k + 1) * EXAMPLE_SIZE)

  test('5 s of real audio → 5 examples, no padding', () => {
    const t = audioToTensor(tone(80000), 80000, 5, 'repeat-last')
    expect(t.length).toBe(5 * 96 * 64)
    expect(example(t, 4)).not.toEqual(example(t, 3))
  })

  test('only the real samples count: 3.5 s real + zero padding → 3 examples, S4 repeats the last', () => {
    const pcm = new Int16Array(80000)
    pcm.set(tone(56000))
    // Loud noise after audioSamples would change the examples if it were read.
    for (let i = 56000; i < 80000; i++) pcm[i] = i % 2 ? 30000 : -30000
    const t = audioToTensor(pcm, 56000, 5, padModeOf('s4'))
    expect(example(t, 3)).toEqual(example(t, 2))
    expect(example(t, 4)).toEqual(example(t, 2))
    expect(example(t, 2)).not.toEqual(example(t, 1))
    const full = audioToTensor(tone(56000), 56000, 5, 'repeat-last')
    expect(t).toEqual(full)
  })

  test('AVSS pads with zero examples', () => {
    const t = audioToTensor(tone(160000), 72000, 10, padModeOf('avss'))
    expect(padModeOf('avss')).toBe('zeros')
    // 72000 samples = 4.5 s → 448 frames → 4 examples
    expect(example(t, 3).some((v) => v !== 0)).toBe(true)
    for (let k = 4; k < 10; k++) expect(example(t, k).every((v) => v === 0)).toBe(true)
  })

  test('under one whole example of real audio, S4 gets log-mel of silence (ln 0.01)', () => {
    const t = audioToTensor(tone(15000), 15000, 5, 'repeat-last')
    expect(t.length).toBe(5 * EXAMPLE_SIZE)
    expect(t.every((v) => Math.abs(v - Math.log(0.01)) < 1e-6)).toBe(true)
  })
})

describe('postprocess', () => {
  test('binary: bilinear upsample of logits (align_corners=False), logit > 0, soft-IoU confidence', () => {
    // [T=1, K=1, 2, 2]: left column −1, right column +1 → at 4 wide: −1, −0.5, 0.5, 1
    const logits = new Float32Array([-1, 1, -1, 1])
    const { labels, confidence } = logitsToMask(logits, [1, 1, 2, 2], 0, 4, 3)
    expect([...labels]).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1])
    const s = (x: number): number => 1 / (1 + Math.exp(-x))
    // mask = right column (2 px, p = s(1) each); left column outside with p = s(−1)
    expect(confidence).toBeCloseTo((2 * s(1)) / (2 + 2 * s(-1)), 6)
    // a calibration maps it (piecewise linear, clamped)
    const cal = { x: [0, 0.5, 1], y: [0, 0.1, 0.9] }
    expect(logitsToMask(logits, [1, 1, 2, 2], 0, 4, 3, cal).confidence).toBeCloseTo(calibrate(confidence, cal), 9)
    expect(calibrate(0.75, cal)).toBeCloseTo(0.5, 9)
    expect(calibrate(-1, cal)).toBe(0)
    expect(calibrate(2, cal)).toBe(0.9)
  })

  test('binary confidence: sure masks score high, blurred or missed ones low, empty-and-sure high', () => {
    const plane = 100
    const frame = (f: (i: number) => number): Float32Array => Float32Array.from({ length: plane }, (_, i) => f(i))
    const sure = binaryConfidence(frame((i) => (i < 30 ? 8 : -8)), [1, 1, 10, 10], 0)
    const blurred = binaryConfidence(frame((i) => (i < 30 ? 0.3 : -0.3)), [1, 1, 10, 10], 0)
    const emptySure = binaryConfidence(frame(() => -9), [1, 1, 10, 10], 0)
    const emptyUnsure = binaryConfidence(frame((i) => (i < 20 ? -0.2 : -9)), [1, 1, 10, 10], 0)
    expect(sure).toBeGreaterThan(0.99)
    expect(blurred).toBeLessThan(0.5)
    expect(emptySure).toBeGreaterThan(0.99)
    expect(emptyUnsure).toBe(0)
    expect(() => binaryConfidence(new Float32Array(8), [1, 2, 2, 2], 0)).toThrow(/K = 1/)
  })

  test('an empty mask is confident only in a silent second: loudness per second, loudest 100 ms', () => {
    const sr = 16000
    // 3 s: a 0.1-amplitude tone (−23 dBFS RMS), then digital silence, then a quiet room (−66 dBFS)
    // with one 100-ms word at −37 dBFS in it.
    const pcm = new Int16Array(3 * sr)
    for (let i = 0; i < sr; i++) pcm[i] = Math.round(3277 * Math.sin((2 * Math.PI * 440 * i) / sr))
    for (let i = 2 * sr; i < 3 * sr; i++) pcm[i] = Math.round(23 * Math.sin((2 * Math.PI * 97 * i) / sr))
    for (let i = 2 * sr + 8000; i < 2 * sr + 9600; i++) pcm[i] = Math.round(650 * Math.sin((2 * Math.PI * 300 * i) / sr))
    expect(secondLevelDb(pcm, 0, 'zeros')).toBeCloseTo(-23, 0)
    expect(secondLevelDb(pcm, 1, 'zeros')).toBe(-120)
    expect(secondLevelDb(pcm, 2, 'zeros')).toBeCloseTo(-37, 0)
    // Past the audio: the last second again when the model repeats it, else silence.
    expect(secondLevelDb(pcm, 4, 'repeat-last')).toBeCloseTo(-37, 0)
    expect(secondLevelDb(pcm, 4, 'zeros')).toBe(-120)
    expect(secondLevelDb(new Int16Array(0), 0, 'repeat-last')).toBe(-120)
    expect(audioActivity(-120)).toBe(0)
    expect(audioActivity(-60)).toBe(0)
    expect(audioActivity(-50)).toBeCloseTo(0.5, 9)
    expect(audioActivity(-23)).toBe(1)
    expect(emptyMaskConfidence(0.98, audioActivity(-120))).toBe(0.98)
    expect(emptyMaskConfidence(0.98, audioActivity(-23))).toBe(0)
  })

  test('isEmptyFrame: no logit > 0 (binary), background wins everywhere (semantic), frame t only', () => {
    const bin = new Float32Array([-1, -2, -3, -4, /* frame 1 */ -1, 0.01, -3, -4])
    expect(isEmptyFrame(bin, [2, 1, 2, 2], 0)).toBe(true)
    expect(isEmptyFrame(bin, [2, 1, 2, 2], 1)).toBe(false)
    // K = 3, 1×2: frame 0 background wins both pixels; frame 1 class 2 wins pixel 1.
    const sem = new Float32Array([5, 5, 1, 4, 0, 4.9, /* frame 1 */ 5, 5, 1, 1, 0, 6])
    expect(isEmptyFrame(sem, [2, 3, 1, 2], 0)).toBe(true)
    expect(isEmptyFrame(sem, [2, 3, 1, 2], 1)).toBe(false)
  })

  test('semantic: argmax over K upsampled channels picks the class per pixel, frame t of T', () => {
    // T=2, K=3, 1×2. Frame 1: pixel 0 → class 2, pixel 1 → class 1.
    const logits = new Float32Array([9, 9, 0, 0, 0, 0, /* frame 1 */ 0, 0, 1, 5, 4, 0])
    const { labels, confidence } = logitsToMask(logits, [2, 3, 1, 2], 1, 2, 1)
    expect([...labels]).toEqual([2, 1])
    const p0 = Math.exp(4) / (1 + Math.exp(1) + Math.exp(4))
    const p1 = Math.exp(5) / (1 + Math.exp(5) + Math.exp(0))
    expect(confidence).toBeCloseTo((p0 + p1) / 2, 6)
    // Upsampled 1×2 → 1×4: the columns between blend the two pixels.
    expect([...logitsToMask(logits, [2, 3, 1, 2], 1, 4, 1).labels]).toEqual([2, 2, 1, 1])
  })

  test('bad shapes are refused with the shape in the message', () => {
    expect(() => logitsToMask(new Float32Array(3), [1, 1, 2, 2], 0, 4, 4)).toThrow(/3 values for \[1, 1, 2, 2\]/)
    expect(() => logitsToMask(new Float32Array(4), [1, 1, 2, 2], 1, 4, 4)).toThrow(/frame 1 outside 0..0/)
  })
})

const goodCard = (): Record<string, unknown> => ({
  format: 'avs-onnx/1', name: 'm', version: '1', task: 'binary', clip_frames: 5, input_size: [64, 64],
  mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], classes: ['sounding-object'], architecture: {}, training: null,
  metrics: null, params: 10, gmacs_per_clip: 0.1, sha256: 'a'.repeat(64)
})
const graph = (frames: number[], audio: number[], out: Array<number | string>, names = ['frames', 'audio_log_mel']) => ({
  inputs: [
    { name: names[0], elemType: 1, shape: frames },
    { name: names[1], elemType: 1, shape: audio }
  ],
  outputs: [{ name: 'mask_logits', elemType: 1, shape: out }]
})

describe('model card', () => {
  test('a complete card parses', () => {
    expect(parseCard(JSON.stringify(goodCard()), 'm.model.json').clip_frames).toBe(5)
  })

  test('missing fields are named', () => {
    const c = goodCard()
    delete c.clip_frames
    delete c.sha256
    expect(() => parseCard(JSON.stringify(c), 'm.model.json')).toThrow('m.model.json is missing fields: clip_frames, sha256')
  })

  test('wrong values, broken JSON and a semantic card without classes are explained', () => {
    expect(() => parseCard(JSON.stringify({ ...goodCard(), format: 'other/1' }), 'x.json')).toThrow(/"format"/)
    expect(() => parseCard(JSON.stringify({ ...goodCard(), input_size: [64] }), 'x.json')).toThrow(/"input_size"/)
    expect(() => parseCard(JSON.stringify({ ...goodCard(), sha256: 'nope' }), 'x.json')).toThrow(/"sha256" must be 64 lowercase hex/)
    // The default only where a clip runs fast enough: a positive number of seconds.
    expect(parseCard(JSON.stringify({ ...goodCard(), default: true, default_max_clip_seconds: 2.6 }), 'x.json').default_max_clip_seconds).toBe(2.6)
    expect(() => parseCard(JSON.stringify({ ...goodCard(), default: true, default_max_clip_seconds: 0 }), 'x.json')).toThrow(/"default_max_clip_seconds"/)
    expect(() => parseCard(JSON.stringify({ ...goodCard(), default: true, default_max_clip_seconds: '2.6' }), 'x.json')).toThrow(/"default_max_clip_seconds"/)
    expect(() => parseCard('{"format": ', 'x.json')).toThrow(/x.json is not valid JSON/)
    expect(() => parseCard(JSON.stringify({ ...goodCard(), task: 'semantic', classes: null }), 'x.json')).toThrow(/semantic model needs "classes"/)
  })

  test('graph inputs/outputs vs the card: names, shapes, channels', () => {
    const card = parseCard(JSON.stringify(goodCard()), 'm') as ModelCard
    expect(graphMismatches(card, graph([5, 3, 64, 64], [5, 1, 96, 64], [5, 1, 16, 16]))).toEqual([])
    expect(graphMismatches(card, graph([5, 3, 32, 32], [5, 1, 96, 64], [5, 1, 16, 16]))).toEqual(['input "frames" is [5, 3, 32, 32] in the graph but the card implies [5, 3, 64, 64]'])
    expect(graphMismatches(card, graph([5, 3, 64, 64], [5, 1, 96, 64], [5, 1, 16, 16], ['image', 'audio_log_mel']))).toEqual([
      'the graph has no input "frames" (its inputs: image, audio_log_mel)',
      'the graph has an input "image" the contract does not feed'
    ])
    expect(graphMismatches(card, graph([5, 3, 64, 64], [5, 1, 96, 64], [5, 3, 16, 16]))[0]).toMatch(/3 channel\(s\) but a binary model .* needs 1/)
    expect(graphMismatches(card, graph([5, 3, 64, 64], [5, 1, 96, 64], ['T', 1, 16, 16]))[0]).toMatch(/must be a static/)
  })

  test('T and task vs the project are refused in words; a multiple of T runs in windows, a binary model fits AVSS', () => {
    const card = parseCard(JSON.stringify(goodCard()), 'm')
    expect(clipLengthMismatch(card, 5, 's4')).toBeNull()
    // A 10-frame AVSS clip runs as two 5-frame windows.
    expect(clipLengthMismatch(card, 10, 'avss')).toBeNull()
    expect(clipLengthMismatch(card, 7, 's4')).toBe('model "m" takes 5 frames per clip but this S4 project\'s clips have 7 (not a multiple of 5); choose a model made for 7-frame clips')
    expect(clipLengthMismatch(card, 3, 'ms3')).toMatch(/clips have 3 \(not a multiple of 5\)/)
    expect(taskMismatch(card, 'avss')).toBeNull()
    expect(taskMismatch(card, 's4')).toBeNull()
    const semantic = parseCard(JSON.stringify({ ...goodCard(), task: 'semantic', classes: ['background', 'dog'] }), 's')
    expect(taskMismatch(semantic, 'avss')).toBeNull()
    expect(taskMismatch(semantic, 'ms3')).toBe('model "m" is a semantic model but MS3 projects need a binary model')
    expect([taskNative(card, 'avss'), taskNative(card, 's4'), taskNative(semantic, 'avss'), taskNative(semantic, 's4')]).toEqual([false, true, true, false])
  })
})

describe('ONNX header reader', () => {
  test('text, JSON and empty files are not ONNX', () => {
    expect(() => readGraphInfo(new TextEncoder().encode('{"format": "avs-onnx/1"}'))).toThrow()
    expect(() => readGraphInfo(new Uint8Array(0))).toThrow(/no ONNX header/)
  })
})

describe('providers', () => {
  const status = [
    { id: 'cpu' as const, label: 'CPU', available: true, reason: null },
    { id: 'webgpu' as const, label: 'WebGPU', available: true, reason: null },
    { id: 'cuda' as const, label: 'CUDA', available: false, reason: 'not installed' },
    { id: 'dml' as const, label: 'DirectML', available: false, reason: 'DirectML runs only on Windows' },
    { id: 'coreml' as const, label: 'CoreML', available: false, reason: 'CoreML runs only on macOS' }
  ]
  test('auto tries CUDA only where installed, then WebGPU, then CPU; an explicit choice that is absent says why', () => {
    expect(providerPlan('auto', status)).toEqual({ tries: ['webgpu', 'cpu'], skipped: [] })
    expect(providerPlan('cpu', status)).toEqual({ tries: ['cpu'], skipped: [] })
    expect(providerPlan('cuda', status)).toEqual({ tries: ['cpu'], skipped: ['CUDA is not available: not installed'] })
    expect(providerPlan('dml', status).skipped).toEqual(['DirectML is not available: DirectML runs only on Windows'])
  })

  test.runIf(process.platform === 'linux')('WebGPU counts on Linux only where a GPU device node exists (else Dawn finds only a software Vulkan driver)', () => {
    const dev = mkdtempSync(join(tmpdir(), 'avs-dev-'))
    const saved = process.env.AVS_WEBGPU_SOFTWARE
    delete process.env.AVS_WEBGPU_SOFTWARE
    try {
      mkdirSync(join(dev, 'dri'))
      writeFileSync(join(dev, 'dri', 'card0'), '') // a display-only node is not a GPU to compute on
      writeFileSync(join(dev, 'nvidiactl'), '')
      expect(gpuDevicePresent(dev)).toBe(false)
      process.env.AVS_WEBGPU_SOFTWARE = '1'
      expect(gpuDevicePresent(dev), 'AVS_WEBGPU_SOFTWARE=1 allows a software adapter').toBe(true)
      delete process.env.AVS_WEBGPU_SOFTWARE
      for (const node of ['dri/renderD128', 'nvidia0', 'dxg']) {
        writeFileSync(join(dev, node), '')
        expect(gpuDevicePresent(dev), node).toBe(true)
        rmSync(join(dev, node))
      }
    } finally {
      if (saved === undefined) delete process.env.AVS_WEBGPU_SOFTWARE
      else process.env.AVS_WEBGPU_SOFTWARE = saved
      rmSync(dev, { recursive: true, force: true })
    }
  })

  test("onnxruntime's load errors become plain words", () => {
    // Messages as onnxruntime-node 1.30 throws them on a machine without a GPU adapter / CUDA libraries.
    const noAdapter = new Error('/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 ... Failed to get a WebGPU adapter: No supported adapters')
    expect(plainReason('webgpu', noAdapter)).toBe('WebGPU found no GPU adapter (it needs a GPU driver and, on Linux, the Vulkan loader libvulkan.so.1)')
    expect(plainReason('cuda', new Error('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library'))).toMatch(/^CUDA could not load its libraries/)
    expect(plainReason('dml', new Error('boom\nstack'))).toBe('DirectML failed to start: boom')
  })
})

test('npy: v1.0 header, 64-byte aligned, little-endian float32', () => {
  const data = Float32Array.from({ length: 2 * 96 * 64 }, (_, i) => i / 7)
  const buf = encodeNpyFloat32(data, [2, 1, 96, 64])
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]))
  const hlen = buf.readUInt16LE(8)
  expect((10 + hlen) % 64).toBe(0)
  expect(buf.toString('latin1', 10, 10 + hlen)).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 1, 96, 64\), \} *\n$/)
  expect(buf.readFloatLE(10 + hlen + 4 * 100)).toBe(Math.fround(100 / 7))
  expect(buf.length).toBe(10 + hlen + data.length * 4)
  expect(() => encodeNpyFloat32(data, [3, 1, 96, 64])).toThrow(/holds 18432 values/)
})
