import { downscaleLabels, thumbMaskSize, thumbPalette } from '../../../shared/clipThumbs'
import { encodePng } from '../../image/png'
import { decodeMask } from './maskCodec'

/**
 * The clip grid's thumbnail of a stored mask: the label map scaled down to thumbnail size, as a
 * palette PNG in the editor's colours (`thumbPalette`), or null for an empty mask. About 0.3 ms for
 * a 160×90 mask: made once per revision of a clip's first frame (ProjectStore.addMask) and kept.
 */
export function maskThumbPng(data: Buffer, width: number, height: number, binary: boolean): Buffer | null {
  const labels = decodeMask(data, width, height)
  const t = thumbMaskSize(width, height)
  const small = downscaleLabels(labels, width, height, t.width, t.height)
  const pal = thumbPalette(small, binary)
  return pal ? encodePng({ width: t.width, height: t.height, mode: 'P', data: small, palette: pal.palette, paletteAlpha: pal.alpha }) : null
}
