import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import type { App } from '../../src/main/app'
import { decodePng, resizeBilinearRGB, resizeNearest } from '../../src/main/image/png'
import { AvsbenchExporter, type ExportReport } from '../../src/main/services/avsbench/AvsbenchExporter'
import { decodeWavPcm16 } from '../../src/main/services/media/wav'
import { decodeMask, encodeMask, MASK_ENCODING } from '../../src/main/services/project/maskCodec'
import { logMelExamples, padExamples } from '../../src/shared/audio/logMel'
import type { ClipDetail } from '../../src/shared/domain'
import { ffmpegPath } from '../fixtures/media'
import { hasPython, listFiles, makeProject, python } from './avsbenchFixtures'

const root = mkdtempSync(join(tmpdir(), 'avs-export-'))

/** Pixels of a stored JPEG frame as ffmpeg decodes it. */
function ffmpegRgb(file: string): Buffer {
  return execFileSync(ffmpegPath, ['-loglevel', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'])
}

// Every PNG under the folder with Pillow: mode, size and the set of values.
const PIL_SUMMARY = `
import sys, json, os
from PIL import Image
import numpy as np
root = sys.argv[1]; out = {}
for d, _, fs in os.walk(root):
    for f in fs:
        if f.endswith('.png'):
            p = os.path.join(d, f); im = Image.open(p); a = np.asarray(im)
            out[os.path.relpath(p, root)] = [im.mode, im.size[0], im.size[1], sorted(int(v) for v in np.unique(a))[:8]]
print(json.dumps(out))
`

describe('S4 and MS3 export', () => {
  let app: App
  let clips: ClipDetail[]
  let dir: string

  beforeAll(async () => {
    ;({ app, clips, dir } = await makeProject(root, 's4', [
      { split: 'train', category: 'dog_barking' },
      { split: 'val', category: 'dog_barking' },
      { split: 'test', category: 'race_car' },
      { split: 'test', category: 'race_car', annotate: [0, 1, 2, 4] },
      { split: 'val', category: null },
      { split: 'val', category: 'race_car', status: 'edited' }
    ]))
  })

  const exportTo = async (format: 's4' | 'ms3', name: string, frames?: 'accepted' | 'all'): Promise<ExportReport> =>
    new AvsbenchExporter(ffmpegPath).export(app.projects.require(), { format, out: join(root, name), frames })

  test('S4: folder tree, CSV bytes, frames, masks, wav and the skip report', async () => {
    const report = await exportTo('s4', 'Single-source')
    const out = join(root, 'Single-source')
    const n = clips.map((c) => c.name)
    expect(report.skipped).toEqual([
      { clip: n[3], reason: 'frame 3 (0-based) has no accepted mask' },
      { clip: n[4], reason: 'S4 needs a category for the clip (none set)' },
      { clip: n[5], reason: 'frames 0, 1, 2, 3, 4 (0-based) have no accepted mask' }
    ])
    expect(report).toMatchObject({ clips: 3, frames: 15, masks: 11 })
    expect(readFileSync(join(out, 's4_meta_data.csv'), 'utf8')).toBe(
      `name,start,category,split\n${n[0]},0,dog_barking,train\n${n[1]},0,dog_barking,val\n${n[2]},0,race_car,test\n`
    )
    const expected: string[] = ['s4_meta_data.csv']
    const rows: Array<[string, string, string, number]> = [
      ['train', 'dog_barking', n[0], 1],
      ['val', 'dog_barking', n[1], 5],
      ['test', 'race_car', n[2], 5]
    ]
    for (const [split, cat, name, masks] of rows) {
      expected.push(`s4_data/audio_log_mel/${split}/${cat}/${name}.pkl`, `s4_data/audio_wav/${split}/${cat}/${name}.wav`)
      for (let k = 1; k <= 5; k++) expected.push(`s4_data/visual_frames/${split}/${cat}/${name}/${name}_${k}.png`)
      for (let k = 1; k <= masks; k++) expected.push(`s4_data/gt_masks/${split}/${cat}/${name}/${name}_${k}.png`)
    }
    expect(listFiles(out)).toEqual(expected.sort())
    // no temp folders left next to the destination
    expect(listFiles(root).filter((f) => f.startsWith('.Single-source'))).toEqual([])

    const store = app.projects.require().store
    for (const [split, cat, name, masks] of rows) {
      const clip = clips.find((c) => c.name === name)!
      for (let k = 1; k <= 5; k++) {
        const f = clip.frames[k - 1]
        const png = decodePng(readFileSync(join(out, `s4_data/visual_frames/${split}/${cat}/${name}/${name}_${k}.png`)))
        expect([png.mode, png.width, png.height]).toEqual(['RGB', 224, 224])
        expect(Buffer.from(png.data).equals(Buffer.from(resizeBilinearRGB(ffmpegRgb(join(dir, 'media', f.image)), f.width, f.height, 224, 224)))).toBe(true)
        if (k > masks) continue
        const m = decodePng(readFileSync(join(out, `s4_data/gt_masks/${split}/${cat}/${name}/${name}_${k}.png`)))
        expect([m.mode, m.width, m.height]).toEqual(['L', 224, 224])
        const stored = store.latestMask(f.id)!
        const want = resizeNearest(decodeMask(stored.data, stored.width, stored.height), f.width, f.height, 224, 224).map((v) => (v ? 255 : 0))
        expect(Buffer.from(m.data).equals(Buffer.from(want))).toBe(true)
        expect(want.includes(255) && want.includes(0)).toBe(true)
      }
      const wav = decodeWavPcm16(readFileSync(join(out, `s4_data/audio_wav/${split}/${cat}/${name}.wav`)))
      expect([wav.sampleRate, wav.channels, wav.samples.length]).toEqual([16000, 1, 80000])
    }
  })

  test('S4: Pillow reads RGB frames and L {0,255} masks; PyTorch loads the .pkl equal to the app log-mel', async () => {
    const out = join(root, 'Single-source')
    const summary = JSON.parse(python(PIL_SUMMARY, [out])) as Record<string, [string, number, number, number[]]>
    const entries = Object.entries(summary)
    expect(entries).toHaveLength(26)
    for (const [file, [mode, w, h, values]] of entries) {
      expect([w, h], file).toEqual([224, 224])
      if (file.includes('gt_masks')) {
        expect(mode, file).toBe('L')
        expect(values, file).toEqual([0, 255])
      } else expect(mode, file).toBe('RGB')
    }
    const clip = clips[1]
    const wav = decodeWavPcm16(readFileSync(join(out, `s4_data/audio_wav/val/dog_barking/${clip.name}.wav`)))
    const want = padExamples(logMelExamples(wav.samples.subarray(0, clip.audioSamples)), 5, 'repeat-last').data
    const ref = join(root, 'logmel.f32')
    writeFileSync(ref, Buffer.from(want.buffer, want.byteOffset, want.byteLength))
    const res = JSON.parse(
      python(
        `
import pickle, sys, json, numpy as np, torch
with open(sys.argv[1], 'rb') as fr: t = pickle.load(fr)
t = t.detach()
ref = np.fromfile(sys.argv[2], dtype=np.float32).reshape(5, 1, 96, 64)
print(json.dumps({'type': type(t).__name__, 'dtype': str(t.dtype), 'shape': list(t.shape), 'maxdiff': float(np.abs(t.numpy() - ref).max()), 'std': float(t.std())}))
`,
        [join(out, `s4_data/audio_log_mel/val/dog_barking/${clip.name}.pkl`), ref]
      )
    ) as { type: string; dtype: string; shape: number[]; maxdiff: number; std: number }
    expect(res).toMatchObject({ type: 'Tensor', dtype: 'torch.float32', shape: [5, 1, 96, 64] })
    expect(res.maxdiff).toBeLessThanOrEqual(1e-6)
    expect(res.std).toBeGreaterThan(0.1)
  })

  test('MS3: frames without split level and with .mp4_ infix, all 5 masks, 2-column CSV; "all" takes edited frames', async () => {
    const report = await exportTo('ms3', 'Multi-sources', 'all')
    const out = join(root, 'Multi-sources')
    const n = clips.map((c) => c.name)
    expect(report.skipped).toEqual([{ clip: n[3], reason: 'frame 3 (0-based) has no mask' }])
    expect(report).toMatchObject({ clips: 5, frames: 25, masks: 25 })
    const ok = [0, 1, 2, 4, 5]
    expect(readFileSync(join(out, 'ms3_meta_data.csv'), 'utf8')).toBe(`video_id,split\n${ok.map((i) => `${n[i]},${clips[i].split}`).join('\n')}\n`)
    const expected = ['ms3_meta_data.csv']
    for (const i of ok) {
      const [name, split] = [n[i], clips[i].split]
      expected.push(`ms3_data/audio_log_mel/${split}/${name}.pkl`, `ms3_data/audio_wav/${split}/${name}.wav`)
      for (let k = 1; k <= 5; k++) expected.push(`ms3_data/visual_frames/${name}/${name}.mp4_${k}.png`, `ms3_data/gt_masks/${split}/${name}/${name}_${k}.png`)
    }
    expect(listFiles(out)).toEqual(expected.sort())
  })

  test('bad destinations: existing folder, read-only parent, project folder; nothing half-written', async () => {
    const ex = new AvsbenchExporter(ffmpegPath)
    const project = app.projects.require()
    await expect(ex.export(project, { format: 's4', out: join(root, 'Single-source') })).rejects.toThrow(/Single-source: it already exists/)
    await expect(ex.export(project, { format: 'avss', out: join(root, 'x') })).rejects.toThrow(/S4 project cannot be exported as AVSS/)
    await expect(ex.export(project, { format: 's4', out: join(dir, 'export') })).rejects.toThrow(/is, or holds, the project folder/)
    await expect(ex.export(project, { format: 's4', out: root, overwrite: true })).rejects.toThrow(/is, or holds, the project folder/)
    // --overwrite never replaces a folder that is not an earlier export
    const mine = join(root, 'my-files')
    execFileSync('mkdir', ['-p', mine])
    writeFileSync(join(mine, 'thesis.txt'), 'keep me')
    await expect(ex.export(project, { format: 's4', out: mine, overwrite: true })).rejects.toThrow(/Cannot overwrite .*my-files: it is not an AVSBench export/)
    expect(readFileSync(join(mine, 'thesis.txt'), 'utf8')).toBe('keep me')
    const ro = join(root, 'readonly')
    execFileSync('mkdir', ['-p', ro])
    execFileSync('chmod', ['555', ro])
    await expect(ex.export(project, { format: 's4', out: join(ro, 'data') })).rejects.toThrow(/readonly is read-only/)
    expect(listFiles(ro)).toEqual([])
    // overwrite replaces the folder in one rename and leaves no temp folder
    const before = readFileSync(join(root, 'Single-source', 's4_meta_data.csv'), 'utf8')
    await ex.export(project, { format: 's4', out: join(root, 'Single-source'), overwrite: true })
    expect(readFileSync(join(root, 'Single-source', 's4_meta_data.csv'), 'utf8')).toBe(before)
    expect(listFiles(root).filter((f) => /^\.Single-source/.test(f))).toEqual([])
    // ... but not an earlier export that also holds the user's own files: they are named, and kept
    writeFileSync(join(root, 'Single-source', 'NOTES.txt'), 'my notes')
    execFileSync('mkdir', ['-p', join(root, 'Single-source', 'runs')])
    writeFileSync(join(root, 'Single-source', 'runs', 'model.pth'), 'ckpt')
    await expect(ex.export(project, { format: 's4', out: join(root, 'Single-source'), overwrite: true })).rejects.toThrow(
      /Cannot overwrite .*Single-source: besides an earlier export it holds NOTES\.txt, runs, which an export does not write/
    )
    expect(readFileSync(join(root, 'Single-source', 'runs', 'model.pth'), 'utf8')).toBe('ckpt')
    expect(readFileSync(join(root, 'Single-source', 's4_meta_data.csv'), 'utf8')).toBe(before)
  })

  test('cancel leaves no destination and no temp folder', async () => {
    const ac = new AbortController()
    const p = new AvsbenchExporter(ffmpegPath).export(app.projects.require(), { format: 'ms3', out: join(root, 'cancelled'), frames: 'all' }, ac.signal, (e) => {
      if (e.stage === 'writing') ac.abort()
    })
    await expect(p).rejects.toThrow(/cancel/)
    expect(listFiles(root).filter((f) => f.includes('cancelled'))).toEqual([])
  })

  test('a stored mask whose size differs from its frame skips the clip with the reason', async () => {
    const store = app.projects.require().store
    const f = clips[1].frames[0]
    store.addMask(f.id, { source: 'human', width: 50, height: 40, encoding: MASK_ENCODING, data: encodeMask(new Uint8Array(2000)) })
    store.setFrameStatus([f.id], 'accepted')
    const report = await exportTo('s4', 'wrong-size')
    expect(report.skipped).toContainEqual({ clip: clips[1].name, reason: 'frame 0 mask is 50×40 but the frame is 96×72' })
    expect(report.clips).toBe(2)
  })
})

describe('AVSS export', () => {
  let app: App
  let clips: ClipDetail[]
  let dir: string

  beforeAll(async () => {
    ;({ app, clips, dir } = await makeProject(root, 'avss', [
      { split: 'train', label: (k) => [7, 17, 70, 1, 22][k % 5] },
      { split: 'test', label: (k) => (k < 5 ? 28 : 68) },
      { split: 'val', annotate: [0, 1] }
    ]))
  })

  test('v2 tree, metadata.csv, label2idx.json, JPEG frames copied, palette-exact labels_rgb and P-mode labels_semantic', async () => {
    const out = join(root, 'avss-release')
    const report = await new AvsbenchExporter(ffmpegPath).export(app.projects.require(), { format: 'avss', out })
    const n = clips.map((c) => c.name)
    expect(report.skipped).toEqual([{ clip: n[2], reason: 'frames 2, 3, 4, 5, 6, 7, 8, 9 (0-based) have no accepted mask' }])
    expect(report).toMatchObject({ clips: 2, frames: 20, masks: 20 })
    const vid = (name: string): string => name.replace(/_\d+_\d+$/, '')
    expect(readFileSync(join(out, 'metadata.csv'), 'utf8')).toBe(
      `vid,uid,s_min,s_sec,a_obj,split,label\n${vid(n[0])},${n[0]},0,0,bird_dog_woman_accordion_emergency-car,train,v2\n${vid(n[1])},${n[1]},0,0,guitar_violin,test,v2\n`
    )
    const l2i = readFileSync(join(out, 'label2idx.json'), 'utf8')
    expect(l2i.startsWith('{\n    "background": 1,\n    "accordion": 2,\n')).toBe(true)
    expect(l2i.endsWith('    "wolf": 70,\n    "woman": 71\n}')).toBe(true)
    expect(Object.keys(JSON.parse(l2i) as object)).toHaveLength(71)
    const expected = ['label2idx.json', 'metadata.csv']
    for (const name of n.slice(0, 2)) {
      expected.push(`v2/${name}/audio.wav`)
      for (let k = 0; k < 10; k++) expected.push(`v2/${name}/frames/${k}.jpg`, `v2/${name}/labels_rgb/${k}.png`, `v2/${name}/labels_semantic/${k}.png`)
    }
    expect(listFiles(out)).toEqual(expected.sort())
    const store = app.projects.require().store
    for (let k = 0; k < 10; k++) {
      const f = clips[0].frames[k]
      expect(readFileSync(join(out, `v2/${n[0]}/frames/${k}.jpg`)).equals(readFileSync(join(dir, 'media', f.image)))).toBe(true)
      const labels = decodeMask(store.latestMask(f.id)!.data, f.width, f.height)
      const sem = decodePng(readFileSync(join(out, `v2/${n[0]}/labels_semantic/${k}.png`)))
      expect([sem.mode, sem.width, sem.height, sem.palette?.length]).toEqual(['P', f.width, f.height, 768])
      expect(Buffer.from(sem.data).equals(Buffer.from(labels))).toBe(true)
      const rgb = decodePng(readFileSync(join(out, `v2/${n[0]}/labels_rgb/${k}.png`)))
      expect([rgb.mode, rgb.width, rgb.height]).toEqual(['RGB', f.width, f.height])
    }
  })

  test('the official color_mask_to_label recovers the classes from labels_rgb (Pillow), labels_semantic reads as indices', () => {
    const out = join(root, 'avss-release')
    const res = python(
      `
import sys, os, json, numpy as np
from PIL import Image
root = sys.argv[1]
def get_v2_pallete(n):
    pal = []
    for j in range(n):
        lab, i = j, 0; r = g = b = 0
        while lab > 0:
            r |= ((lab >> 0) & 1) << (7 - i); g |= ((lab >> 1) & 1) << (7 - i); b |= ((lab >> 2) & 1) << (7 - i)
            i += 1; lab >>= 3
        pal.append([r, g, b])
    return np.array(pal)
pal = get_v2_pallete(len(json.load(open(root + '/label2idx.json'))))
bad = 0; frames = 0; classes = set()
for uid in sorted(os.listdir(root + '/v2')):
    for k in range(10):
        mask = Image.open(f'{root}/v2/{uid}/labels_rgb/{k}.png').convert('RGB')
        arr = np.array(mask).astype('int32')
        sem = np.stack([np.all(np.equal(arr, c), axis=-1) for c in pal], axis=-1)
        label = np.argmax(sem, axis=-1)
        if (sem.sum(-1) != 1).any(): bad += 1
        s = np.asarray(Image.open(f'{root}/v2/{uid}/labels_semantic/{k}.png'))
        if not np.array_equal(s, label): bad += 1
        classes |= set(int(v) for v in np.unique(label)); frames += 1
print(json.dumps({'bad': bad, 'frames': frames, 'classes': sorted(classes)}))
`,
      [out]
    )
    expect(JSON.parse(res)).toEqual({ bad: 0, frames: 20, classes: [0, 1, 7, 17, 22, 28, 68, 70] })
  })
})
