// Activation ranges for int8 quantization (models/realavs/quantize.py): runs an ONNX graph whose
// outputs are the tensors to calibrate (onnxruntime-node, CPU) over a raw uint8 RGB frame file and
// writes each output's per-frame minimum and maximum as JSON.
//   tsx models/realavs/calibrate.ts MODEL.onnx FRAMES.u8 N HxW OUT.json
// FRAMES.u8: N×H×W×3 uint8 RGB; pixels go in as (x − 128) / 256 (IS-Net's normalisation).
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs'
import * as ort from 'onnxruntime-node'
import { isnetInput } from './isnetInput'

async function main(): Promise<void> {
  const [model, framesFile, nStr, sStr, out] = process.argv.slice(2)
  const N = Number(nStr)
  const [H, W] = sStr.split('x').map(Number)
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: Number(process.env.ISNET_THREADS ?? 2), executionProviders: ['cpu'] })
  const ranges: Record<string, { min: number[]; max: number[] }> = Object.fromEntries(session.outputNames.map((n) => [n, { min: [], max: [] }]))
  const fin = openSync(framesFile, 'r')
  const frame = H * W * 3
  const u8 = Buffer.alloc(frame)
  const x = new Float32Array(3 * H * W)
  for (let i = 0; i < N; i++) {
    readSync(fin, u8, 0, frame, i * frame)
    isnetInput(u8, x, 1, H, W)
    const res = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [1, 3, H, W]) })
    for (const [name, t] of Object.entries(res)) {
      const d = t.data as Float32Array
      let lo = Infinity
      let hi = -Infinity
      for (let k = 0; k < d.length; k++) {
        const v = d[k]
        if (v < lo) lo = v
        if (v > hi) hi = v
      }
      ranges[name].min.push(lo)
      ranges[name].max.push(hi)
    }
    process.stderr.write(`calibrate ${i + 1}/${N}\n`)
  }
  closeSync(fin)
  writeFileSync(out, JSON.stringify(ranges))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
