// Worker thread of the S4/MS3 export: one clip per message, the encoded files sent back.
import { parentPort } from 'node:worker_threads'
import { encodeBinaryClip, type BinaryClipInput, type BinaryClipOutput } from './encodeBinaryClip'

export type ExportWorkerRequest = { id: number; input: BinaryClipInput }
export type ExportWorkerReply = { id: number; output: BinaryClipOutput } | { id: number; error: string }

const port = parentPort
if (!port) throw new Error('exportWorker must run in a worker thread')

port.on('message', (msg: ExportWorkerRequest) => {
  try {
    const output = encodeBinaryClip(msg.input)
    // Copied, not transferred: encoder outputs may share buffers the worker keeps using.
    port.postMessage({ id: msg.id, output } satisfies ExportWorkerReply)
  } catch (err) {
    port.postMessage({ id: msg.id, error: (err as Error).message } satisfies ExportWorkerReply)
  }
})
