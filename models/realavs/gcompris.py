"""Real photographs and real recordings from Debian's ``gcompris-qt-data`` (GCompris, GPL-3.0+ /
CC-BY-SA assets, see /usr/share/doc/gcompris-qt-data/copyright), read from its Qt resource files
with Qt's own QResource (python3-pyqt5). Used to train the visual-audio head on real imagery.

``extract(out)`` writes ``photos/<name>.png`` (RGB), ``sounds/<name>.wav`` (16 kHz mono PCM16) and
``assets.json`` (name, kind, sound, source resource path)."""
import json
import os
import subprocess
import sys

RCC_DIR = "/usr/share/gcompris-qt/rcc"
RCC = ["explore_farm_animals.rcc", "memory-sound.rcc", "instruments.rcc", "explore_world_animals.rcc",
       "categorization.rcc", "lang.rcc", "erase.rcc", "explore_world_music.rcc", "explore_monuments.rcc"]
# photo classes that have a real recording of the same thing (farm animals: photo + recording)
FARM = ["cat", "chicken", "cow", "dog", "duck", "horse", "owl", "pig", "sheep"]
FARM_SOUND = {"chicken": "chickens"}
# memory-sound recordings usable as "some real sound" (not tied to a photo)
MEMORY = ["LRStartAndStopCarEngine1LACut", "LRTrain_slowing_down_01_LA_cut", "LRBark_1_LA_cut", "LRBark_3_LA_cut",
          "LRApplauses_1_LA_cut", "LRFactory_noise_01_LA", "LRFactory_noise_03_LA", "guitar_melody",
          "LRRain_in_garden_01_LA_cut", "LRFrogsInPondDuringStormLACut", "LRBuddhist_gong_05_LA", "LRRing_01_LA"]
PHOTO_DIRS = ["explore_world_animals/resource/animals", "categorization/resource/images/fishes",
              "categorization/resource/images/monuments", "categorization/resource/images/tools",
              "categorization/resource/images/renewable", "lang/resource/words_sample", "erase/resource",
              "explore_world_music/resource/music", "explore_monuments/resource/egypt",
              "explore_monuments/resource/france", "explore_monuments/resource/germany",
              "explore_monuments/resource/india", "explore_monuments/resource/usa",
              "explore_monuments/resource/wonders"]
# photographs that are scenes (used as backgrounds of composed clips as well as single clips)
SCENE_KINDS = {"resource", "monuments", "renewable", "erase", "music", "egypt", "france", "germany", "india", "usa", "wonders"}


COPYRIGHT = "/usr/share/doc/gcompris-qt-data/copyright"


def licences(path=COPYRIGHT):
    """The Debian copyright file's (DEP-5) stanzas as [(file globs, licence)], in file order."""
    out, files = [], None
    for line in open(path, encoding="utf-8", errors="replace"):
        if line.startswith("Files:"):
            files = line[6:].split()
        elif line.startswith("License:") and files is not None:
            out.append((files, line[8:].strip()))
            files = None
        elif files is not None and line.startswith(" ") and not line.strip().startswith(("Copyright", "©")):
            files += line.split()
    return out


def licence_of(resource, stanzas):
    """A resource path (":/gcompris/src/...", without its extension change) -> its licence: the
    last stanza whose glob matches, as DEP-5 says. Photos were converted to .webp in the rcc, so
    the source's other image extensions are tried too."""
    import fnmatch
    rel = resource.split(":/gcompris/", 1)[-1]
    stem, _ = os.path.splitext(rel)
    cands = [rel] + [stem + e for e in (".jpg", ".png", ".svg", ".ogg", ".webp", ".jpeg")]
    lic = None
    for globs, l in stanzas:
        if any(fnmatch.fnmatchcase(c, g) for g in globs for c in cands):
            lic = l
    return lic


def _ffmpeg():
    here = os.path.join(os.path.dirname(__file__), "..", "..", "node_modules", "@ffmpeg-installer", "linux-x64", "ffmpeg")
    return os.environ.get("FFMPEG") or (here if os.path.exists(here) else "ffmpeg")


def extract(out):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt5.QtCore import QDirIterator, QFile, QIODevice, QResource
    from PIL import Image
    import io
    for r in RCC:
        if not QResource.registerResource(os.path.join(RCC_DIR, r)):
            raise SystemExit(f"cannot read {RCC_DIR}/{r}: apt-get install gcompris-qt-data python3-pyqt5")
    files = []
    it = QDirIterator(":/gcompris/src/activities", QDirIterator.Subdirectories)
    while it.hasNext():
        files.append(it.next())

    def read(p):
        f = QFile(p)
        assert f.open(QIODevice.ReadOnly), p
        b = bytes(f.readAll())
        f.close()
        return b

    os.makedirs(os.path.join(out, "photos"), exist_ok=True)
    os.makedirs(os.path.join(out, "sounds"), exist_ok=True)
    assets = []

    def photo(p, name):
        img = Image.open(io.BytesIO(read(p))).convert("RGB")
        img.save(os.path.join(out, "photos", name + ".png"))
        return img.size

    def sound(p, name):
        dst = os.path.join(out, "sounds", name + ".wav")
        subprocess.run([_ffmpeg(), "-v", "error", "-y", "-f", "ogg", "-i", "pipe:0", "-ac", "1", "-ar", "16000",
                        "-c:a", "pcm_s16le", dst], input=read(p), check=True)

    for a in FARM:
        base = ":/gcompris/src/activities/explore_farm_animals/resource/animals/"
        photo(base + a + ".webp", a)
        sound(base + FARM_SOUND.get(a, a) + ".ogg", a)
        assets.append(dict(name=a, kind="farm", photo=True, sound=True, source=base + a))
    for m in MEMORY:
        sound(":/gcompris/src/activities/memory-sound/resource/" + m + ".ogg", m)
        assets.append(dict(name=m, kind="memory", photo=False, sound=True, source="memory-sound/" + m))
    for p in files:
        if p.endswith(".ogg") and "/explore_world_music/resource/" in p:
            n = "music_" + os.path.basename(p)[:-4]
            sound(p, n)
            assets.append(dict(name=n, kind="music", photo=False, sound=True, source=p))
        if p.endswith(".ogg") and "/instruments/resource/" in p:
            n = "instr_" + os.path.basename(p)[:-4]
            sound(p, n)
            assets.append(dict(name=n, kind="instrument", photo=False, sound=True, source=p))
    for d in PHOTO_DIRS:
        for p in sorted(x for x in files if x.startswith(":/gcompris/src/activities/" + d + "/")
                        and "/" not in x[len(":/gcompris/src/activities/" + d + "/"):] and x.endswith((".webp", ".jpg", ".png"))):
            n = d.split("/")[-1] + "_" + os.path.splitext(os.path.basename(p))[0]
            photo(p, n)
            assets.append(dict(name=n, kind=d.split("/")[-1], photo=True, sound=False, source=p))
    stanzas = licences()
    for a in assets:
        src = a["source"] if a["source"].startswith(":/") else ":/gcompris/src/activities/" + a["source"]
        a["license"] = licence_of(src, stanzas)
    json.dump(dict(package="gcompris-qt-data", license="per asset, from " + COPYRIGHT, assets=assets),
              open(os.path.join(out, "assets.json"), "w"), indent=1)
    return assets


if __name__ == "__main__":
    a = extract(sys.argv[1] if len(sys.argv) > 1 else "models/data/gcompris")
    print(len(a), "assets")
