import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/models/**/*.test.ts', 'src/**/*.test.ts'],
    // Everything the tests write to the temporary folder goes under one folder per run, removed at the end.
    globalSetup: ['test/tmpRoot.ts'],
    // Real ffmpeg, ONNX and child processes on a 2-core machine: generous limits, never timing assertions.
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2
  }
})
