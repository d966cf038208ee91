import { StrokeState } from '../shared/StrokeState'

export class Painting extends StrokeState {
  static override id = 'painting'

  protected strokeLabel(): number {
    return this.editor.getCurrentClass()
  }
}
