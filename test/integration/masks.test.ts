import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deflateSync } from 'node:zlib'
import { expect, test } from 'vitest'
import { createApp } from '../../src/main/app'
import { decodeMask, encodeMask, MASK_ENCODING } from '../../src/main/services/project/maskCodec'
import type { ClipDetail, MaskPayload, MaskRevision } from '../../src/shared/domain'
import { makeVideo } from '../fixtures/media'

const root = mkdtempSync(join(tmpdir(), 'avs-masks-'))
let n = 0

async function projectWithClip(task: 's4' | 'avss') {
  const app = createApp({ mode: 'cli', homeDir: join(root, 'home') })
  await app.dispatch('project.create', { dir: join(root, `p-${task}-${++n}`), task })
  const video = await makeVideo(root, `${task}.mp4`, { duration: task === 'avss' ? 10 : 5, width: 64, height: 48, audio: 'none' })
  const { jobId } = (await app.dispatch('media.import', { paths: [video] })) as { jobId: string }
  await app.imports.wait(jobId)
  const clip = (await app.dispatch('clip.get', { clipId: app.projects.require().store.listClips()[0].id })) as ClipDetail
  return { app, clip, frame: clip.frames[0] }
}

const b64 = (labels: Uint8Array): string => Buffer.from(encodeMask(labels)).toString('base64')

test('human revisions are saved compressed, listed, and the model mask can be restored', async () => {
  const { app, frame } = await projectWithClip('s4')
  const labels = new Uint8Array(64 * 48)
  labels.fill(1, 0, 64 * 10)
  const saved = (await app.dispatch('mask.save', { frameId: frame.id, width: 64, height: 48, data: b64(labels) })) as MaskRevision
  expect(saved).toMatchObject({ revision: 1, source: 'human', width: 64, height: 48 })
  const got = (await app.dispatch('mask.get', { frameId: frame.id })) as MaskPayload
  expect(decodeMask(Buffer.from(got.data, 'base64'), 64, 48)).toEqual(labels)
  const row = app.projects.require().store.db.prepare('SELECT encoding, length(data) AS n FROM masks WHERE frame_id = ?').get(frame.id) as { encoding: string; n: number }
  expect(row.encoding).toBe(MASK_ENCODING)
  expect(row.n).toBeLessThan(200)
  expect(app.projects.require().store.getFrame(frame.id)!.status).toBe('edited')

  const model = new Uint8Array(64 * 48).fill(1)
  app.projects.require().store.addMask(frame.id, { source: 'model', width: 64, height: 48, encoding: MASK_ENCODING, data: encodeMask(model), model: 'test', confidence: 0.9 })
  const reverted = (await app.dispatch('mask.revertToModel', { frameId: frame.id })) as MaskRevision
  expect(reverted).toMatchObject({ revision: 3, source: 'human' })
  const now = (await app.dispatch('mask.get', { frameId: frame.id })) as MaskPayload
  expect(decodeMask(Buffer.from(now.data, 'base64'), 64, 48)).toEqual(model)
  const revs = (await app.dispatch('mask.revisions', { frameId: frame.id })) as MaskRevision[]
  expect(revs.map((r) => [r.revision, r.source])).toEqual([[1, 'human'], [2, 'model'], [3, 'human']])
  expect(((await app.dispatch('mask.get', { frameId: frame.id, source: 'model' })) as MaskPayload).confidence).toBe(0.9)
})

test('bad masks are refused: wrong size, not deflate, a class the project lacks', async () => {
  const { app, frame } = await projectWithClip('s4')
  await expect(app.dispatch('mask.save', { frameId: frame.id, width: 32, height: 48, data: b64(new Uint8Array(32 * 48)) })).rejects.toThrow(/32×48 but the frame is 64×48/)
  await expect(app.dispatch('mask.save', { frameId: frame.id, width: 64, height: 48, data: Buffer.from('nope').toString('base64') })).rejects.toThrow(/not a deflated label map/)
  await expect(app.dispatch('mask.save', { frameId: frame.id, width: 64, height: 48, data: deflateSync(Buffer.alloc(10)).toString('base64') })).rejects.toThrow(/has 10 pixels/)
  const two = new Uint8Array(64 * 48).fill(2)
  await expect(app.dispatch('mask.save', { frameId: frame.id, width: 64, height: 48, data: b64(two) })).rejects.toThrow(/class 2, which does not exist/)
  expect(app.projects.require().store.listMaskRevisions(frame.id)).toEqual([])
  await expect(app.dispatch('mask.revertToModel', { frameId: frame.id })).rejects.toThrow(/no model mask/)
})

test('AVSS projects take classes 0..70 and refuse 71', async () => {
  const { app, clip, frame } = await projectWithClip('avss')
  expect(clip.frames).toHaveLength(10)
  await app.dispatch('mask.save', { frameId: frame.id, width: 64, height: 48, data: b64(new Uint8Array(64 * 48).fill(70)) })
  await expect(app.dispatch('mask.save', { frameId: frame.id, width: 64, height: 48, data: b64(new Uint8Array(64 * 48).fill(71)) })).rejects.toThrow(/class 71/)
})

test('review status and clip split/category', async () => {
  const { app, clip } = await projectWithClip('s4')
  const ids = clip.frames.map((f) => f.id)
  expect(await app.dispatch('frame.setStatus', { frameIds: ids, status: 'accepted' })).toEqual({ updated: 5 })
  expect(((await app.dispatch('clip.get', { clipId: clip.id })) as ClipDetail).status).toBe('accepted')
  await app.dispatch('frame.setStatus', { frameIds: [ids[2]], status: 'rejected', comment: 'wrong object' })
  const after = (await app.dispatch('clip.get', { clipId: clip.id })) as ClipDetail
  expect(after.status).toBe('rejected')
  expect(after.frames[2].comment).toBe('wrong object')
  await expect(app.dispatch('frame.setStatus', { frameIds: ids, status: 'done' as never })).rejects.toThrow(/bad|Invalid|status/)
  const updated = await app.dispatch('clip.update', { clipId: clip.id, split: 'val', category: 'dog_barking' })
  expect(updated).toMatchObject({ split: 'val', category: 'dog_barking' })
})

test('two writers on the same frame: both revisions kept, the last one wins, nothing corrupt', async () => {
  const { app, frame } = await projectWithClip('s4')
  const dir = app.projects.require().dir
  const other = createApp({ mode: 'cli', homeDir: join(root, 'home2') })
  await other.dispatch('project.open', { dir })
  const a = new Uint8Array(64 * 48).fill(1)
  const b = new Uint8Array(64 * 48)
  await Promise.all([
    app.dispatch('mask.save', { frameId: frame.id, width: 64, height: 48, data: b64(a) }),
    other.dispatch('mask.save', { frameId: frame.id, width: 64, height: 48, data: b64(b) })
  ])
  await app.dispatch('mask.save', { frameId: frame.id, width: 64, height: 48, data: b64(a) })
  const revs = (await other.dispatch('mask.revisions', { frameId: frame.id })) as MaskRevision[]
  expect(revs.map((r) => r.revision)).toEqual([1, 2, 3])
  const last = (await other.dispatch('mask.get', { frameId: frame.id })) as MaskPayload
  expect(decodeMask(Buffer.from(last.data, 'base64'), 64, 48)).toEqual(a)
  other.projects.close()
})

test('per-second marks, next frame needing review across clips, and the project dashboard', async () => {
  const { app, clip } = await projectWithClip('s4')
  const store = app.projects.require().store
  expect(await app.dispatch('clip.setSecond', { clipId: clip.id, second: 2, state: 'silent' })).toEqual([{ second: 2, state: 'silent' }])
  await app.dispatch('clip.setSecond', { clipId: clip.id, second: 4, state: 'offscreen' })
  await app.dispatch('clip.setSecond', { clipId: clip.id, second: 2, state: null })
  expect(((await app.dispatch('clip.get', { clipId: clip.id })) as ClipDetail).seconds).toEqual([{ second: 4, state: 'offscreen' }])
  await expect(app.dispatch('clip.setSecond', { clipId: clip.id, second: 5, state: 'silent' })).rejects.toThrow(/seconds 0–4/)

  const ids = clip.frames.map((f) => f.id)
  await app.dispatch('frame.setStatus', { frameIds: [ids[0], ids[1]], status: 'accepted' })
  expect(await app.dispatch('review.next', {})).toMatchObject({ frameId: ids[2], index: 2 })
  expect(await app.dispatch('review.next', { afterFrameId: ids[2] })).toMatchObject({ frameId: ids[3] })
  expect(await app.dispatch('review.next', { afterFrameId: ids[4] })).toMatchObject({ frameId: ids[2] })

  // The model said "all foreground", the human kept the top half: Jaccard 0.5.
  const full = new Uint8Array(64 * 48).fill(1)
  const half = new Uint8Array(64 * 48).fill(1, 0, 64 * 24)
  store.addMask(ids[2], { source: 'model', width: 64, height: 48, encoding: MASK_ENCODING, data: encodeMask(full), model: 'm', confidence: 0.4 })
  store.addMask(ids[3], { source: 'model', width: 64, height: 48, encoding: MASK_ENCODING, data: encodeMask(full), model: 'm', confidence: 0.8 })
  await app.dispatch('mask.save', { frameId: ids[2], width: 64, height: 48, data: b64(half) })
  const stats = (await app.dispatch('project.stats', {})) as { framesByStatus: Record<string, number>; reviewedShare: number; comparedFrames: number; meanModelJaccard: number }
  expect(stats.framesByStatus).toEqual({ unreviewed: 1, auto: 1, edited: 1, accepted: 2, rejected: 0 })
  expect(stats.reviewedShare).toBeCloseTo(0.4, 9)
  expect(stats.comparedFrames).toBe(1)
  expect(stats.meanModelJaccard).toBeCloseTo(0.5, 9)
  expect(store.listClips()[0].confidence).toBe(0.4)
  for (const id of ids) await app.dispatch('frame.setStatus', { frameIds: [id], status: 'accepted' })
  expect(await app.dispatch('review.next', {})).toBeNull()
})

test('the dashboard compares model masks with imported ground truth on the frames Evaluate scores', async () => {
  // As after `avs import-avsbench` + `avs import-predictions`: accepted release masks first, the model's later.
  const { app, clip } = await projectWithClip('s4')
  const store = app.projects.require().store
  const ids = clip.frames.map((f) => f.id)
  const full = new Uint8Array(64 * 48).fill(1)
  const half = new Uint8Array(64 * 48).fill(1, 0, 64 * 24)
  const mask = (labels: Uint8Array, width = 64, height = 48) => ({ width, height, encoding: MASK_ENCODING, data: encodeMask(labels) })
  store.addMask(ids[0], { source: 'import', status: 'accepted', ...mask(half) })
  store.addMask(ids[1], { source: 'import', status: 'accepted', ...mask(full) })
  // A person's mask older than the model's still is the ground truth ("replace edits" re-ran the model).
  store.addMask(ids[3], { source: 'human', ...mask(half) })
  // Ground truth at another size is not comparable: neither Evaluate nor the dashboard scores it.
  store.addMask(ids[4], { source: 'import', status: 'accepted', ...mask(new Uint8Array(32 * 24).fill(1), 32, 24) })
  for (const id of ids) store.addMask(id, { source: 'model', model: 'official', confidence: null, ...mask(full) })

  const stats = (await app.dispatch('project.stats', {})) as { comparedFrames: number; meanModelJaccard: number | null }
  const ev = (await app.dispatch('eval.project', {})) as { project: { frames: number } }
  expect(ev.project.frames).toBe(3)
  expect(stats.comparedFrames).toBe(ev.project.frames)
  expect(stats.meanModelJaccard).toBeCloseTo((0.5 + 1 + 0.5) / 3, 9)
})

test('the editor undo history of a clip is kept in the project and survives reopening it', async () => {
  const { app, clip } = await projectWithClip('s4')
  const dir = app.projects.require().dir
  expect(await app.dispatch('history.get', { clipId: clip.id })).toEqual({ data: null })
  const history = JSON.stringify({ version: 1, limit: 200, undos: [{ frameId: clip.frames[0].id, tiles: ['x'] }], redos: [] })
  await app.dispatch('history.save', { clipId: clip.id, data: history })
  app.projects.close()
  const again = createApp({ mode: 'cli', homeDir: join(root, 'home') })
  await again.dispatch('project.open', { dir })
  expect(await again.dispatch('history.get', { clipId: clip.id })).toEqual({ data: history })
  await again.dispatch('history.save', { clipId: clip.id, data: null })
  expect(await again.dispatch('history.get', { clipId: clip.id })).toEqual({ data: null })
  await expect(again.dispatch('history.save', { clipId: 9999, data: '{}' })).rejects.toThrow(/No clip 9999/)
})
