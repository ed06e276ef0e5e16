"""Incremental detokenization and stop strings, on our tokenizer and (when present) the real one."""

import pytest

from playground.engine.demo import build_tokenizer
from playground.engine.detok import IncrementalDetokenizer, StopMatcher, decode_ids

TEXTS = [
    "def f(x):\n    return x * 2  # naïve café\n",
    "日本語のコメント 🚀✓ emoji 👩‍💻 and combining e\u0301",
    "\u00e9\u00e9\u00e9🚀🚀 mixed\tTabs\r\n",
]


def stream(tokenizer, ids):
    detokenizer = IncrementalDetokenizer(tokenizer)
    deltas = [detokenizer.push(i) for i in ids]
    deltas.append(detokenizer.flush())
    return deltas


@pytest.fixture(scope="module")
def tokenizer():
    return build_tokenizer()


@pytest.mark.parametrize("text", TEXTS)
def test_stream_concatenates_to_the_full_decode_and_never_shows_broken_utf8(tokenizer, text):
    ids = tokenizer(text, add_special_tokens=False).input_ids
    assert len(ids) > len(text) // 3  # multi-byte characters really are split across tokens
    deltas = stream(tokenizer, ids)
    assert "".join(deltas) == decode_ids(tokenizer, ids) == text
    assert not any("\ufffd" in d for d in deltas)


def test_random_token_soup_still_concatenates_exactly(tokenizer):
    import random

    rng = random.Random(0)
    ids = [rng.randrange(len(tokenizer)) for _ in range(400)]
    assert "".join(stream(tokenizer, ids)) == decode_ids(tokenizer, ids)


@pytest.mark.parametrize("text", TEXTS)
def test_real_vocabulary_streams_multibyte_characters_intact(real_tokenizer, text):
    ids = real_tokenizer(text, add_special_tokens=False).input_ids
    deltas = stream(real_tokenizer, ids)
    assert "".join(deltas) == text
    assert not any("\ufffd" in d for d in deltas)


def feed_all(matcher, pieces):
    shown = [matcher.feed(p) for p in pieces]
    shown.append(matcher.flush())
    return shown


def test_stop_string_split_across_pieces_is_found_and_excluded():
    matcher = StopMatcher(["\n\n", "END"])
    shown = feed_all(matcher, ["a = 1", "\n", "\n", "b = 2"])
    assert "".join(shown) == "a = 1" and matcher.stopped
    matcher = StopMatcher(["END"])
    shown = feed_all(matcher, ["x E", "N", "Dy"])
    assert "".join(shown) == "x " and matcher.stopped


def test_held_back_text_is_released_when_it_is_not_a_stop():
    matcher = StopMatcher(["\n\n"])
    assert matcher.feed("a\n") == "a"  # the newline might start a stop
    assert matcher.feed("b") == "\nb"
    assert not matcher.stopped
    assert feed_all(StopMatcher(["</s>"]), ["x<", "/"]) == ["x", "", "</"]


def test_earliest_stop_wins_and_shown_text_is_a_prefix_of_the_final_text():
    matcher = StopMatcher(["cd", "b"])
    assert matcher.feed("abcd") == "a" and matcher.stopped
    assert matcher.feed("more") == ""


@pytest.mark.parametrize("text", TEXTS[1:])
def test_a_stream_cut_inside_a_character_flushes_what_a_full_decode_shows(tokenizer, text):
    ids = tokenizer(text, add_special_tokens=False).input_ids
    cut_inside = 0
    for cut in range(1, len(ids)):
        assert "".join(stream(tokenizer, ids[:cut])) == decode_ids(tokenizer, ids[:cut])
        cut_inside += decode_ids(tokenizer, ids[:cut]).endswith("\ufffd")
    assert cut_inside  # some cuts really do end inside a character
