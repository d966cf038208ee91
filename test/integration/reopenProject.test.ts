import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { createApp } from '../../src/main/app'
import { newUploadDir } from '../../src/main/services/project/uploads'

let root = ''
afterEach(() => rmSync(root, { recursive: true, force: true }))

test('re-opening the open project keeps an upload waiting for its import; a fresh open clears what a killed run left', async () => {
  root = mkdtempSync(join(tmpdir(), 'avs-reopen-'))
  const dir = join(root, 'birds')
  const app = createApp({ mode: 'browser', homeDir: join(root, 'home') })
  await app.dispatch('project.create', { dir, task: 's4' })
  const upload = newUploadDir(dir)
  mkdirSync(upload, { recursive: true })
  writeFileSync(join(upload, 'bird.mp4'), 'not yet imported')
  await app.dispatch('project.open', { dir }) // the UI re-opens the project it shows
  expect(existsSync(join(upload, 'bird.mp4'))).toBe(true)
  app.projects.close()

  // A new process (here: a new app) opening the project is a fresh open: the leftover upload goes.
  const next = createApp({ mode: 'browser', homeDir: join(root, 'home') })
  await next.dispatch('project.open', { dir })
  expect(existsSync(upload)).toBe(false)
  next.projects.close()
})
