// AVSBench class lists and the AVSS palette (spec avsbench-format §3.4, §3.5). Pure data and math.

/** The 23 S4 categories of AVSBench-object (OFF preprocess_s4.py). */
export const S4_CATEGORIES = [
  'baby_laughter', 'female_singing', 'male_speech', 'dog_barking', 'cat_meowing', 'lions_roaring', 'horse_clip-clop',
  'coyote_howling', 'mynah_bird_singing', 'playing_acoustic_guitar', 'playing_tabla', 'playing_violin', 'playing_piano',
  'playing_ukulele', 'playing_glockenspiel', 'helicopter', 'race_car', 'driving_buses', 'ambulance_siren',
  'typing_on_computer_keyboard', 'chainsawing_trees', 'cap_gun_shooting', 'lawn_mowing'
] as const

/** The 71 AVSS classes in label2idx.json order: position = class index = palette index, 0 = background. */
export const AVSS_CLASSES = [
  'background', 'accordion', 'airplane', 'axe', 'baby', 'bassoon', 'bell', 'bird', 'boat', 'boy', 'bus', 'car', 'cat', 'cello',
  'clarinet', 'clipper', 'clock', 'dog', 'donkey', 'drum', 'duck', 'elephant', 'emergency-car', 'erhu', 'flute', 'frying-food',
  'girl', 'goose', 'guitar', 'gun', 'guzheng', 'hair-dryer', 'handpan', 'harmonica', 'harp', 'helicopter', 'hen', 'horse',
  'keyboard', 'leopard', 'lion', 'man', 'marimba', 'missile-rocket', 'motorcycle', 'mower', 'parrot', 'piano', 'pig', 'pipa',
  'saw', 'saxophone', 'sheep', 'sitar', 'sorna', 'squirrel', 'tabla', 'tank', 'tiger', 'tractor', 'train', 'trombone', 'truck',
  'trumpet', 'tuba', 'ukulele', 'utv', 'vacuum-cleaner', 'violin', 'wolf', 'woman'
] as const

/**
 * The AVSS class a name stands for (1..70), or null: case, spaces and underscores aside
 * ("Emergency car", "emergency_car" → emergency-car); background is no class to paint.
 */
export function avssClassIndex(name: string | null | undefined): number | null {
  if (!name) return null
  const i = (AVSS_CLASSES as readonly string[]).indexOf(avssClassKey(name))
  return i > 0 ? i : null
}

/** A typed class name in AVSS spelling: trimmed, lower case, runs of spaces and underscores as one "-". */
export const avssClassKey = (name: string): string => name.trim().toLowerCase().replace(/[\s_]+/g, '-')

/** PASCAL-VOC bit-interleave colormap of n entries as RGB triplets (OFF get_v2_pallete). */
export function vocPalette(n: number): Uint8Array {
  const out = new Uint8Array(n * 3)
  for (let j = 0; j < n; j++) {
    let lab = j
    let i = 0
    let r = 0
    let g = 0
    let b = 0
    while (lab > 0) {
      r |= ((lab >> 0) & 1) << (7 - i)
      g |= ((lab >> 1) & 1) << (7 - i)
      b |= ((lab >> 2) & 1) << (7 - i)
      i++
      lab >>= 3
    }
    out[j * 3] = r
    out[j * 3 + 1] = g
    out[j * 3 + 2] = b
  }
  return out
}

/** The AVSS palette: 71 RGB triplets (213 bytes). */
export const AVSS_PALETTE: Uint8Array = vocPalette(AVSS_CLASSES.length)

/** `get_v2_pallete` of the official code for one class; magenta for a label that is no class. */
export function paletteColor(index: number): [number, number, number] {
  if (!(index >= 0 && index < AVSS_CLASSES.length)) return [255, 0, 255]
  return [AVSS_PALETTE[index * 3], AVSS_PALETTE[index * 3 + 1], AVSS_PALETTE[index * 3 + 2]]
}

/** label2idx.json exactly as the release has it: 4-space indent, 1-based values, §3.5 order. */
export function label2idxJson(): string {
  const obj: Record<string, number> = {}
  AVSS_CLASSES.forEach((name, i) => (obj[name] = i + 1))
  return JSON.stringify(obj, null, 4)
}

const colourKey = (r: number, g: number, b: number): number => (r << 16) | (g << 8) | b

const PALETTE_INDEX = new Map<number, number>(AVSS_CLASSES.map((_, i) => [colourKey(AVSS_PALETTE[i * 3], AVSS_PALETTE[i * 3 + 1], AVSS_PALETTE[i * 3 + 2]), i]))

/** Class of an exactly matching palette colour, or -1. */
export function paletteClass(r: number, g: number, b: number): number {
  return PALETTE_INDEX.get(colourKey(r, g, b)) ?? -1
}

/** Class of the nearest palette colour (squared RGB distance); for resampled predictions. */
export function nearestPaletteClass(r: number, g: number, b: number): number {
  const exact = paletteClass(r, g, b)
  if (exact >= 0) return exact
  let best = 0
  let bestD = Infinity
  for (let i = 0; i < AVSS_CLASSES.length; i++) {
    const dr = r - AVSS_PALETTE[i * 3]
    const dg = g - AVSS_PALETTE[i * 3 + 1]
    const db = b - AVSS_PALETTE[i * 3 + 2]
    const d = dr * dr + dg * dg + db * db
    if (d < bestD) {
      bestD = d
      best = i
    }
  }
  return best
}
