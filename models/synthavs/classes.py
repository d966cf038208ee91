"""SynthAVS object classes: emoji sprite, sound source, AVSBench names.

Each class has
  - ``emoji``: the Noto Color Emoji code point(s) rendered as the sprite,
  - ``avss``: the AVSBench-semantic class name (spec avsbench-format §3.5),
  - ``s4``: the AVSBench S4 category (§3.4) or ``None`` (then the class is only used as a
    sounding object in MS3-like / AVSS-like clips; it can still be a silent distractor in S4),
  - ``sound``: how its audio track is made (FluidSynth GM program, GM percussion, or espeak-ng).
Stand-ins are documented in ``note``.
"""

# GM programs are 0-based (program change value).
CLASSES = [
    # name        emoji          avss           s4 category                 sound
    dict(name="piano", emoji="\U0001F3B9", avss="piano", s4="playing_piano", sound=("gm", 0)),
    dict(name="guitar", emoji="\U0001F3B8", avss="guitar", s4="playing_acoustic_guitar", sound=("gm", 25)),
    dict(name="violin", emoji="\U0001F3BB", avss="violin", s4="playing_violin", sound=("gm", 40)),
    dict(name="ukulele", emoji="\U0001FA95", avss="ukulele", s4="playing_ukulele", sound=("gm", 105),
         note="banjo emoji and GM banjo stand in for the ukulele"),
    dict(name="tabla", emoji="\U0001FA98", avss="tabla", s4="playing_tabla", sound=("perc", "tabla"),
         note="long-drum emoji; GM bongos/congas"),
    dict(name="bell", emoji="\U0001F514", avss="bell", s4="playing_glockenspiel", sound=("gm", 9),
         note="bell emoji; GM glockenspiel"),
    dict(name="helicopter", emoji="\U0001F681", avss="helicopter", s4="helicopter", sound=("gm", 125)),
    dict(name="bird", emoji="\U0001F426", avss="bird", s4="mynah_bird_singing", sound=("gm", 123)),
    dict(name="gun", emoji="\U0001F52B", avss="gun", s4="cap_gun_shooting", sound=("gm", 127)),
    dict(name="horse", emoji="\U0001F40E", avss="horse", s4="horse_clip-clop", sound=("perc", "clipclop")),
    dict(name="man", emoji="\U0001F468", avss="man", s4="male_speech", sound=("speech", "man")),
    dict(name="woman", emoji="\U0001F469", avss="woman", s4="female_singing", sound=("speech", "woman"),
         note="espeak-ng speech (not singing)"),
    dict(name="baby", emoji="\U0001F476", avss="baby", s4="baby_laughter", sound=("speech", "baby")),
    dict(name="drum", emoji="\U0001F941", avss="drum", s4=None, sound=("perc", "kit")),
    dict(name="trumpet", emoji="\U0001F3BA", avss="trumpet", s4=None, sound=("gm", 56)),
    dict(name="saxophone", emoji="\U0001F3B7", avss="saxophone", s4=None, sound=("gm", 65)),
    dict(name="accordion", emoji="\U0001FA97", avss="accordion", s4=None, sound=("gm", 21)),
    dict(name="flute", emoji="\U0001FA88", avss="flute", s4=None, sound=("gm", 73)),
    dict(name="boy", emoji="\U0001F466", avss="boy", s4=None, sound=("speech", "boy")),
    dict(name="girl", emoji="\U0001F467", avss="girl", s4=None, sound=("speech", "girl")),
]
NAMES = [c["name"] for c in CLASSES]
S4_CLASSES = [i for i, c in enumerate(CLASSES) if c["s4"]]

# AVSBench-semantic label map (spec avsbench-format §3.4/§3.5), index = position.
AVSS_NAMES = (
    "background accordion airplane axe baby bassoon bell bird boat boy bus car cat cello clarinet "
    "clipper clock dog donkey drum duck elephant emergency-car erhu flute frying-food girl goose "
    "guitar gun guzheng hair-dryer handpan harmonica harp helicopter hen horse keyboard leopard lion "
    "man marimba missile-rocket motorcycle mower parrot piano pig pipa saw saxophone sheep sitar sorna "
    "squirrel tabla tank tiger tractor train trombone truck trumpet tuba ukulele utv vacuum-cleaner "
    "violin wolf woman"
).split()
assert len(AVSS_NAMES) == 71
AVSS_INDEX = {n: i for i, n in enumerate(AVSS_NAMES)}


def avss_palette(n=71):
    pal = []
    for j in range(n):
        lab, i, r, g, b = j, 0, 0, 0, 0
        while lab > 0:
            r |= ((lab >> 0) & 1) << (7 - i)
            g |= ((lab >> 1) & 1) << (7 - i)
            b |= ((lab >> 2) & 1) << (7 - i)
            i += 1
            lab >>= 3
        pal.append((r, g, b))
    return pal
