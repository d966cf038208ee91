import type { Frame } from '../../../shared/domain'
import { createLabelMap, type Editor, type LabelMap } from '../editor'
import { call } from '../queries/api'
import type { WriteQueue } from '../queries/maskWrites'
import { decodeMask } from './maskCodec'

const IMAGE_CACHE = 12

/** Resolves when no gesture is in progress (loading a frame into the editor cancels one). */
function gestureFree(editor: Editor): Promise<void> {
  if (!editor.isInGesture() && !editor.isPointerDown()) return Promise.resolve()
  return new Promise((resolve) => {
    const off = editor.subscribe((c) => {
      if (c.kind === 'history' && !editor.isInGesture()) {
        off()
        resolve()
      }
    })
  })
}

/**
 * Brings frames into the editor (current mask + the model's mask, from `mask.get`) and decodes
 * frame images, caching both so that stepping to a neighbouring frame needs no request.
 */
export class FrameLoader {
  private readonly images = new Map<string, Promise<ImageBitmap>>()
  private readonly masks = new Map<number, Promise<void>>()

  constructor(
    private readonly editor: Editor,
    private readonly writes: WriteQueue,
    private readonly mediaUrl: (rel: string) => string
  ) {}

  image(frame: Frame): Promise<ImageBitmap> {
    const url = this.mediaUrl(frame.image)
    let p = this.images.get(url)
    if (p) {
      // Most recently used last, so the oldest is evicted first.
      this.images.delete(url)
      this.images.set(url, p)
      return p
    }
    p = fetch(url, { credentials: 'same-origin' })
      .then((r) => {
        if (!r.ok) throw new Error(`Cannot load frame ${frame.index + 1} (HTTP ${r.status})`)
        return r.blob()
      })
      .then((b) => createImageBitmap(b))
    p.catch(() => this.images.delete(url))
    this.images.set(url, p)
    while (this.images.size > IMAGE_CACHE) {
      const oldest = this.images.keys().next().value as string
      const old = this.images.get(oldest)
      this.images.delete(oldest)
      void old?.then((b) => b.close()).catch(() => undefined)
    }
    return p
  }

  /** Loads the frame's masks into the editor unless it holds them already (its copy may be newer). */
  ensureFrame(frame: Frame): Promise<void> {
    if (this.editor.hasFrame(frame.id)) return Promise.resolve()
    let p = this.masks.get(frame.id)
    if (!p) {
      p = this.fetchMasks(frame).then(async ({ map, model }) => {
        await gestureFree(this.editor)
        if (this.editor.hasFrame(frame.id)) return
        this.editor.loadFrame(frame.id, map, { modelMask: model, status: frame.status, comment: frame.comment, select: false })
      })
      p.catch(() => this.masks.delete(frame.id))
      this.masks.set(frame.id, p)
    }
    return p
  }

  private async fetchMasks(frame: Frame): Promise<{ map: LabelMap; model: LabelMap | null }> {
    // A save of this frame still queued would make the server's copy stale.
    if (this.writes.busy()) await this.writes.settle()
    const current = await call('mask.get', { frameId: frame.id })
    const map = current ? await decodeMask(current) : createLabelMap(frame.width, frame.height)
    let model: LabelMap | null = null
    if (current?.source === 'model') model = map
    else if (current) {
      const m = await call('mask.get', { frameId: frame.id, source: 'model' })
      model = m ? await decodeMask(m) : null
    }
    return { map, model }
  }
}
