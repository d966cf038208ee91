import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { ProviderChoice } from '../../../shared/inference'
import type { ClipInput, ClipResult, SegmenterOptions } from '../inference/ClipSegmenter'
import type { ClipTiming } from '../inference/speedProbe'
import type { WorkerReply, WorkerRequest } from './segmentWorker'

/** Runs clips somewhere that is not the caller's thread. */
export interface ClipRunner {
  segment(options: SegmenterOptions, clip: ClipInput): Promise<ClipResult>
  /** Times one clip of a model there (`speedProbe.timeClip`); a runner without it has it timed on the caller's thread. */
  time?(modelPath: string, choice: ProviderChoice, threads: number, secondRunUnder: number): Promise<ClipTiming>
  close(): Promise<void>
}

export class ClipRunError extends Error {
  constructor(message: string, readonly fatal: boolean) {
    super(message)
  }
}

/** From source (tests, tsx) the worker is TypeScript and loads through tsx; built, it is out/main/segmentWorker.js. */
function spawnWorker(): Worker {
  const ts = join(__dirname, 'segmentWorker.ts')
  if (existsSync(ts)) {
    const req = typeof require === 'function' ? require : createRequire(join(process.cwd(), 'package.json'))
    return new Worker(`require(${JSON.stringify(req.resolve('tsx/cjs'))}); require(${JSON.stringify(ts)})`, { eval: true })
  }
  // Bundled, this code may sit in out/main/chunks/ while the worker entry is out/main/segmentWorker.js.
  const js = [join(__dirname, 'segmentWorker.js'), join(__dirname, '..', 'segmentWorker.js')].find((f) => existsSync(f))
  if (!js) throw new Error(`the inference worker segmentWorker.js is missing beside ${__dirname}: the build must list src/main/services/jobs/segmentWorker.ts as a main entry`)
  return new Worker(js)
}

/** One worker thread, one clip at a time; a crashed worker fails its clip and is replaced next time. */
export class WorkerClipRunner implements ClipRunner {
  private worker: Worker | null = null
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (r: ClipResult | ClipTiming) => void; reject: (e: Error) => void }>()

  private ensure(): Worker {
    if (this.worker) return this.worker
    const w = spawnWorker()
    w.on('message', (m: WorkerReply) => {
      const p = this.pending.get(m.reqId)
      if (!p) return
      this.pending.delete(m.reqId)
      if (this.pending.size === 0) w.unref()
      if (m.type === 'result') p.resolve(m.result)
      else if (m.type === 'timed') p.resolve(m.timing)
      else p.reject(new ClipRunError(m.message, m.fatal))
    })
    const fail = (err: Error): void => {
      if (this.worker === w) this.worker = null
      for (const p of this.pending.values()) p.reject(new ClipRunError(`the inference worker stopped: ${err.message}`, true))
      this.pending.clear()
    }
    w.on('error', fail)
    w.on('exit', (code) => fail(new Error(`exit code ${code}`)))
    this.worker = w
    return w
  }

  segment(options: SegmenterOptions, clip: ClipInput): Promise<ClipResult> {
    return this.request<ClipResult>((reqId) => ({ type: 'segment', reqId, options, clip }))
  }

  time(modelPath: string, choice: ProviderChoice, threads: number, secondRunUnder: number): Promise<ClipTiming> {
    return this.request<ClipTiming>((reqId) => ({ type: 'time', reqId, modelPath, choice, threads, secondRunUnder }))
  }

  private request<T extends ClipResult | ClipTiming>(message: (reqId: number) => WorkerRequest): Promise<T> {
    let w: Worker
    try {
      w = this.ensure()
    } catch (err) {
      return Promise.reject(new ClipRunError(`cannot start the inference worker: ${(err as Error).message}`, true))
    }
    w.ref()
    const reqId = this.nextId++
    return new Promise<T>((resolve, reject) => {
      this.pending.set(reqId, { resolve: resolve as (r: ClipResult | ClipTiming) => void, reject })
      w.postMessage(message(reqId))
    })
  }

  async close(): Promise<void> {
    const w = this.worker
    this.worker = null
    if (w) await w.terminate()
  }
}
