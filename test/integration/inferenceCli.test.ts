import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { beforeAll, expect, test } from 'vitest'
import { encodeWavPcm16 } from '../../src/main/services/media/wav'
import { makeVideo } from '../fixtures/media'
import { makeTinyModel } from '../fixtures/onnx/tinyModel'

const root = mkdtempSync(join(tmpdir(), 'avs-inf-cli-'))
const repo = resolve(__dirname, '../..')
let env: NodeJS.ProcessEnv

function avs(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'test/fixtures/avs.ts'), ...args], { env, encoding: 'utf8', cwd: repo })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

beforeAll(async () => {
  const model = await makeTinyModel(join(root, 'models'))
  // The card's one line for the model picker (display only: the card's sha256 covers the .onnx).
  writeFileSync(model.card, JSON.stringify({ ...JSON.parse(readFileSync(model.card, 'utf8')), summary: 'Tiny test model: one line for the picker' }))
  env = { ...process.env, AVS_HOME: join(root, 'home'), AVS_MODELS_DIR: model.dir }
})

test('avs segment: headless, progress lines, provider fallback said once, masks in the project', async () => {
  const video = await makeVideo(root, 'two.mp4', { duration: 10, width: 64, height: 48 })
  const dir = join(root, 'proj')
  expect(avs('new', dir, '--task', 's4').code).toBe(0)
  expect(avs('import', dir, video).code).toBe(0)
  const bad = avs('segment', dir, '--clips', '1,x')
  expect(bad.code).toBe(2)
  expect(bad.stderr).toMatch(/--clips must be clip ids such as 1,2,3, got "1,x"/)
  expect(avs('segment', dir, '--provider', 'tpu').stderr).toMatch(/--provider must be one of auto, cpu, webgpu, cuda, dml, coreml/)

  const r = avs('segment', dir, '--provider', 'webgpu', '--progress')
  expect(r.stderr + r.stdout).not.toMatch(/Error:/)
  expect(r.code).toBe(0)
  expect(r.stdout).toMatch(/^2\/2 clip\(s\) segmented with tiny-test · (CPU|WebGPU) in /)
  const lines = r.stderr.split('\n')
  if (r.stdout.includes('· CPU')) expect(lines.filter((l) => /^avs segment: WebGPU .*running on CPU instead\.$/.test(l))).toHaveLength(1)
  expect(lines.filter((l) => /^tiny-test · (CPU|WebGPU): 2\/2 clips, .* elapsed/.test(l))).toHaveLength(1)

  const info = JSON.parse(avs('info', dir, '--json').stdout) as { clips: Array<{ status: string; frames: Array<{ hasMask: boolean }> }> }
  expect(info.clips.map((c) => c.status)).toEqual(['auto', 'auto'])
  expect(info.clips.every((c) => c.frames.every((f) => f.hasMask))).toBe(true)
  // A job cut short (here: its row rewound to after clip 1, as a crash would leave it) resumes from the CLI.
  const db = new Database(join(dir, 'project.sqlite'))
  db.prepare(`UPDATE jobs SET status = 'interrupted', done = 1`).run()
  db.close()
  const resumed = avs('segment', dir, '--resume', 'last')
  expect(resumed.code).toBe(0)
  expect(resumed.stdout).toMatch(/^2\/2 clip\(s\) segmented with tiny-test/)
  const check = new Database(join(dir, 'project.sqlite'), { readonly: true })
  const perClip = check.prepare(`SELECT f.clip_id AS clip, count(*) AS n FROM masks m JOIN frames f ON f.id = m.frame_id GROUP BY f.clip_id ORDER BY f.clip_id`).all()
  check.close()
  expect(perClip).toEqual([{ clip: 1, n: 5 }, { clip: 2, n: 10 }])
  expect(avs('segment', dir, '--resume', 'last').stderr).toMatch(/no interrupted or cancelled job to resume/)
  expect(avs('models').stdout).toMatch(/^ {2}tiny-test \(shipped\) {2}binary, 5 frames, 64×64\n {4}Tiny test model: one line for the picker\n {4}licence: same as the app \(trained by this project\)$/m)
})

test('avs segment --class: an AVSS project with the binary model, its masks in that class; without a class it says how to give one', async () => {
  const video = await makeVideo(root, 'ten.mp4', { duration: 10, width: 64, height: 48 })
  const dir = join(root, 'avss')
  expect(avs('new', dir, '--task', 'avss').code).toBe(0)
  expect(avs('import', dir, video).code).toBe(0)
  const none = avs('segment', dir)
  expect(none.code).toBe(1)
  expect(none.stderr.trim().split('\n').at(-1)).toMatch(/^avs: Model "tiny-test" is a binary model: it marks what sounds, and each AVSS mask needs a class\. Clip ten_0_10000 has no class of its own .* \(avs set --category guitar --clips 1\)$/)
  expect(avs('segment', dir, '--class', 'viloin').stderr).toMatch(/^avs: "viloin" is not an AVSS class \(did you mean violin\?\)/m)
  const r = avs('segment', dir, '--class', 'violin')
  expect(r.code).toBe(0)
  expect(r.stdout).toMatch(/^1\/1 clip\(s\) segmented with tiny-test as violin · CPU in /)
  const out = join(root, 'avss-masks')
  expect(avs('masks', dir, '--out', out).code).toBe(0)
  const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { frames: Array<{ file: string; model: string }> }
  expect(index.frames).toHaveLength(10)
  // The palette PNGs hold violin's index (68), and background where the random tiny model marks none.
  const py = execFileSync('/usr/bin/python3', ['-c',
    `import json, sys, numpy as np; from PIL import Image; ix = json.load(open(sys.argv[1] + '/index.json')); ` +
    `print(sorted(set(int(v) for f in ix['frames'] for v in np.unique(np.asarray(Image.open(sys.argv[1] + '/' + f['file']))))))`, out], { encoding: 'utf8' })
  const values = JSON.parse(py) as number[]
  expect(values).toContain(68)
  expect(values.every((v) => v === 0 || v === 68)).toBe(true)
  // --resume continues a job as it was started: a class (or model, clips…) is refused, not ignored.
  const changed = avs('segment', dir, '--resume', 'last', '--class', 'piano')
  expect(changed.code).toBe(2)
  expect(changed.stderr.split('\n')[0]).toBe('avs: --resume continues the job as it was started; --class cannot change it (start a new job instead)')
  // Or by category: the clip's category names a class.
  expect(avs('set', dir, '--category', 'piano').code).toBe(0)
  expect(avs('segment', dir, '--replace-edits').stdout).toMatch(/^1\/1 clip\(s\) segmented with tiny-test · CPU in /)
})

test('avs features: the spec §4 reference (int16 half-amplitude 1 kHz sine) as a real .npy; video input; no audio', async () => {
  // The PCM is made by numpy exactly as the spec's generator did; how this CPU's sin rounds the ±16383.5 peaks moves the
  // mean by ~1e-3 (see test/unit/logMel.test.ts), so the .npy is checked against the Python reference on the same samples.
  const raw = execFileSync('/usr/bin/python3', ['-c',
    "import sys, numpy as np; t = np.arange(48000) / 16000; x = np.sin(2 * np.pi * 1000 * t); sys.stdout.buffer.write(np.round(x * 0.5 * 32767).astype('<i2').tobytes())"])
  const pcm = new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))
  const wav = join(root, 'sine.wav')
  writeFileSync(wav, encodeWavPcm16(pcm, 16000))
  const out = join(root, 'sine.npy')
  const r = avs('features', wav, '--out', out)
  expect(r.stderr).toBe('')
  expect(r.stdout).toMatch(/3 example\(s\), float32 \[3, 1, 96, 64\], from 3\.00s/)
  const py = execFileSync('/usr/bin/python3', ['-c',
    `import sys, numpy as np; sys.path.insert(0, ${JSON.stringify(repo)}); from models.synthavs.audio import log_mel_examples; ` +
    `a = np.load(${JSON.stringify(out)}); p = np.frombuffer(open(${JSON.stringify(wav)}, 'rb').read()[44:], '<i2'); ` +
    `print(a.dtype, a.shape, float(a.astype(np.float64).mean()), float(log_mel_examples(p / 32768).astype(np.float64).mean()))`], { encoding: 'utf8' })
  const [dtype, ...rest] = py.trim().split(' ')
  expect(dtype).toBe('float32')
  expect(rest.slice(0, 4).join(' ')).toBe('(3, 1, 96, 64)')
  expect(Math.abs(Number(rest[4]) - Number(rest[5]))).toBeLessThan(1e-5)
  expect(Math.abs(Number(rest[4]) - -3.647693)).toBeLessThan(4e-3)

  const video = await makeVideo(root, 'v.mp4', { duration: 5, width: 64, height: 48 })
  const rv = avs('features', video, '--out', join(root, 'v.npy'))
  expect(rv.code).toBe(0)
  expect(rv.stdout).toMatch(/5 example\(s\), float32 \[5, 1, 96, 64\]/)
  const silent = await makeVideo(root, 'mute.mp4', { duration: 2, width: 64, height: 48, audio: 'none' })
  const rs = avs('features', silent, '--out', join(root, 'mute.npy'))
  expect(rs.code).toBe(1)
  expect(rs.stderr).toMatch(/mute\.mp4 has no audio stream/)
  expect(avs('features', wav).stderr).toMatch(/--out <file.npy> is required/)
})

test('an S4 dataset from the command line alone: segment, set category/split/status, export; an export with nothing in it is refused', async () => {
  const video = await makeVideo(root, 'dataset.mp4', { duration: 10, width: 64, height: 48 })
  const dir = join(root, 'proj-set')
  expect(avs('new', dir, '--task', 's4').code).toBe(0)
  expect(avs('import', dir, video).code).toBe(0)
  // Nothing labelled yet: refused with the reason and what to do, and no folder is written.
  const empty = avs('export', dir, '--format', 's4', '--out', join(root, 'ds-empty'))
  expect(empty.code).toBe(1)
  expect(empty.stderr).toMatch(/^avs: Nothing exported, every clip was skipped \(2 clips: S4 needs a category for the clip \(none set\)\)\. .*avs set/)
  expect(existsSync(join(root, 'ds-empty'))).toBe(false)

  // `avs info` shows the ids that --clips takes.
  const info = avs('info', dir)
  const ids = [...info.stdout.matchAll(/^ {2}(\d+) {2}dataset_/gm)].map((m) => Number(m[1]))
  expect(ids).toHaveLength(2)
  expect(avs('segment', dir).code).toBe(0)
  expect(avs('set', dir).stderr.split('\n')[0]).toBe('avs: nothing to set: give --category, --split and/or --status')
  expect(avs('set', dir, '--split', 'holdout').stderr.split('\n')[0]).toBe('avs: --split must be train, val, test or none, got "holdout"')
  expect(avs('set', dir, '--category', 'dogs/cats').code).toBe(2)
  expect(avs('set', dir, '--clips', '99', '--status', 'accepted').stderr).toMatch(/^avs: No clip 99 in this project/)
  const set = avs('set', dir, '--category', 'dog_barking', '--status', 'accepted')
  expect(set.stdout).toBe('2 clip(s): category dog_barking, 10 frame(s) accepted\n')
  expect(avs('set', dir, '--clips', String(ids[1]), '--split', 'TEST').stdout).toBe('1 clip(s): split test\n')
  expect(avs('info', dir).stdout).toMatch(new RegExp(`^ {2}${ids[1]} {2}dataset_5000_10000 .*accepted {2}\\(dog_barking, test\\) {2}confidence \\d\\.\\d\\d$`, 'm'))

  const out = join(root, 'ds')
  const exported = avs('export', dir, '--format', 's4', '--out', out, '--split-ratio', '1,0,0')
  expect(exported.stderr).toBe('')
  expect(exported.stdout).toMatch(/^Exported 2 clip\(s\), 10 frame\(s\), 6 mask\(s\) as S4/)
  // one clip drawn into train by the ratio (first frame annotated), the other in the split it was given
  expect(readFileSync(join(out, 's4_meta_data.csv'), 'utf8')).toBe('name,start,category,split\ndataset_0_5000,0,dog_barking,train\ndataset_5000_10000,0,dog_barking,test\n')
})
