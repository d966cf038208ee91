import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { expect, test } from '@playwright/test'
import { modelLicenseText, type ModelInfo } from '../../src/shared/inference'
import { AvsServer, api } from './server'

// The app's licence and every model's licence and origin, in About and in the Models dialog (browser mode).

const repo = resolve(__dirname, '../..')
const shots = join(repo, 'test-results')
const SHIPPED = 'ccformer-tiny-s4'
const server = new AvsServer()
let root = ''
let loginUrl = ''

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'avs-e2e-about-'))
  // Two user models made from the shipped graph (the card's sha256 covers only the .onnx): one whose card names a
  // licence, a source and `default`, one whose card names none.
  const models = join(root, 'home', 'models')
  mkdirSync(models, { recursive: true })
  const shippedCard = JSON.parse(readFileSync(join(repo, 'models', `${SHIPPED}.model.json`), 'utf8')) as Record<string, unknown>
  const { license: _license, license_note: _note, source: _source, default: _default, summary: _summary, ...card } = shippedCard
  for (const stem of ['licensed', 'unstated']) copyFileSync(join(repo, 'models', `${SHIPPED}.onnx`), join(models, `${stem}.onnx`))
  const source = { package: '@example/weights@1.2.3', weights_origin: 'example/original-authors' }
  writeFileSync(join(models, 'licensed.model.json'), JSON.stringify({ ...card, name: 'licensed', license: 'MIT', license_note: 'as its package says', source, default: true, summary: 'Licensed test model: what it is for, its speed and J' }))
  writeFileSync(join(models, 'unstated.model.json'), JSON.stringify({ ...card, name: 'unstated' }))
  mkdirSync(shots, { recursive: true })
  loginUrl = await server.start(join(root, 'home'))
})

test.afterAll(async () => {
  await server.stop()
  if (root) rmSync(root, { recursive: true, force: true })
})

test('About names the AGPL and lists every model with its licence; the Models dialog shows them too', async ({ page }) => {
  await page.goto(loginUrl)
  await expect(page).not.toHaveURL(/token=/)
  const listed = (await api<ModelInfo[]>(page, 'model.list', {})).body
  expect(listed.map((m) => m.id)).toEqual(expect.arrayContaining(['licensed', 'unstated', SHIPPED]))
  expect(listed.find((m) => m.id === 'licensed')).toMatchObject({ isDefault: true, license: 'MIT', licenseNote: 'as its package says' })
  // Cards marked default come first.
  expect(listed.map((m) => m.isDefault)).toEqual(listed.map((m) => m.isDefault).sort((a, b) => Number(b) - Number(a)))

  await page.getByTestId('about-open').click()
  const about = page.getByTestId('about-panel')
  await expect(about).toBeVisible()
  await expect(page.getByTestId('about-license')).toContainText('free software under the GNU AGPL v3 or later')
  await expect(page.getByTestId('about-license')).toContainText('LICENSE')
  const rows = about.getByTestId('about-model')
  await expect(rows).toHaveCount(listed.length)
  // Every model the app found, in the registry's order, with the licence its card names (or what a missing one means).
  for (const [i, m] of listed.entries()) {
    await expect(rows.nth(i)).toHaveAttribute('data-model-id', m.id)
    await expect(rows.nth(i).getByTestId('about-model-license')).toHaveText(modelLicenseText(m))
  }
  const licensed = about.locator('[data-testid="about-model"][data-model-id="licensed"]')
  await expect(licensed).toContainText('default')
  await expect(licensed).toContainText('weights from @example/weights@1.2.3, originally example/original-authors')
  await expect(licensed).toContainText('as its package says')
  // The shipped 1024² model is the default only where one clip of it runs in time; About says so.
  const sharp = about.locator('[data-testid="about-model"][data-model-id="ccformer-isnet-s4-1024"]')
  await expect(sharp).toContainText('default where a clip runs in under 2.6 s')
  await expect(about.locator('[data-testid="about-model"][data-model-id="unstated"] [data-testid="about-model-license"]')).toHaveText('not stated in its card')
  await page.screenshot({ path: join(shots, 'e2e-about-licences.png') })
  await page.getByTestId('about-close').click()
  await expect(about).toHaveCount(0)

  // The Models dialog (a project must be open) shows each model's licence and marks the card's default.
  expect((await api(page, 'project.create', { dir: join(root, 'project'), name: 'About', task: 's4' })).status).toBe(200)
  await page.reload()
  await page.getByTestId('models-open').click()
  const dialog = page.getByTestId('models-dialog')
  await expect(dialog).toBeVisible()
  const row = (id: string) => dialog.locator(`[data-testid="model-row"][data-model-id="${id}"]`)
  await expect(row('licensed').getByTestId('model-license')).toHaveText('licence: MIT')
  await expect(row('licensed').getByTestId('model-card-default')).toHaveText('default')
  // The card's one line for the picker, where it has one.
  await expect(row('licensed').getByTestId('model-summary')).toHaveText('Licensed test model: what it is for, its speed and J')
  await expect(row('unstated').getByTestId('model-summary')).toHaveCount(0)
  await expect(row(SHIPPED).getByTestId('model-license')).toHaveText(`licence: ${modelLicenseText(listed.find((m) => m.id === SHIPPED)!)}`)
  await expect(row(SHIPPED).getByTestId('model-card-default')).toHaveCount(0)
})
