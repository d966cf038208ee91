import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, test } from 'vitest'
import { makeVideo, truncated } from '../fixtures/media'

const root = mkdtempSync(join(tmpdir(), 'avs-cli-'))
const repo = resolve(__dirname, '../..')
const env = { ...process.env, AVS_HOME: join(root, 'home') }

function avs(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'test/fixtures/avs.ts'), ...args], { env, encoding: 'utf8', cwd: repo })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

describe('avs command line', () => {
  test('new, import, info --json', async () => {
    const video = await makeVideo(root, 'my video.mp4', { duration: 11, audio: 'none' })
    const dir = join(root, 'proj')
    const created = avs('new', dir, '--task', 'ms3', '--name', 'Birds')
    expect(created.stderr).toBe('')
    expect(created.code).toBe(0)
    const imported = avs('import', dir, video)
    expect(imported.code).toBe(0)
    expect(imported.stdout).toMatch(/my video\.mp4: 2 clip\(s\) \[no_audio\]/)
    const info = avs('info', dir, '--json')
    expect(info.code).toBe(0)
    const data = JSON.parse(info.stdout) as {
      project: { name: string; task: string; clipCount: number }
      videos: Array<{ name: string }>
      clips: Array<{ name: string; frames: Array<{ index: number; time: number; sourceFrame: number; status: string }> }>
    }
    expect(data.project).toMatchObject({ name: 'Birds', task: 'ms3', clipCount: 2 })
    expect(data.videos[0].name).toBe('my video.mp4')
    expect(data.clips[1].name).toBe('my-video_5000_10000')
    expect(data.clips[0].frames.map((f) => f.sourceFrame)).toEqual([23, 48, 73, 98, 123])
    expect(data.clips[0].frames[0]).toMatchObject({ index: 0, time: 0.92, status: 'unreviewed' })
  })

  test('failures exit non-zero with a one-line reason on stderr', async () => {
    const dir = join(root, 'proj2')
    expect(avs('new', dir, '--task', 'avss').code).toBe(0)
    const bogus = join(root, 'bogus.mp4')
    writeFileSync(bogus, 'not a video at all')
    const bad = avs('import', dir, bogus)
    expect(bad.code).toBe(1)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
    expect(bad.stderr).toMatch(/avs import: bogus\.mp4 is not a media file/)
    const noProject = avs('info', join(root, 'nowhere'))
    expect(noProject.code).toBe(1)
    expect(noProject.stderr).toMatch(/^avs: .*nowhere does not exist\n$/)
    const badTask = avs('new', join(root, 'p3'), '--task', 'coco')
    expect(badTask.code).toBe(2)
    expect(badTask.stderr.split('\n')[0]).toBe('avs: --task must be s4, ms3 or avss')
    expect(avs('info', join(dir, 'project.sqlite')).stderr).toBe(`avs: ${join(dir, 'project.sqlite')} is the project's database; give its folder, ${dir}\n`)
    expect(avs('export', dir, '--format', 'avss', '--out', join(root, 'x'), '--split-ratio', '0,0,0').stderr.split('\n')[0]).toBe(
      'avs: --split-ratio needs at least one weight above 0 (train,val,test), got 0,0,0'
    )
    expect(avs('eval', '--format', 's4', '--gt', join(root, 'no-gt'), '--pred', dir).stderr).toBe(`avs: The ground-truth folder ${join(root, 'no-gt')} does not exist\n`)
    expect(avs('features', join(root, 'no.wav'), '--out', join(root, 'x.npy')).stderr).toBe(`avs: ${join(root, 'no.wav')} does not exist\n`)
    expect(avs('features', bogus, '--out', join(root, 'no-dir', 'x.npy')).stderr).toBe(`avs: Cannot write ${join(root, 'no-dir', 'x.npy')}: the folder ${join(root, 'no-dir')} does not exist\n`)
    expect(avs('frobnicate').code).toBe(2)
    expect(avs('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
  })

  test('the same file again at the same start is refused as already imported; at another offset it is cut again', async () => {
    const video = await makeVideo(root, 'again.mp4', { duration: 6, audio: 'none', width: 64, height: 48 })
    const dir = join(root, 'proj-again')
    expect(avs('new', dir, '--task', 's4').code).toBe(0)
    expect(avs('import', dir, video).code).toBe(0)
    const again = avs('import', dir, video)
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/^avs import: again\.mp4 is already in the project \(imported .*, clips from again_0_5000\); it was not imported again\. To cut it at another start, give another offset\n$/)
    expect(avs('import', dir, video, '--offset', '0.5').code).toBe(0)
    const info = JSON.parse(avs('info', dir, '--json').stdout) as { clips: Array<{ name: string }> }
    expect(info.clips.map((c) => c.name)).toEqual(['again_0_5000', 'again_500_5500'])
  })

  test('a truncated video: its whole clips are imported (exit 0) and a warning says where it broke off', async () => {
    const whole = await makeVideo(root, 'recording.mp4', { duration: 22, width: 64, height: 48, movflags: '+faststart' })
    const cut = await truncated(whole, 0.6, join(root, 'cut recording.mp4'))
    const dir = join(root, 'proj-cut')
    expect(avs('new', dir, '--task', 's4').code).toBe(0)
    const r = avs('import', dir, cut)
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`${cut}: 2 clip(s)\n`)
    expect(r.stderr).toMatch(/^avs import: warning: cut recording\.mp4 is truncated or damaged after 1\d(\.\d+)? s of its 22 s: 2 of its 4 clips were whole and kept \(0 s–10 s\); the rest cannot be decoded\n$/)
    const nothing = avs('import', dir, await truncated(whole, 0.15, join(root, 'stub.mp4')))
    expect(nothing.code).toBe(1)
    expect(nothing.stderr).toMatch(/^avs import: stub\.mp4 is truncated or damaged after \d(\.\d+)? s of its 22 s: no whole 5 s clip can be decoded; nothing was imported\n$/)
    const info = JSON.parse(avs('info', dir, '--json').stdout) as { clips: Array<{ name: string }>; videos: Array<{ importNote: string | null }> }
    expect(info.clips.map((c) => c.name)).toEqual(['cut-recording_0_5000', 'cut-recording_5000_10000'])
    // The warning is kept with the video: `avs info` says it again later.
    const warning = r.stderr.replace(/^avs import: warning: /, '').trimEnd()
    expect(info.videos.map((v) => v.importNote)).toEqual([warning])
    expect(avs('info', dir).stdout).toContain(`\n  ! ${warning}\n`)
  })

  test('options are checked per command: a typo or an extra word is refused, an on/off flag never takes the next word', async () => {
    const dir = join(root, 'proj-flags')
    expect(avs('new', dir, '--task', 'S4').code).toBe(0) // the task in any case
    // --replace-edits is an on/off flag: --clips after it is still the clip list (clip 99 does not exist).
    const seg = avs('segment', dir, '--replace-edits', '--clips', '99')
    expect(seg.code).toBe(1)
    expect(seg.stderr).toMatch(/clip 99/i)
    expect(avs('segment', dir, '--clips', '99', '--replace-edits').stderr).toMatch(/clip 99/i)
    // A misspelt option is refused before anything runs, naming the one meant.
    const typo = avs('segment', dir, '--clip', '1')
    expect(typo.code).toBe(2)
    expect(typo.stderr.split('\n')[0]).toBe('avs: unknown option --clip for avs segment (did you mean --clips?)')
    expect(typo.stderr).toContain('avs segment <project>') // that command's usage, not every command's
    expect(typo.stderr).not.toContain('avs import-avsbench')
    expect(avs('import', dir, 'x.mp4', '--ofset', '2').stderr.split('\n')[0]).toBe('avs: unknown option --ofset for avs import (did you mean --offset?)')
    expect(avs('info', dir, '--jsn').stderr.split('\n')[0]).toBe('avs: unknown option --jsn for avs info (did you mean --json?)')
    expect(avs('info', dir, 'extra').stderr.split('\n')[0]).toBe('avs: unexpected argument "extra" for avs info')
    expect(avs('info', dir, '--json=1').stderr.split('\n')[0]).toBe('avs: --json takes no value')
    expect(avs('segment', dir, '--clips', '--json').stderr.split('\n')[0]).toBe('avs: --clips needs a value')
    expect(avs('segmnt', dir).stderr.split('\n')[0]).toBe('avs: unknown command "segmnt" (did you mean avs segment?); avs --help lists them')
    // Per-command help on stdout, exit 0; no command at all is an error with the usage on stderr.
    const help = avs('segment', '--help')
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^Usage:\n {2}avs segment <project>/)
    expect(help.stdout).toContain('--resume last|<job-id>')
    expect(help.stdout).not.toContain('avs export')
    const none = avs()
    expect(none.code).toBe(2)
    expect(none.stdout).toBe('')
    expect(none.stderr).toContain('avs new <dir>')
    expect(avs('info', dir).code).toBe(0)
  })

  test('a reader that stops early (avs info | head -1) is no error', async () => {
    const dir = join(root, 'proj-pipe')
    expect(avs('new', dir, '--task', 's4').code).toBe(0)
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" --import tsx test/fixtures/avs.ts models --json | head -c 1`], { env, encoding: 'utf8', cwd: repo })
    expect(r.stderr).not.toMatch(/EPIPE|Error/)
    expect(r.status).toBe(0)
  })

  test('serve prints a one-time login URL; the API needs the session it grants', async () => {
    const dir = join(root, 'proj-serve')
    expect(avs('new', dir, '--task', 's4').code).toBe(0)
    const { startWebHost } = await import('../../src/main/web/server')
    const { createApp } = await import('../../src/main/app')
    const app = createApp({ mode: 'browser', homeDir: join(root, 'home') })
    await app.dispatch('project.open', { dir })
    const rendererDir = join(root, 'renderer')
    const { mkdirSync } = await import('node:fs')
    mkdirSync(rendererDir)
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>x</title>')
    const host = await startWebHost({ app, rendererDir })
    try {
      const api = (path: string, body: unknown, cookie?: string): Promise<Response> =>
        fetch(new URL(path, host.url), { method: 'POST', headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) }, body: JSON.stringify(body) })
      expect((await api('/api/project.current', {})).status).toBe(403)
      const login = await fetch(host.loginUrl, { redirect: 'manual' })
      expect(login.status).toBe(303)
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]
      expect(cookie).toMatch(/^avs_session=/)
      // The token is one-time.
      expect((await fetch(host.loginUrl, { redirect: 'manual' })).status).toBe(403)
      const current = await api('/api/project.current', {}, cookie)
      expect(current.status).toBe(200)
      expect(((await current.json()) as { task: string }).task).toBe('s4')
      const bad = await api('/api/project.create', { dir: '', task: 's4' }, cookie)
      expect(bad.status).toBe(400)
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('bad_input')
      expect((await api('/api/nope.never', {}, cookie)).status).toBe(404)
      // Media URLs cannot leave the project's cache.
      for (const p of ['/media/..%2Fproject.sqlite', '/media/%2Fetc%2Fpasswd', '/media/..%2F..%2Fetc%2Fpasswd']) {
        const r = await fetch(new URL(p, host.url), { headers: { cookie } })
        expect([403, 404]).toContain(r.status)
        expect(await r.text()).not.toMatch(/SQLite format|root:/)
      }
      const page = await fetch(host.url, { headers: { cookie } })
      expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/)
      const sse = await fetch(new URL('/events', host.url), { headers: { cookie } })
      expect(sse.headers.get('content-type')).toBe('text/event-stream')
      await sse.body?.cancel()
    } finally {
      await host.close()
      app.projects.close()
    }
  })

  test('the spawned serve command prints its URL (or says the UI is not built) and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'test/fixtures/avs.ts'), 'serve', '--port', '0'], { env, cwd: repo })
    let out = ''
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    await new Promise<void>((resolve) => {
      const onData = (b: Buffer): void => {
        out += b.toString()
        if (/token=|not built/.test(out)) resolve()
      }
      child.stdout.on('data', onData)
      child.stderr.on('data', onData)
      void exited.then(() => resolve())
    })
    if (/token=/.test(out)) {
      expect(out).toMatch(/serving at http:\/\/127\.0\.0\.1:\d+\/\n.*\nhttp:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+\n/)
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } else {
      expect(out).toMatch(/^avs: The UI is not built .* run `npm run build` first\n$/)
      expect(await exited).toBe(1)
    }
  })
})
