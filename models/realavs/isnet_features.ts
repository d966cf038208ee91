// Runs the IS-Net ONNX graph (onnxruntime-node, CPU) over a raw uint8 RGB frame file and writes
// the requested outputs as raw float32 files, for caching frozen encoder features in training
// (models/realavs/features.py calls this; Python has no onnxruntime here).
//   tsx models/realavs/isnet_features.ts MODEL.onnx FRAMES.u8 N HxW OUTDIR name=file ...
// FRAMES.u8: N×H×W×3 uint8 RGB. Pixels go in as (x − 128) / 256 (IS-Net's normalisation).
// A file name ending in .f16 is written as IEEE half floats (round to nearest even), else float32.
import { closeSync, openSync, readSync, writeSync } from 'node:fs'
import * as ort from 'onnxruntime-node'
import { isnetInput } from './isnetInput'

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)
function toHalf(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length)
  for (let i = 0; i < src.length; i++) {
    f32[0] = src[i]
    const x = u32[0]
    const sign = (x >>> 16) & 0x8000
    const e = ((x >>> 23) & 0xff) - 127 + 15
    let m = x & 0x7fffff
    if (e >= 31) out[i] = sign | 0x7c00 | (((x >>> 23) & 0xff) === 0xff && m ? 0x200 : 0)
    else if (e <= 0) {
      if (e < -10) out[i] = sign
      else {
        m |= 0x800000
        const shift = 14 - e
        let h = m >>> shift
        const rem = m & ((1 << shift) - 1)
        const half = 1 << (shift - 1)
        if (rem > half || (rem === half && h & 1)) h++
        out[i] = sign | h
      }
    } else {
      let h = (e << 10) | (m >>> 13)
      const rem = m & 0x1fff
      if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++
      out[i] = sign | h
    }
  }
  return out
}

async function main(): Promise<void> {
  const [model, framesFile, nStr, sStr, outDir, ...pairs] = process.argv.slice(2)
  const N = Number(nStr)
  const [H, W] = sStr.includes('x') ? sStr.split('x').map(Number) : [Number(sStr), Number(sStr)]
  const threads = Number(process.env.ISNET_THREADS ?? 2)
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, executionProviders: ['cpu'] })
  const inputName = session.inputNames[0]
  const meta = session.inputMetadata[0] as { shape?: readonly (number | string)[] }
  const B = typeof meta.shape?.[0] === 'number' ? (meta.shape[0] as number) : 1
  const outs = pairs.map((p) => p.split('='))
  const fds = outs.map(([, f]) => openSync(`${outDir}/${f}`, 'w'))
  const fin = openSync(framesFile, 'r')
  const frame = H * W * 3
  const u8 = Buffer.alloc(B * frame)
  const x = new Float32Array(B * 3 * H * W)
  const t0 = performance.now()
  for (let i = 0; i < N; i += B) {
    const n = Math.min(B, N - i)
    u8.fill(0)
    readSync(fin, u8, 0, n * frame, i * frame)
    isnetInput(u8, x, B, H, W)
    const res = await session.run({ [inputName]: new ort.Tensor('float32', x, [B, 3, H, W]) })
    outs.forEach(([name], k) => {
      const t = res[name]
      const per = (t.data as Float32Array).length / B
      const d = t.data as Float32Array
      const part = d.subarray(0, per * n)
      const arr = outs[k][1].endsWith('.f16') ? toHalf(part) : part
      writeSync(fds[k], Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength))
    })
    if ((i / B) % 20 === 0) process.stderr.write(`isnet ${i + n}/${N} ${((performance.now() - t0) / 1000).toFixed(0)} s\n`)
  }
  fds.forEach((f) => closeSync(f))
  closeSync(fin)
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
