/**
 * Key combos in one canonical form: 'mod+alt+shift+key', key lower-case, 'mod' = Ctrl or Cmd.
 * Shift is part of a combo only for letters and named keys: for '?', '[', '1' the character
 * already says whether Shift was held (and depends on the layout).
 */
import type { Modifiers } from '../types'

const ALIASES: Record<string, string> = {
  ' ': 'space',
  spacebar: 'space',
  esc: 'escape',
  del: 'delete',
  return: 'enter',
  left: 'arrowleft',
  right: 'arrowright',
  up: 'arrowup',
  down: 'arrowdown'
}

export function normalizeKey(key: string): string {
  const k = key.length === 1 ? key.toLowerCase() : key.toLowerCase().trim()
  return ALIASES[k] ?? k
}

function shiftCounts(key: string): boolean {
  return key.length > 1 || /^[a-z]$/.test(key)
}

export function comboFromEvent(key: string, mods: Modifiers = {}): string {
  const k = normalizeKey(key)
  const parts: string[] = []
  if (mods.ctrl || mods.meta) parts.push('mod')
  if (mods.alt) parts.push('alt')
  if (mods.shift && shiftCounts(k)) parts.push('shift')
  parts.push(k)
  return parts.join('+')
}

/** 'Mod+Shift+Z' → 'mod+shift+z'; throws on a binding that could never match. */
export function normalizeBinding(binding: string): string {
  const raw = binding.trim()
  const parts = raw.split('+')
  const key = normalizeKey(parts.pop() ?? '')
  if (!key) throw new Error(`empty key in binding "${binding}"`)
  const mods: Modifiers = {}
  for (const p of parts) {
    const m = p.toLowerCase()
    if (m === 'mod' || m === 'ctrl' || m === 'cmd' || m === 'meta') mods.ctrl = true
    else if (m === 'alt' || m === 'option') mods.alt = true
    else if (m === 'shift') {
      if (!shiftCounts(key)) throw new Error(`binding "${binding}": write the shifted character instead of shift+${key}`)
      mods.shift = true
    } else throw new Error(`unknown modifier "${p}" in binding "${binding}"`)
  }
  return comboFromEvent(key, mods)
}

const DISPLAY: Record<string, string> = {
  space: 'Space',
  escape: 'Esc',
  arrowleft: '←',
  arrowright: '→',
  arrowup: '↑',
  arrowdown: '↓',
  delete: 'Delete',
  backspace: 'Backspace',
  enter: 'Enter'
}

/** Human form for menus and the help sheet: 'Ctrl+Shift+Z' (or '⌘⇧Z' on macOS). */
export function displayCombo(combo: string, mac = false): string {
  const parts = combo.split('+')
  const key = parts.pop() as string
  const keyText = DISPLAY[key] ?? key.toUpperCase()
  const names = parts.map((m) => (mac ? { mod: '⌘', alt: '⌥', shift: '⇧' } : { mod: 'Ctrl', alt: 'Alt', shift: 'Shift' })[m as 'mod'] ?? m)
  return mac ? names.join('') + keyText : [...names, keyText].join('+')
}
