// The default model chosen per computer: a card may be the default only where one clip runs in under
// `default_max_clip_seconds` (the sharper, slower model on a fast computer), timed once by SpeedProbe
// with onnxruntime-node and kept in <home>/speed.json. Real parts: tiny ONNX models under
// onnxruntime-node, the app's registry, SQLite projects, the built `avs` CLI.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createApp, type App } from '../../src/main/app'
import type { ModelEntry } from '../../src/main/services/inference/models'
import { releaseSessions } from '../../src/main/services/inference/session'
import { expectedProvider, machineKey, SpeedProbe, timeClip, type ClipTimer } from '../../src/main/services/inference/speedProbe'
import type { ModelInfo } from '../../src/shared/inference'
import { makeVideo } from '../fixtures/media'
import { makeTinyModel, type TinyModel } from '../fixtures/onnx/tinyModel'

const repo = resolve(__dirname, '..', '..')
const root = mkdtempSync(join(tmpdir(), 'avs-default-choice-'))
let tiny: TinyModel
let video = ''
const apps: App[] = []
const modelsDirBefore = process.env.AVS_MODELS_DIR

beforeAll(async () => {
  tiny = await makeTinyModel(join(root, 'tiny'))
  video = await makeVideo(root, 'clip.mp4', { duration: 5.2, width: 96, height: 64, tone: 440 })
}, 120_000)

afterAll(async () => {
  for (const a of apps) await a.segments.close()
  await releaseSessions()
  if (modelsDirBefore === undefined) delete process.env.AVS_MODELS_DIR
  else process.env.AVS_MODELS_DIR = modelsDirBefore
  rmSync(root, { recursive: true, force: true })
})

/** A models folder of copies of the tiny model, each with its card's `default` fields as given. */
function modelsDir(name: string, models: Record<string, { default?: boolean; max?: number }>): string {
  const dir = join(root, name)
  mkdirSync(dir, { recursive: true })
  for (const [stem, opts] of Object.entries(models)) {
    copyFileSync(tiny.onnx, join(dir, `${stem}.onnx`))
    const card = JSON.parse(readFileSync(tiny.card, 'utf8')) as Record<string, unknown>
    card.name = stem
    if (opts.default !== undefined) card.default = opts.default
    else delete card.default
    if (opts.max !== undefined) card.default_max_clip_seconds = opts.max
    writeFileSync(join(dir, `${stem}.model.json`), JSON.stringify(card))
  }
  return dir
}

/** An app on `dir`'s models with a fresh home and an S4 project of one 5-s clip. */
async function appWith(dir: string, home = join(root, `home-${apps.length}`)): Promise<App> {
  process.env.AVS_MODELS_DIR = dir
  const app = createApp({ mode: 'cli', homeDir: home })
  apps.push(app)
  await app.dispatch('project.create', { dir: join(root, `project-${apps.length}`), task: 's4' })
  await app.imports.wait(((await app.dispatch('media.import', { paths: [video] })) as { jobId: string }).jobId)
  return app
}

test('SpeedProbe times one clip once per model, provider, threads and machine, and keeps it in a file', async () => {
  const file = join(root, 'probe', 'speed.json')
  let timed = 0
  const counting: ClipTimer = (...args) => {
    timed++
    return timeClip(...args)
  }
  const probe = new SpeedProbe(file, counting)
  const model = { id: 'tiny', onnxPath: tiny.onnx, card: JSON.parse(readFileSync(tiny.card, 'utf8')), defaultMaxClipSeconds: 1000 } as ModelEntry
  expect(await probe.cached(model, 'cpu', 1)).toBeNull()
  // Two callers at once share one measurement.
  const [a, b] = await Promise.all([probe.measure(model, 'cpu', 1), probe.measure(model, 'cpu', 1)])
  expect(timed).toBe(1)
  expect(b).toEqual(a)
  expect(a.provider).toBe('cpu')
  expect(a.threads).toBe(1)
  expect(a.seconds).toBeGreaterThan(0)
  expect(a.seconds).toBeLessThan(60)
  // Stored: a new probe on the same file answers without timing.
  const again = new SpeedProbe(file, counting)
  expect(await again.measure(model, 'cpu', 1)).toEqual(a)
  expect(await again.cached(model, 'cpu', 1)).toEqual(a)
  expect(timed).toBe(1)
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { entries: Record<string, unknown> }
  const key = Object.keys(stored.entries)[0]
  expect(key).toContain(model.card!.sha256)
  expect(key).toContain(machineKey())
  // Keyed by the provider a job would run on, not the setting: without a GPU, Auto is the CPU.
  if ((await expectedProvider('auto')) === 'cpu') expect(await again.cached(model, 'auto', 1)).toEqual(a)
  // Other threads, another machine, another model file: measured again, and all kept (stored one at a time).
  await Promise.all([again.measure(model, 'cpu', 2), again.measure({ ...model, card: { ...model.card!, sha256: 'f'.repeat(64) } }, 'cpu', 1)])
  await new SpeedProbe(file, counting, () => 'another computer').measure(model, 'cpu', 1)
  expect(timed).toBe(4)
  expect(Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { entries: object }).entries)).toHaveLength(4)
  // forget() drops this computer's times only (a home shared with another computer keeps that one's), and the process's answers.
  const forgetting = new SpeedProbe(file, counting)
  expect(await forgetting.forget()).toBe(3)
  expect(Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { entries: object }).entries)).toEqual([expect.stringContaining('another computer')])
  await again.forget()
  await again.measure(model, 'cpu', 1)
  expect(timed).toBe(5)
  // A time taken on another provider than the one expected now (a GPU that failed then): measured again.
  const onGpu = new SpeedProbe(file, counting, machineKey, async () => 'webgpu')
  expect(await onGpu.cached(model, 'auto', 1)).toBeNull()
  // A damaged file is measured over and rewritten whole (a new process: a probe keeps its answers).
  writeFileSync(file, '{"version": 1, "entries": {"x": ')
  const fresh = new SpeedProbe(file, counting)
  expect(await fresh.cached(model, 'cpu', 1)).toBeNull()
  await fresh.measure(model, 'cpu', 1)
  expect(timed).toBe(6)
  expect(Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { entries: object }).entries)).toHaveLength(1)
  expect(readdirSync(join(root, 'probe'))).toEqual(['speed.json']) // no temp file left
  // A file that cannot be written (its folder is a file) still gives the measurement.
  writeFileSync(join(root, 'not-a-dir'), '')
  const unwritable = new SpeedProbe(join(root, 'not-a-dir', 'speed.json'), counting)
  const s = await unwritable.measure(model, 'cpu', 1)
  expect(s.seconds).toBeGreaterThan(0)
  expect(await unwritable.cached(model, 'cpu', 1), 'this process still knows it').toEqual(s)
  // A model onnxruntime cannot load: the error says which file; a failure is not kept (the next question tries again).
  writeFileSync(join(root, 'garbage.onnx'), 'not a model')
  const broken = new SpeedProbe(join(root, 'g.json'), counting)
  const garbage = { ...model, onnxPath: join(root, 'garbage.onnx') }
  await expect(broken.measure(garbage, 'cpu', 1)).rejects.toThrow(/garbage\.onnx/)
  const before = timed
  await expect(broken.measure(garbage, 'cpu', 1)).rejects.toThrow(/garbage\.onnx/)
  expect(timed).toBe(before + 1)
  // A time that keep() refuses (an import ran meanwhile) is answered but neither stored nor kept.
  const refusing = new SpeedProbe(join(root, 'refused.json'), counting)
  expect((await refusing.measure(model, 'cpu', 1, () => false)).seconds).toBeGreaterThan(0)
  expect(await refusing.cached(model, 'cpu', 1)).toBeNull()
  expect(existsSync(join(root, 'refused.json'))).toBe(false)
  // forget() while a timing runs: that timing is not stored (it started before the forgetting).
  let release: () => void = () => undefined
  const held = new Promise<void>((r) => (release = r))
  const slow: ClipTimer = async (...args) => {
    await held
    return timeClip(...args)
  }
  const forgetful = new SpeedProbe(join(root, 'forget.json'), slow)
  const pending = forgetful.measure(model, 'cpu', 1)
  await new Promise((r) => setTimeout(r, 50))
  await forgetful.forget()
  release()
  expect((await pending).seconds).toBeGreaterThan(0)
  expect(await forgetful.cached(model, 'cpu', 1)).toBeNull()
  expect(existsSync(join(root, 'forget.json'))).toBe(false)
  // Two runs, the faster kept; one where the first is already far over the limit (1.5 × it).
  const runs = await timeClip(tiny.onnx, 'cpu', 1, 1000)
  expect(runs.seconds).toBeGreaterThan(0)
}, 120_000)

test('a card that is the default only where fast is the default where its clip time is under the limit, and listed first', async () => {
  const app = await appWith(modelsDir('fast-enough', { plain: { default: true }, sharp: { default: true, max: 1000 }, other: {} }))
  const list = (await app.dispatch('model.list', {})) as ModelInfo[]
  expect(list.map((m) => m.id)).toEqual(['sharp', 'plain', 'other'])
  expect(list[0]).toMatchObject({ isDefault: true, defaultMaxClipSeconds: 1000, clipSeconds: null })
  expect(list[1]).toMatchObject({ isDefault: true, defaultMaxClipSeconds: null, clipSeconds: null })
  // Timed with the settings' provider and threads, as a job would run it.
  await app.dispatch('model.setSettings', { provider: 'cpu', threads: 1 })
  const d = (await app.dispatch('model.default', {})) as { modelId: string; reason: string }
  expect(d.modelId).toBe('sharp')
  expect(d.reason).toMatch(/^sharp runs a clip in \d+\.\d\d s on CPU here, under the 1000 s it needs to be the default$/)
  // The measurement shows in the list, and a job that names no model gets the same model.
  const timed = ((await app.dispatch('model.list', {})) as ModelInfo[])[0]
  expect(timed.clipSeconds?.provider).toBe('cpu')
  expect(timed.clipSeconds?.seconds).toBeGreaterThan(0)
  const job = await app.segments.wait(((await app.dispatch('segment.start', {})) as { jobId: string }).jobId)
  expect(job).toMatchObject({ status: 'done', model: 'sharp', provider: 'cpu' })
  // A person who segments with the other default makes it this project's default: one model per dataset.
  expect((await app.segments.wait(((await app.dispatch('segment.start', { modelId: 'plain', replaceEdits: true })) as { jobId: string }).jobId)).status).toBe('done')
  expect(await app.dispatch('model.default', {})).toEqual({ modelId: 'plain', reason: "plain made this project's latest model masks (a project keeps one default model; choose another to change it)" })
  // Masks of a model that is not a default (here: the tiny one under another id) leave the pin where it was.
  expect((await app.segments.wait(((await app.dispatch('segment.start', { modelId: 'other', replaceEdits: true })) as { jobId: string }).jobId)).status).toBe('done')
  expect(app.projects.require().store.maskModels()).toEqual(['other', 'plain', 'sharp'])
  expect(((await app.dispatch('model.default', {})) as { modelId: string }).modelId).toBe('plain')
}, 120_000)

test('where the clip takes longer than the limit, the next default is taken and the reason gives the time', async () => {
  const app = await appWith(modelsDir('too-slow', { plain: { default: true }, sharp: { default: true, max: 1e-9 } }))
  const d = (await app.dispatch('model.default', { provider: 'cpu' })) as { modelId: string; reason: string }
  expect(d.modelId).toBe('plain')
  expect(d.reason).toMatch(/^sharp runs a clip in \d+\.\d\d s on CPU here, over the 0 s it needs to be the default$/)
  const job = await app.segments.wait(((await app.dispatch('segment.start', { provider: 'cpu' })) as { jobId: string }).jobId)
  expect(job).toMatchObject({ status: 'done', model: 'plain' })
  // The settings' model wins and needs no reason; one that does not fit the project is passed over, with why.
  await app.dispatch('model.setSettings', { modelId: 'sharp' })
  expect(await app.dispatch('model.default', {})).toEqual({ modelId: 'sharp', reason: null })
  await app.dispatch('model.setSettings', { modelId: 'gone' })
  const passed = (await app.dispatch('model.default', { provider: 'cpu' })) as { modelId: string; reason: string }
  expect(passed.modelId).toBe('plain')
  expect(passed.reason).toMatch(/^your default model cannot be used here \(No model "gone"; .*\); plain made this project's latest model masks/)
}, 120_000)

test('a slow default-where-fast model is still used where no other model fits the project', async () => {
  const app = await appWith(modelsDir('only-slow', { sharp: { default: true, max: 1e-9 } }))
  // Timed with the settings' provider and threads, as a job would run it.
  await app.dispatch('model.setSettings', { provider: 'cpu', threads: 1 })
  const d = (await app.dispatch('model.default', {})) as { modelId: string; reason: string }
  expect(d.modelId).toBe('sharp')
  expect(d.reason).toMatch(/over the 0 s it needs to be the default; no other model fits this project$/)
}, 120_000)

test('a model that cannot be timed is passed over with the reason; one that does not fit the project is never timed', async () => {
  const dir = modelsDir('untimeable', { plain: { default: true } })
  const broken = await makeTinyModel(join(root, 'broken'), { brokenOp: true, name: 'broken' })
  const card = JSON.parse(readFileSync(broken.card, 'utf8')) as Record<string, unknown>
  copyFileSync(broken.onnx, join(dir, 'broken.onnx'))
  writeFileSync(join(dir, 'broken.model.json'), JSON.stringify({ ...card, default: true, default_max_clip_seconds: 1000 }))
  const app = await appWith(dir)
  expect(((await app.dispatch('model.list', {})) as ModelInfo[]).find((m) => m.id === 'broken')?.valid).toBe(true)
  const d = (await app.dispatch('model.default', { provider: 'cpu' })) as { modelId: string; reason: string }
  expect(d.modelId).toBe('plain')
  expect(d.reason).toMatch(/^broken could not be timed: Cannot load the model .*broken\.onnx/)
  // A semantic model does not fit an S4 project: never timed, even as the only default-where-fast one.
  const home = join(root, 'semantic-home')
  const semDir = join(root, 'semantic-models')
  const sem = await makeTinyModel(semDir, { name: 'sharp-avss', frames: 10, classes: 71 })
  writeFileSync(sem.card, JSON.stringify({ ...(JSON.parse(readFileSync(sem.card, 'utf8')) as object), default: true, default_max_clip_seconds: 1000 }))
  process.env.AVS_MODELS_DIR = semDir
  const s4 = createApp({ mode: 'cli', homeDir: home })
  apps.push(s4)
  await s4.dispatch('project.create', { dir: join(root, 's4-semantic-project'), task: 's4' })
  await expect(s4.dispatch('model.default', {})).rejects.toThrow(/No usable binary model for 5-frame clips/)
  expect(existsSync(join(home, 'speed.json'))).toBe(false)
  // An AVSS project: a binary default fits it too (5-frame windows, a class per job), but a semantic model comes first, listed first or not.
  copyFileSync(tiny.onnx, join(semDir, 'aaa-binary.onnx'))
  writeFileSync(join(semDir, 'aaa-binary.model.json'), JSON.stringify({ ...(JSON.parse(readFileSync(tiny.card, 'utf8')) as object), name: 'aaa-binary', default: true }))
  writeFileSync(sem.card, JSON.stringify({ ...(JSON.parse(readFileSync(sem.card, 'utf8')) as object), default_max_clip_seconds: undefined }))
  const avss = createApp({ mode: 'cli', homeDir: join(root, 'avss-home') })
  apps.push(avss)
  expect(((await avss.dispatch('model.list', {})) as ModelInfo[]).map((m) => m.id)).toEqual(['aaa-binary', 'sharp-avss'])
  await avss.dispatch('project.create', { dir: join(root, 'avss-project'), task: 'avss' })
  expect(await avss.dispatch('model.default', { provider: 'cpu' })).toEqual({ modelId: 'sharp-avss', reason: null })
  // Its masks made by the binary default (a class per job): the semantic model still comes first, the pin does not hold it back.
  await avss.imports.wait(((await avss.dispatch('media.import', { paths: [video] })) as { jobId: string }).jobId)
  const byBinary = await avss.segments.wait(((await avss.dispatch('segment.start', { modelId: 'aaa-binary', className: 'dog', provider: 'cpu' })) as { jobId: string }).jobId)
  expect(byBinary).toMatchObject({ status: 'done', model: 'aaa-binary', className: 'dog' })
  expect(await avss.dispatch('model.default', { provider: 'cpu' })).toEqual({ modelId: 'sharp-avss', reason: null })
  // With binary models only, a default-where-fast one is timed per run of 5 frames, and the reason says a 10-frame clip takes two.
  process.env.AVS_MODELS_DIR = modelsDir('avss-binary-only', { 'fast-bin': { default: true, max: 1000 } })
  const binOnly = createApp({ mode: 'cli', homeDir: join(root, 'avss-bin-home') })
  apps.push(binOnly)
  await binOnly.dispatch('project.create', { dir: join(root, 'avss-bin-project'), task: 'avss' })
  expect(await binOnly.dispatch('model.default', { provider: 'cpu' })).toMatchObject({
    modelId: 'fast-bin', reason: expect.stringMatching(/^fast-bin runs a clip in \d+\.\d\d s on CPU here \(this project's 10-frame clips take 2 runs of 5 frames\), under the 1000 s it needs to be the default$/)
  })
}, 120_000)

test('while a segmentation job runs nothing is timed: the next default is taken and the reason says why', async () => {
  const app = await appWith(modelsDir('busy', { plain: { default: true }, sharp: { default: true, max: 1000 } }))
  const long = await makeVideo(root, 'long.mp4', { duration: 60, width: 96, height: 64, tone: 330 })
  await app.imports.wait(((await app.dispatch('media.import', { paths: [long] })) as { jobId: string }).jobId)
  const { jobId } = (await app.dispatch('segment.start', { modelId: 'plain', provider: 'cpu' })) as { jobId: string }
  const during = (await app.dispatch('model.default', { provider: 'cpu' })) as { modelId: string; reason: string }
  expect(during).toEqual({ modelId: 'plain', reason: 'sharp not timed on this computer yet (a segmentation job is running; it is timed when the app is idle)' })
  expect(existsSync(join(root, `home-${apps.length - 1}`, 'speed.json')), 'nothing was timed').toBe(false)
  expect((await app.segments.wait(jobId)).status).toBe('done')
  // The project's masks now come from plain: it stays this project's default, without timing anything.
  expect(await app.dispatch('model.default', { provider: 'cpu' })).toEqual({
    modelId: 'plain', reason: "plain made this project's latest model masks (a project keeps one default model; choose another to change it)"
  })
  // A new project is timed for, now that the app is idle.
  await app.dispatch('project.create', { dir: join(root, 'busy-2'), task: 's4' })
  expect(((await app.dispatch('model.default', { provider: 'cpu' })) as { modelId: string }).modelId).toBe('sharp')
}, 120_000)

test('avs segment says it times the model the first time only, and which model it took and why', async () => {
  const cli = join(repo, 'bin', 'avs.cjs')
  expect(existsSync(join(repo, 'out', 'main', 'cli.js')), 'the CLI is built (npm run build)').toBe(true)
  const dir = modelsDir('cli', { plain: { default: true }, sharp: { default: true, max: 1000 } })
  const home = join(root, 'cli-home')
  const project = join(root, 'cli-project')
  const avs = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, AVS_MODELS_DIR: dir, AVS_HOME: home }, encoding: 'utf8' })
  expect(avs('new', project, '--task', 's4').status).toBe(0)
  expect(avs('import', project, video).status).toBe(0)
  const before = avs('models')
  expect(before.stdout).toContain('sharp (shipped, default where a clip runs in under 1000 s, not timed here yet)')
  const first = avs('segment', project, '--provider', 'cpu')
  expect(first.status, first.stderr).toBe(0)
  expect(first.stderr).toContain('avs segment: timing sharp on one clip (CPU), once for this computer, to choose the default model…')
  expect(first.stderr).toMatch(/avs segment: model sharp: sharp runs a clip in \d+\.\d\d s on CPU here, under the 1000 s/)
  expect(first.stdout).toContain('1/1 clip(s) segmented with sharp · CPU')
  const second = avs('segment', project, '--provider', 'cpu', '--replace-edits')
  expect(second.status, second.stderr).toBe(0)
  expect(second.stderr).not.toContain('timing sharp')
  expect(second.stderr).toContain("avs segment: model sharp: sharp made this project's latest model masks")
  // `avs models` shows the time measured with the settings' provider.
  writeFileSync(join(home, 'inference.json'), JSON.stringify({ provider: 'cpu' }))
  expect(avs('models').stdout).toMatch(/sharp \(shipped, default where a clip runs in under 1000 s: \d+\.\d+ s here on CPU\)/)
  // --retime forgets this computer's time: the next default choice times again.
  const retime = avs('models', '--retime')
  expect(retime.status, retime.stderr).toBe(0)
  expect(retime.stderr).toContain("avs models: forgot 1 clip time of this computer; the next job that needs the default model times it again")
  expect(retime.stdout).toContain('sharp (shipped, default where a clip runs in under 1000 s, not timed here yet)')
  expect(avs('models', '--retime').stderr).toContain('forgot 0 clip times')
}, 180_000)
