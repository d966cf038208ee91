import { runStageBench } from './canvas/stageBench'
import { writes } from './queries/maskWrites'

/** The benchmark hooks behind `?bench=1`, loaded as one chunk only when asked for. */
export const benchHooks = {
  stage: runStageBench,
  /** Stroke end → revision in SQLite for the app's real saves (paint in a clip view first). */
  saveLatencies: () => writes.saveLatencies()
}
