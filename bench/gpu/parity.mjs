#!/usr/bin/env node
// GPU parity and timing of an ONNX model on every execution provider that loads here, against CPU.
// Plain JavaScript so it runs on a bare GPU machine through ../shared/tools/gpu-pack.sh:
//   source .gpu-pack/setup.sh && $NODE bench/gpu/parity.mjs models/ccformer-tiny-s4.onnx [--inputs DIR] [--threads N] [--runs 10] [--json out.json]
// DIR holds frames.bin / audio_log_mel.bin (little-endian float32) and, optionally, expected.bin
// (PyTorch's output: bench/gpu/torch_bench.py writes all three). Without DIR the inputs are seeded
// random values of the graph's input shapes. Per provider it reports: whether it loaded (and why
// not, in words), median ms per clip, max |Δ| against CPU (pass ≤ 1e-3), and which nodes ORT
// placed on the CPU instead (from its verbose log, run in a child process).
// With no GPU provider it prints "no GPU provider available: …" and exits 0.
// `parity.mjs <model.onnx> --placement <provider>` prints only the node placement, as JSON.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'

const require = createRequire(join(process.cwd(), 'package.json'))
const ort = require('onnxruntime-node')
const argv = process.argv.slice(2)
const opt = (k, d) => {
  const i = argv.indexOf(`--${k}`)
  return i >= 0 ? argv[i + 1] : d
}
const model = argv.find((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--')))
const TOL = 1e-3

if (opt('placement-child')) {
  // Child: load with verbose logging so ORT prints its node placement on stderr, then exit.
  await ort.InferenceSession.create(model, { executionProviders: [opt('placement-child')], logSeverityLevel: 0, logVerbosityLevel: 0, graphOptimizationLevel: 'all' })
  process.exit(0)
}
if (!model || !existsSync(model)) {
  console.error('usage: node bench/gpu/parity.mjs <model.onnx> [--inputs DIR] [--threads N] [--runs N] [--json out.json] | <model.onnx> --placement <provider>')
  process.exit(2)
}
if (opt('placement')) {
  // Only where ORT places the nodes on one provider, as JSON (no run; test/integration/webgpuSoftware.test.ts).
  console.log(JSON.stringify(placement(opt('placement'))))
  process.exit(0)
}
const threads = Number(opt('threads', String(Math.min(availableParallelism(), 8))))
const runs = Number(opt('runs', '10'))
const inputsDir = opt('inputs')

const f32 = (file) => {
  const b = readFileSync(file)
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length))
}
function randomFeeds(session) {
  let s = 12345
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1
  const feeds = {}
  for (const m of session.inputMetadata) {
    const n = m.shape.reduce((a, b) => a * b, 1)
    feeds[m.name] = new ort.Tensor('float32', Float32Array.from({ length: n }, rnd), m.shape)
  }
  return feeds
}

function plain(id, err) {
  const msg = String(err?.message ?? err)
  if (id === 'webgpu' && /adapter/i.test(msg)) return 'no GPU adapter (WebGPU needs the GPU driver and, on Linux, libvulkan.so.1)'
  if (/Failed to load|cannot open shared object/i.test(msg)) return `its libraries are not installed (${id === 'cuda' ? 'npm run gpu:install; needs CUDA 12 + cuDNN 9' : msg.split('\n')[0]})`
  return msg.split('\n')[0].slice(0, 200)
}

/**
 * Where ORT placed the model's nodes on provider `id`: allOn (one provider took all), onCpu / onDevice
 * (node counts), cpuOps (the op types left on the CPU) and cpuOpCounts (how many of each).
 */
function placement(id) {
  // The verbose log of an int8 isnet model is over 1 MB, spawnSync's default buffer.
  const r = spawnSync(process.execPath, [new URL(import.meta.url).pathname, model, '--placement-child', id], { encoding: 'utf8', env: process.env, maxBuffer: 256 << 20 })
  const log = `${r.stdout}\n${r.stderr}`
  const all = /All nodes placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(log)
  if (all) return { allOn: all[1], onCpu: all[1] === 'CPUExecutionProvider' ? Number(all[2]) : 0, onDevice: all[1] === 'CPUExecutionProvider' ? 0 : Number(all[2]), cpuOps: [], cpuOpCounts: {} }
  // Mixed placement: a header per provider, then one verbose line per node ("…Ep]   OpType (name)").
  const lines = log.split('\n')
  const at = lines.findIndex((l) => /Node\(s\) placed on \[CPUExecutionProvider\]/.test(l))
  const cpuOpCounts = {}
  for (let i = at + 1; at >= 0 && i < lines.length && !/placed on/.test(lines[i]); i++) {
    const m = /\]\s{3,}(\S+)/.exec(lines[i])
    if (!m) break
    cpuOpCounts[m[1]] = (cpuOpCounts[m[1]] ?? 0) + 1
  }
  const cpu = at >= 0 ? /Number of nodes: (\d+)/.exec(lines[at]) : null
  const device = /Node\(s\) placed on \[(?!CPUExecutionProvider)\w+\]\. Number of nodes: (\d+)/.exec(log)
  return { allOn: null, onCpu: cpu ? Number(cpu[1]) : null, onDevice: device ? Number(device[1]) : null, cpuOps: Object.keys(cpuOpCounts), cpuOpCounts }
}

async function measure(id, feeds) {
  const session = await ort.InferenceSession.create(model, { executionProviders: [id], graphOptimizationLevel: 'all', intraOpNumThreads: threads, logSeverityLevel: 3 })
  const name = session.outputNames[0]
  let out
  for (let i = 0; i < 2; i++) out = (await session.run(feeds))[name]
  const times = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    out = (await session.run(feeds))[name]
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  await session.release()
  return { ms: times[Math.floor(times.length / 2)], out: out.data }
}

const maxDiff = (a, b) => {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

const cpuSession = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], logSeverityLevel: 3 })
const feeds = inputsDir
  ? Object.fromEntries(cpuSession.inputMetadata.map((m) => [m.name, new ort.Tensor('float32', f32(join(inputsDir, `${m.name}.bin`)), m.shape)]))
  : randomFeeds(cpuSession)
await cpuSession.release()
const cpu = await measure('cpu', feeds)
const expected = inputsDir && existsSync(join(inputsDir, 'expected.bin')) ? f32(join(inputsDir, 'expected.bin')) : null
const report = { model, threads, runs, node: process.versions.node, cpu: { ms: cpu.ms, maxDiffVsTorch: expected ? maxDiff(cpu.out, expected) : null }, providers: [] }
console.log(`CPU (${threads} threads): ${cpu.ms.toFixed(1)} ms/clip${expected ? `, max|Δ| vs PyTorch ${report.cpu.maxDiffVsTorch.toExponential(2)}` : ''}`)

const backends = ort.listSupportedBackends().map((b) => b.name).filter((n) => n !== 'cpu' && n !== 'tensorrt')
for (const id of backends) {
  try {
    const r = await measure(id, feeds)
    const d = maxDiff(r.out, cpu.out)
    const p = placement(id)
    report.providers.push({ id, loaded: true, ms: r.ms, speedupVsCpu: cpu.ms / r.ms, maxDiffVsCpu: d, parity: d <= TOL, placement: p })
    console.log(`${id}: ${r.ms.toFixed(1)} ms/clip (${(cpu.ms / r.ms).toFixed(2)}× CPU), max|Δ| vs CPU ${d.toExponential(2)} ${d <= TOL ? 'PASS' : 'FAIL'} (≤ ${TOL}); ` +
      (p.allOn ? `all nodes on ${p.allOn}` : `${p.onCpu ?? '?'} node(s) on CPU${p.cpuOps.length ? `: ${p.cpuOps.join(', ')}` : ''}`))
  } catch (err) {
    report.providers.push({ id, loaded: false, reason: plain(id, err) })
  }
}
const loaded = report.providers.filter((p) => p.loaded)
if (!loaded.length) console.log(`no GPU provider available: ${report.providers.map((p) => `${p.id}: ${p.reason}`).join('; ') || 'this onnxruntime-node build has none'}`)
if (opt('json')) writeFileSync(opt('json'), `${JSON.stringify(report, null, 2)}\n`)
process.exit(loaded.some((p) => !p.parity) ? 1 : 0)
