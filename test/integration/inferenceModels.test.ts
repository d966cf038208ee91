import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { beforeAll, expect, test } from 'vitest'
import { ModelInfo, modelLicenseText, modelSourceText } from '../../src/shared/inference'
import { ModelRegistry, toModelInfo } from '../../src/main/services/inference/models'
import { readGraphInfo } from '../../src/main/services/inference/onnxGraph'
import { checkFeeds, loadSession, providerStatus, releaseSessions } from '../../src/main/services/inference/session'
import { makeTinyModel, type TinyModel } from '../fixtures/onnx/tinyModel'

const root = mkdtempSync(join(tmpdir(), 'avs-inf-models-'))
let model: TinyModel

beforeAll(async () => {
  model = await makeTinyModel(join(root, 'shipped'))
})

const f32 = (file: string): Float32Array => {
  const b = readFileSync(file)
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length))
}

test('the ONNX header reader sees the graph the exporter wrote', () => {
  const g = readGraphInfo(readFileSync(model.onnx))
  expect(g.inputs.map((i) => [i.name, i.shape])).toEqual([['frames', [5, 3, 64, 64]], ['audio_log_mel', [5, 1, 96, 64]]])
  expect(g.outputs.map((o) => [o.name, o.shape])).toEqual([['mask_logits', [5, 1, 16, 16]]])
  expect(g.opset).toBe(17)
})

test('onnxruntime-node on CPU matches PyTorch on the same inputs (≤ 1e-4) and is reported as CPU', async () => {
  const s = await loadSession(model.onnx, 'cpu', 1)
  expect(s.provider).toBe('cpu')
  expect(s.fallbackReason).toBeNull()
  const feeds = {
    frames: new ort.Tensor('float32', f32(join(model.parityDir, 'frames.bin')), [5, 3, 64, 64]),
    audio_log_mel: new ort.Tensor('float32', f32(join(model.parityDir, 'audio_log_mel.bin')), [5, 1, 96, 64])
  }
  checkFeeds(s.session, feeds)
  const out = (await s.session.run(feeds)).mask_logits.data as Float32Array
  const expected = f32(join(model.parityDir, 'expected.bin'))
  let maxDiff = 0
  for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(out[i] - expected[i]))
  expect(maxDiff).toBeLessThan(1e-4)
  // The same session object comes back from the cache.
  expect((await loadSession(model.onnx, 'cpu', 1)).session).toBe(s.session)
  expect(() => checkFeeds(s.session, { frames: feeds.frames })).toThrow(/inputs are frames, audio_log_mel; missing audio_log_mel/)
  expect(() => checkFeeds(s.session, { ...feeds, frames: new ort.Tensor('float32', new Float32Array(5 * 3 * 32 * 32), [5, 3, 32, 32]) })).toThrow(
    'Input "frames" is [5, 3, 32, 32] but the model expects [5, 3, 64, 64]'
  )
})

test('switching model releases the other models\' sessions and keeps the current one\'s', async () => {
  const other = await makeTinyModel(join(root, 'other'))
  const kept = await loadSession(model.onnx, 'cpu', 1)
  const keptToo = await loadSession(model.onnx, 'cpu', 2) // the same model with other threads: still this model
  const dropped = await loadSession(other.onnx, 'cpu', 1)
  expect(await releaseSessions({ except: model.onnx })).toBe(1)
  // The kept model's sessions come back from the cache and still run; the other model's is a new one.
  expect((await loadSession(model.onnx, 'cpu', 1)).session).toBe(kept.session)
  expect((await loadSession(model.onnx, 'cpu', 2)).session).toBe(keptToo.session)
  const again = await loadSession(other.onnx, 'cpu', 1)
  expect(again.session).not.toBe(dropped.session)
  const feeds = {
    frames: new ort.Tensor('float32', new Float32Array(5 * 3 * 64 * 64), [5, 3, 64, 64]),
    audio_log_mel: new ort.Tensor('float32', new Float32Array(5 * 96 * 64), [5, 1, 96, 64])
  }
  expect((await kept.session.run(feeds)).mask_logits.dims).toEqual([5, 1, 16, 16])
  expect((await again.session.run(feeds)).mask_logits.dims).toEqual([5, 1, 16, 16])
  await expect(dropped.session.run(feeds), 'a released session no longer runs').rejects.toThrow()
  expect(await releaseSessions({ except: model.onnx })).toBe(1)
})

test('a requested WebGPU or CUDA that cannot load falls back to CPU with a reason in words', async () => {
  for (const choice of ['webgpu', 'cuda'] as const) {
    const s = await loadSession(model.onnx, choice, 1)
    if (s.provider !== 'cpu') continue // a machine with a working GPU provider: nothing to fall back from
    expect(s.fallbackReason).toMatch(choice === 'webgpu' ? /WebGPU/ : /CUDA/)
    expect(s.fallbackReason).toMatch(/running on CPU instead\.$/)
  }
  const cuda = providerStatus().find((p) => p.id === 'cuda')!
  if (!cuda.available) expect(cuda.reason).toMatch(/npm run gpu:install/)
})

test('the registry lists valid models and refuses broken ones with the reason', async () => {
  const user = join(root, 'user')
  mkdirSync(user)
  const card = JSON.parse(readFileSync(model.card, 'utf8')) as Record<string, unknown>
  const bytes = readFileSync(model.onnx)
  // not ONNX
  writeFileSync(join(user, 'text.onnx'), 'this is not a model')
  writeFileSync(join(user, 'text.model.json'), JSON.stringify({ ...card, name: 'text' }))
  // truncated (its card has the sha of the full file)
  writeFileSync(join(user, 'cut.onnx'), bytes.subarray(0, Math.floor(bytes.length / 2)))
  writeFileSync(join(user, 'cut.model.json'), JSON.stringify(card))
  // inputs do not match the card
  writeFileSync(join(user, 'wrongsize.onnx'), bytes)
  writeFileSync(join(user, 'wrongsize.model.json'), JSON.stringify({ ...card, input_size: [32, 32], inputs: undefined }))
  // a card with missing fields
  writeFileSync(join(user, 'nofields.onnx'), bytes)
  const { clip_frames: _t, metrics: _m, ...partial } = card
  writeFileSync(join(user, 'nofields.model.json'), JSON.stringify(partial))
  // changed after export
  const tampered = Buffer.from(bytes)
  tampered[tampered.length - 1] ^= 1
  writeFileSync(join(user, 'tampered.onnx'), tampered)
  writeFileSync(join(user, 'tampered.model.json'), JSON.stringify(card))
  // no card
  writeFileSync(join(user, 'lonely.onnx'), bytes)

  const reg = new ModelRegistry({ shipped: model.dir, user })
  const list = await reg.list()
  const by = new Map(list.map((m) => [m.id, m]))
  expect(by.get('tiny-test')).toMatchObject({ valid: true, origin: 'shipped', clipFrames: 5, inputSize: [64, 64], task: 'binary' })
  expect(by.get('text')!.reason).toMatch(/text.onnx is not a readable ONNX model/)
  expect(by.get('cut')!.reason).toMatch(/cut.onnx is not a readable ONNX model: .*truncated/)
  expect(by.get('wrongsize')!.reason).toBe('wrongsize.onnx does not match its card: input "frames" is [5, 3, 64, 64] in the graph but the card implies [5, 3, 32, 32]')
  expect(by.get('nofields')!.reason).toBe('nofields.model.json is missing fields: clip_frames, metrics')
  expect(by.get('tampered')!.reason).toMatch(/does not match its card's sha256/)
  expect(by.get('lonely')!.reason).toBe('no model card lonely.model.json beside lonely.onnx')
  expect(list.filter((m) => m.valid).map((m) => m.id)).toEqual(['tiny-test'])

  // Adding a chosen model: a valid pair is copied in; an invalid one is refused and nothing is copied.
  const picked = join(root, 'picked')
  mkdirSync(picked)
  writeFileSync(join(picked, 'mine.onnx'), bytes)
  writeFileSync(join(picked, 'mine.model.json'), JSON.stringify(card))
  writeFileSync(join(picked, 'bad.onnx'), bytes.subarray(0, 100))
  writeFileSync(join(picked, 'bad.model.json'), JSON.stringify(card))
  const added = await reg.add(join(picked, 'mine.onnx'))
  expect(added).toMatchObject({ id: 'mine', origin: 'user', valid: true, onnxPath: join(user, 'mine.onnx') })
  await expect(reg.add(join(picked, 'mine.onnx'))).rejects.toThrow(/already has a model mine/)
  await expect(reg.add(join(picked, 'bad.onnx'))).rejects.toThrow(/Model bad was not added: bad.onnx is not a readable ONNX model/)
  expect(readdirSync(user).filter((f) => f.startsWith('bad') || f.includes('.tmp-'))).toEqual([])
})

test('licence, licence note, source and default come from the card; a card marked default is listed first', async () => {
  const user = join(root, 'user-licensed')
  mkdirSync(user)
  const card = JSON.parse(readFileSync(model.card, 'utf8')) as Record<string, unknown>
  const bytes = readFileSync(model.onnx)
  const source = { package: '@example/weights@1.2.3', tarball_sha256: 'ab'.repeat(32), model: 'dist/net.onnx', weights_origin: 'example/original-authors' }
  writeFileSync(join(user, 'zz-licensed.onnx'), bytes)
  writeFileSync(join(user, 'zz-licensed.model.json'), JSON.stringify({ ...card, name: 'zz-licensed', license: 'AGPL-3.0-or-later', license_note: 'weights under the package licence', source, default: true }))
  writeFileSync(join(user, 'aa-plain.onnx'), bytes)
  writeFileSync(join(user, 'aa-plain.model.json'), JSON.stringify({ ...card, name: 'aa-plain' }))

  const list = await new ModelRegistry({ shipped: model.dir, user }).list()
  // Default first though it is a user model and sorts last by name; the rest keep shipped-then-user order.
  expect(list.map((m) => [m.id, m.valid, m.isDefault])).toEqual([['zz-licensed', true, true], ['tiny-test', true, false], ['aa-plain', true, false]])
  const [licensed, shipped, plain] = list.map(toModelInfo)
  expect(licensed).toMatchObject({ license: 'AGPL-3.0-or-later', licenseNote: 'weights under the package licence', source })
  expect(ModelInfo.parse(licensed)).toEqual(licensed)
  expect(modelLicenseText(licensed)).toBe('AGPL-3.0-or-later')
  expect(modelSourceText(licensed)).toBe('weights from @example/weights@1.2.3, originally example/original-authors')
  // No licence in the card: a shipped model is the project's own, a user's one says its card is silent.
  for (const m of [shipped, plain]) expect(m).toMatchObject({ license: null, licenseNote: null, source: null, isDefault: false })
  expect(modelLicenseText(shipped)).toBe('same as the app (trained by this project)')
  expect(modelLicenseText(plain)).toBe('not stated in its card')
  expect(modelSourceText(plain)).toBeNull()
})
