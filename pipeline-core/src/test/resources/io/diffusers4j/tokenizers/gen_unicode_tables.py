# Writes the Unicode tables that io.diffusers4j.tokenizers.PythonUnicode reads (python-unicode-tables.txt):
# the character classes that transformers' slow CLIPTokenizer gets from CPython's unicodedata (category C*, Zs,
# str.isspace, str.lower, Final_Sigma context) and from the regex module (CLIP pattern classes with IGNORECASE).
# Run with the interpreter the reference uses (CPython 3.11, unicodedata 14.0.0; Debian python3-regex 2022.10.31):
#   python3.11 gen_unicode_tables.py python-unicode-tables.txt
import sys, unicodedata, regex
assert unicodedata.unidata_version == "14.0.0", unicodedata.unidata_version
MAX = 0x110000
def ranges(pred):
    out = []; start = None
    for cp in range(MAX):
        if pred(cp):
            if start is None: start = cp
        elif start is not None:
            out.append((start, cp - 1)); start = None
    if start is not None: out.append((start, MAX - 1))
    return out
def fmt(rs): return " ".join("%X" % a if a == b else "%X-%X" % (a, b) for a, b in rs)
cat = lambda cp: unicodedata.category(chr(cp))
L = regex.compile(r"[\p{L}]", regex.IGNORECASE)
N = regex.compile(r"[\p{N}]", regex.IGNORECASE)
S = regex.compile(r"\s", regex.IGNORECASE)
O = regex.compile(r"[^\s\p{L}\p{N}]", regex.IGNORECASE)
tables = {}
tables["control"] = ranges(lambda cp: cat(cp).startswith("C"))
tables["zs"] = ranges(lambda cp: cat(cp) == "Zs")
tables["pyspace"] = ranges(lambda cp: chr(cp).isspace())
tables["letter"] = ranges(lambda cp: L.fullmatch(chr(cp)) is not None)
tables["number"] = ranges(lambda cp: N.fullmatch(chr(cp)) is not None)
tables["respace"] = ranges(lambda cp: S.fullmatch(chr(cp)) is not None)
# characters that no branch of the CLIP pattern matches (findall skips them), e.g. U+0345 under IGNORECASE
tables["nomatch"] = ranges(lambda cp: all(r.fullmatch(chr(cp)) is None for r in (L, N, S, O)))
# sanity: 'other' class is the complement of the three
for cp in range(MAX):
    ch = chr(cp)
    o = O.fullmatch(ch) is not None
    if o and (L.fullmatch(ch) is not None or N.fullmatch(ch) is not None or S.fullmatch(ch) is not None):
        raise SystemExit("a character in two CLIP pattern classes: %X" % cp)
def f(s): return s.lower()[-1] == "\u03c2"
ign = []; cased = []
for cp in range(MAX):
    if cp == 0x3A3: continue
    c = chr(cp)
    X = f(c + "\u03a3"); Y = f("A" + c + "\u03a3")
    if Y and not X: ign.append(cp)
    elif X: cased.append(cp)
igs = set(ign); cs = set(cased); cs.add(0x3A3)
tables["caseignorable"] = ranges(lambda cp: cp in igs)
tables["cased"] = ranges(lambda cp: cp in cs)
lower = []
for cp in range(MAX):
    if 0xD800 <= cp <= 0xDFFF: continue
    lo = chr(cp).lower()
    if lo != chr(cp): lower.append("%X:%s" % (cp, ",".join("%X" % ord(x) for x in lo)))
with open(sys.argv[1], "w") as fo:
    fo.write("# Unicode tables of CPython %s (unicodedata %s) and regex %s, written by gen_unicode_tables.py\n"
             % (sys.version.split()[0], unicodedata.unidata_version, regex.__version__))
    for k, v in tables.items():
        fo.write(k + " " + fmt(v) + "\n")
    fo.write("lower " + " ".join(lower) + "\n")
for k, v in tables.items(): print(k, len(v), file=sys.stderr)
print("lower", len(lower), file=sys.stderr)
