"""Assets for SynthAVS: emoji sprites, backgrounds and the per-class sound bank.

Everything is built once into ``<cache>/assets`` (default ``models/data/assets``) from Debian
packages and is deterministic:
  * sprites: Noto Color Emoji (``fonts-noto-color-emoji``) rendered with Pillow at 109 px,
  * backgrounds: wallpapers shipped in Debian packages (``gnome-backgrounds``, ``ukui-wallpapers``;
    any image under /usr/share/backgrounds, /usr/share/wallpapers) plus procedural textures,
  * audio: one 56 s track per class at 16 kHz mono, rendered with FluidSynth from the FluidR3 GM
    sound font (``fluidsynth``, ``fluid-soundfont-gm``) or spoken by ``espeak-ng``. Seconds
    [0,34) feed the train split, [34,45) val and [45,56) test (disjoint sound material).
"""
import glob
import hashlib
import json
import os
import struct
import subprocess
import tempfile
import wave

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .classes import CLASSES

SR = 16000
TRACK_SECONDS = 56
SPLIT_WINDOWS = {"train": (0.0, 34.0), "val": (34.0, 45.0), "test": (45.0, 56.0)}
EMOJI_FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
BG_DIRS = ["/usr/share/backgrounds", "/usr/share/wallpapers"]
BG_SIZE = 448
ASSET_VERSION = 4


def find_ffmpeg():
    """ffmpeg used for resampling/encoding: the app's npm-bundled one if present, else PATH."""
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.abspath(os.path.join(here, "..", ".."))
    cand = os.path.join(root, "node_modules", "@ffmpeg-installer", "linux-x64", "ffmpeg")
    if os.environ.get("FFMPEG"):
        return os.environ["FFMPEG"]
    if os.path.exists(cand):
        return cand
    return "ffmpeg"


# ----------------------------------------------------------------------------------- sprites
def render_sprites():
    font = ImageFont.truetype(EMOJI_FONT, 109)
    out = []
    for c in CLASSES:
        im = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
        ImageDraw.Draw(im).text((10, 10), c["emoji"], font=font, embedded_color=True)
        a = np.asarray(im)[..., 3]
        ys, xs = np.nonzero(a >= 128)
        im = im.crop((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))
        out.append(np.asarray(im).copy())
    return out


# ------------------------------------------------------------------------------- backgrounds
def _list_bg_files():
    files = []
    for d in BG_DIRS:
        for ext in ("jpg", "jpeg", "png", "webp"):
            files += glob.glob(os.path.join(d, "**", "*." + ext), recursive=True)
    files = sorted(set(os.path.realpath(f) for f in files))
    return files


def build_backgrounds(dst):
    """Decode every wallpaper once to a BG_SIZE² center crop; split assignment by sorted index."""
    files = _list_bg_files()
    names = []
    for f in files:
        try:
            im = Image.open(f).convert("RGB")
        except Exception:
            continue
        w, h = im.size
        if min(w, h) < 200:
            continue
        s = min(w, h)
        im = im.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))
        im = im.resize((BG_SIZE, BG_SIZE), Image.BILINEAR)
        name = "bg_%03d.png" % len(names)
        im.save(os.path.join(dst, name))
        names.append({"file": name, "source": f})
    # disjoint split: index mod 5 -> 0,1,2 train, 3 val, 4 test
    for i, n in enumerate(names):
        n["split"] = ["train", "train", "train", "val", "test"][i % 5]
    return names


# ---------------------------------------------------------------------------------- midi
def _vlq(n):
    b = [n & 0x7F]
    n >>= 7
    while n:
        b.append((n & 0x7F) | 0x80)
        n >>= 7
    return bytes(reversed(b))


def write_midi(path, events, tpq=480, tempo_us=500000):
    """events: list of (time_s, bytes) MIDI channel messages. Tempo 120 bpm -> 960 ticks/s."""
    tps = tpq * 1e6 / tempo_us
    events = sorted(events, key=lambda e: (e[0], e[1][0] & 0xF0 == 0x90))
    trk = bytearray(b"\x00\xff\x51\x03" + tempo_us.to_bytes(3, "big"))
    last = 0
    for t, msg in events:
        tick = int(round(t * tps))
        trk += _vlq(max(0, tick - last)) + msg
        last = max(last, tick)
    trk += b"\x00\xff\x2f\x00"
    with open(path, "wb") as f:
        f.write(b"MThd" + struct.pack(">IHHH", 6, 0, 1, tpq))
        f.write(b"MTrk" + struct.pack(">I", len(trk)) + trk)


def _note(ev, ch, t, dur, pitch, vel):
    ev.append((t, bytes([0x90 | ch, pitch, vel])))
    ev.append((t + dur, bytes([0x80 | ch, pitch, 0])))


def _gm_events(rng, prog, ch, t0, t1):
    """A continuous musical part for one GM program between t0 and t1 seconds."""
    ev = [(t0, bytes([0xC0 | ch, prog]))]
    t = t0
    if prog in (125,):  # helicopter: long sustained notes, overlapping
        while t < t1:
            d = rng.uniform(2.0, 4.0)
            _note(ev, ch, t, min(d + 0.5, t1 - t), int(rng.integers(40, 60)), 110)
            t += d
        return ev
    if prog == 127:  # gunshot: bursts of shots
        while t < t1:
            n = int(rng.integers(2, 6))
            for _ in range(n):
                if t >= t1:
                    break
                _note(ev, ch, t, 0.3, int(rng.integers(50, 70)), 120)
                t += rng.uniform(0.12, 0.3)
            t += rng.uniform(0.05, 0.3)
        return ev
    if prog == 123:  # bird tweet: chirps
        while t < t1:
            _note(ev, ch, t, rng.uniform(0.2, 0.5), int(rng.integers(60, 90)), 120)
            t += rng.uniform(0.12, 0.35)
        return ev
    # melodic instruments
    lo, hi, dmin, dmax, chord_p = {
        0: (48, 84, 0.12, 0.45, 0.3), 25: (40, 76, 0.12, 0.35, 0.2), 40: (55, 88, 0.3, 0.9, 0.0),
        105: (50, 79, 0.1, 0.25, 0.2), 9: (72, 100, 0.12, 0.4, 0.0), 56: (55, 82, 0.2, 0.6, 0.0),
        65: (49, 80, 0.15, 0.6, 0.0), 21: (50, 77, 0.25, 0.7, 0.5), 73: (60, 96, 0.2, 0.6, 0.0),
    }.get(prog, (48, 84, 0.15, 0.5, 0.0))
    scale = np.array([0, 2, 4, 5, 7, 9, 11])
    root = int(rng.integers(0, 12))
    pitch = int(rng.integers(lo + 6, hi - 6))
    while t < t1:
        d = float(rng.uniform(dmin, dmax))
        pitch = int(np.clip(pitch + rng.integers(-4, 5), lo, hi))
        pc = (pitch - root) % 12
        pitch += int(scale[np.argmin(np.abs(scale - pc))] - pc)
        vel = int(rng.integers(80, 120))
        _note(ev, ch, t, d * 1.05, pitch, vel)
        if rng.random() < chord_p:
            _note(ev, ch, t, d * 1.05, max(lo, pitch - 4), vel - 10)
            _note(ev, ch, t, d * 1.05, max(lo, pitch - 7), vel - 10)
        t += d
    return ev


def _perc_events(rng, kind, t0, t1):
    ev = []
    ch = 9
    t = t0
    if kind == "tabla":
        beat = 0.15
        while t < t1:
            p = int(rng.choice([60, 61, 62, 63, 64]))
            _note(ev, ch, t, 0.1, p, int(rng.integers(80, 127)))
            t += beat * int(rng.choice([1, 1, 2]))
    elif kind == "clipclop":
        while t < t1:
            for off, p in ((0.0, 76), (0.12, 77), (0.3, 76), (0.42, 77)):
                _note(ev, ch, t + off, 0.08, p, int(rng.integers(90, 127)))
            t += rng.uniform(0.55, 0.65)
    else:  # drum kit
        beat = rng.uniform(0.22, 0.28)
        i = 0
        while t < t1:
            if i % 4 in (0, 2):
                _note(ev, ch, t, 0.1, 36, 120)
            if i % 4 in (1, 3):
                _note(ev, ch, t, 0.1, 38, 115)
            _note(ev, ch, t, 0.05, 42, 90)
            if i % 16 == 0:
                _note(ev, ch, t, 0.5, 49, 100)
            t += beat
            i += 1
    return ev


def _read_wav_mono(path):
    with wave.open(path, "rb") as w:
        n, ch, sw = w.getnframes(), w.getnchannels(), w.getsampwidth()
        raw = w.readframes(n)
    assert sw == 2
    x = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    return x.reshape(-1, ch).mean(axis=1)


def write_wav(path, x, sr=SR):
    """x: float in [-1,1] -> 16-bit PCM mono WAV."""
    q = np.clip(np.round(x * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(q.tobytes())


def _render_fluidsynth(tmp, classes_idx, rng):
    """Render all GM/percussion classes into one MIDI file, class k at [k*SLOT, k*SLOT+56)."""
    slot = TRACK_SECONDS + 4
    ev = []
    for k, ci in enumerate(classes_idx):
        kind, arg = CLASSES[ci]["sound"]
        t0, t1 = k * slot + 1.0, k * slot + 1.0 + TRACK_SECONDS
        if kind == "gm":
            ch = k % 9  # never channel 9 (percussion)
            ev += _gm_events(rng, arg, ch, t0, t1)
        else:
            ev += _perc_events(rng, arg, t0, t1)
    mid = os.path.join(tmp, "bank.mid")
    wav = os.path.join(tmp, "bank.wav")
    write_midi(mid, ev)
    subprocess.run(["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", "0.8", "-r", str(SR),
                    "-F", wav, "-T", "wav", "-O", "s16", SOUNDFONT, mid], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    x = _read_wav_mono(wav)
    out = {}
    for k, ci in enumerate(classes_idx):
        s = int((k * slot + 1.0) * SR)
        seg = x[s:s + TRACK_SECONDS * SR]
        seg = np.pad(seg, (0, TRACK_SECONDS * SR - len(seg)))
        out[ci] = seg
    return out


PHRASES = [
    "hello there, how are you doing today", "the weather is lovely this morning",
    "please pass me the blue cup on the table", "we are going to the market later",
    "I think the train leaves at seven", "this is a very interesting story",
    "can you hear the music from here", "let us count: one two three four five six",
    "my favourite colour is green", "the quick brown fox jumps over the lazy dog",
    "tomorrow we will visit our grandmother", "have you seen my keys anywhere",
    "the cat is sleeping on the warm sofa", "look at those beautiful mountains",
    "I would like a cup of tea please", "where did you put the newspaper",
]
VOICES = {
    "man": [("en-us+m3", 35), ("en+m1", 30), ("en-gb+m4", 40), ("en+m7", 28)],
    "woman": [("en-us+f2", 60), ("en+f3", 65), ("en-gb+f4", 58), ("en+f1", 62)],
    "boy": [("en-us+m2", 82), ("en+m5", 86), ("en+m6", 80)],
    "girl": [("en-us+f4", 95), ("en+f5", 99), ("en+f2", 92)],
    "baby": [("en+f4", 99), ("en+f5", 99)],
}
BABY = ["ha ha ha ha", "hee hee hee", "ah ha ha ha ha", "ooh ha ha", "goo goo ga ga", "he he he he"]


def _render_speech(tmp, who, rng, ffmpeg):
    pieces = []
    total = 0
    i = 0
    while total < TRACK_SECONDS * SR:
        voice, pitch = VOICES[who][i % len(VOICES[who])]
        text = (BABY if who == "baby" else PHRASES)[int(rng.integers(0, len(BABY if who == "baby" else PHRASES)))]
        speed = int(rng.integers(150, 190)) if who != "baby" else int(rng.integers(120, 170))
        w22 = os.path.join(tmp, "s.wav")
        w16 = os.path.join(tmp, "s16.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(speed), "-w", w22, text],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([ffmpeg, "-v", "error", "-y", "-i", w22, "-ar", str(SR), "-ac", "1",
                        "-c:a", "pcm_s16le", w16], check=True)
        x = _read_wav_mono(w16)
        nz = np.nonzero(np.abs(x) > 0.01)[0]
        if len(nz):
            x = x[nz[0]:nz[-1] + 1]
        x = np.concatenate([x, np.zeros(int(SR * rng.uniform(0.03, 0.1)))])
        pieces.append(x)
        total += len(x)
        i += 1
    return np.concatenate(pieces)[:TRACK_SECONDS * SR]


def _normalise(x):
    """Scale so the RMS over active 100 ms frames is 0.1 (~ -20 dBFS), peak <= 0.99."""
    fr = x[: len(x) // 1600 * 1600].reshape(-1, 1600)
    rms = np.sqrt((fr ** 2).mean(axis=1))
    act = rms[rms > rms.max() * 0.05]
    g = 0.1 / max(act.mean(), 1e-6)
    x = x * g
    pk = np.abs(x).max()
    return x * (0.99 / pk) if pk > 0.99 else x


def build_sound_bank(seed=1234):
    rng = np.random.default_rng(seed)
    ffmpeg = find_ffmpeg()
    tracks = {}
    with tempfile.TemporaryDirectory() as tmp:
        synth = [i for i, c in enumerate(CLASSES) if c["sound"][0] in ("gm", "perc")]
        tracks.update(_render_fluidsynth(tmp, synth, rng))
        for i, c in enumerate(CLASSES):
            if c["sound"][0] == "speech":
                tracks[i] = _render_speech(tmp, c["sound"][1], np.random.default_rng(seed + i), ffmpeg)
    return np.stack([_normalise(tracks[i]) for i in range(len(CLASSES))]).astype(np.float32)


# ---------------------------------------------------------------------------------- cache
class Assets:
    def __init__(self, sprites, backgrounds, bank):
        self.sprites = sprites            # list of RGBA uint8 arrays
        self.backgrounds = backgrounds    # {split: [uint8 HxWx3]}
        self.bank = bank                  # [n_classes, 56*SR] float32


def default_cache():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "data", "assets")


def load_assets(cache=None, verbose=True):
    cache = os.path.abspath(cache or default_cache())
    os.makedirs(cache, exist_ok=True)
    meta_p = os.path.join(cache, "assets.json")
    meta = None
    if os.path.exists(meta_p):
        meta = json.load(open(meta_p))
        if meta.get("version") != ASSET_VERSION:
            meta = None
    if meta is None:
        if verbose:
            print("[synthavs] building assets in", cache, flush=True)
        bgs = build_backgrounds(cache)
        bank = build_sound_bank()
        np.save(os.path.join(cache, "bank.npy"), bank)
        meta = {"version": ASSET_VERSION, "backgrounds": bgs,
                "bank_sha256": hashlib.sha256(bank.tobytes()).hexdigest()}
        json.dump(meta, open(meta_p, "w"), indent=1)
    backgrounds = {"train": [], "val": [], "test": []}
    for b in meta["backgrounds"]:
        backgrounds[b["split"]].append(np.asarray(Image.open(os.path.join(cache, b["file"])).convert("RGB")))
    bank = np.load(os.path.join(cache, "bank.npy"))
    return Assets(render_sprites(), backgrounds, bank)
