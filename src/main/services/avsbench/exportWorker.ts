// Worker thread of the S4/MS3 export: one clip per message, the encoded files sent back.
import { parentPort } from 'node:worker_threads'
import { encodeBinaryClip, type BinaryClipInput, type BinaryClipOutput } from './encodeBinaryClip'

export type ExportWorkerRequest = { id: number; input: BinaryClipInput }
export type ExportWorkerReply = { id: number; output: BinaryClipOutput } | { id: number; error: string }

const port = parentPort
if (!port) throw new Error('exportWorker must run in a worker thread')

/**
 * The bytes in a buffer of their own, which can be transferred: encoder outputs that already own
 * their whole buffer are used as they are; views of a shared one (Buffer's pool, a file read
 * whole) are copied, so nothing the worker keeps using is ever handed over.
 */
const own = (a: Uint8Array): Uint8Array => (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && !(a.buffer instanceof SharedArrayBuffer) ? a : new Uint8Array(a))

port.on('message', (msg: ExportWorkerRequest) => {
  try {
    const out = encodeBinaryClip(msg.input)
    // Transferred, not cloned: a clone serialises every buffer, which cost more than the encoding.
    const output: BinaryClipOutput = { frames: out.frames.map(own), masks: out.masks.map((m) => ({ k: m.k, png: own(m.png) })), pkl: own(out.pkl) }
    const transfer = [...output.frames, ...output.masks.map((m) => m.png), output.pkl].map((a) => a.buffer as ArrayBuffer)
    port.postMessage({ id: msg.id, output } satisfies ExportWorkerReply, transfer)
  } catch (err) {
    port.postMessage({ id: msg.id, error: (err as Error).message } satisfies ExportWorkerReply)
  }
})
