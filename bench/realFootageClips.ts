// Test clips for bench/realFootage.bench.ts: DAVIS frames (../shared/real-dev/davis, evaluation only)
// encoded at frames / 5.1 fps with the app's bundled ffmpeg, over a synthesized but plausible
// sound for what is seen (lavfi generators, espeak-ng, FluidSynth), or over real silence. The
// videos are cached by content in a temp folder; nothing from real-dev is ever written into the repo.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

const exec = promisify(execFile)

/** Bump when the recipes or the encoding change, so cached clips are rebuilt. */
const CLIP_VERSION = 'real-footage-clips v1'
export const CLIP_SECONDS = 5.1
/** The same frames spread over one 10-s AVSS clip (a little over, as CLIP_SECONDS is for 5 s). */
export const AVSS_SECONDS = 10.2
const SR = 44100
/** Target mean (RMS) level of the sounding tracks. */
export const TARGET_DBFS = -20
const SOUNDFONT = '/usr/share/sounds/sf2/FluidR3_GM.sf2'

export const DAVIS_SEQUENCES = ['blackswan', 'bmx-trees', 'breakdance', 'camel', 'car-roundabout', 'dance-twirl', 'goat', 'kite-surf', 'parkour', 'scooter-black'] as const

export type Variant = 'sound' | 'mute'

/** One sound: an ffmpeg filter graph ending in [out]; [0:a] is the espeak-ng or FluidSynth render where there is one. */
interface Recipe {
  what: string
  graph: string
  espeak?: string[]
  midi?: Uint8Array
}

export interface BuiltClip {
  seq: string
  variant: Variant
  /** Length of the video: CLIP_SECONDS (an S4/MS3 clip), or longer (AVSS_SECONDS) with the sound looped. */
  seconds: number
  path: string
  frames: number
  /** Frame rate as ffmpeg was given it (a ratio). */
  rate: string
  sound: string
  /** Mean level of the muxed track before AAC, dBFS (null for silence). */
  meanDb: number | null
  cached: boolean
}

// --- sound recipes ----------------------------------------------------------------------------

const D = CLIP_SECONDS + 0.1
const num = (x: number): string => String(Math.round(x * 1e6) / 1e6)

/** Σ a_k sin(2π k f (t + vib)) over the harmonics' amplitudes, f constant. */
const harmonics = (f: number, amps: number[], phase = 't'): string => amps.map((a, k) => `${num(a)}*sin(${num(2 * Math.PI * (k + 1) * f)}*(${phase}))`).join('+')

/** A raised-sine window from `a` lasting `len` seconds. */
const win = (a: number, len: number): string => `between(t,${num(a)},${num(a + len)})*sin(${num(Math.PI / len)}*(t-${num(a)}))`

const evalsrc = (expr: string): string => `aevalsrc=exprs='${expr}':s=${SR}:d=${num(D)}`
const noise = (color: 'white' | 'pink' | 'brown', seed: number, amp = 0.5): string => `anoisesrc=c=${color}:a=${amp}:seed=${seed}:s=${SR}:d=${num(D)}`
/** Mixes labelled streams with gains, as [out]. */
const mix = (parts: Array<[string, number]>): string =>
  `${parts.map(([l, g], i) => `[${l}]volume=${num(g)}[m${i}]`).join(';')};${parts.map((_, i) => `[m${i}]`).join('')}amix=inputs=${parts.length}:duration=first:dropout_transition=0[out]`

// A tiny Standard MIDI File writer (format 0, 480 ticks per quarter), for FluidSynth.
interface Note {
  ch: number
  at: number
  len: number
  key: number
  vel: number
}

function vlq(n: number): number[] {
  const out = [n & 0x7f]
  for (n >>= 7; n > 0; n >>= 7) out.unshift((n & 0x7f) | 0x80)
  return out
}

export function midiFile(bpm: number, programs: Record<number, number>, notes: Note[]): Uint8Array {
  const ev: Array<{ tick: number; order: number; bytes: number[] }> = []
  const us = Math.round(60_000_000 / bpm)
  ev.push({ tick: 0, order: 0, bytes: [0xff, 0x51, 0x03, (us >> 16) & 0xff, (us >> 8) & 0xff, us & 0xff] })
  for (const [ch, prog] of Object.entries(programs)) ev.push({ tick: 0, order: 1, bytes: [0xc0 | Number(ch), prog] })
  for (const n of notes) {
    ev.push({ tick: n.at, order: 3, bytes: [0x90 | n.ch, n.key, n.vel] })
    ev.push({ tick: n.at + n.len, order: 2, bytes: [0x80 | n.ch, n.key, 0] })
  }
  ev.sort((a, b) => a.tick - b.tick || a.order - b.order)
  const track: number[] = []
  let last = 0
  for (const e of ev) {
    track.push(...vlq(e.tick - last), ...e.bytes)
    last = e.tick
  }
  track.push(0, 0xff, 0x2f, 0x00)
  const u32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]
  return Uint8Array.from([0x4d, 0x54, 0x68, 0x64, ...u32(6), 0, 0, 0, 1, 0x01, 0xe0, 0x4d, 0x54, 0x72, 0x6b, ...u32(track.length), ...track])
}

const Q = 480
const DRUMS = 9

/** Hip-hop break at 96 BPM: kick/snare/hats, synth bass, brass stabs (breakdance). */
function breakBeat(): Uint8Array {
  const notes: Note[] = []
  for (let bar = 0; bar < 3; bar++) {
    const b = bar * 4 * Q
    for (const k of [0, 1.75, 2.5]) notes.push({ ch: DRUMS, at: b + k * Q, len: Q / 4, key: 36, vel: 120 })
    for (const s of [1, 3]) notes.push({ ch: DRUMS, at: b + s * Q, len: Q / 4, key: 38, vel: 115 })
    for (let h = 0; h < 8; h++) notes.push({ ch: DRUMS, at: b + (h * Q) / 2, len: Q / 8, key: h === 7 ? 46 : 42, vel: h % 2 ? 70 : 95 })
    for (const [at, key, len] of [[0, 40, 1.5], [1.75, 43, 0.5], [2.5, 45, 1], [3.5, 38, 0.5]]) notes.push({ ch: 0, at: b + at * Q, len: len * Q, key, vel: 110 })
    for (const key of [64, 67, 71]) notes.push({ ch: 1, at: b + 3.5 * Q, len: Q / 3, key, vel: 100 })
  }
  return midiFile(96, { 0: 38, 1: 61 }, notes.map((n) => ({ ...n, at: Math.round(n.at), len: Math.round(n.len) })))
}

/** Upbeat pop at 120 BPM: four-on-the-floor, claps, piano chords, bass, string pad (dance-twirl). */
function popSong(): Uint8Array {
  const notes: Note[] = []
  const chords = [[60, 64, 67], [55, 59, 62, 67], [57, 60, 64], [53, 57, 60, 65]]
  const roots = [36, 43, 45, 41]
  for (let bar = 0; bar < 3; bar++) {
    const b = bar * 4 * Q
    for (let k = 0; k < 4; k++) notes.push({ ch: DRUMS, at: b + k * Q, len: Q / 4, key: 36, vel: 115 })
    for (const c of [1, 3]) notes.push({ ch: DRUMS, at: b + c * Q, len: Q / 4, key: 39, vel: 100 })
    for (let h = 0; h < 4; h++) notes.push({ ch: DRUMS, at: b + h * Q + Q / 2, len: Q / 4, key: 46, vel: 80 })
    const chord = chords[bar % 4]
    for (const beat of [0, 1.5, 2.5, 3]) for (const key of chord) notes.push({ ch: 0, at: b + beat * Q, len: (Q * 2) / 3, key: key + 12, vel: 95 })
    for (const beat of [0, 1, 2, 3]) notes.push({ ch: 1, at: b + beat * Q, len: (Q * 3) / 4, key: roots[bar % 4], vel: 105 })
    for (const key of chord) notes.push({ ch: 2, at: b, len: 4 * Q, key, vel: 60 })
  }
  return midiFile(120, { 0: 0, 1: 33, 2: 48 }, notes.map((n) => ({ ...n, at: Math.round(n.at), len: Math.round(n.len) })))
}

const RECIPES: Record<(typeof DAVIS_SEQUENCES)[number], Recipe> = {
  blackswan: {
    what: 'swan honks (nasal harmonic tones with vibrato) over lapping water',
    graph: [
      `${evalsrc([[0.25, 0.3, 490], [0.7, 0.25, 520], [1.9, 0.35, 470], [3.1, 0.3, 500], [3.55, 0.28, 530], [4.5, 0.35, 480]]
        .map(([a, len, f]) => `${win(a, len)}*(${harmonics(f, [1, 0.7, 0.5, 0.35, 0.2, 0.12])})`).join('+'))},vibrato=f=6:d=0.15,highpass=f=300[h]`,
      `${noise('pink', 11)},lowpass=f=1200,tremolo=f=0.6:d=0.5[w]`,
      mix([['h', 0.35], ['w', 0.25]])
    ].join(';')
  },
  'bmx-trees': {
    what: 'knobbly tyres rolling on dirt, freewheel ticking, air rush',
    graph: [
      `${noise('brown', 21, 0.9)},lowpass=f=500,tremolo=f=2.5:d=0.4[roll]`,
      `${noise('white', 22, 0.4)},bandpass=f=2500:w=1500,tremolo=f=0.7:d=0.8[air]`,
      `${evalsrc('sin(20106.19*t)*exp(-300*mod(t,0.06))')}[tick]`,
      mix([['roll', 1], ['air', 0.5], ['tick', 0.15]])
    ].join(';')
  },
  breakdance: { what: 'hip-hop break beat, 96 BPM (FluidSynth: drums, synth bass, brass stabs)', midi: breakBeat(), graph: '[0:a]anull[out]' },
  camel: {
    what: 'camel groans (low rough harmonic voice) and breathing',
    graph: [
      `${evalsrc(`(${win(0.4, 1.4)}+${win(2.6, 1.6)}+${win(4.5, 0.6)})*(1+0.5*sin(175.93*t))*(${harmonics(92, [1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.15], 't+0.002*sin(9.42*t)')})`)},lowpass=f=1500[g]`,
      `${noise('pink', 31, 0.4)},bandpass=f=600:w=600,tremolo=f=0.5:d=0.9[b]`,
      mix([['g', 0.25], ['b', 0.2]])
    ].join(';')
  },
  'car-roundabout': {
    what: 'car engine pulling away (rising firing tone), road and tyre noise',
    graph: [
      `${evalsrc(harmonics(1, [1, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.15].map((a) => a * 0.3), '42*t+1.5*t*t'))},lowpass=f=700[eng]`,
      `${noise('brown', 41, 0.9)},lowpass=f=300[road]`,
      `${noise('pink', 42, 0.3)},highpass=f=1000[hiss]`,
      mix([['eng', 1], ['road', 0.6], ['hiss', 0.15]])
    ].join(';')
  },
  'dance-twirl': { what: 'upbeat pop, 120 BPM (FluidSynth: drums, piano, bass, strings)', midi: popSong(), graph: '[0:a]anull[out]' },
  goat: {
    what: 'goat bleats (espeak-ng "meh-eh-eh", pitched up, with a fast vibrato)',
    espeak: ['-v', 'en', '-p', '99', '-s', '120', '-a', '180', '-g', '12', 'meh eh eh eh. maa aa aah. meh eh eh.'],
    graph: '[0:a]asetrate=26460,aresample=44100,vibrato=f=11:d=0.7,highpass=f=250[out]'
  },
  'kite-surf': {
    what: 'wind gusts, kite flapping, surf and spray',
    graph: [
      `${noise('pink', 51, 0.8)},bandpass=f=700:w=900,tremolo=f=0.35:d=0.7[wind]`,
      `${noise('brown', 52, 0.9)},lowpass=f=180,tremolo=f=0.2:d=0.5[surf]`,
      `${noise('white', 53, 0.5)},highpass=f=3000,tremolo=f=1.3:d=0.9[spray]`,
      `${noise('pink', 54, 0.8)},bandpass=f=200:w=150,tremolo=f=10:d=0.9[flap]`,
      mix([['wind', 1], ['surf', 0.8], ['spray', 0.15], ['flap', 0.4]])
    ].join(';')
  },
  parkour: {
    what: 'footsteps and landings (thumps and scuffs), body whoosh',
    graph: [
      `${evalsrc([0.35, 0.8, 1.25, 2.2, 2.6, 3.4, 3.8, 4.6].map((a) => `between(t,${a},${num(a + 0.3)})*exp(-22*(t-${a}))*(sin(408.41*(t-${a}))+0.6*(random(0)*2-1)*exp(-40*(t-${a})))`).join('+'))}[steps]`,
      `${noise('white', 61, 0.6)},bandpass=f=900:w=1200,tremolo=f=0.8:d=0.9[whoosh]`,
      mix([['steps', 0.8], ['whoosh', 0.25]])
    ].join(';')
  },
  'scooter-black': {
    what: 'two-stroke scooter engine (buzzy harmonic tone, wavering revs), road noise',
    graph: [
      `${evalsrc(harmonics(105, [1, 0.9, 0.8, 0.6, 0.5, 0.4, 0.3, 0.25, 0.2].map((a) => a * 0.25), 't+0.0866*(1-cos(2.1991*t))'))},highpass=f=60,lowpass=f=2500[eng]`,
      `${noise('brown', 71, 0.9)},lowpass=f=300[road]`,
      mix([['eng', 1], ['road', 0.4]])
    ].join(';')
  }
}

export function soundOf(seq: string): string {
  return (RECIPES as Record<string, Recipe | undefined>)[seq]?.what ?? 'unknown sequence'
}

// --- building ---------------------------------------------------------------------------------

async function ffmpegLog(ffmpeg: string, args: string[]): Promise<string> {
  try {
    const { stderr } = await exec(ffmpeg, ['-hide_banner', '-nostdin', ...args], { maxBuffer: 64 << 20 })
    return stderr
  } catch (err) {
    const e = err as Error & { stderr?: string }
    throw new Error(`ffmpeg ${args.join(' ')} failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-4).join(' | ')}`)
  }
}

/** Runs espeak-ng or fluidsynth, with an install hint where the program is missing. */
async function tool(name: string, args: string[]): Promise<void> {
  try {
    await exec(name, args, { maxBuffer: 16 << 20 })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${name} is not installed (Debian: apt-get install ${name === 'fluidsynth' ? 'fluidsynth fluid-soundfont-gm' : name}); it makes the sound of some clips`)
    throw err
  }
}

/** Renders a recipe to 32-bit float mono WAV of CLIP_SECONDS + a little, at 44.1 kHz. */
async function renderRecipe(ffmpeg: string, r: Recipe, scratch: string): Promise<string> {
  const inputs: string[] = []
  if (r.espeak) {
    const wav = join(scratch, 'espeak.wav')
    await tool('espeak-ng', ['-w', wav, ...r.espeak])
    inputs.push('-i', wav)
  }
  if (r.midi) {
    const mid = join(scratch, 'song.mid')
    const wav = join(scratch, 'song.wav')
    writeFileSync(mid, r.midi)
    if (!existsSync(SOUNDFONT)) throw new Error(`${SOUNDFONT} is missing (Debian: apt-get install fluid-soundfont-gm); it makes the music of some clips`)
    await tool('fluidsynth', ['-n', '-i', '-q', '-g', '0.8', '-r', String(SR), '-T', 'wav', '-F', wav, SOUNDFONT, mid])
    inputs.push('-i', wav)
  }
  const out = join(scratch, 'raw.wav')
  const graph = `${r.graph.replace(/\[out\]$/, '[pre]')};[pre]aformat=sample_fmts=flt:channel_layouts=mono,aresample=${SR},apad,atrim=0:${num(CLIP_SECONDS)}[out]`
  await ffmpegLog(ffmpeg, ['-y', ...inputs, '-filter_complex', graph, '-map', '[out]', '-c:a', 'pcm_f32le', out])
  return out
}

async function meanVolume(ffmpeg: string, file: string, filter = 'volumedetect'): Promise<{ mean: number; max: number }> {
  const log = await ffmpegLog(ffmpeg, ['-i', file, '-af', filter, '-f', 'null', '-'])
  const mean = /mean_volume:\s*(-?[\d.]+|-inf) dB/.exec(log)
  const max = /max_volume:\s*(-?[\d.]+|-inf) dB/.exec(log)
  if (!mean || !max) throw new Error(`volumedetect gave no level for ${file}`)
  const n = (s: string): number => (s === '-inf' ? -Infinity : Number(s))
  return { mean: n(mean[1]), max: n(max[1]) }
}

function contentKey(parts: Array<string | Uint8Array>): string {
  const h = createHash('sha256')
  for (const p of parts) h.update(typeof p === 'string' ? `${p.length}:${p}` : p)
  return h.digest('hex').slice(0, 16)
}

export interface BuildOptions {
  davisDir: string
  seqs: readonly string[]
  cacheDir: string
  scratchDir: string
  ffmpeg: string
  log?: (line: string) => void
  /** Video length (default CLIP_SECONDS): the frames spread over it, the sound (rendered at CLIP_SECONDS) looped to fill it. */
  seconds?: number
}

/**
 * Both clips of each sequence (sound, mute), from the cache where a clip of the same content is
 * there. Each video is `frames` JPEGs at frames/5.1 fps (H.264) with an AAC track: the recipe's
 * sound normalised to TARGET_DBFS mean level (peaks limited), or anullsrc silence.
 */
export async function buildClips(opts: BuildOptions): Promise<BuiltClip[]> {
  mkdirSync(opts.cacheDir, { recursive: true })
  const out: BuiltClip[] = []
  for (const seq of opts.seqs) {
    const recipe = (RECIPES as Record<string, Recipe | undefined>)[seq]
    if (!recipe) throw new Error(`no sound recipe for sequence ${seq}`)
    const dir = join(opts.davisDir, seq, 'JPEGImages')
    const jpgs = readdirSync(dir).filter((f) => /^\d{5}\.jpg$/.test(f)).sort()
    jpgs.forEach((f, i) => {
      if (f !== `${String(i).padStart(5, '0')}.jpg`) throw new Error(`${dir}: frames are not numbered 00000… without gaps (${f} at position ${i})`)
    })
    const seconds = opts.seconds ?? CLIP_SECONDS
    const rate = `${jpgs.length * 10}/${Math.round(seconds * 10)}`
    const frameHash = contentKey(jpgs.map((f) => readFileSync(join(dir, f))))
    for (const variant of ['sound', 'mute'] as const) {
      const key = contentKey([CLIP_VERSION, seq, variant, rate, frameHash, opts.ffmpeg, variant === 'sound' ? JSON.stringify({ ...recipe, midi: recipe.midi ? Buffer.from(recipe.midi).toString('hex') : null }) : 'anullsrc'])
      // Other lengths under names of their own (a stale clip of the same name is removed below).
      const prefix = seconds === CLIP_SECONDS ? `${seq}.${variant}.` : `${seq}.${variant}-${seconds}s.`
      const file = join(opts.cacheDir, `${prefix}${key}.mp4`)
      const metaFile = `${file}.json`
      const sound = variant === 'sound' ? recipe.what : 'silence (anullsrc)'
      if (existsSync(file) && existsSync(metaFile)) {
        const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { meanDb: number | null }
        out.push({ seq, variant, seconds, path: file, frames: jpgs.length, rate, sound, meanDb: meta.meanDb, cached: true })
        continue
      }
      // A stale clip of the same sequence and variant (older recipe or frames) is replaced.
      for (const old of readdirSync(opts.cacheDir).filter((f) => f.startsWith(prefix))) rmSync(join(opts.cacheDir, old), { force: true })
      const scratch = join(opts.scratchDir, `${seq}-${variant}`)
      mkdirSync(scratch, { recursive: true })
      let audio: string[]
      let meanDb: number | null = null
      if (variant === 'sound') {
        const raw = await renderRecipe(opts.ffmpeg, recipe, scratch)
        const level = await meanVolume(opts.ffmpeg, raw)
        const gain = TARGET_DBFS - level.mean
        // Limit peaks to -1 dBFS without auto-levelling (so the mean stays near the target).
        const final = join(scratch, 'final.wav')
        await ffmpegLog(opts.ffmpeg, ['-y', '-i', raw, '-af', `volume=${gain.toFixed(2)}dB,alimiter=limit=0.89:level=false:attack=2:release=40`, '-c:a', 'pcm_f32le', final])
        meanDb = (await meanVolume(opts.ffmpeg, final)).mean
        // Longer clips loop the rendered sound (the frames' rate spreads them over the length instead).
        audio = [...(seconds > CLIP_SECONDS ? ['-stream_loop', '-1'] : []), '-i', final]
      } else {
        audio = ['-f', 'lavfi', '-i', `anullsrc=r=${SR}:cl=mono`]
      }
      const tmp = join(opts.cacheDir, `.${prefix}${key}.${process.pid}.mp4`)
      try {
        await ffmpegLog(opts.ffmpeg, [
          '-y', '-framerate', rate, '-start_number', '0', '-i', join(dir, '%05d.jpg'), ...audio,
          '-map', '0:v', '-map', '1:a', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p',
          '-c:a', 'aac', '-b:a', '128k', '-ar', String(SR), '-ac', '1', '-t', num(seconds), tmp
        ])
        renameSync(tmp, file)
      } finally {
        rmSync(tmp, { force: true })
      }
      writeFileSync(metaFile, `${JSON.stringify({ seq, variant, rate, sound, meanDb })}\n`)
      rmSync(scratch, { recursive: true, force: true })
      opts.log?.(`built ${seq} (${variant}, ${seconds} s): ${jpgs.length} frames at ${rate} fps, ${sound}${meanDb === null ? '' : `, ${meanDb.toFixed(1)} dBFS mean`}\n`)
      out.push({ seq, variant, seconds, path: file, frames: jpgs.length, rate, sound, meanDb, cached: false })
    }
  }
  return out
}
