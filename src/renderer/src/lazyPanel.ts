import { lazy, type ComponentType } from 'react'

/**
 * A panel loaded on first render as its own chunk (React.lazy for a named export), so the start
 * screen does not download the editor, the dataset dialogs or the models dialog.
 */
export function lazyPanel<M extends Record<string, unknown>, K extends keyof M & string>(load: () => Promise<M>, name: K): M[K] {
  return lazy(async () => ({ default: (await load())[name] as ComponentType<unknown> })) as unknown as M[K]
}
