// Writes the graph the app gives the WebGPU provider (src/main/services/inference/qdq.ts: the int8
// models with each activation QuantizeLinear/DequantizeLinear pair as a Clip) to a file, for
// bench/gpu/parity.mjs on a GPU machine, which has no TypeScript:
//   npx tsx bench/gpu/gpuGraph.ts models/ccformer-isnet-s4.onnx /tmp/isnet-gpu.onnx
import { readFileSync, writeFileSync } from 'node:fs'
import { stripActivationQdq } from '../../src/main/services/inference/qdq'

const [input, output] = process.argv.slice(2)
if (!input || !output) {
  console.error('usage: npx tsx bench/gpu/gpuGraph.ts <model.onnx> <out.onnx>')
  process.exit(2)
}
const { bytes, removed } = stripActivationQdq(readFileSync(input))
writeFileSync(output, bytes)
console.log(`${output}: ${removed} activation QuantizeLinear/DequantizeLinear pair(s) replaced by Clips, ${bytes.length} bytes`)
