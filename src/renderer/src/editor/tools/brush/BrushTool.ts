import { StateNode } from '../StateNode'
import { Idle } from './Idle'
import { Painting } from './Painting'

/** Round brush painting the current class. */
export class BrushTool extends StateNode {
  static override id = 'brush'
  static initial = 'idle'
  static children = (): (typeof Idle | typeof Painting)[] => [Idle, Painting]
}
