import { benchClipList } from './clipList.bench'
import { benchCodecs } from './codecs.bench'
import { benchEditor } from './editor.bench'
import { benchExport } from './export.bench'
import { benchImport } from './import.bench'
import { benchInference } from './inference.bench'
import { benchRealFootage } from './realFootage.bench'
import { writeResults } from './lib'

/** `npm run bench`: every figure with the baseline measured in the same run, then bench/results.json. */
async function main(): Promise<void> {
  const only = process.argv[2]
  const benches: Array<[string, () => Promise<void>]> = [['import', benchImport], ['export', benchExport], ['codecs', benchCodecs], ['inference', benchInference], ['editor', benchEditor], ['clipList', benchClipList], ['realFootage', async () => void (await benchRealFootage())]]
  for (const [name, fn] of benches) {
    if (only && only !== name) continue
    process.stdout.write(`\n== ${name}\n`)
    await fn()
  }
  writeResults()
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
