import { readFileSync } from 'node:fs'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus } from 'node:os'
import { dirname } from 'node:path'
import * as ort from 'onnxruntime-node'
import { z } from 'zod'
import { ProviderChoice, ProviderId } from '../../../shared/inference'
import type { ModelEntry } from './models'
import { defaultThreads, openSession, type LoadedSession } from './session'

/** One clip's inference time of a model on this computer, as `SpeedProbe` measured it. */
export const ClipSpeed = z.object({
  /** Seconds for one clip (the model's whole input: every frame and the audio) in one session run. */
  seconds: z.number().nonnegative(),
  /** The provider that ran it (an `auto` or GPU choice may have fallen back to the CPU). */
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

type Opener = (modelPath: string, choice: ProviderChoice, threads?: number) => Promise<LoadedSession>

/**
 * Times one clip of a model on this computer, once: zero-filled inputs of the graph's own shapes
 * (a convolution takes as long on zeros as on pictures) in a session of its own, released after.
 * Measurements are kept in a JSON file (per model checksum, provider choice, threads and machine),
 * so the choice they drive (`SegmentService.defaultModel`) is made once per computer and stays
 * the same from one project and one run to the next. One run, not the mean of several: the first
 * run is the slower one, so a borderline computer keeps the faster model.
 */
export class SpeedProbe {
  private readonly pending = new Map<string, Promise<ClipSpeed>>()
  /** Called before a measurement starts (not for a cached one): the CLI says what it is waiting for. */
  onMeasure: ((model: ModelEntry, choice: ProviderChoice) => void) | null = null

  constructor(
    private readonly file: string,
    private readonly open: Opener = openSession,
    private readonly machine: () => string = machineKey
  ) {}

  private key(model: ModelEntry, choice: ProviderChoice, threads: number): string {
    return `${model.card?.sha256 ?? model.onnxPath} · ${choice} · ${threads} threads · ${this.machine()}`
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

  /** The stored measurement, or null where this model was not timed here with these settings. */
  async cached(model: ModelEntry, choice: ProviderChoice, threads = defaultThreads()): Promise<ClipSpeed | null> {
    return (await this.readCache()).entries[this.key(model, choice, threads)] ?? null
  }

  /** The stored measurement, else a new one (stored; a store that fails only costs a new measurement next time). */
  measure(model: ModelEntry, choice: ProviderChoice, threads = defaultThreads()): Promise<ClipSpeed> {
    const key = this.key(model, choice, threads)
    let p = this.pending.get(key)
    if (!p) {
      p = (async () => {
        const hit = (await this.readCache()).entries[key]
        if (hit) return hit
        this.onMeasure?.(model, choice)
        const speed = await this.time(model, choice, threads)
        await this.store(key, speed).catch(() => undefined)
        return speed
      })()
      this.pending.set(key, p)
      void p.finally(() => this.pending.delete(key)).catch(() => undefined)
    }
    return p
  }

  private async time(model: ModelEntry, choice: ProviderChoice, threads: number): Promise<ClipSpeed> {
    const t0 = performance.now()
    const loaded = await this.open(model.onnxPath, choice, threads)
    try {
      const loadSeconds = (performance.now() - t0) / 1000
      const { session } = loaded
      const feeds: Record<string, ort.Tensor> = {}
      for (const meta of session.inputMetadata) {
        if (!meta.isTensor || meta.type !== 'float32') throw new Error(`${model.id}: input "${meta.name}" is not a float32 tensor`)
        // A symbolic dimension (none in our cards' graphs) takes the card's size, else 1.
        const fromCard = (model.card?.inputs as Record<string, number[]> | undefined)?.[meta.name]
        const dims = meta.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : (fromCard?.[i] ?? 1)))
        feeds[meta.name] = new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims)
      }
      // A GPU's first run compiles its shaders (seconds, once per session): there the second run is timed.
      if (loaded.provider !== 'cpu') await session.run(feeds)
      const t1 = performance.now()
      await session.run(feeds)
      const seconds = (performance.now() - t1) / 1000
      return { seconds, provider: loaded.provider, threads, loadSeconds, measuredAt: new Date().toISOString() }
    } finally {
      await loaded.session.release()
    }
  }

  private async store(key: string, speed: ClipSpeed): Promise<void> {
    const cache = await this.readCache()
    cache.entries[key] = speed
    await mkdir(dirname(this.file), { recursive: true })
    const tmp = `${this.file}.tmp-${process.pid}`
    await writeFile(tmp, JSON.stringify(cache, null, 2))
    await rename(tmp, this.file)
  }
}
