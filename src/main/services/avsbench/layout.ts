// Paths and CSV layouts of the AVSBench releases (spec avsbench-format §1, §2), shared by export,
// import and evaluation so the three can never disagree.
import type { Split } from '../../../shared/domain'

export type AvsFormat = 's4' | 'ms3' | 'avss'
export type AvssSubset = 'v1s' | 'v1m' | 'v2'

export const S4_CSV = 's4_meta_data.csv'
export const MS3_CSV = 'ms3_meta_data.csv'
export const AVSS_CSV = 'metadata.csv'
export const LABEL2IDX = 'label2idx.json'
export const S4_HEADER = ['name', 'start', 'category', 'split']
export const MS3_HEADER = ['video_id', 'split']
export const AVSS_HEADER = ['vid', 'uid', 's_min', 's_sec', 'a_obj', 'split', 'label']
export const FRAMES_PER_CLIP = 5

/** S4 paths relative to the dataset root (the `Single-source` folder); k is 1-based. */
export const s4 = {
  frame: (split: Split, cat: string, name: string, k: number) => `s4_data/visual_frames/${split}/${cat}/${name}/${name}_${k}.png`,
  mask: (split: Split, cat: string, name: string, k: number) => `s4_data/gt_masks/${split}/${cat}/${name}/${name}_${k}.png`,
  wav: (split: Split, cat: string, name: string) => `s4_data/audio_wav/${split}/${cat}/${name}.wav`,
  pkl: (split: Split, cat: string, name: string) => `s4_data/audio_log_mel/${split}/${cat}/${name}.pkl`
}

/** MS3 paths relative to the `Multi-sources` folder; frames have no split level and a `.mp4_` infix. */
export const ms3 = {
  frame: (_split: Split, id: string, k: number) => `ms3_data/visual_frames/${id}/${id}.mp4_${k}.png`,
  mask: (split: Split, id: string, k: number) => `ms3_data/gt_masks/${split}/${id}/${id}_${k}.png`,
  wav: (split: Split, id: string) => `ms3_data/audio_wav/${split}/${id}.wav`,
  pkl: (split: Split, id: string) => `ms3_data/audio_log_mel/${split}/${id}.pkl`
}

/** AVSS paths relative to the release root; k is 0-based. */
export const avss = {
  frame: (label: AvssSubset, uid: string, k: number) => `${label}/${uid}/frames/${k}.jpg`,
  rgb: (label: AvssSubset, uid: string, k: number) => `${label}/${uid}/labels_rgb/${k}.png`,
  semantic: (label: AvssSubset, uid: string, k: number) => `${label}/${uid}/labels_semantic/${k}.png`,
  wav: (label: AvssSubset, uid: string) => `${label}/${uid}/audio.wav`
}

/** Which 0-based frames carry ground truth (spec §1: S4 train and AVSS v1s train = frame 0 only). */
export function annotatedFrames(format: AvsFormat, split: Split, frameCount: number, subset?: AvssSubset): number[] {
  const firstOnly = split === 'train' && (format === 's4' || (format === 'avss' && subset === 'v1s'))
  return firstOnly ? [0] : Array.from({ length: frameCount }, (_, i) => i)
}

/** CSV with comma separator, LF line endings, a trailing newline and no index column. */
export function toCsv(header: string[], rows: Array<Array<string | number>>): string {
  const cell = (v: string | number): string => {
    const s = String(v)
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n'
}

/** Parses a CSV (RFC 4180 quoting, LF or CRLF); returns the header and the rows. */
export function parseCsv(text: string): { header: string[]; rows: string[][] } {
  const records: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  const t = text.replace(/^\uFEFF/, '')
  for (let i = 0; i < t.length; i++) {
    const c = t[i]
    if (quoted) {
      if (c === '"' && t[i + 1] === '"') {
        cell += '"'
        i++
      } else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(cell)
      cell = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && t[i + 1] === '\n') i++
      row.push(cell)
      records.push(row)
      row = []
      cell = ''
    } else cell += c
  }
  if (cell !== '' || row.length) {
    row.push(cell)
    records.push(row)
  }
  const nonEmpty = records.filter((r) => !(r.length === 1 && r[0] === ''))
  return { header: nonEmpty[0] ?? [], rows: nonEmpty.slice(1) }
}

/** Stable split from a key (the export uses the source video's) and a seed (FNV-1a), so re-exports agree. */
export function splitByRatio(key: string, seed: number, ratio: [number, number, number]): Split {
  let h = 0x811c9dc5
  const s = `${seed}:${key}`
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  const u = h / 2 ** 32
  const total = ratio[0] + ratio[1] + ratio[2]
  if (u < ratio[0] / total) return 'train'
  if (u < (ratio[0] + ratio[1]) / total) return 'val'
  return 'test'
}

/** Names used as folder names in the release: no separators, no dot-only names. */
export function isSafeName(s: string): boolean {
  return /^[A-Za-z0-9_.\- ]+$/.test(s) && !/^\.+$/.test(s)
}
