// The worker thread that owns the ORT sessions: one clip per message, results transferred back.
import { parentPort } from 'node:worker_threads'
import { ClipSegmenter, type ClipInput, type SegmenterOptions } from '../inference/ClipSegmenter'
import { releaseSessions, SessionError } from '../inference/session'
import { timeClip, type ClipTiming } from '../inference/speedProbe'
import type { ProviderChoice } from '../../../shared/inference'

export type WorkerRequest =
  | { type: 'segment'; reqId: number; options: SegmenterOptions; clip: ClipInput }
  | { type: 'time'; reqId: number; modelPath: string; choice: ProviderChoice; threads: number; secondRunUnder: number }
export type WorkerReply =
  | { type: 'result'; reqId: number; result: import('../inference/ClipSegmenter').ClipResult }
  | { type: 'timed'; reqId: number; timing: ClipTiming }
  | { type: 'error'; reqId: number; message: string; fatal: boolean }

// The segmenter of the current run; a new run (another job, model or provider) gets a fresh one.
let current: { key: string; modelPath: string; seg: ClipSegmenter } | null = null
// Clips being segmented: a switch to another model waits for them before releasing the old model's session.
const inflight = new Set<Promise<unknown>>()
const port = parentPort
if (!port) throw new Error('segmentWorker must run in a worker thread')

port.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'time') {
    // One clip of a model timed here, off the main thread (onnxruntime-node runs on the caller's thread).
    void timeClip(msg.modelPath, msg.choice, msg.threads, msg.secondRunUnder).then(
      (timing) => port.postMessage({ type: 'timed', reqId: msg.reqId, timing } satisfies WorkerReply),
      (err: Error) => port.postMessage({ type: 'error', reqId: msg.reqId, message: err.message, fatal: false } satisfies WorkerReply)
    )
    return
  }
  void (async () => {
    const o = msg.options
    const key = `${o.modelPath}\0${o.card.sha256}\0${o.provider}\0${o.threads ?? ''}\0${o.padMode}\0${o.runId ?? ''}`
    if (current?.key !== key) {
      const switched = current !== null && current.modelPath !== o.modelPath
      current = { key, modelPath: o.modelPath, seg: new ClipSegmenter(o) }
      if (switched) {
        await Promise.allSettled([...inflight])
        await releaseSessions({ except: o.modelPath })
      }
    }
    const seg = current.seg
    try {
      const run = seg.segment(msg.clip)
      inflight.add(run)
      void run.catch(() => undefined).finally(() => inflight.delete(run))
      const result = await run
      port.postMessage({ type: 'result', reqId: msg.reqId, result } satisfies WorkerReply, result.frames.map((f) => f.mask.buffer as ArrayBuffer))
    } catch (err) {
      const fatal = err instanceof SessionError
      port.postMessage({ type: 'error', reqId: msg.reqId, message: (err as Error).message, fatal } satisfies WorkerReply)
    }
  })()
})
