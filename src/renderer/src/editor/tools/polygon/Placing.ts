import { fillPolygon } from '../../rasterize'
import type { Modifiers, Point } from '../../types'
import { StateNode, type StateInfo, type ToolKeyEvent, type ToolPointerEvent } from '../StateNode'

export class Placing extends StateNode {
  static override id = 'placing'

  private points: Point[] = []
  private hover: Point | null = null
  private subtract = false
  private markId: string | null = null

  override onEnter(info: StateInfo): void {
    const e = info.event as ToolPointerEvent
    this.points = [{ x: e.x, y: e.y }]
    this.hover = { x: e.x, y: e.y }
    this.subtract = !!(e.alt || e.shift)
    this.markId = this.editor.beginGesture()
    this.publish()
  }

  override onExit(): void {
    if (this.markId) this.editor.cancelGesture(this.markId)
    this.markId = null
    this.points = []
    this.hover = null
    this.editor.setPreview(null)
  }

  override onPointerDown(e: ToolPointerEvent): void {
    if ((e.button ?? 0) !== 0) return
    if (this.isNearFirst(e)) {
      this.close(e)
      return
    }
    const last = this.points[this.points.length - 1]
    // A double click lands twice on the same spot: one vertex, not two.
    if (Math.abs(last.x - e.x) < 0.5 && Math.abs(last.y - e.y) < 0.5) return
    this.points.push({ x: e.x, y: e.y })
    this.publish()
  }

  override onPointerMove(e: ToolPointerEvent): void {
    this.hover = { x: e.x, y: e.y }
    this.publish()
  }

  override onKeyDown(e: ToolKeyEvent): boolean {
    if (e.key === 'enter') {
      if (this.points.length >= 3) this.close(e)
      return true
    }
    if (e.key === 'backspace') {
      this.points.pop()
      if (this.points.length === 0) this.parent?.transition('idle')
      else this.publish()
      return true
    }
    return false
  }

  override onCancel(): boolean {
    this.parent?.transition('idle')
    return true
  }

  private isNearFirst(p: Point): boolean {
    if (this.points.length < 3) return false
    const d = this.editor.getCloseDistance()
    const f = this.points[0]
    return (f.x - p.x) ** 2 + (f.y - p.y) ** 2 <= d * d
  }

  private close(mods: Modifiers): void {
    const subtract = this.subtract || !!(mods.alt || mods.shift)
    const label = subtract ? 0 : this.editor.getCurrentClass()
    const points = this.points
    this.editor.editMask((map) => fillPolygon(map, points, label))
    if (this.markId) this.editor.completeGesture(this.markId)
    this.markId = null
    this.parent?.transition('idle')
  }

  private publish(): void {
    this.editor.setPreview({
      kind: 'polygon',
      points: this.points.slice(),
      hover: this.hover,
      subtract: this.subtract,
      closable: this.hover ? this.isNearFirst(this.hover) : false
    })
  }
}
