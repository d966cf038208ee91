import { StateNode } from '../StateNode'
import { Idle } from './Idle'
import { Placing } from './Placing'

/**
 * Polygon: click points; click the first point again (within a few screen pixels) or press Enter
 * to close. Adds the current class, or subtracts (paints background) when Alt or Shift is held on
 * the first or the closing click / Enter. Backspace removes the last point; Escape cancels.
 */
export class PolygonTool extends StateNode {
  static override id = 'polygon'
  static initial = 'idle'
  static children = (): (typeof Idle | typeof Placing)[] => [Idle, Placing]
}
