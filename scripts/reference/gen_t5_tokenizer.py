"""Records pipeline-core/src/test/resources/reference-flow/t5-tokenizer/ (a tiny T5-style tokenizer) and
reference-flow/t5-tokenizer-cases.json (token ids of edge-case prompts) with sentencepiece and the real transformers
(commit d6751d91).

A SentencePiece *unigram* model (vocab_size 1000; T5's special ids pad=0 ``<pad>``, eos=1 ``</s>``, unk=2 ``<unk>``,
no bos; sentencepiece's default ``nmt_nfkc`` normalization, as the real T5 ``spiece.model``) is trained, with one
thread, on a corpus this script builds deterministically (English-like sentences from a fixed word list and
``random.Random`` choices, with punctuation, digits, capitals and accented letters). It is then wrapped as
transformers' ``T5TokenizerFast(vocab_file=spiece.model, extra_ids=100)`` (the slow -> fast conversion of
convert_slow_tokenizer.T5Converter: 1000 sentencepiece pieces + 100 ``<extra_id_N>`` sentinels = 1100 ids) and saved
with ``save_pretrained`` (tokenizer.json, spiece.model, tokenizer_config.json, special_tokens_map.json).

    /tmp/t2env/bin/python scripts/reference/gen_t5_tokenizer.py --out OUT   # writes OUT/reference-flow/t5-tokenizer/
                                                                           # and OUT/reference-flow/t5-tokenizer-cases.json
OUT is normally pipeline-core/src/test/resources. Running it twice gives byte-identical files.
"""
import refenv

torch = refenv.setup(profile="flow")

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402

import sentencepiece as spm  # noqa: E402
import transformers  # noqa: E402
from transformers import T5TokenizerFast  # noqa: E402

_ap = argparse.ArgumentParser()
_ap.add_argument("--out", required=True, help="output root; writes OUT/reference-flow/t5-tokenizer/")
ARGS = _ap.parse_args()
OUT = os.path.join(ARGS.out, "reference-flow")
TOK_DIR = os.path.join(OUT, "t5-tokenizer")

CORPUS_SEED = 1234
NUM_SENTENCES = 4000
SPM_VOCAB_SIZE = 1000
EXTRA_IDS = 100
MODEL_MAX_LENGTH = 512  # as the real t5-v1_1 tokenizers (SD3's tokenizer_3, FLUX's tokenizer_2)

# a fixed word list: the words of the pipelines' test prompts, common English words, some accented words
WORDS = """
a an the of on in at to for with from by and or but not no is are was were be been has have had do does did will can
photo picture painting drawing sketch render portrait landscape still life close up view shot image illustration
astronaut riding horse mars red car rain bowl fruit watercolor castle cat dog bird fish tree forest mountain river lake
sea ocean beach city street house garden flower rose tulip sun moon star sky cloud snow storm night day morning evening
low quality blurry ugly dark grainy bright sharp detailed high resolution beautiful old young small large big tiny huge
green blue yellow orange purple pink white black gray brown golden silver wooden stone glass metal paper
man woman child girl boy people friend family king queen knight dragon robot ship boat train plane bicycle road bridge
tower window door table chair book lamp cup coffee tea bread cheese apple banana cherry lemon grape soup cake wine
sitting standing walking running flying swimming reading writing singing playing sleeping eating drinking looking
under over above below between behind near far inside outside through across along around into onto
very quite rather too so just only also still even again always never often sometimes
style art artist museum gallery camera lens light shadow color colour texture pattern shape line edge corner
cinematic dramatic soft hard warm cold calm wild quiet loud happy sad strange famous ancient modern future
first second third last next new early late long short wide narrow deep high heavy light fast slow
north south east west left right top bottom center middle side front back
one two three four five six seven eight nine ten hundred thousand
Monday Friday January July spring summer autumn winter
Paris London Tokyo Berlin Rome Madrid Lisbon Vienna Oslo Cairo
café naïve résumé façade jalapeño über Zürich São Paulo crème brûlée piñata Ångström Málaga Kraków Dvořák Gödel
élan déjà vu fiancée señor mañana Müller Björk Øresund Curaçao
""".split()
CAPITALIZED = [w for w in WORDS if w[0].isupper()]
PUNCT_END = [".", ".", ".", "!", "?", "..."]
PUNCT_MID = [",", ",", ";", ":", " -", " &"]


def _number(rng):
    kind = rng.randrange(6)
    if kind == 0:
        return str(rng.randrange(10))
    if kind == 1:
        return str(rng.randrange(10, 100))
    if kind == 2:
        return str(rng.randrange(1900, 2030))
    if kind == 3:
        return f"{rng.randrange(10)}.{rng.randrange(10)}"
    if kind == 4:
        return f"{rng.choice([32, 48, 64, 128, 256, 512, 768, 1024])}x{rng.choice([32, 48, 64, 128, 256, 512, 768, 1024])}"
    return f"{rng.randrange(1, 100)}%"


def _sentence(rng):
    n = rng.randrange(3, 16)
    out = []
    for i in range(n):
        r = rng.random()
        if r < 0.08:
            w = _number(rng)
        elif r < 0.14:
            w = rng.choice(CAPITALIZED)
        else:
            w = rng.choice(WORDS)
            if rng.random() < 0.05:
                w = w.upper()
        if rng.random() < 0.05:
            w = f"({w})"
        elif rng.random() < 0.04:
            w = f'"{w}"'
        elif rng.random() < 0.03:
            w = w + "'s"
        out.append(w)
        if i < n - 1 and rng.random() < 0.1:
            out[-1] += rng.choice(PUNCT_MID)
    s = " ".join(out)
    s = s[0].upper() + s[1:]
    return s + rng.choice(PUNCT_END)


def corpus():
    rng = random.Random(CORPUS_SEED)
    return [_sentence(rng) for _ in range(NUM_SENTENCES)]


SPM_ARGS = dict(model_type="unigram", vocab_size=SPM_VOCAB_SIZE, pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
                pad_piece="<pad>", eos_piece="</s>", unk_piece="<unk>", character_coverage=1.0,
                normalization_rule_name="nmt_nfkc", num_threads=1, input_sentence_size=0, shuffle_input_sentence=False,
                seed_sentencepiece_size=100000, max_sentence_length=4192, minloglevel=2)

# (name, text, call) edge cases whose ids the Java T5 tokenizer must reproduce exactly; "call" mirrors the pipelines'
# _get_t5_prompt_embeds (padding="max_length", truncation=True, add_special_tokens=True) unless it says otherwise
CASE_TEXTS = [
    ("sd_prompt", "a photo of an astronaut riding a horse on mars"),
    ("negative", "low quality, blurry"),
    ("capitals_digits", "A RED car in 1999, 3.5 meters long: 64x64 (100%)!"),
    ("accents", "Crème brûlée at a café in São Paulo, naïve Ångström"),
    ("nfkc", "ﬁne ① ＡＢＣ ½ x² ™"),
    ("unknown_chars", "a cat 🐱 in 東京 with ∑ and ß"),
    ("spaces", "  two   spaces\tand a tab\nand a newline  "),
    ("empty", ""),
    ("sentinel_in_text", "a <extra_id_0> with </s> inside <pad> and <unk>"),
    ("unseen_words", "zebrafish xylophone quixotically jumped"),
    ("punctuation", "hello... world?! (yes); \"quoted\" - dash & more'"),
]


def id_cases(tok):
    cases = []
    for name, text in CASE_TEXTS:
        for max_length in (16, 77):
            enc = tok(text, padding="max_length", max_length=max_length, truncation=True, add_special_tokens=True)
            cases.append({"name": f"{name}_max{max_length}", "text": text,
                          "call": {"padding": "max_length", "max_length": max_length, "truncation": True,
                                   "add_special_tokens": True},
                          "input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]})
        enc = tok(text, padding="longest", add_special_tokens=True)
        cases.append({"name": f"{name}_untruncated", "text": text,
                      "call": {"padding": "longest", "add_special_tokens": True},
                      "input_ids": enc["input_ids"], "tokens": tok.convert_ids_to_tokens(enc["input_ids"]),
                      "decoded": tok.decode(enc["input_ids"], skip_special_tokens=True)})
    long_text = " ".join(["a beautiful detailed painting of a castle on a mountain near the sea at night"] * 8)
    enc = tok(long_text, padding="max_length", max_length=32, truncation=True, add_special_tokens=True)
    cases.append({"name": "long_truncated_max32", "text": long_text,
                  "call": {"padding": "max_length", "max_length": 32, "truncation": True, "add_special_tokens": True},
                  "input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"],
                  "untruncated_length": len(tok(long_text)["input_ids"])})
    batch = ["a red car in the rain", "a bowl of fruit, still life"]
    enc = tok(batch, padding="max_length", max_length=16, truncation=True, add_special_tokens=True)
    cases.append({"name": "batch2_max16", "text": batch,
                  "call": {"padding": "max_length", "max_length": 16, "truncation": True, "add_special_tokens": True},
                  "input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]})
    return cases


def main():
    if os.path.isdir(TOK_DIR):
        shutil.rmtree(TOK_DIR)
    os.makedirs(TOK_DIR)
    sentences = corpus()
    model = io.BytesIO()
    # sentence_iterator + model_writer: no file paths end up in the model's trainer_spec
    spm.SentencePieceTrainer.train(sentence_iterator=iter(sentences), model_writer=model, **SPM_ARGS)
    spiece = os.path.join(TOK_DIR, "spiece.model")
    with open(spiece, "wb") as f:
        f.write(model.getvalue())
    sp = spm.SentencePieceProcessor(model_file=spiece)
    assert sp.get_piece_size() == SPM_VOCAB_SIZE, sp.get_piece_size()
    assert [sp.id_to_piece(i) for i in range(3)] == ["<pad>", "</s>", "<unk>"]
    assert sp.bos_id() == -1 and sp.pad_id() == 0 and sp.eos_id() == 1 and sp.unk_id() == 2

    # the slow -> fast conversion (T5Converter) from the spiece.model; then saved with save_pretrained (it copies
    # spiece.model onto itself: same path, so nothing is copied)
    tmp_model = os.path.join(refenv.STUB_DIR, "spiece.model")
    shutil.copyfile(spiece, tmp_model)
    tok = T5TokenizerFast(vocab_file=tmp_model, extra_ids=EXTRA_IDS, legacy=True, model_max_length=MODEL_MAX_LENGTH)
    tok.save_pretrained(TOK_DIR)
    with open(os.path.join(TOK_DIR, "spiece.model"), "rb") as f:
        assert f.read() == model.getvalue()

    loaded = T5TokenizerFast.from_pretrained(TOK_DIR)
    vocab_size = len(loaded)
    assert vocab_size == SPM_VOCAB_SIZE + EXTRA_IDS, vocab_size
    assert loaded.pad_token_id == 0 and loaded.eos_token_id == 1 and loaded.unk_token_id == 2
    assert loaded.convert_tokens_to_ids("<extra_id_0>") == vocab_size - 1
    assert loaded.convert_tokens_to_ids(f"<extra_id_{EXTRA_IDS - 1}>") == SPM_VOCAB_SIZE
    # the fast tokenizer agrees with sentencepiece itself on the corpus (T5 adds </s>)
    for s in sentences[:500]:
        assert loaded(s)["input_ids"] == sp.encode(s) + [1], s

    cases = id_cases(loaded)
    doc = {"about": "token ids of the tiny T5 tokenizer (t5-tokenizer/, T5TokenizerFast, transformers d6751d91) for "
                    "edge-case texts; written by scripts/reference/gen_t5_tokenizer.py. Compare exactly.",
           "tokenizer": "reference-flow/t5-tokenizer",
           "len_tokenizer": vocab_size, "sentencepiece_pieces": SPM_VOCAB_SIZE, "extra_ids": EXTRA_IDS,
           "special_ids": {"pad": 0, "eos": 1, "unk": 2, "bos": None,
                           "extra_id_0": vocab_size - 1, f"extra_id_{EXTRA_IDS - 1}": SPM_VOCAB_SIZE},
           "training": {"sentencepiece": spm.__version__, "corpus": f"{NUM_SENTENCES} sentences, random.Random({CORPUS_SEED})",
                        "args": SPM_ARGS},
           "versions": {"transformers": transformers.__version__, "tokenizers": refenv.EXPECTED_FLOW["tokenizers"]},
           "cases": cases}
    with open(os.path.join(OUT, "t5-tokenizer-cases.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=True)
        f.write("\n")
    print("ok", TOK_DIR, "len(tokenizer) =", vocab_size, sorted(os.listdir(TOK_DIR)), flush=True)


main()
