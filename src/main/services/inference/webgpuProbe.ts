// Asks WebGPU for a GPU adapter in a child process. Without one, Dawn (inside onnxruntime-node)
// writes a multi-line Vulkan trace straight to the process's stderr, which no JavaScript can catch;
// in a child that trace lands in a pipe we drop, and the caller gets one plain line instead.
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const PROBE_TIMEOUT_MS = 30_000

/** A 1-element Relu graph (ONNX protobuf, opset 13): the smallest model that makes the WebGPU provider start. */
export function probeModel(): Uint8Array {
  const varint = (n: number): number[] => {
    const out: number[] = []
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80)
      n >>>= 7
    }
    out.push(n)
    return out
  }
  const bytes = (no: number, body: number[] | string): number[] => {
    const b = typeof body === 'string' ? [...Buffer.from(body)] : body
    return [(no << 3) | 2, ...varint(b.length), ...b]
  }
  const int = (no: number, v: number): number[] => [no << 3, ...varint(v)]
  // ValueInfoProto { name, type: TypeProto { tensor_type { elem_type: FLOAT, shape { dim { dim_value: 1 } } } } }
  const value = (name: string): number[] => [...bytes(1, name), ...bytes(2, bytes(1, [...int(1, 1), ...bytes(2, bytes(1, int(1, 1)))]))]
  const node = [...bytes(1, 'x'), ...bytes(2, 'y'), ...bytes(4, 'Relu')]
  const graph = [...bytes(1, node), ...bytes(2, 'webgpu-probe'), ...bytes(11, value('x')), ...bytes(12, value('y'))]
  return Uint8Array.from([...int(1, 8), ...bytes(7, graph), ...bytes(8, int(2, 13))])
}

// Runs in the child: node -e PROBE <onnxruntime-node path> <model base64>; the answer is the line after the marker.
const PROBE = `
const ort = require(process.argv[1])
const say = (o) => process.stdout.write('\\n@@webgpu-probe ' + JSON.stringify(o) + '\\n', () => process.exit(0))
ort.InferenceSession.create(Buffer.from(process.argv[2], 'base64'), { executionProviders: ['webgpu'], logSeverityLevel: 3 })
  .then((s) => s.release())
  .then(() => say({ ok: true }), (e) => say({ ok: false, message: String((e && e.message) || e) }))
`

/**
 * Starts the WebGPU provider on a tiny model in a child process. Resolves to null when it found an
 * adapter, else to ORT's error message (stderr, where Dawn writes its trace, is discarded).
 */
export function probeWebGpuAdapter(): Promise<string | null> {
  let ortPath: string
  try {
    const req = typeof require === 'function' ? require : createRequire(join(process.cwd(), 'package.json'))
    ortPath = req.resolve('onnxruntime-node')
  } catch (err) {
    return Promise.resolve(`onnxruntime-node cannot be found (${(err as Error).message.split('\n')[0]})`)
  }
  return new Promise((resolve) => {
    // In Electron, execPath is the app: ELECTRON_RUN_AS_NODE makes it a plain Node for the probe.
    const child = spawn(process.execPath, ['-e', PROBE, ortPath, Buffer.from(probeModel()).toString('base64')], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'ignore'],
      windowsHide: true
    })
    let out = ''
    child.stdout.on('data', (b: Buffer) => (out += b.toString()))
    // A hung driver call must not outlive us: the probe dies with its parent.
    const killChild = (): void => void child.kill('SIGKILL')
    process.once('exit', killChild)
    const timer = setTimeout(killChild, PROBE_TIMEOUT_MS)
    const done = (): void => {
      clearTimeout(timer)
      process.removeListener('exit', killChild)
    }
    child.once('error', (err) => {
      done()
      resolve(`the WebGPU check could not start (${err.message})`)
    })
    child.once('close', (code, signal) => {
      done()
      const m = /\n@@webgpu-probe (.*)\n/.exec(out)
      let answer: { ok: boolean; message?: string } | null = null
      try {
        answer = m ? (JSON.parse(m[1]) as { ok: boolean; message?: string }) : null
      } catch {
        answer = null
      }
      if (answer) resolve(answer.ok ? null : (answer.message ?? 'unknown error'))
      else if (signal === 'SIGKILL') resolve(`looking for a GPU adapter took over ${PROBE_TIMEOUT_MS / 1000} s`)
      else resolve(`it crashed while looking for a GPU adapter (${signal ?? `exit code ${code}`})`)
    })
  })
}
