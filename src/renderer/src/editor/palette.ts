/**
 * The AVSBench v2 (AVSS) palette and class names (spec avsbench-format.md §3.4–3.5): the PASCAL-VOC
 * bit-interleave colormap over 71 classes; class index = palette index, 0 = background.
 */

import { AVSS_CLASSES, AVSS_PALETTE, paletteColor } from '../../../shared/avsClasses'
import { BINARY_MASK_COLOR } from '../../../shared/clipThumbs'

export const CLASS_COUNT = AVSS_CLASSES.length

export const AVSS_CLASS_NAMES: readonly string[] = AVSS_CLASSES

export { paletteColor }

/** 71 × RGB, the exact bytes of a P-mode palette (pad with zeros to 768 for a PNG PLTE). */
export const PALETTE_RGB: Uint8Array = AVSS_PALETTE

/** '#rrggbb' of a class, for pickers and legends. */
export function paletteHex(index: number): string {
  const [r, g, b] = paletteColor(index)
  return '#' + [r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')
}

/** Name of a class in a project of the given kind (binary projects have one: "sounding object"). */
export function className(index: number, binary: boolean): string {
  if (binary) return index === 0 ? 'background' : 'sounding object'
  return AVSS_CLASS_NAMES[index] ?? `class ${index}`
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/** Packs RGBA into the native-endian u32 that a Uint32Array view over ImageData bytes expects. */
export function packRGBA(r: number, g: number, b: number, a: number): number {
  return LITTLE_ENDIAN ? ((a << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | a) >>> 0
}

/** Binary projects paint "sounding object" in one bright colour rather than palette[1]'s dark red. */
export const BINARY_COLOR: [number, number, number] = [...BINARY_MASK_COLOR]

/**
 * Label → packed RGBA lookup table (256 entries, so any byte indexes it). Label 0 is transparent;
 * labels ≥ 71 (never valid) get magenta so a bad map is visible rather than silently hidden.
 * `binaryColor` lets binary projects show "sounding object" in a brighter colour than palette[1].
 */
export function buildLut(binaryColor?: [number, number, number]): Uint32Array {
  const lut = new Uint32Array(256)
  for (let i = 1; i < 256; i++) {
    const [r, g, b] = i < CLASS_COUNT ? paletteColor(i) : [255, 0, 255]
    lut[i] = packRGBA(r, g, b, 255)
  }
  if (binaryColor) lut[1] = packRGBA(binaryColor[0], binaryColor[1], binaryColor[2], 255)
  return lut
}
