import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { expect, test } from 'vitest'

// Where code runs is where it lives (STYLE.md): these import rules keep the layers apart.
const src = resolve(__dirname, '../../src')

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e)
    if (statSync(p).isDirectory()) return files(p)
    return /\.(ts|tsx)$/.test(e) && !/\.test\.tsx?$/.test(e) ? [p] : []
  })
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"\n]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (m) => m[1] ?? m[2] ?? m[3]
  )
}

function violations(layer: string, forbidden: (spec: string, file: string) => boolean): string[] {
  return files(join(src, layer)).flatMap((f) => imports(f).filter((s) => forbidden(s, f)).map((s) => `${relative(src, f)} imports ${s}`))
}

const resolvesInto = (spec: string, file: string, layer: string): boolean =>
  spec.startsWith('.') && resolve(join(file, '..'), spec).startsWith(join(src, layer))

test('src/shared imports nothing from node, electron, the DOM side or main', () => {
  expect(
    violations('shared', (s, f) => s.startsWith('node:') || s === 'electron' || resolvesInto(s, f, 'main') || resolvesInto(s, f, 'renderer') || resolvesInto(s, f, 'preload'))
  ).toEqual([])
})

test('src/renderer never reaches into main, preload code or node', () => {
  expect(violations('renderer', (s, f) => s.startsWith('node:') || s === 'electron' || resolvesInto(s, f, 'main') || (resolvesInto(s, f, 'preload') && !s.endsWith('.d')))).toEqual([])
})

test('src/main imports nothing from the renderer', () => {
  expect(violations('main', (s, f) => resolvesInto(s, f, 'renderer'))).toEqual([])
})

test('only the Electron entry and the preload import electron', () => {
  const users = [...files(join(src, 'main')), ...files(join(src, 'preload'))].filter((f) => imports(f).includes('electron')).map((f) => relative(src, f))
  expect(users.sort()).toEqual(['main/index.ts', 'preload/index.ts'])
})
