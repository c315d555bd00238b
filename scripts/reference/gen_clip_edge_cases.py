"""Records pipeline-core/src/test/resources/io/diffusers4j/tokenizers/clip_edge_cases.json: the outputs of transformers'
slow CLIPTokenizer (no ftfy; transformers d6751d91 from source on CPython 3.11.2 + Debian's regex) for edge-case
prompts, per tokenizer configuration ("suite"). See README.md.

    /usr/bin/python3 scripts/reference/gen_clip_edge_cases.py --out OUT
        # writes OUT/io/diffusers4j/tokenizers/clip_edge_cases.json

Suites without a tokenizer_config use the tiny-sd tokenizer folder; the others get vocab.json / merges.txt from it plus
the given tokenizer_config.json / special_tokens_map.json. Per prompt: tokenizer(prompt, padding="max_length",
max_length=77, truncation=True) ids and mask, len(tokenizer(prompt).input_ids), tokenizer.tokenize(prompt),
tokenizer.decode(ids) and tokenizer.decode(ids, skip_special_tokens=True).
"""
import refenv

torch = refenv.setup()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

from transformers import CLIPTokenizer  # noqa: E402

from refrec import log  # noqa: E402

false, true, null = False, True, None  # the suite configurations below are JSON

PROVENANCE = ("Expected outputs of transformers' slow CLIPTokenizer (no ftfy) logic, transformers 4.45 code paths "
              "(CLIPTokenizer._tokenize/bpe, BasicTokenizer, PreTrainedTokenizer.tokenize with Trie and AddedToken strip flags, "
              "prepare_for_model truncation/padding, _decode with clean_up_tokenization_spaces=True) executed on CPython 3.11.2 "
              "(unicodedata 14.0.0) + regex 2022.10.31 (Debian bookworm), the fixture's environment; the same script reproduces "
              "all 15 tiny-sd_tokenizer fixture prompts exactly. Suites without a tokenizer_config use the tiny-sd tokenizer "
              "folder; the others write vocab.json/merges.txt from it plus the given tokenizer_config.json/special_tokens_map.json.")

# (suite name, tokenizer_config.json or None, special_tokens_map.json or None, [(case name, prompt)])
SUITES = [
    ('sd15', None, None, [
        ('control_chars', 'a\x00b\x01c\x7f d\u200be\ufeff f\ufffdg'),
        ('c1_controls', 'x\x85y\x9fz \x80w'),
        ('tabs_newlines', 'a\tphoto\nof\r\na\x0bcat\x0cdog'),
        ('line_para_separators', 'a\u2028photo\u2029of a cat'),
        ('nbsp_and_spaces', 'a\xa0photo\u3000of\u2009a\u202fcat\u205fand\u1680dog\u2007x'),
        ('zero_width', 'a\u200bphoto\u200c of\u200d a\u2060cat\xadlike \u180ebird'),
        ('zwj_emoji_family', '\U0001f468\u200d\U0001f469\u200d\U0001f467 family'),
        ('accents_nfc', 'caf\xe9 na\xefve \xc5ngstr\xf6m'),
        ('accents_nfd', 'cafe\u0301 nai\u0308ve A\u030angstro\u0308m'),
        ('combining_no_precomposed', 'q\u0301 x\u0323\u0302 \u1e9b\u0323'),
        ('emoji_basic', 'a cute \U0001f431 cat \U0001f389\U0001f44d\U0001f3fd'),
        ('emoji_flags_keycap', '\U0001f1ef\U0001f1f5 flag 1\ufe0f\u20e3 keycap \u2764\ufe0f heart'),
        ('emoji_unicode14', 'melting \U0001fae0 face \U0001f979'),
        ('emoji_unicode15', 'pink \U0001fa77 heart \U0001fabf goose'),
        ('cjk_ideographs', '\u4e00\u53ea\u732b\u7684\u7167\u7247'),
        ('cjk_compat_and_ext', '\uf900\ufa30 \U00020000\U0002a6d6 \U00030000'),
        ('cjk_punct_fullwidth', '\u732b\u3002\u3001\uff01\uff08\uff21\uff22\uff23\uff09\uff11\uff12'),
        ('japanese_kana', '\u3072\u3089\u304c\u306a \u30ab\u30bf\u30ab\u30ca \uff76\uff80\uff76\uff85 \u304b\u3099'),
        ('korean', '\uace0\uc591\uc774 \u1100\u1161\u11a8 \u3131'),
        ('mixed_scripts', '\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440 \u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd \u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35 \u0928\u092e\u0938\u094d\u0924\u0947'),
        ('very_long', 'a beautiful landscape' + ' photo of a cat' * 30),
        ('long_single_word', '' + 'supercalifragilisticexpialidocious' * 12),
        ('empty', ''),
        ('only_spaces', '   \t\n  '),
        ('only_zero_width', '\u200b\u200d\ufeff'),
        ('literal_special_tokens', '<|startoftext|>a photo<|endoftext|>'),
        ('special_token_glued', 'a<|endoftext|>b<|endoftext|><|endoftext|>c'),
        ('special_token_uppercase', 'A <|ENDOFTEXT|> b <|StartOfText|>'),
        ('special_token_partial', '<|endoftext| <|endof text|> < |endoftext|> <|endoftext|'),
        ('special_token_with_control', 'x <|endof\x00text|> y'),
        ('end_of_word_marker_text', 'a</w>b </w>'),
        ('apostrophes', "it's IT'S they'll we'd you've I'm rock'n'roll '' ' don't"),
        ('unicode_apostrophe', 'it\u2019s don\u2019t \u2018quoted\u2019 it\u02bcs'),
        ('apostrophe_long_s', "it'\u017f fine"),
        ('numbers', '1234567890 3.14 -42 1e10 0x1F'),
        ('unicode_numbers', '\xbd \xb2 \xb3 \u2460 \u0663\u0664 \u2167 \uff11\uff12\uff13 \U0001d7ce'),
        ('mixed_case', 'HeLLo WoRLD CamelCaseWord iPhone XxX'),
        ('special_casing', 'STRASSE \xdf \u1e9e \u0130STANBUL \u0131I \u01c5 \ufb01'),
        ('greek_sigma', '\u039f\u0394\u039f\u03a3 \u03a3\u038a\u03a3\u03a5\u03a6\u039f\u03a3 \u03a3 A\u03a3. \u03a3\u03a3'),
        ('leading_trailing_ws', '   a cat sitting   '),
        ('url_and_symbols', 'https://example.com/a_b?c=d&e=f#x ~`^|\\ \xa9\xae\u2122 \u20ac100'),
        ('private_unassigned', 'a\ue000b \u0378c \U000f0000d'),
        ('math_alnum', '\U0001d400\U0001d401 \U0001d41a x\xb2'),
        ('ypogegrammeni', 'a\u0345b \u03b1\u0345 !\u0345a'),
        ('devanagari_thai_marks', '\u0915\u094d\u0937 \u0e01\u0e34\u0e19'),
        ('surrogate_free_high_bmp', '\uffe0\uffe1 \ufffc \uff5e'),
        ('repeated_punct', '!!!??? ... --- *** ___'),
        ('hashtag_mentions', '#sunset @user $100 50% a&b'),
        ('cat_photo', 'a photo of a cat'),
    ]),
    ('sd2_pad_bang', {'add_prefix_space': False, 'bos_token': {'__type': 'AddedToken', 'content': '<|startoftext|>', 'lstrip': False, 'normalized': True, 'rstrip': False, 'single_word': False}, 'do_lower_case': True, 'eos_token': {'__type': 'AddedToken', 'content': '<|endoftext|>', 'lstrip': False, 'normalized': True, 'rstrip': False, 'single_word': False}, 'errors': 'replace', 'model_max_length': 77, 'name_or_path': 'openai/clip-vit-large-patch14', 'pad_token': '!', 'special_tokens_map_file': './special_tokens_map.json', 'tokenizer_class': 'CLIPTokenizer', 'unk_token': {'__type': 'AddedToken', 'content': '<|endoftext|>', 'lstrip': False, 'normalized': True, 'rstrip': False, 'single_word': False}}, {'bos_token': {'content': '<|startoftext|>', 'lstrip': False, 'normalized': True, 'rstrip': False, 'single_word': False}, 'eos_token': {'content': '<|endoftext|>', 'lstrip': False, 'normalized': True, 'rstrip': False, 'single_word': False}, 'pad_token': '!', 'unk_token': {'content': '<|endoftext|>', 'lstrip': False, 'normalized': True, 'rstrip': False, 'single_word': False}}, [
        ('bang_end', 'hello!'),
        ('double_bang', 'wow!!'),
        ('only_bangs', '!!!'),
        ('photo_bang', 'a photo of a cat!'),
        ('single_bang', '!'),
        ('question_bang', '?!'),
        ('space_bang', 'hi !'),
        ('bang_inside', 'hello!world'),
        ('empty', ''),
        ('special_then_bang', '<|endoftext|>!'),
        ('fullwidth_bang', 'hey\uff01'),
        ('long_with_bangs', 'wow!' + ' wow!' * 59),
        ('plain', 'a photo of an astronaut riding a horse on mars'),
    ]),
    ('added_tokens', {'added_tokens_decoder': {'49406': {'content': '<|startoftext|>', 'lstrip': False, 'normalized': True, 'rstrip': False, 'single_word': False, 'special': True}, '49407': {'content': '<|endoftext|>', 'lstrip': False, 'normalized': True, 'rstrip': False, 'single_word': False, 'special': True}, '49408': {'content': '<cat-toy>', 'lstrip': True, 'normalized': False, 'rstrip': True, 'single_word': False, 'special': False}, '49409': {'content': 'sks', 'lstrip': False, 'normalized': True, 'rstrip': False, 'single_word': True, 'special': False}}, 'bos_token': '<|startoftext|>', 'clean_up_tokenization_spaces': True, 'eos_token': '<|endoftext|>', 'errors': 'replace', 'model_max_length': 77, 'pad_token': '<|endoftext|>', 'tokenizer_class': 'CLIPTokenizer', 'unk_token': '<|endoftext|>'}, {'bos_token': {'content': '<|startoftext|>', 'lstrip': False, 'normalized': True, 'rstrip': False, 'single_word': False}, 'eos_token': {'content': '<|endoftext|>', 'lstrip': False, 'normalized': True, 'rstrip': False, 'single_word': False}, 'pad_token': '<|endoftext|>', 'unk_token': {'content': '<|endoftext|>', 'lstrip': False, 'normalized': True, 'rstrip': False, 'single_word': False}}, [
        ('spaced', 'a photo of <cat-toy> on a table'),
        ('glued', 'a photo of<cat-toy>on a table'),
        ('alone', '<cat-toy>'),
        ('padded_ws', '  <cat-toy>  '),
        ('upper', '<CAT-TOY>'),
        ('single_word_spaced', 'a sks dog'),
        ('single_word_inside', 'asksb'),
        ('single_word_alone', 'sks'),
        ('single_word_left', 'a sks'),
        ('single_word_prefix', 'sksdog'),
        ('both', '<cat-toy>sks <cat-toy> sks'),
    ]),
]


def tokenizer_dir(fixture_tok, config, special, tmp):
    if config is None:
        return fixture_tok
    d = tempfile.mkdtemp(dir=tmp)
    for f in ("vocab.json", "merges.txt"):
        shutil.copy(os.path.join(fixture_tok, f), d)
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump(config, f, indent=2)
    if special is not None:
        with open(os.path.join(d, "special_tokens_map.json"), "w") as f:
            json.dump(special, f, indent=2)
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--resources", default=refenv.RESOURCES, help="test-resources root holding the tiny-sd fixture")
    args = ap.parse_args()
    fixture_tok = os.path.join(args.resources, "tiny-sd", "tokenizer")
    tmp = tempfile.mkdtemp(prefix="clip-edge-")
    suites = []
    for name, config, special, prompts in SUITES:
        tok = CLIPTokenizer.from_pretrained(tokenizer_dir(fixture_tok, config, special, tmp))
        cases = []
        for cname, p in prompts:
            enc = tok(p, padding="max_length", max_length=77, truncation=True)
            cases.append({"name": cname, "prompt": p, "input_ids": enc.input_ids, "attention_mask": enc.attention_mask,
                          "untruncated_length": len(tok(p).input_ids), "tokens": tok.tokenize(p),
                          "decoded": tok.decode(enc.input_ids),
                          "decoded_skip_special": tok.decode(enc.input_ids, skip_special_tokens=True)})
        suites.append({"name": name, "tokenizer_config": config, "special_tokens_map": special, "cases": cases})
        log(name, len(cases), "prompts")
    shutil.rmtree(tmp)
    out = os.path.join(args.out, "io", "diffusers4j", "tokenizers")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "clip_edge_cases.json"), "w") as f:
        json.dump({"provenance": PROVENANCE, "suites": suites}, f, indent=1, ensure_ascii=True)


if __name__ == "__main__":
    main()
