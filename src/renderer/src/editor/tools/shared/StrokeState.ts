/**
 * The painting state shared by brush and eraser: a round stroke rasterised live into the label map
 * as capsules between consecutive pointer positions (so fast moves leave no gaps). The stroke is one
 * history gesture: marked on enter, squashed on pointer up, reverted on Escape.
 */
import { fillCapsule } from '../../rasterize'
import type { Point } from '../../types'
import { StateNode, type StateInfo, type ToolPointerEvent } from '../StateNode'

/** Odd sizes centre on pixel centres, even sizes on pixel corners, so size n covers n pixels across. */
export function snapToBrush(v: number, size: number): number {
  return size % 2 === 1 ? Math.floor(v) + 0.5 : Math.round(v)
}

export abstract class StrokeState extends StateNode {
  private markId: string | null = null
  private last: Point | null = null

  /** Label this stroke writes. */
  protected abstract strokeLabel(): number

  override onEnter(info: StateInfo): void {
    const e = info.event as ToolPointerEvent
    const size = this.editor.getSession().brushSize
    const p = { x: snapToBrush(e.x, size), y: snapToBrush(e.y, size) }
    this.markId = this.editor.beginGesture()
    // Shift-click continues in a straight line from where the previous stroke ended.
    const from = e.shift ? this.editor.getLastStrokePoint() : null
    this.segment(from ?? p, p)
  }

  override onPointerMove(e: ToolPointerEvent): void {
    const size = this.editor.getSession().brushSize
    const p = { x: snapToBrush(e.x, size), y: snapToBrush(e.y, size) }
    if (this.last && this.last.x === p.x && this.last.y === p.y) return
    this.segment(this.last ?? p, p)
  }

  override onPointerUp(e: ToolPointerEvent): void {
    this.onPointerMove(e)
    if (this.markId) this.editor.completeGesture(this.markId)
    this.markId = null
    this.editor.setLastStrokePoint(this.last)
    this.parent?.transition('idle')
  }

  override onCancel(): boolean {
    if (this.markId) this.editor.cancelGesture(this.markId)
    this.markId = null
    this.parent?.transition('idle')
    return true
  }

  override onExit(): void {
    // Leaving mid-stroke (tool switch, frame switch) keeps what was painted, as a finished step.
    if (this.markId) this.editor.completeGesture(this.markId)
    this.markId = null
    this.last = null
  }

  private segment(a: Point, b: Point): void {
    const radius = this.editor.getSession().brushSize / 2
    const label = this.strokeLabel()
    this.editor.editMask((map) => fillCapsule(map, a.x, a.y, b.x, b.y, radius, label))
    this.last = b
  }
}
