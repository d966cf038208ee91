import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { createApp } from '../../src/main/app'
import { decodeMask, encodeMask, MASK_ENCODING } from '../../src/main/services/project/maskCodec'
import { decodePng } from '../../src/main/image/png'
import { BINARY_MASK_COLOR, THUMB_MASK_ALPHA, downscaleLabels, type ClipThumbMask } from '../../src/shared/clipThumbs'
import { writeSyntheticProject } from '../e2e/syntheticProject'

const root = mkdtempSync(join(tmpdir(), 'avs-thumbmasks-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

test('clip.thumbMasks: the newest mask of each clip’s first frame, scaled down, and a new revision replaces it', async () => {
  const project = await writeSyntheticProject(root, { videos: 2, clipsPerVideo: 3 })
  const app = createApp({ mode: 'cli', homeDir: join(root, 'home') })
  await app.dispatch('project.open', { dir: project.dir })
  const { store } = app.projects.require()
  const clips = store.listClips()
  const ids = [clips[4].id, clips[0].id, 999_999]
  const got = (await app.dispatch('clip.thumbMasks', { clipIds: ids })) as ClipThumbMask[]
  expect(got.map((m) => m.clipId)).toEqual(ids)
  const first = store.listFrames(clips[4].id)[0]
  expect(got[0]).toMatchObject({ frameId: first.id, revision: 1, width: 96, height: 54 })
  // What the thumbnail must show: the stored mask, scaled down as the shared rule says.
  const stored = store.latestMask(first.id)!
  const labels = downscaleLabels(decodeMask(stored.data, stored.width, stored.height), stored.width, stored.height, 96, 54)
  // The synthetic box is 40×30 of 160×90: 24×18 of 96×54, give or take a row or column.
  const painted = labels.reduce((n, v) => n + v, 0)
  expect(painted).toBeGreaterThan(20 * 16)
  expect(painted).toBeLessThan(26 * 20)
  // The coloured PNG the grid shows: the same pixels in the editor's binary colour at the overlay's opacity, the rest transparent.
  const png = decodePng(Buffer.from(got[0].png!, 'base64'))
  // A palette PNG whose pixels are the labels themselves: entry 0 transparent, entry 1 the colour.
  expect(png).toMatchObject({ width: 96, height: 54, mode: 'P' })
  expect([...png.palette!]).toEqual([0, 0, 0, ...BINARY_MASK_COLOR])
  expect([...png.paletteAlpha!]).toEqual([0, THUMB_MASK_ALPHA])
  expect([...png.data]).toEqual([...labels])
  expect(got[2]).toEqual({ clipId: 999_999, frameId: null, revision: null, width: 0, height: 0, png: null })

  // A person's revision of the first frame: the thumbnail follows it (an empty mask), not the cached model mask.
  store.addMask(first.id, { source: 'human', width: first.width, height: first.height, encoding: MASK_ENCODING, data: encodeMask(new Uint8Array(first.width * first.height)) })
  const [after] = (await app.dispatch('clip.thumbMasks', { clipIds: [clips[4].id] })) as ClipThumbMask[]
  expect(after.revision).toBe(2)
  expect(after.png).toBeNull() // an empty mask: nothing to overlay

  // A frame without any mask: revision null, no image, the thumbnail size still given.
  store.db.prepare('DELETE FROM masks WHERE frame_id = ?').run(store.listFrames(clips[0].id)[0].id)
  const [none] = (await app.dispatch('clip.thumbMasks', { clipIds: [clips[0].id] })) as ClipThumbMask[]
  expect(none).toMatchObject({ revision: null, png: null, width: 96, height: 54 })

  await expect(app.dispatch('clip.thumbMasks', { clipIds: Array.from({ length: 201 }, (_, i) => i) })).rejects.toThrow(/clipIds/)
  app.projects.close()
})

test('the thumbnail is made when a clip’s first frame gets a revision and kept with it; a revision without one gets it on first request', async () => {
  const project = await writeSyntheticProject(root, { videos: 1, clipsPerVideo: 2 })
  const app = createApp({ mode: 'cli', homeDir: join(root, 'home2') })
  await app.dispatch('project.open', { dir: project.dir })
  const { store } = app.projects.require()
  const clip = store.listClips()[1]
  const [first, second] = store.listFrames(clip.id)
  const thumbOf = (frameId: number): Buffer | null =>
    (store.db.prepare('SELECT thumb FROM masks WHERE frame_id = ? ORDER BY revision DESC LIMIT 1').get(frameId) as { thumb: Buffer | null }).thumb
  // Written with the mask (writeSyntheticProject adds masks through ProjectStore.addMask): the first frame's only.
  const made = thumbOf(first.id)
  expect(made).not.toBeNull()
  expect(decodePng(made!)).toMatchObject({ width: 96, height: 54, mode: 'P' })
  expect(thumbOf(second.id)).toBeNull()
  // The grid gets the kept bytes as they are, not a new encoding: replace them and the answer follows.
  const marker = Buffer.from(made!)
  marker[marker.length - 1] ^= 0xff
  store.db.prepare('UPDATE masks SET thumb = ? WHERE frame_id = ?').run(marker, first.id)
  let [got] = (await app.dispatch('clip.thumbMasks', { clipIds: [clip.id] })) as ClipThumbMask[]
  expect(Buffer.from(got.png!, 'base64').equals(marker)).toBe(true)
  // A revision from before the thumbnails were kept (NULL): made on request, then kept.
  store.db.prepare('UPDATE masks SET thumb = NULL WHERE frame_id = ?').run(first.id)
  ;[got] = (await app.dispatch('clip.thumbMasks', { clipIds: [clip.id] })) as ClipThumbMask[]
  expect(Buffer.from(got.png!, 'base64').equals(made!)).toBe(true)
  expect(thumbOf(first.id)!.equals(made!)).toBe(true)
  // An empty mask keeps an empty thumbnail (nothing to overlay), not NULL.
  store.addMask(first.id, { source: 'human', width: first.width, height: first.height, encoding: MASK_ENCODING, data: encodeMask(new Uint8Array(first.width * first.height)) })
  expect(thumbOf(first.id)!.length).toBe(0)
  ;[got] = (await app.dispatch('clip.thumbMasks', { clipIds: [clip.id] })) as ClipThumbMask[]
  expect(got).toMatchObject({ revision: 2, png: null, width: 96, height: 54 })
  app.projects.close()
})
