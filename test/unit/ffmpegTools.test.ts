import { expect, test } from 'vitest'
import { avoidStaticGconvCrash, resolveTool } from '../../src/main/services/media/ffmpegTools'

test('GCONV_PATH is set for the static ffprobe on Linux only, and a value the user set is kept', () => {
  const linux: NodeJS.ProcessEnv = {}
  avoidStaticGconvCrash(linux, 'linux')
  expect(linux.GCONV_PATH).toMatch(/^\/nonexistent\//)
  const own: NodeJS.ProcessEnv = { GCONV_PATH: '/opt/gconv' }
  avoidStaticGconvCrash(own, 'linux')
  expect(own.GCONV_PATH).toBe('/opt/gconv')
  for (const platform of ['darwin', 'win32'] as const) {
    const env: NodeJS.ProcessEnv = {}
    avoidStaticGconvCrash(env, platform)
    expect(env.GCONV_PATH).toBeUndefined()
  }
})

test('resolving a tool sets it for the processes the app starts', () => {
  const before = process.env.GCONV_PATH
  delete process.env.GCONV_PATH
  try {
    resolveTool('ffprobe')
    expect(process.env.GCONV_PATH !== undefined).toBe(process.platform === 'linux')
  } finally {
    if (before === undefined) delete process.env.GCONV_PATH
    else process.env.GCONV_PATH = before
  }
})
