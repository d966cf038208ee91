import { StateNode, type ToolPointerEvent } from '../StateNode'

export class Idle extends StateNode {
  static override id = 'idle'

  override onPointerDown(e: ToolPointerEvent): void {
    if ((e.button ?? 0) !== 0) return
    this.parent?.transition('painting', { event: e })
  }
}
