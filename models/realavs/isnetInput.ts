// IS-Net's input, shared by the scripts that run its graph (isnet_features.ts, calibrate.ts).

/** `frames` H×W×3 uint8 RGB frames, packed in `u8`, → `x` as [frames, 3, H, W] with pixels (v − 128) / 256 (IS-Net's normalisation). */
export function isnetInput(u8: Uint8Array, x: Float32Array, frames: number, H: number, W: number): void {
  const plane = H * W
  for (let b = 0; b < frames; b++)
    for (let c = 0; c < 3; c++) {
      const o = (b * 3 + c) * plane
      const s = b * plane * 3 + c
      for (let p = 0; p < plane; p++) x[o + p] = (u8[s + p * 3] - 128) / 256
    }
}
