/**
 * Rasterisers that write one label into a LabelMap. Each touches only its clipped bounding box and
 * returns the rectangle it wrote (null when nothing fell inside the frame). A pixel belongs to a
 * shape when its centre (x + 0.5, y + 0.5) does; there is no anti-aliasing (labels are exact).
 */
import type { LabelMap, Point, Rect } from './types'

const EPS = 1e-7

function grow(rect: Rect | null, y: number, xa: number, xb: number): Rect {
  if (!rect) return { x0: xa, y0: y, x1: xb + 1, y1: y + 1 }
  if (xa < rect.x0) rect.x0 = xa
  if (xb + 1 > rect.x1) rect.x1 = xb + 1
  if (y < rect.y0) rect.y0 = y
  if (y + 1 > rect.y1) rect.y1 = y + 1
  return rect
}

/** x-interval where lo ≤ a·x + c ≤ hi; [] when empty, [-∞, ∞] when a = 0 and it always holds. */
function linearInterval(a: number, c: number, lo: number, hi: number): [number, number] | null {
  if (Math.abs(a) < 1e-12) return c >= lo && c <= hi ? [-Infinity, Infinity] : null
  const p = (lo - c) / a
  const q = (hi - c) / a
  return p <= q ? [p, q] : [q, p]
}

/**
 * A capsule: every pixel within `radius` of the segment a–b (a round stamp when a = b). Rows are
 * filled as spans (the capsule is convex, so each row meets it in one interval), so a 200 px brush
 * costs ~200 `fill` calls whatever the frame size.
 */
export function fillCapsule(map: LabelMap, ax: number, ay: number, bx: number, by: number, radius: number, label: number): Rect | null {
  const { width: w, height: h, data } = map
  if (!(radius > 0) || !Number.isFinite(ax + ay + bx + by + radius)) return null
  const rr = radius + EPS
  const yStart = Math.max(0, Math.ceil(Math.min(ay, by) - rr - 0.5))
  const yEnd = Math.min(h - 1, Math.floor(Math.max(ay, by) + rr - 0.5))
  if (yStart > yEnd) return null
  if (Math.max(ax, bx) + rr < 0 || Math.min(ax, bx) - rr > w) return null
  const dx = bx - ax
  const dy = by - ay
  const len2 = dx * dx + dy * dy
  const len = Math.sqrt(len2)
  const r2 = rr * rr
  let rect: Rect | null = null
  for (let y = yStart; y <= yEnd; y++) {
    const py = y + 0.5
    let lo = Infinity
    let hi = -Infinity
    const da = py - ay
    if (da * da <= r2) {
      const half = Math.sqrt(r2 - da * da)
      lo = Math.min(lo, ax - half)
      hi = Math.max(hi, ax + half)
    }
    const db = py - by
    if (db * db <= r2) {
      const half = Math.sqrt(r2 - db * db)
      lo = Math.min(lo, bx - half)
      hi = Math.max(hi, bx + half)
    }
    if (len2 > 0) {
      // Band: projection t ∈ [0, 1] and perpendicular distance ≤ r, both linear in x.
      const t = linearInterval(dx / len2, (-ax * dx + (py - ay) * dy) / len2, 0, 1)
      const s = t && linearInterval(dy / len, (-ax * dy - (py - ay) * dx) / len, -rr, rr)
      if (t && s) {
        const p = Math.max(t[0], s[0])
        const q = Math.min(t[1], s[1])
        if (p <= q) {
          lo = Math.min(lo, p)
          hi = Math.max(hi, q)
        }
      }
    }
    if (lo > hi) continue
    const xa = Math.max(0, Math.ceil(lo - 0.5))
    const xb = Math.min(w - 1, Math.floor(hi - 0.5))
    if (xa > xb) continue
    const row = y * w
    data.fill(label, row + xa, row + xb + 1)
    rect = grow(rect, y, xa, xb)
  }
  return rect
}

export function fillCircle(map: LabelMap, cx: number, cy: number, radius: number, label: number): Rect | null {
  return fillCapsule(map, cx, cy, cx, cy, radius, label)
}

export type FillRule = 'evenodd' | 'nonzero'

/** Scanline polygon fill (even-odd by default); self-intersecting outlines are fine. */
export function fillPolygon(map: LabelMap, points: readonly Point[], label: number, rule: FillRule = 'evenodd'): Rect | null {
  const n = points.length
  if (n < 3) return null
  const { width: w, height: h, data } = map
  let minY = Infinity
  let maxY = -Infinity
  let minX = Infinity
  let maxX = -Infinity
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) return null
    if (p.y < minY) minY = p.y
    if (p.y > maxY) maxY = p.y
    if (p.x < minX) minX = p.x
    if (p.x > maxX) maxX = p.x
  }
  if (maxX < 0 || minX > w) return null
  const yStart = Math.max(0, Math.ceil(minY - 0.5))
  const yEnd = Math.min(h - 1, Math.ceil(maxY - 0.5) - 1)
  const xs = new Float64Array(n)
  const dirs = new Int8Array(n)
  const order: number[] = []
  let rect: Rect | null = null
  for (let y = yStart; y <= yEnd; y++) {
    const py = y + 0.5
    let k = 0
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const yi = points[i].y
      const yj = points[j].y
      // Half-open rule so a vertex exactly on the scanline is counted once.
      if (yi <= py !== yj <= py) {
        const xi = points[i].x
        xs[k] = xi + ((py - yi) * (points[j].x - xi)) / (yj - yi)
        dirs[k] = yj > yi ? 1 : -1
        k++
      }
    }
    if (k < 2) continue
    const row = y * w
    const span = (x0: number, x1: number): void => {
      const xa = Math.max(0, Math.ceil(x0 - 0.5))
      const xb = Math.min(w - 1, Math.ceil(x1 - 0.5) - 1)
      if (xa > xb) return
      data.fill(label, row + xa, row + xb + 1)
      rect = grow(rect, y, xa, xb)
    }
    if (rule === 'evenodd') {
      const sorted = xs.subarray(0, k).sort()
      for (let m = 0; m + 1 < k; m += 2) span(sorted[m], sorted[m + 1])
    } else {
      order.length = 0
      for (let m = 0; m < k; m++) order.push(m)
      order.sort((a, b) => xs[a] - xs[b])
      let winding = 0
      for (let m = 0; m + 1 < k; m++) {
        winding += dirs[order[m]]
        if (winding !== 0) span(xs[order[m]], xs[order[m + 1]])
      }
    }
  }
  return rect
}

/**
 * Bucket fill: the 4-connected region of pixels equal to the one at (x, y) becomes `label`
 * (span fill, so memory stays O(height)). Null when (x, y) is outside or already `label`.
 */
export function floodFill(map: LabelMap, x: number, y: number, label: number): Rect | null {
  const { width: w, height: h, data } = map
  const sx = Math.floor(x)
  const sy = Math.floor(y)
  if (!(sx >= 0 && sy >= 0 && sx < w && sy < h)) return null
  const target = data[sy * w + sx]
  if (target === label) return null
  let rect: Rect | null = null
  const stack: number[] = [sy * w + sx]
  while (stack.length > 0) {
    const idx = stack.pop() as number
    if (data[idx] !== target) continue
    const cy = (idx / w) | 0
    const row = cy * w
    let lx = idx - row
    let rx = lx
    while (lx > 0 && data[row + lx - 1] === target) lx--
    while (rx < w - 1 && data[row + rx + 1] === target) rx++
    data.fill(label, row + lx, row + rx + 1)
    rect = grow(rect, cy, lx, rx)
    for (const ny of [cy - 1, cy + 1]) {
      if (ny < 0 || ny >= h) continue
      const nrow = ny * w
      let inRun = false
      for (let xx = lx; xx <= rx; xx++) {
        const match = data[nrow + xx] === target
        if (match && !inRun) stack.push(nrow + xx)
        inRun = match
      }
    }
  }
  return rect
}

/** Copies `src` into `dst` (nearest-neighbour when the sizes differ); returns the whole frame. */
export function copyLabels(dst: LabelMap, src: LabelMap): Rect {
  if (src.width === dst.width && src.height === dst.height) {
    dst.data.set(src.data)
  } else {
    const { width: w, height: h } = dst
    const xMap = new Int32Array(w)
    for (let x = 0; x < w; x++) xMap[x] = Math.min(src.width - 1, Math.floor(((x + 0.5) * src.width) / w))
    for (let y = 0; y < h; y++) {
      const sy = Math.min(src.height - 1, Math.floor(((y + 0.5) * src.height) / h))
      const srow = sy * src.width
      const drow = y * w
      for (let x = 0; x < w; x++) dst.data[drow + x] = src.data[srow + xMap[x]]
    }
  }
  return { x0: 0, y0: 0, x1: dst.width, y1: dst.height }
}

export function fillAll(map: LabelMap, label: number): Rect {
  map.data.fill(label)
  return { x0: 0, y0: 0, x1: map.width, y1: map.height }
}
