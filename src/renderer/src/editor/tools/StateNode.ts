/**
 * A tool state machine node (tldraw StateNode style): a tool is a node whose children are its
 * states; events go to the deepest active state. States only handle pointer/key/enter/exit/cancel.
 */
import type { Editor } from '../Editor'
import type { Modifiers, PointerInfo } from '../types'

export interface ToolPointerEvent extends PointerInfo {
  /** Frame pixel coordinates (continuous). */
  x: number
  y: number
}

export interface ToolKeyEvent extends Modifiers {
  /** Normalised key: lower-case `KeyboardEvent.key`, 'space' for ' '. */
  key: string
}

export type StateInfo = Record<string, unknown>

export interface StateNodeConstructor {
  new (editor: Editor, parent?: StateNode): StateNode
  id: string
}

export abstract class StateNode {
  static id: string
  readonly id: string
  readonly children = new Map<string, StateNode>()
  current: StateNode | null = null

  constructor(
    readonly editor: Editor,
    readonly parent: StateNode | null = null
  ) {
    const ctor = this.constructor as unknown as { id: string; children?: () => StateNodeConstructor[]; initial?: string }
    this.id = ctor.id
    for (const Child of ctor.children?.() ?? []) this.children.set(Child.id, new Child(editor, this))
  }

  /** The active leaf path, e.g. 'brush.painting'. */
  getPath(): string {
    return this.current ? `${this.id}.${this.current.getPath()}` : this.id
  }

  /** Switches this node's active child (exiting the old one, entering the new one). */
  transition(childId: string, info: StateInfo = {}): void {
    const next = this.children.get(childId)
    if (!next) throw new Error(`${this.id} has no state ${childId}`)
    this.current?.exit(info)
    this.current = next
    next.enter(info)
  }

  enter(info: StateInfo): void {
    this.onEnter?.(info)
    const initial = (this.constructor as unknown as { initial?: string }).initial
    if (initial) {
      this.current = this.children.get(initial) ?? null
      this.current?.enter(info)
    }
  }

  exit(info: StateInfo): void {
    this.current?.exit(info)
    this.current = null
    this.onExit?.(info)
  }

  /** Dispatches to the deepest active state first; returns true when someone handled it. */
  handlePointerDown(e: ToolPointerEvent): void {
    if (this.current) this.current.handlePointerDown(e)
    else this.onPointerDown?.(e)
  }

  handlePointerMove(e: ToolPointerEvent): void {
    if (this.current) this.current.handlePointerMove(e)
    else this.onPointerMove?.(e)
  }

  handlePointerUp(e: ToolPointerEvent): void {
    if (this.current) this.current.handlePointerUp(e)
    else this.onPointerUp?.(e)
  }

  /** Keys go to the leaf; true = consumed (the action registry is not consulted). */
  handleKeyDown(e: ToolKeyEvent): boolean {
    if (this.current && this.current.handleKeyDown(e)) return true
    return this.onKeyDown?.(e) ?? false
  }

  /** Escape / interruption. True when a gesture was cancelled. */
  handleCancel(): boolean {
    if (this.current && this.current.handleCancel()) return true
    return this.onCancel?.() ?? false
  }

  onEnter?(info: StateInfo): void
  onExit?(info: StateInfo): void
  onPointerDown?(e: ToolPointerEvent): void
  onPointerMove?(e: ToolPointerEvent): void
  onPointerUp?(e: ToolPointerEvent): void
  onKeyDown?(e: ToolKeyEvent): boolean
  onCancel?(): boolean
}
