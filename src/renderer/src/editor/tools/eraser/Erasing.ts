import { StrokeState } from '../shared/StrokeState'

export class Erasing extends StrokeState {
  static override id = 'erasing'

  protected strokeLabel(): number {
    return 0
  }
}
