// Browser mode's uploads (POST /upload, then media.import by path): real files through the real
// web host; an upload is removed once imported, leftovers when the project is next opened, and
// nothing else in or outside the project is ever removed.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createApp, type App } from '../../src/main/app'
import { UPLOADS_DIR } from '../../src/main/services/project/uploads'
import { startWebHost, type WebHost } from '../../src/main/web/server'
import type { ImportResult } from '../../src/shared/domain'
import { makeVideo } from '../fixtures/media'

const root = mkdtempSync(join(tmpdir(), 'avs-uploads-'))
const userDir = join(root, 'my videos')
const projectDir = join(root, 'project')
const uploads = join(projectDir, UPLOADS_DIR)
let app: App
let host: WebHost
let cookie: string
let video: string

async function upload(name: string, bytes: Buffer): Promise<string> {
  const r = await fetch(new URL(`/upload?name=${encodeURIComponent(name)}`, host.url), {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/octet-stream' },
    body: new Uint8Array(bytes)
  })
  expect(r.status).toBe(200)
  return ((await r.json()) as { path: string }).path
}

async function importVia(paths: string[]): Promise<ImportResult[]> {
  const r = await fetch(new URL('/api/media.import', host.url), {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ paths })
  })
  expect(r.status).toBe(200)
  return app.imports.wait(((await r.json()) as { jobId: string }).jobId)
}

beforeAll(async () => {
  mkdirSync(userDir)
  video = await makeVideo(userDir, 'birds.mp4', { duration: 5, width: 64, height: 48, audio: 'none' })
  app = createApp({ mode: 'browser', homeDir: join(root, 'home') })
  await app.dispatch('project.create', { dir: projectDir, task: 's4' })
  const rendererDir = join(root, 'renderer')
  mkdirSync(rendererDir)
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>x</title>')
  host = await startWebHost({ app, rendererDir })
  const login = await fetch(host.loginUrl, { redirect: 'manual' })
  cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]
})

afterAll(async () => {
  await host?.close()
  app?.projects.close()
})

test('an uploaded video is removed once imported; the user’s own video imported beside it stays', async () => {
  // Another recording of the same name (the same file again would be refused as already imported).
  mkdirSync(join(root, 'camera'), { recursive: true })
  const other = await makeVideo(join(root, 'camera'), 'birds.mp4', { duration: 5, width: 80, height: 48, audio: 'none' })
  const uploaded = await upload('birds.mp4', readFileSync(other))
  const bytes = readFileSync(video)
  expect(dirname(dirname(uploaded))).toBe(uploads)
  expect(readFileSync(uploaded).equals(readFileSync(other))).toBe(true)

  const results = await importVia([uploaded, video])
  expect(results.map((r) => [r.ok, r.clips, r.error])).toEqual([
    [true, 1, null],
    [true, 1, null]
  ])
  // The clips were made (the name comes from the uploaded file's name), then the upload went.
  expect(app.projects.require().store.listClips().map((c) => c.name)).toEqual(['birds_0_5000', 'birds-2_0_5000'])
  expect(existsSync(dirname(uploaded))).toBe(false)
  expect(existsSync(uploads)).toBe(false)
  expect(readFileSync(video).equals(bytes)).toBe(true)
})

test('an upload whose import fails is removed too', async () => {
  const uploaded = await upload('broken.mp4', Buffer.from('not a video at all'))
  const [r] = await importVia([uploaded])
  expect(r.ok).toBe(false)
  expect(r.error).toMatch(/broken\.mp4/)
  expect(existsSync(dirname(uploaded))).toBe(false)
})

test('uploads never imported are removed when the project is next opened; nothing else is', async () => {
  const leftover = await upload('later.mp4', readFileSync(video))
  const fresh = await makeVideo(userDir, 'swans.mp4', { duration: 5, width: 64, height: 48, audio: 'none' })
  // What a person put in the project folder, and a link to their data, named like an upload.
  writeFileSync(join(uploads, 'notes.txt'), 'mine')
  mkdirSync(join(uploads, 'keep'))
  writeFileSync(join(uploads, 'keep', 'a.mp4'), 'mine too')
  symlinkSync(userDir, join(uploads, 'abcdef12'))
  writeFileSync(join(projectDir, 'birds copy.mp4'), 'mine')

  const before = readdirSync(userDir).sort()
  await app.dispatch('project.close', {})
  await app.dispatch('project.open', { dir: projectDir })
  expect(existsSync(leftover)).toBe(false)
  expect(existsSync(dirname(leftover))).toBe(false)
  expect(readdirSync(uploads).sort()).toEqual(['abcdef12', 'keep', 'notes.txt'])
  expect(readFileSync(join(uploads, 'keep', 'a.mp4'), 'utf8')).toBe('mine too')
  expect(readFileSync(join(projectDir, 'birds copy.mp4'), 'utf8')).toBe('mine')
  expect(readdirSync(userDir).sort()).toEqual(before)
  // The project is still whole: the imported clips kept their media.
  expect(app.projects.require().store.listClips()).toHaveLength(2)

  // A video reached through that link is the user's file, not an upload: importing it leaves it.
  const [r] = await importVia([join(uploads, 'abcdef12', basename(fresh))])
  expect(r.ok).toBe(true)
  expect(readdirSync(userDir).sort()).toEqual(before)
  expect(readdirSync(uploads).sort()).toEqual(['abcdef12', 'keep', 'notes.txt'])
})
