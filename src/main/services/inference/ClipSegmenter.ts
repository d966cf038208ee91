import { readFile } from 'node:fs/promises'
import { threadId } from 'node:worker_threads'
import * as ort from 'onnxruntime-node'
import type { PadMode } from '../../../shared/audio/logMel'
import type { ProviderChoice, ProviderId } from '../../../shared/inference'
import { decodeWavPcm16 } from '../media/wav'
import { encodeMask } from '../project/maskCodec'
import { decodeClipFrames } from './decodeFrames'
import { INPUT_AUDIO, INPUT_FRAMES, OUTPUT_LOGITS, type ModelCard } from './modelCard'
import { audioActivity, emptyMaskConfidence, isEmptyFrame, logitsToMask, secondLevelDb } from './postprocess'
import { audioToTensor, framesToTensor } from './preprocess'
import { checkFeeds, loadSession, PROVIDER_LABEL, type LoadedSession } from './session'

export interface ClipInput {
  clipId: number
  /** Absolute paths of the frame images, in order, with each frame's id and size. */
  frames: Array<{ id: number; file: string; width: number; height: number }>
  audioFile: string
  audioSamples: number
  /**
   * The label a binary model's foreground gets (default 1): an AVSS class index where a binary model
   * segments a semantic project. A semantic model's argmax labels are kept as they are.
   */
  label?: number
  /** The clip that comes next in the job: its frames and audio are read while this one runs on the model. */
  next?: ClipInput | null
}

/** A clip's decoded frames (W×H RGB) and its WAV file's bytes. */
export type ClipReader = (clip: ClipInput, W: number, H: number, ffmpeg: string, signal?: AbortSignal) => Promise<[Uint8Array[], Buffer]>

const readClip: ClipReader = (clip, W, H, ffmpeg, signal) =>
  Promise.all([decodeClipFrames(ffmpeg, clip.frames.map((f) => f.file), W, H, signal), readFile(clip.audioFile)])

/** What a prefetched read must match to stand for a clip's own read. */
const readKey = (clip: ClipInput): string => JSON.stringify([clip.clipId, clip.frames.map((f) => f.file), clip.audioFile])

export interface SegmentedFrame {
  frameId: number
  width: number
  height: number
  /** The label map, deflated (maskCodec's encoding). */
  mask: Uint8Array
  confidence: number
}

export interface StageTimes {
  decode: number
  features: number
  inference: number
  postprocess: number
}

export interface ClipResult {
  clipId: number
  frames: SegmentedFrame[]
  provider: ProviderId
  fallbackReason: string | null
  ms: StageTimes
  /** worker_threads id of the thread that ran it (0 = the main thread). */
  threadId: number
}

export interface SegmenterOptions {
  modelPath: string
  card: ModelCard
  provider: ProviderChoice
  threads?: number
  ffmpeg: string
  padMode: PadMode
  /** One run of a job: a GPU provider dropped after a run-time failure is tried again in the next run only. */
  runId?: string
}

/** Creates (or returns the cached) session for a model and provider choice; `loadSession` unless a test passes another. */
export type SessionLoader = (modelPath: string, choice: ProviderChoice, threads?: number, version?: string) => Promise<LoadedSession>

/**
 * Runs one clip through decode → features → ORT → label maps. Owns its session (cached per model
 * and provider) and reuses the input tensors between clips. A GPU provider that fails at run
 * time is dropped for CPU for the rest of this segmenter's life (one run of a job), with the reason kept.
 */
export class ClipSegmenter {
  private loaded: LoadedSession | null = null
  private runtimeFallback: string | null = null
  private readonly framesBuf: Float32Array
  private readonly feeds: Record<string, ort.Tensor>
  /** The next clip's inputs, read while the model ran the previous clip (the model's run leaves the decode idle otherwise). */
  private prefetched: { key: string; data: Promise<[Uint8Array[], Buffer]> } | null = null

  constructor(
    private readonly opts: SegmenterOptions,
    private readonly load: SessionLoader = loadSession,
    private readonly read: ClipReader = readClip
  ) {
    const [H, W] = opts.card.input_size
    const T = opts.card.clip_frames
    this.framesBuf = new Float32Array(T * 3 * H * W)
    this.feeds = {
      [INPUT_FRAMES]: new ort.Tensor('float32', this.framesBuf, [T, 3, H, W]),
      [INPUT_AUDIO]: new ort.Tensor('float32', new Float32Array(T * 96 * 64), [T, 1, 96, 64])
    }
  }

  async session(): Promise<LoadedSession> {
    if (!this.loaded) this.loaded = await this.load(this.opts.modelPath, this.runtimeFallback ? 'cpu' : this.opts.provider, this.opts.threads, this.opts.card.sha256)
    return this.loaded
  }

  /**
   * Segments one clip. A clip of a multiple of T frames (the model's `clip_frames`) runs in windows of T
   * consecutive frames, each with its own seconds of audio (examples cut from the whole clip's log-mel,
   * so window w sees exactly the examples w·T … w·T+T−1 of the clip).
   */
  async segment(clip: ClipInput, signal?: AbortSignal): Promise<ClipResult> {
    const { card } = this.opts
    const [H, W] = card.input_size
    const T = card.clip_frames
    const N = clip.frames.length
    if (N === 0 || N % T !== 0) throw new Error(`clip ${clip.clipId} has ${N} frames but the model takes ${T} (or a multiple of ${T})`)
    const label = clip.label ?? 1
    if (card.task === 'binary' && !(Number.isInteger(label) && label >= 1 && label <= 255)) throw new Error(`clip ${clip.clipId}: label ${label} is not a class index 1…255`)
    const ms: StageTimes = { decode: 0, features: 0, inference: 0, postprocess: 0 }
    let t0 = performance.now()
    const hit = this.prefetched?.key === readKey(clip) ? this.prefetched.data : null
    this.prefetched = null
    // A prefetched read that failed fails here, on its own clip.
    const [rgb, wav] = await (hit ?? this.read(clip, W, H, this.opts.ffmpeg, signal))
    ms.decode = performance.now() - t0

    t0 = performance.now()
    const { samples, sampleRate, channels } = decodeWavPcm16(wav)
    if (sampleRate !== 16000 || channels !== 1) throw new Error(`${clip.audioFile} is ${sampleRate} Hz × ${channels} channel(s), 16 kHz mono expected`)
    // The clip's own samples (the WAV may be longer); the model input and the per-second loudness both read these.
    const pcm = samples.subarray(0, Math.max(0, Math.min(clip.audioSamples, samples.length)))
    const audio = audioToTensor(pcm, pcm.length, N, this.opts.padMode)
    ms.features = performance.now() - t0

    const frames: SegmentedFrame[] = []
    const example = audio.length / N
    for (let w = 0; w * T < N; w++) {
      t0 = performance.now()
      framesToTensor(rgb.slice(w * T, (w + 1) * T), W, H, card, this.framesBuf)
      ;(this.feeds[INPUT_AUDIO].data as Float32Array).set(audio.subarray(w * T * example, (w + 1) * T * example))
      ms.features += performance.now() - t0

      t0 = performance.now()
      const running = this.run()
      if (w === 0 && clip.next) {
        // Decoding is an ffmpeg process and a file read: they overlap the model's run instead of following it.
        // Started on the next turn, once onnxruntime runs on its own threads: spawning ffmpeg from this
        // large process takes tens of milliseconds of this thread.
        const next = clip.next
        const data = new Promise((turn) => setImmediate(turn)).then(() => this.read(next, W, H, this.opts.ffmpeg))
        data.catch(() => undefined)
        this.prefetched = { key: readKey(next), data }
      }
      const out = await running
      ms.inference += performance.now() - t0

      t0 = performance.now()
      const logits = out.data as Float32Array
      for (let t = 0; t < T; t++) {
        const f = clip.frames[w * T + t]
        const m = logitsToMask(logits, out.dims, t, f.width, f.height, card.confidence_calibration)
        const confidence = isEmptyFrame(logits, out.dims, t) ? emptyMaskConfidence(m.confidence, audioActivity(secondLevelDb(pcm, w * T + t, this.opts.padMode))) : m.confidence
        if (card.task === 'binary' && label !== 1) for (let i = 0; i < m.labels.length; i++) if (m.labels[i]) m.labels[i] = label
        frames.push({ frameId: f.id, width: f.width, height: f.height, mask: new Uint8Array(encodeMask(m.labels)), confidence })
      }
      ms.postprocess += performance.now() - t0
    }
    const s = await this.session()
    return { clipId: clip.clipId, frames, provider: s.provider, fallbackReason: this.runtimeFallback ?? s.fallbackReason, ms, threadId }
  }

  private async run(): Promise<ort.Tensor> {
    const s = await this.session()
    checkFeeds(s.session, this.feeds)
    try {
      return (await s.session.run(this.feeds))[OUTPUT_LOGITS]
    } catch (err) {
      if (s.provider === 'cpu') throw err
      // A GPU provider that fails mid-job: CPU for the rest of the job, reported once.
      this.runtimeFallback = `${PROVIDER_LABEL[s.provider]} failed while running (${(err as Error).message.split('\n')[0].slice(0, 160)}); running on CPU for the rest of the job.`
      this.loaded = null
      const cpu = await this.session()
      return (await cpu.session.run(this.feeds))[OUTPUT_LOGITS]
    }
  }
}
