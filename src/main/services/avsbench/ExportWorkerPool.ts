import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { encodeBinaryClip, type BinaryClipInput, type BinaryClipOutput } from './encodeBinaryClip'
import type { ExportWorkerReply, ExportWorkerRequest } from './exportWorker'

/** From source (tests, tsx) the worker is TypeScript loaded through tsx; built, it is out/main/exportWorker.js. */
function spawnWorker(): Worker | null {
  const ts = join(__dirname, 'exportWorker.ts')
  if (existsSync(ts)) {
    const req = typeof require === 'function' ? require : createRequire(join(process.cwd(), 'package.json'))
    return new Worker(`require(${JSON.stringify(req.resolve('tsx/cjs'))}); require(${JSON.stringify(ts)})`, { eval: true })
  }
  const js = [join(__dirname, 'exportWorker.js'), join(__dirname, '..', 'exportWorker.js')].find((f) => existsSync(f))
  return js ? new Worker(js) : null
}

let sharedPool: ExportWorkerPool | undefined

// Workers read their clip's frames and wav themselves, so a clip costs this thread one small
// message each way. Measured on 2 busy cores (npm run bench export, same runs): one worker
// 2.83×/2.61×/2.57× the floor vs 4.23×/3.09×/2.78× inline; so on 2–3 cores one worker (the
// main thread writes files, ffmpeg decodes), inline only on a single core.
function defaultPoolSize(): number {
  const cores = availableParallelism()
  return cores >= 4 ? Math.min(4, cores - 2) : cores >= 2 ? 1 : 0
}

interface Slot {
  worker: Worker
  busy: number
}

/**
 * Encodes S4/MS3 clips on worker threads, so export keeps the main thread free; where no worker
 * can start (a build without the worker entry) it encodes inline, which gives the same bytes.
 */
export class ExportWorkerPool {
  private slots: Slot[] = []
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (o: BinaryClipOutput) => void; reject: (e: Error) => void; slot: Slot }>()
  readonly size: number

  /** Default: up to 4 workers, leaving two cores to the main thread and ffmpeg; one on 2–3 cores; none (inline) on one core. */
  constructor(size = defaultPoolSize()) {
    this.size = size
  }

  private start(): void {
    if (this.slots.length) return
    for (let i = 0; i < this.size; i++) {
      let worker: Worker | null
      try {
        worker = spawnWorker()
      } catch {
        worker = null
      }
      if (!worker) break
      // Idle workers must not keep the process alive; a busy one is ref'd until its reply.
      worker.unref()
      const slot: Slot = { worker, busy: 0 }
      worker.on('message', (m: ExportWorkerReply) => {
        const p = this.pending.get(m.id)
        if (!p) return
        this.pending.delete(m.id)
        if (--p.slot.busy === 0) p.slot.worker.unref()
        if ('error' in m) p.reject(new Error(m.error))
        else p.resolve(m.output)
      })
      const fail = (err: Error): void => {
        this.slots = this.slots.filter((s) => s !== slot)
        for (const [id, p] of this.pending) {
          if (p.slot !== slot) continue
          this.pending.delete(id)
          p.reject(new Error(`the export worker stopped: ${err.message}`))
        }
      }
      worker.on('error', fail)
      worker.on('exit', (code) => fail(new Error(`exit code ${code}`)))
      this.slots.push(slot)
    }
  }

  /** Whether clips run on worker threads (false: inline on the caller's thread). */
  get threaded(): boolean {
    this.start()
    return this.slots.length > 0
  }

  encode(input: BinaryClipInput): Promise<BinaryClipOutput> {
    this.start()
    if (this.slots.length === 0) {
      try {
        return Promise.resolve(encodeBinaryClip(input))
      } catch (err) {
        return Promise.reject(err as Error)
      }
    }
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a))
    if (slot.busy++ === 0) slot.worker.ref()
    const id = this.nextId++
    // Views are cloned with their whole buffer: copy each into its own and hand that over.
    const own = (a: Uint8Array): Uint8Array => new Uint8Array(a)
    // (Frames given as `framesFile` and a wav given as `wavFile` are read by the worker itself.)
    const sent: BinaryClipInput = { ...input, frames: input.frames.map(own), masks: input.masks.map((m) => ({ ...m, data: own(m.data) })), wav: input.wav && own(input.wav) }
    const transfer = [...sent.frames, ...sent.masks.map((m) => m.data), ...(sent.wav ? [sent.wav] : [])].map((a) => a.buffer as ArrayBuffer)
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot })
      slot.worker.postMessage({ id, input: sent } satisfies ExportWorkerRequest, transfer)
    })
  }

  /** One pool for the whole process, started on first use: worker start-up is paid once. */
  static shared(): ExportWorkerPool {
    return (sharedPool ??= new ExportWorkerPool())
  }

  async close(): Promise<void> {
    const slots = this.slots
    this.slots = []
    await Promise.all(slots.map((s) => s.worker.terminate()))
  }
}
