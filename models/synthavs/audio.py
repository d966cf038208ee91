"""VGGish log-mel front end, exactly spec ccformer.md §4 / avsbench-format §4.3 (numpy, float64)."""
import numpy as np

SR = 16000
WIN, HOP, NFFT, NMEL = 400, 160, 512, 64


def mel_matrix():
    hz2mel = lambda f: 1127.0 * np.log(1.0 + f / 700.0)
    nbins = NFFT // 2 + 1
    bins_mel = hz2mel(np.linspace(0.0, SR / 2, nbins))
    edges = np.linspace(hz2mel(125.0), hz2mel(7500.0), NMEL + 2)
    W = np.empty((nbins, NMEL))
    for i in range(NMEL):
        lo, c, hi = edges[i:i + 3]
        W[:, i] = np.maximum(0.0, np.minimum((bins_mel - lo) / (c - lo), (hi - bins_mel) / (hi - c)))
    W[0, :] = 0.0
    return W


_W = mel_matrix()


def log_mel_examples(x):
    """x: float mono waveform at 16 kHz -> float32 [N, 1, 96, 64] (incomplete tail dropped)."""
    x = np.asarray(x, dtype=np.float64)
    nfr = 1 + (len(x) - WIN) // HOP
    idx = np.arange(WIN)[None, :] + HOP * np.arange(nfr)[:, None]
    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WIN) / WIN)
    spec = np.abs(np.fft.rfft(x[idx] * win, NFFT))
    lm = np.log(spec @ _W + 0.01)
    nex = 1 + (nfr - 96) // 96
    ex = np.stack([lm[i * 96:i * 96 + 96] for i in range(nex)])
    return ex[:, None].astype(np.float32)


def pcm16(x):
    """Quantise like a 16-bit WAV round trip (what readers see): int16 / 32768."""
    q = np.clip(np.round(np.asarray(x) * 32767.0), -32768, 32767)
    return q / 32768.0
