"""core.privacy: masking tables, checksums, pseudonyms, and precision/recall on the labeled fixture."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from core.privacy import Masker, find_pii, id18_checksum_ok, luhn_ok, mask, pseudonym

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "privacy_labeled.jsonl"


def _fixture() -> list[dict[str, object]]:
    with FIXTURE.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_precision_and_recall_on_labeled_fixture() -> None:
    cases = _fixture()
    assert len(cases) >= 60
    assert sum(1 for c in cases if not c["pii"]) >= 30, "needs hard negatives"
    tp = fp = fn = 0
    misses: list[str] = []
    for case in cases:
        gold = {(p["kind"], p["value"]) for p in case["pii"]}  # type: ignore[union-attr,index]
        pred = {(s.kind, s.value) for s in find_pii(str(case["text"]))}
        tp += len(gold & pred)
        fp += len(pred - gold)
        fn += len(gold - pred)
        if gold != pred:
            misses.append(f"{case['text']}: missed {gold - pred}, extra {pred - gold}")
    precision = tp / (tp + fp)
    recall = tp / (tp + fn)
    print(f"\nprivacy masking on {len(cases)} labeled cases: precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.95, misses
    assert recall >= 0.95, misses


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我叫张伟，电话13912345678", "我叫[姓名]，电话[手机号]"),
        ("联系人：李建国，0731-88886666", "联系人：[姓名]，[电话]"),
        ("市民陈先生反映", "市民[姓名]先生反映"),
        ("姓名：欧阳娜娜", "姓名：[姓名]"),
        ("身份证号430102198503124211", "身份证号[身份证号]"),
        ("老证320502850715003", "老证[身份证号]"),
        ("卡号6214 8301 2345 6781", "卡号[银行卡号]"),
        ("邮箱a.b@qq.com。", "邮箱[邮箱]。"),
        ("座机：88776655", "座机：[电话]"),
        # hard negatives stay untouched
        ("工单号YJ2026112100123", "工单号YJ2026112100123"),
        ("2026-11-21 共计12345678元", "2026-11-21 共计12345678元"),
        ("本人于2023年购房", "本人于2023年购房"),
        ("各位先生女士", "各位先生女士"),
        ("请拨打12345热线", "请拨打12345热线"),
        ("客服400-820-8820", "客服400-820-8820"),
    ],
)
def test_mask_table(text: str, expected: str) -> None:
    assert mask(text) == expected


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("430102198503124211", True),
        ("430102198503124212", False),
        ("44030620010203562X", True),
        ("12345", False),
    ],
)
def test_id_checksum(number: str, ok: bool) -> None:
    assert id18_checksum_ok(number) is ok


def test_id_with_bad_checksum_needs_a_cue() -> None:
    # A checksum-failing 18-digit number is an ID only when the text says so.
    assert find_pii("身份证430102198503124212")[0].kind == "id_card"
    assert not [s for s in find_pii("流水号430102198503124212") if s.kind == "id_card"]


@pytest.mark.parametrize(("digits", "ok"), [("6214830123456781", True), ("6214830123456782", False)])
def test_luhn(digits: str, ok: bool) -> None:
    assert luhn_ok(digits) is ok


def test_luhn_failing_card_without_cue_is_left_alone() -> None:
    assert mask("订单号4000123456789012") == "订单号4000123456789012"
    assert mask("银行卡号4000123456789012") == "银行卡号[银行卡号]"


def test_salted_pseudonyms_are_stable_and_salt_dependent() -> None:
    a = Masker("salt-a")
    b = Masker("salt-b")
    first = a.mask("我叫张伟，电话13912345678")
    again = a.mask("联系人：张伟。手机+86 139 1234 5678")
    # the same person and the same phone (in another spelling) get the same tokens
    name_token = first.split("我叫")[1].split("，")[0]
    assert name_token.startswith("[姓名#") and name_token in again
    phone_token = first.split("电话")[1]
    assert phone_token.startswith("[手机号#") and phone_token in again
    assert b.mask("我叫张伟") != a.mask("我叫张伟")
    assert "张伟" not in first and "13912345678" not in first
    assert pseudonym("mobile", "13912345678", b"k") == pseudonym("mobile", "139-1234-5678", b"k")


def test_spans_do_not_overlap_and_email_beats_phone() -> None:
    spans = find_pii("结果发到13812345678@163.com，电话13812345678")
    assert [s.kind for s in spans] == ["email", "mobile"]
    assert all(x.end <= y.start for x, y in itertools.pairwise(spans))


def test_text_without_personal_data_is_returned_as_is() -> None:
    text = "感谢江北区住建局的工作人员，问题已经解决。"
    assert mask(text) == text
    assert find_pii(text) == []
