import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { callApi, logIn, serveUntilLoginUrl } from '../fixtures/serve'

// `avs serve <path>` opens a project, creates one at a new path or in an empty folder, and refuses
// anything else before writing a byte. Runs the CLI from source; the UI must be built (npm test builds it).
const repo = resolve(__dirname, '../..')
const root = mkdtempSync(join(tmpdir(), 'avs-serve-'))
const env = { ...process.env, AVS_HOME: join(root, 'home') }
const cli = ['--import', 'tsx', join(repo, 'test/fixtures/avs.ts')]

beforeAll(() => {
  if (!existsSync(join(repo, 'out/renderer/index.html'))) throw new Error('the UI is not built: run `npm run build` first (npm test does)')
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

function avs(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...cli, ...args], { env, encoding: 'utf8', cwd: repo })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

/** Serves `args`, logs in through the printed URL and returns the open project as the API reports it. */
async function serveAndLogIn(...args: string[]): Promise<{ project: { dir: string; task: string; name: string }; log: string }> {
  const served = await serveUntilLoginUrl(process.execPath, [...cli, 'serve', ...args, '--port', '0'], { env, cwd: repo, timeoutMs: 60_000 })
  try {
    expect((await callApi(served.loginUrl, undefined, 'project.current', {})).status).toBe(403)
    const cookie = await logIn(served.loginUrl)
    const current = await callApi<{ dir: string; task: string; name: string }>(served.loginUrl, cookie, 'project.current', {})
    expect(current.status).toBe(200)
    return { project: current.body, log: served.log() }
  } finally {
    await served.stop()
  }
}

describe('avs serve <project>', () => {
  test('a path that does not exist becomes a new S4 project (parents too); served again, it is opened', async () => {
    const dir = join(root, 'avs', 'my-project')
    const first = await serveAndLogIn(dir)
    expect(first.project).toMatchObject({ dir, task: 's4', name: 'my-project' })
    expect(first.log).toContain(`Created S4 project "my-project" at ${dir}\n`)
    expect(existsSync(join(dir, 'project.sqlite'))).toBe(true)
    const again = await serveAndLogIn(dir)
    expect(again.project).toMatchObject({ dir, task: 's4' })
    expect(again.log).not.toContain('Created')
  })

  test('--task chooses the new project\'s task; an empty folder is used as it is', async () => {
    const dir = join(root, 'avss-project')
    expect((await serveAndLogIn(dir, '--task', 'avss')).project).toMatchObject({ dir, task: 'avss' })
    const empty = join(root, 'empty')
    mkdirSync(empty)
    writeFileSync(join(empty, '.DS_Store'), '')
    expect((await serveAndLogIn(empty, '--task', 'ms3')).project).toMatchObject({ dir: empty, task: 'ms3' })
  })

  test('an existing project keeps its task: no --task opens it, a different --task is refused', async () => {
    const dir = join(root, 'ms3-project')
    expect(avs('new', dir, '--task', 'ms3').code).toBe(0)
    expect((await serveAndLogIn(dir)).project).toMatchObject({ dir, task: 'ms3' })
    const other = avs('serve', dir, '--task', 's4', '--port', '0')
    expect(other.code).toBe(1)
    expect(other.stderr).toBe(`avs: ${dir} is an existing MS3 project; --task s4 only applies to a new one\n`)
  })

  test('a non-empty folder that is not a project, a file or a bad --task is refused and nothing is written', () => {
    const full = join(root, 'photos')
    mkdirSync(full)
    writeFileSync(join(full, 'holiday.jpg'), 'not touched')
    const refused = avs('serve', full, '--port', '0')
    expect(refused.code).toBe(1)
    expect(refused.stderr).toBe(`avs: ${full} is not an AVS Annotator project (no project.sqlite) and is not empty; give a project folder, a new path or an empty folder\n`)
    expect(readdirSync(full)).toEqual(['holiday.jpg'])

    const file = join(root, 'notes.txt')
    writeFileSync(file, 'x')
    const onFile = avs('serve', file, '--port', '0')
    expect(onFile.code).toBe(1)
    expect(onFile.stderr).toBe(`avs: ${file} is a file, not a project folder\n`)

    const badTask = avs('serve', join(root, 'never'), '--task', 'coco', '--port', '0')
    expect(badTask.code).toBe(2)
    expect(badTask.stderr.split('\n')[0]).toBe('avs: --task must be s4, ms3 or avss')
    expect(existsSync(join(root, 'never'))).toBe(false)
  })
})
