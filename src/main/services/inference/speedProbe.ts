import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus } from 'node:os'
import { dirname } from 'node:path'
import * as ort from 'onnxruntime-node'
import { z } from 'zod'
import { ProviderChoice, ProviderId } from '../../../shared/inference'
import type { ModelEntry } from './models'
import { defaultThreads, openSession, providerPlan, webGpuProblem } from './session'

/** One clip's inference time of a model on this computer, as `SpeedProbe` measured it. */
export const ClipSpeed = z.object({
  /** Seconds for one clip (the model's whole input: every frame and the audio) in one session run: the faster of two runs, or the first where that was already far over the limit. */
  seconds: z.number().nonnegative(),
  /** The provider that ran it (a GPU choice may have fallen back to the CPU). */
  provider: ProviderId,
  threads: z.number().int().positive(),
  /** Seconds to load the session, for the record. */
  loadSeconds: z.number().nonnegative(),
  measuredAt: z.string()
})
export type ClipSpeed = z.infer<typeof ClipSpeed>

const CacheFile = z.object({ version: z.literal(1), entries: z.record(z.string(), ClipSpeed) })
type CacheFile = z.infer<typeof CacheFile>

/** The instruction-set extensions that decide int8 and float convolution speed, where the OS tells (Linux). */
const SPEED_FLAGS = ['avx2', 'avx512f', 'avx512_vnni', 'avx_vnni', 'amx_int8', 'asimddp', 'i8mm']

function cpuFlags(cpuinfo = '/proc/cpuinfo'): string {
  try {
    const m = /^(?:flags|Features)\s*:\s*(.*)$/m.exec(readFileSync(cpuinfo, 'utf8'))
    const have = new Set(m ? m[1].split(/\s+/) : [])
    return SPEED_FLAGS.filter((f) => have.has(f)).join(' ')
  } catch {
    return ''
  }
}

/**
 * What makes a measurement valid elsewhere: the processor, its core count and speed-relevant extensions
 * (a cloud VM's "AMD EPYC" may be a Zen 3 without VNNI or a Zen 4 with it, twice as fast in int8), the OS,
 * and onnxruntime's version.
 */
export function machineKey(): string {
  const cpu = cpus()[0]?.model.trim().replace(/\s+/g, ' ') || 'unknown CPU'
  const flags = cpuFlags()
  return `${cpu}${flags ? ` [${flags}]` : ''} ×${availableParallelism()} · ${process.platform}-${process.arch} · onnxruntime ${ort.env.versions?.common ?? '?'}`
}

/** The provider a session for this choice would try first on this computer (WebGPU only where Dawn finds an adapter). */
export async function expectedProvider(choice: ProviderChoice): Promise<ProviderId> {
  for (const id of providerPlan(choice).tries) {
    if (id === 'webgpu' && (await webGpuProblem())) continue
    return id
  }
  return 'cpu'
}

export interface ClipTiming {
  seconds: number
  provider: ProviderId
  loadSeconds: number
}

/** Times one clip of the model at `modelPath` in a session of its own (released after) on this thread. */
export type ClipTimer = (modelPath: string, choice: ProviderChoice, threads: number, secondRunUnder: number) => Promise<ClipTiming>

/**
 * One clip of a model, timed: zero-filled inputs of the graph's own shapes (a convolution takes as long
 * on zeros as on pictures). Run twice and the faster kept, as a job reuses its session (the first run
 * also sizes onnxruntime's arena, and a GPU's compiles its shaders); the second run is skipped where the
 * first already took more than `secondRunUnder` seconds. onnxruntime-node runs a session on the calling
 * thread's event loop: the app calls this in its inference worker (`segmentWorker.ts`), never on the main thread.
 */
export async function timeClip(modelPath: string, choice: ProviderChoice, threads: number, secondRunUnder: number): Promise<ClipTiming> {
  const t0 = performance.now()
  const loaded = await openSession(modelPath, choice, threads)
  try {
    const loadSeconds = (performance.now() - t0) / 1000
    const { session } = loaded
    const feeds: Record<string, ort.Tensor> = {}
    for (const meta of session.inputMetadata) {
      if (!meta.isTensor || meta.type !== 'float32') throw new Error(`input "${meta.name}" is not a float32 tensor`)
      // A symbolic dimension (none in the shipped graphs) counts 1.
      const dims = meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1))
      feeds[meta.name] = new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims)
    }
    const once = async (): Promise<number> => {
      const t = performance.now()
      await session.run(feeds)
      return (performance.now() - t) / 1000
    }
    let seconds = await once()
    if (seconds <= secondRunUnder) seconds = Math.min(seconds, await once())
    return { seconds, provider: loaded.provider, loadSeconds }
  } finally {
    await loaded.session.release()
  }
}

/**
 * Times one clip of a model once per computer and keeps the time in a JSON file, per model checksum,
 * the provider a job would run on (not the setting: "auto" and "CPU" are the same on a computer
 * without a GPU), threads and machine; a time whose provider is not the one expected now (a GPU that
 * failed then and works now, or the reverse) is measured again. So the choice it drives
 * (`SegmentService.defaultModel`) is made once per computer and stays the same from one project and
 * one run to the next. Within a process each answer is kept, failures too: a model that cannot be
 * timed is not loaded again at every question.
 */
export class SpeedProbe {
  /** Measurements under way or done in this process (a failed one is dropped: the next question tries again). */
  private readonly answers = new Map<string, Promise<ClipSpeed>>()
  /** This process's finished, kept measurements. */
  private readonly done = new Map<string, ClipSpeed>()
  /** Bumped by forget(): a measurement started before it is neither stored nor kept. */
  private generation = 0
  /** Called before a measurement starts (not for a stored one): the CLI says what it is waiting for. */
  onMeasure: ((model: ModelEntry, choice: ProviderChoice) => void) | null = null

  constructor(
    private readonly file: string,
    private readonly timer: ClipTimer = timeClip,
    private readonly machine: () => string = machineKey,
    private readonly expected: (choice: ProviderChoice) => Promise<ProviderId> = expectedProvider
  ) {}

  private async key(model: ModelEntry, choice: ProviderChoice, threads: number): Promise<{ key: string; provider: ProviderId }> {
    const provider = await this.expected(choice)
    return { key: `${model.card?.sha256 ?? model.onnxPath} · ${provider} · ${threads} threads · ${this.machine()}`, provider }
  }

  private async readCache(): Promise<CacheFile> {
    try {
      const parsed = CacheFile.safeParse(JSON.parse(await readFile(this.file, 'utf8')))
      if (parsed.success) return parsed.data
    } catch {
      // absent or damaged: measured again
    }
    return { version: 1, entries: {} }
  }

  /** The measurement under `key` taken on `provider`: stored, or this process's own (kept even where the file could not be written). */
  private async stored(key: string, provider: ProviderId): Promise<ClipSpeed | null> {
    const hit = (await this.readCache()).entries[key] ?? this.done.get(key)
    return hit && hit.provider === provider ? hit : null
  }

  /** The stored measurement, or null where this model was not timed here with these settings. */
  async cached(model: ModelEntry, choice: ProviderChoice, threads = defaultThreads()): Promise<ClipSpeed | null> {
    const { key, provider } = await this.key(model, choice, threads)
    return this.stored(key, provider)
  }

  /**
   * The stored measurement, else a new one, stored unless `keep()` says no once it is done (something
   * else ran meanwhile) or forget() was called meanwhile; a store that fails only costs a new
   * measurement in the next process.
   */
  async measure(model: ModelEntry, choice: ProviderChoice, threads = defaultThreads(), keep: () => boolean = () => true): Promise<ClipSpeed> {
    const { key, provider } = await this.key(model, choice, threads)
    let p = this.answers.get(key)
    if (!p) {
      const generation = this.generation
      const run = (async () => {
        const hit = await this.stored(key, provider)
        if (hit) return hit
        this.onMeasure?.(model, choice)
        const limit = model.defaultMaxClipSeconds ?? Infinity
        const t = await this.timer(model.onnxPath, choice, threads, 1.5 * limit)
        const speed: ClipSpeed = { ...t, threads, measuredAt: new Date().toISOString() }
        if (generation === this.generation && keep()) {
          this.done.set(key, speed)
          await this.store(key, speed).catch(() => undefined)
        } else this.answers.delete(key)
        return speed
      })()
      p = run
      this.answers.set(key, run)
      // A failure is not kept: a worker that stopped or a GPU that hiccuped is tried again next time.
      run.catch(() => {
        if (this.answers.get(key) === run) this.answers.delete(key)
      })
    }
    return p
  }

  /**
   * Forgets this computer's stored times (other computers' entries in a shared home stay), so the
   * next default choice times again: after a measurement taken while the computer was busy, or a new
   * GPU driver. Returns how many were dropped.
   */
  async forget(): Promise<number> {
    const machine = this.machine()
    let dropped = 0
    this.generation++
    const next = this.storing.then(async () => {
      const cache = await this.readCache()
      for (const key of Object.keys(cache.entries)) {
        if (!key.endsWith(` · ${machine}`)) continue
        delete cache.entries[key]
        dropped++
      }
      this.answers.clear()
      this.done.clear()
      if (dropped) await this.writeAll(cache)
    })
    this.storing = next.catch(() => undefined)
    await next
    return dropped
  }

  private storing: Promise<unknown> = Promise.resolve()

  /** One write at a time (read, add, write): two measurements stored at once both stay. */
  private store(key: string, speed: ClipSpeed): Promise<void> {
    const next = this.storing.then(() => this.write(key, speed))
    this.storing = next.catch(() => undefined)
    return next
  }

  private async write(key: string, speed: ClipSpeed): Promise<void> {
    const cache = await this.readCache()
    cache.entries[key] = speed
    await this.writeAll(cache)
  }

  private async writeAll(cache: CacheFile): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true })
    const tmp = `${this.file}.tmp-${process.pid}-${randomUUID()}`
    try {
      await writeFile(tmp, JSON.stringify(cache, null, 2))
      await rename(tmp, this.file)
    } finally {
      await rm(tmp, { force: true })
    }
  }
}
