import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { JobInfo } from '../../src/shared/inference'
import { makeVideo } from '../fixtures/media'
import { gpuDevicePresent } from '../../src/main/services/inference/session'
import { makeTinyModel } from '../fixtures/onnx/tinyModel'
import { callApi, logIn, serveUntilLoginUrl } from '../fixtures/serve'

// WebGPU asked for on a machine without a GPU: one plain line in the CLI, the server log and the
// Models dialog's data, never Dawn's Vulkan trace. The trace needs a Vulkan loader to appear at all
// (without one the app does not even ask Dawn): Debian's Chromium ships one, and with it on
// LD_LIBRARY_PATH this GPU-less machine is the reporter's "libvulkan1 installed, no GPU" case.
// AVS_WEBGPU_SOFTWARE=1 makes the app ask Dawn although no GPU device node exists (as on a machine whose
// GPU driver is broken); without it the app does not ask Dawn there at all (the last test).
const repo = resolve(__dirname, '../..')
const root = mkdtempSync(join(tmpdir(), 'avs-gpu-line-'))
const cli = ['--import', 'tsx', join(repo, 'test/fixtures/avs.ts')]
const DAWN_TRACE = /vkCreateInstance|VK_ERROR|CheckVkSuccessImpl|dawn|^Warning:|^\s+at /im
const FALLBACK = /^WebGPU (found no GPU adapter|is not available|failed to start|could not load).*; running on CPU instead\.$/
let env: NodeJS.ProcessEnv
let project = ''

function vulkanLoaderDir(): string {
  for (const d of ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/lib/chromium']) {
    if (existsSync(join(d, 'libvulkan.so.1'))) return d
  }
  throw new Error('no Vulkan loader (libvulkan.so.1) on this machine: install libvulkan1 or chromium (.ci/run does)')
}

function avs(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...cli, ...args], { env, encoding: 'utf8', cwd: repo })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

beforeAll(async () => {
  const model = await makeTinyModel(join(root, 'models'))
  const loader = vulkanLoaderDir()
  env = { ...process.env, AVS_HOME: join(root, 'home'), AVS_MODELS_DIR: model.dir, LD_LIBRARY_PATH: [loader, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'), AVS_WEBGPU_SOFTWARE: '1' }
  project = join(root, 'proj')
  const video = await makeVideo(root, 'one.mp4', { duration: 5, width: 64, height: 48 })
  expect(avs('new', project, '--task', 's4').code).toBe(0)
  expect(avs('import', project, video).code).toBe(0)
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('a GPU provider that is not there', () => {
  test('avs segment --provider webgpu: one line on stderr, no Dawn trace', () => {
    const r = avs('segment', project, '--provider', 'webgpu')
    expect(r.code).toBe(0)
    expect(r.stderr + r.stdout).not.toMatch(DAWN_TRACE)
    if (r.stdout.includes('· WebGPU')) return // a machine with a working GPU: nothing to fall back from
    expect(r.stdout).toMatch(/^1\/1 clip\(s\) segmented with tiny-test · CPU in /)
    const lines = r.stderr.split('\n').filter(Boolean)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^avs segment: /)
    expect(lines[0].replace(/^avs segment: /, '')).toMatch(FALLBACK)
  })

  test('avs serve: the Models dialog data and the server log say it in one line', async () => {
    const served = await serveUntilLoginUrl(process.execPath, [...cli, 'serve', project, '--port', '0'], { env, cwd: repo, timeoutMs: 60_000 })
    try {
      const cookie = await logIn(served.loginUrl)
      const started = await callApi<{ jobId: string }>(served.loginUrl, cookie, 'segment.start', { provider: 'webgpu', replaceEdits: true })
      expect(started.status).toBe(200)
      let job: JobInfo | undefined
      for (let i = 0; i < 240 && job?.status !== 'done'; i++) {
        await new Promise((r) => setTimeout(r, 500))
        job = (await callApi<JobInfo[]>(served.loginUrl, cookie, 'job.list', {})).body.find((j) => j.id === started.body.jobId)
      }
      expect(job).toMatchObject({ status: 'done', requestedProvider: 'webgpu' })
      if (job!.provider === 'webgpu') return // a machine with a working GPU: nothing to fall back from
      expect(job!.fallbackReason).toMatch(FALLBACK)

      const providers = await callApi<Array<{ id: string; available: boolean; reason: string | null }>>(served.loginUrl, cookie, 'model.providers', {})
      expect(providers.status).toBe(200)
      const webgpu = providers.body.find((p) => p.id === 'webgpu')!
      expect(webgpu.available).toBe(false)
      expect(webgpu.reason).toMatch(/^WebGPU (found no GPU adapter|needs the Vulkan loader)/)
      expect(webgpu.reason).not.toContain('\n')

      const log = served.log()
      expect(log).not.toMatch(DAWN_TRACE)
      expect(log.split('\n').filter((l) => l.startsWith('avs serve: job '))).toEqual([`avs serve: job ${job!.id} (tiny-test): ${job!.fallbackReason}`])
    } finally {
      await served.stop()
    }
  })

  // On a machine with a GPU device node the app does ask Dawn: the tests above cover that.
  test.skipIf(gpuDevicePresent('/dev', {}))('no GPU device node: the app does not ask Dawn, and says why in one line', () => {
    const r = spawnSync(process.execPath, [...cli, 'segment', project, '--provider', 'webgpu'], { env: { ...env, AVS_WEBGPU_SOFTWARE: '' }, encoding: 'utf8', cwd: repo })
    expect(r.status).toBe(0)
    expect(r.stderr + r.stdout).not.toMatch(DAWN_TRACE)
    expect(r.stderr.trim()).toBe('avs segment: WebGPU is not available: WebGPU found no GPU device on this machine (/dev/dri/renderD…, /dev/nvidia0…, /dev/dxg) that this user may open; on a software Vulkan driver it would run far slower than the CPU (AVS_WEBGPU_SOFTWARE=1 allows it); running on CPU instead.')
  })
})
