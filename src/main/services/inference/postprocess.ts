// Pure: model logits → a label map at the frame's size, with a confidence.

export interface FrameMask {
  /** One byte per pixel, row-major W×H: 0 background, else the class id (1 for binary). */
  labels: Uint8Array
  /** Mean over pixels of the winning class's probability, in [0.5, 1] for binary. */
  confidence: number
}

/** Source index pairs and weights of a 1-D bilinear resize (PyTorch, align_corners=False). */
function taps(n: number, N: number): { i0: Int32Array; i1: Int32Array; f: Float32Array } {
  const i0 = new Int32Array(N)
  const i1 = new Int32Array(N)
  const f = new Float32Array(N)
  const scale = n / N
  for (let x = 0; x < N; x++) {
    const s = Math.max(0, (x + 0.5) * scale - 0.5)
    const a = Math.min(Math.floor(s), n - 1)
    i0[x] = a
    i1[x] = Math.min(a + 1, n - 1)
    f[x] = s - a
  }
  return { i0, i1, f }
}

/**
 * Frame t of `mask_logits` [T, K, h, w] → labels at W×H: the logits are upsampled bilinearly
 * (align_corners=False), then K = 1 takes sigmoid > 0.5 (logit > 0), K > 1 takes the argmax.
 */
export function logitsToMask(logits: Float32Array, dims: readonly number[], t: number, W: number, H: number): FrameMask {
  if (dims.length !== 4) throw new RangeError(`logitsToMask: logits must be [T, K, h, w], got [${dims.join(', ')}]`)
  const [T, K, h, w] = dims
  if (logits.length !== T * K * h * w) throw new RangeError(`logitsToMask: ${logits.length} values for [${dims.join(', ')}]`)
  if (t < 0 || t >= T) throw new RangeError(`logitsToMask: frame ${t} outside 0..${T - 1}`)
  if (K > 255) throw new RangeError(`logitsToMask: ${K} classes do not fit a byte label map`)
  const xs = taps(w, W)
  const ys = taps(h, H)
  const plane = h * w
  const base = t * K * plane
  const labels = new Uint8Array(W * H)
  const v = new Float64Array(K)
  let conf = 0
  for (let y = 0; y < H; y++) {
    const r0 = ys.i0[y] * w
    const r1 = ys.i1[y] * w
    const fy = ys.f[y]
    for (let x = 0; x < W; x++) {
      const c0 = xs.i0[x]
      const c1 = xs.i1[x]
      const fx = xs.f[x]
      let best = 0
      let bestV = -Infinity
      for (let k = 0; k < K; k++) {
        const p = base + k * plane
        const top = logits[p + r0 + c0] * (1 - fx) + logits[p + r0 + c1] * fx
        const bottom = logits[p + r1 + c0] * (1 - fx) + logits[p + r1 + c1] * fx
        const val = top * (1 - fy) + bottom * fy
        v[k] = val
        if (val > bestV) {
          bestV = val
          best = k
        }
      }
      if (K === 1) {
        const prob = 1 / (1 + Math.exp(-bestV))
        labels[y * W + x] = bestV > 0 ? 1 : 0
        conf += bestV > 0 ? prob : 1 - prob
      } else {
        let sum = 0
        for (let k = 0; k < K; k++) sum += Math.exp(v[k] - bestV)
        labels[y * W + x] = best
        conf += 1 / sum
      }
    }
  }
  return { labels, confidence: conf / (W * H) }
}
