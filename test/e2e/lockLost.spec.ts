import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { LOCK_FILE } from '../../src/main/services/project/projectLock'
import { AvsServer, api } from './server'
import { writeSyntheticProject } from './syntheticProject'

// A project whose lock another writer took over while this server was not heard from (a suspended
// laptop, a network share that dropped out): the real `avs serve` finds out at its next heartbeat,
// the page says so, and a review in the editor is refused with the reason instead of being written.

const server = new AvsServer()
let root = ''
let loginUrl = ''
let dir = ''

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'avs-e2e-lock-'))
  dir = (await writeSyntheticProject(root, { videos: 1, clipsPerVideo: 2 })).dir
  loginUrl = await server.start(join(root, 'home'))
})

test.afterAll(async () => {
  await server.stop()
  if (root) rmSync(root, { recursive: true, force: true })
})

test('a project taken over by another writer turns read-only, says so, and saves nothing more', async ({ page }) => {
  await page.goto(loginUrl)
  await expect(page).not.toHaveURL(/token=/)
  expect((await api(page, 'project.open', { dir })).status).toBe(200)
  await page.goto(new URL('/', loginUrl).toString())
  await page.getByTestId('clip-card').first().click()
  await expect(page.getByTestId('review-accept')).toBeVisible()
  const clipId = Number(new URL(page.url()).searchParams.get('clip') ?? NaN)
  const before = await api<Array<{ id: number; status: string }>>(page, 'clip.list', {})

  // Another host's app takes the lock over (its own token, beating now).
  const serverLock = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { token: string }
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 4242, host: 'nas-client', command: 'the AVS Annotator app', startedAt: new Date().toISOString(), token: `not-${serverLock.token}` }))

  // The server's next heartbeat (every 5 s) finds it: the page shows why it no longer saves.
  await expect(page.getByTestId('lock-lost')).toContainText('Read-only: the project was taken over by `the AVS Annotator app` (PID 4242 on nas-client)', { timeout: 15_000 })

  // A review is refused with the reason, and nothing changed in the project.
  await page.getByTestId('review-accept').click()
  await expect(page.getByTestId('editor-error')).toContainText(/no longer writes .*taken over/, { timeout: 10_000 })
  const after = await api<Array<{ id: number; status: string }>>(page, 'clip.list', {})
  expect(after.body).toEqual(before.body)
  const refused = await api<{ code: string }>(page, 'history.save', { clipId: Number.isNaN(clipId) ? before.body[0]!.id : clipId, data: 'x' })
  expect(refused.status).toBeGreaterThanOrEqual(400)
  expect(JSON.stringify(refused.body)).toContain('project_taken_over')
  // Their lock is theirs still.
  expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ host: 'nas-client', pid: 4242 })
})
