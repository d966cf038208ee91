import { StateNode, type ToolPointerEvent } from '../StateNode'

export class Idle extends StateNode {
  static override id = 'idle'

  override onPointerDown(e: ToolPointerEvent): void {
    if ((e.button ?? 0) !== 0) return
    // Alt/Shift fills with background instead (clears a closed region).
    this.editor.fill(e.x, e.y, e.alt || e.shift ? 0 : undefined)
  }
}
