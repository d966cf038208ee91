/**
 * One action registry (excalidraw actions/register.ts style): every command the editor offers is
 * an Action with an id ('domain.verb'), a label, optional key bindings and `run(editor)`. The same
 * list drives keyboard dispatch, menus, the toolbar and the `?` help sheet.
 */
import type { Editor } from '../Editor'
import { displayCombo, normalizeBinding } from './keys'

export type ActionGroup = 'Tools' | 'Brush' | 'Classes' | 'Edit' | 'View' | 'Review' | 'Playback' | 'Navigation' | 'Help'

export interface Action {
  id: string
  label: string
  group: ActionGroup
  /** Bindings such as 'b', 'mod+shift+z', 'shift+a', 'arrowleft', '?', 'space'. */
  kbd?: string | readonly string[]
  /** Shown in menus / help but false = greyed out and not run. */
  enabled?: (editor: Editor) => boolean
  run: (editor: Editor) => void | Promise<void>
}

export function bindingsOf(action: Action): string[] {
  if (!action.kbd) return []
  return (typeof action.kbd === 'string' ? [action.kbd] : [...action.kbd]).map(normalizeBinding)
}

/** Checks an action's shape and bindings (throws early on a typo) and returns it. */
export function defineAction<A extends Action>(action: A): A {
  if (!/^[a-z][a-zA-Z0-9]*(\.[a-zA-Z0-9]+)+$/.test(action.id)) throw new Error(`action id "${action.id}" is not domain.verb`)
  bindingsOf(action)
  return action
}

export interface DuplicateBinding {
  combo: string
  actionIds: string[]
}

export function findDuplicateBindings(actions: readonly Action[]): DuplicateBinding[] {
  const byCombo = new Map<string, string[]>()
  for (const a of actions) {
    for (const c of new Set(bindingsOf(a))) byCombo.set(c, [...(byCombo.get(c) ?? []), a.id])
  }
  return [...byCombo].filter(([, ids]) => ids.length > 1).map(([combo, actionIds]) => ({ combo, actionIds }))
}

export interface HelpSheetGroup {
  group: ActionGroup
  items: { id: string; label: string; keys: string[] }[]
}

export class ActionRegistry {
  private readonly byId = new Map<string, Action>()
  private readonly byCombo = new Map<string, Action>()

  constructor(readonly actions: readonly Action[]) {
    for (const a of actions) {
      if (this.byId.has(a.id)) throw new Error(`duplicate action id ${a.id}`)
      this.byId.set(a.id, a)
    }
    const dups = findDuplicateBindings(actions)
    if (dups.length > 0) {
      throw new Error('duplicate key bindings: ' + dups.map((d) => `${d.combo} (${d.actionIds.join(', ')})`).join('; '))
    }
    for (const a of actions) for (const c of bindingsOf(a)) this.byCombo.set(c, a)
  }

  get(id: string): Action | undefined {
    return this.byId.get(id)
  }

  forCombo(combo: string): Action | undefined {
    return this.byCombo.get(combo)
  }

  /** Runs an action unless disabled; returns whether it ran. Async results are not awaited here. */
  run(id: string, editor: Editor): boolean {
    const a = this.byId.get(id)
    if (!a || (a.enabled && !a.enabled(editor))) return false
    const result = a.run(editor)
    if (result && typeof (result as Promise<void>).catch === 'function') {
      ;(result as Promise<void>).catch((err: unknown) => editor.reportError(err))
    }
    return true
  }

  /** Groups in first-seen order, each with its display bindings: the `?` sheet and menus. */
  helpSheet(mac = false): HelpSheetGroup[] {
    const groups = new Map<ActionGroup, HelpSheetGroup>()
    for (const a of this.actions) {
      const g = groups.get(a.group) ?? { group: a.group, items: [] }
      g.items.push({ id: a.id, label: a.label, keys: bindingsOf(a).map((c) => displayCombo(c, mac)) })
      groups.set(a.group, g)
    }
    return [...groups.values()]
  }
}
