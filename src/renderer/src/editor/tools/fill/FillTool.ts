import { StateNode } from '../StateNode'
import { Idle } from './Idle'

/** Bucket fill: one click fills the 4-connected region of equal label with the current class. */
export class FillTool extends StateNode {
  static override id = 'fill'
  static initial = 'idle'
  static children = (): (typeof Idle)[] => [Idle]
}
