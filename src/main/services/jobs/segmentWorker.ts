// The worker thread that owns the ORT sessions: one clip per message, results transferred back.
import { parentPort } from 'node:worker_threads'
import { ClipSegmenter, type ClipInput, type SegmenterOptions } from '../inference/ClipSegmenter'
import { SessionError } from '../inference/session'

export type WorkerRequest = { type: 'segment'; reqId: number; options: SegmenterOptions; clip: ClipInput }
export type WorkerReply =
  | { type: 'result'; reqId: number; result: import('../inference/ClipSegmenter').ClipResult }
  | { type: 'error'; reqId: number; message: string; fatal: boolean }

// The segmenter of the current run; a new run (another job, model or provider) gets a fresh one.
let current: { key: string; seg: ClipSegmenter } | null = null
const port = parentPort
if (!port) throw new Error('segmentWorker must run in a worker thread')

port.on('message', (msg: WorkerRequest) => {
  void (async () => {
    const o = msg.options
    const key = `${o.modelPath}\0${o.card.sha256}\0${o.provider}\0${o.threads ?? ''}\0${o.padMode}\0${o.runId ?? ''}`
    if (current?.key !== key) current = { key, seg: new ClipSegmenter(o) }
    const seg = current.seg
    try {
      const result = await seg.segment(msg.clip)
      port.postMessage({ type: 'result', reqId: msg.reqId, result } satisfies WorkerReply, result.frames.map((f) => f.mask.buffer as ArrayBuffer))
    } catch (err) {
      const fatal = err instanceof SessionError
      port.postMessage({ type: 'error', reqId: msg.reqId, message: (err as Error).message, fatal } satisfies WorkerReply)
    }
  })()
})
