// The `avs masks` command; cli.ts parses the arguments and hands them here.
import type { App } from '../../app'
import { clipIdsArg, type CliArgs } from './avsbenchCli'
import { MASK_PNG_SOURCES, writeMaskPngs, type MaskPngSource } from './maskPngs'

export async function cmdMasks(app: App, a: CliArgs): Promise<number> {
  const [dir] = a.positional
  if (!dir) a.usage('missing <project> folder')
  const dest = a.flag('out')
  if (!dest) a.usage('missing --out <dir>')
  const sourceText = a.flag('source') ?? 'model'
  if (!MASK_PNG_SOURCES.includes(sourceText as MaskPngSource)) a.usage(`--source must be model or current, got "${sourceText}"`)
  const clipIds = clipIdsArg(a.flag('clips'), a.usage)
  await app.dispatch('project.open', { dir })
  const r = await writeMaskPngs(app.projects.require(), { out: dest, source: sourceText as MaskPngSource, clipIds, overwrite: a.has('overwrite') })
  const left = r.skipped.reduce((n, s) => n + s.frames.length, 0)
  if (a.has('json')) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`)
  else process.stdout.write(`Wrote ${r.masks} ${r.source} mask PNG(s) for ${r.clips} clip(s) to ${r.out}${left ? `; skipped ${left} frame(s)` : ''}\n`)
  for (const s of r.skipped) process.stderr.write(`skipped ${s.clip}: ${s.reason}\n`)
  return 0
}
