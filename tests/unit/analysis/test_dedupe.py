"""analysis.dedupe: exact hash, SimHash thresholds, signed storage, the banded index."""

from __future__ import annotations

import random

import pytest

from analysis.dedupe import (
    SimhashIndex,
    content_hash,
    hamming,
    simhash64,
    to_signed,
    to_unsigned,
)

BASE = (
    "江北区清水河近期水体发黑发臭，河面上漂浮着大量死鱼和生活垃圾，周边居民夏天不敢开窗，"
    "孩子们放学路过都要捂着鼻子。我们多次向街道反映，至今没有任何治理措施，恳请环保部门尽快派人调查排污源头。"
)


def test_exact_hash_ignores_punctuation_spacing_and_width() -> None:
    assert content_hash("标题", "正文，内容！") == content_hash("标题 ", "正文 内容!")
    assert content_hash("标题", "正文内容") != content_hash("标题", "正文内容改")


@pytest.mark.parametrize(
    ("other", "max_distance"),
    [
        (BASE, 0),
        (BASE.replace("，", ",").replace("。", "."), 0),  # punctuation only
        (BASE + "！！", 0),
        ("转发：" + BASE, 0),
        ("【转】" + BASE, 0),  # repost markers are ignored
        (BASE + "谢谢", 4),  # a word added
    ],
)
def test_near_copies_are_within_threshold(other: str, max_distance: int) -> None:
    assert hamming(simhash64(BASE), simhash64(other)) <= max_distance


def test_unrelated_texts_are_far_apart() -> None:
    other = "临湖区阳光小区物业乱收停车费，一个月从一百元涨到三百元，业主多次投诉无果，希望住建部门介入调查。"
    assert hamming(simhash64(BASE), simhash64(other)) > 10


def test_simhash_is_stable_across_processes() -> None:
    # A stored SimHash must mean the same thing tomorrow: no per-process hash seed.
    assert simhash64("江北区清水河黑臭") == simhash64("江北区清水河黑臭")
    assert simhash64("") == 0
    assert 0 <= simhash64(BASE) < 2**64


@pytest.mark.parametrize("value", [0, 1, 2**63 - 1, 2**63, 2**64 - 1, 0xDEADBEEFCAFEBABE])
def test_signed_round_trip_fits_bigint(value: int) -> None:
    signed = to_signed(value)
    assert -(2**63) <= signed < 2**63
    assert to_unsigned(signed) == value


@pytest.mark.parametrize(("bands", "limit"), [(4, 3), (6, 4), (6, 5), (8, 7)])
def test_banded_index_finds_everything_within_the_limit_and_nothing_beyond(bands: int, limit: int) -> None:
    rng = random.Random(bands * 10 + limit)
    index = SimhashIndex(bands=bands, max_distance=limit)
    base = rng.getrandbits(64)
    # flip bits spread over several bands
    near = {f"d{d}": base ^ sum(1 << b for b in rng.sample(range(64), d)) for d in range(limit + 1)}
    far = {f"f{d}": base ^ sum(1 << b for b in rng.sample(range(64), d)) for d in (limit + 1, 10, 20)}
    for key, value in {**near, **far}.items():
        index.add(key, value)
    for _ in range(2000):
        index.add(rng.random(), rng.getrandbits(64))
    found = {m.key: m.distance for m in index.query(base)}
    assert set(found) == set(near)
    assert [m.key for m in index.query(base)][:1] == ["d0"]
    index.remove("d0")
    assert "d0" not in {m.key for m in index.query(base)}


def test_index_rejects_thresholds_the_bands_cannot_guarantee() -> None:
    with pytest.raises(ValueError):
        SimhashIndex(bands=4, max_distance=4)
    with pytest.raises(ValueError):
        SimhashIndex(bands=0)
