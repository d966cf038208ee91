import type { ReviewStatus, TaskType } from '../../../shared/domain'

export type { ReviewStatus, TaskType }

/** One frame's mask: one byte per pixel, row-major, 0 = background. */
export interface LabelMap {
  width: number
  height: number
  data: Uint8Array
}

/** Pixel rectangle, half-open: x0 ≤ x < x1, y0 ≤ y < y1. */
export interface Rect {
  x0: number
  y0: number
  x1: number
  y1: number
}

export interface Point {
  x: number
  y: number
}

export interface Modifiers {
  shift?: boolean
  alt?: boolean
  ctrl?: boolean
  meta?: boolean
}

export interface PointerInfo extends Modifiers {
  /** 0 primary, 1 middle (pans), 2 secondary. */
  button?: number
}

export type ToolId = 'brush' | 'eraser' | 'polygon' | 'fill'

export type ModelMaskMode = 'off' | 'over' | 'beside'

export function createLabelMap(width: number, height: number, data?: Uint8Array): LabelMap {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`bad label map size ${width}×${height}`)
  }
  if (data && data.length !== width * height) {
    throw new RangeError(`label map data has ${data.length} bytes, expected ${width * height}`)
  }
  return { width, height, data: data ?? new Uint8Array(width * height) }
}

export function cloneLabelMap(map: LabelMap): LabelMap {
  return { width: map.width, height: map.height, data: map.data.slice() }
}

export function unionRect(a: Rect | null, b: Rect | null): Rect | null {
  if (!a) return b
  if (!b) return a
  return { x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1) }
}

/** Largest class id a project may paint: 1 for binary (S4/MS3), 70 for AVSS. */
export function maxClassFor(task: TaskType): number {
  return task === 'avss' ? 70 : 1
}
