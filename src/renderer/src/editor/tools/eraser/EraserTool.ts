import { StateNode } from '../StateNode'
import { Erasing } from './Erasing'
import { Idle } from './Idle'

/** Round eraser: paints background (0). */
export class EraserTool extends StateNode {
  static override id = 'eraser'
  static initial = 'idle'
  static children = (): (typeof Idle | typeof Erasing)[] => [Idle, Erasing]
}
