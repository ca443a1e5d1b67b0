"""Where ids come from: deterministic, seeded UUID-shaped ids, or random UUID4s."""

from __future__ import annotations

import threading
import uuid

import pytest

from mockserver.domain import RandomIds, SequentialIds


def test_sequential_ids_count_from_one() -> None:
    ids = SequentialIds()
    assert [ids.new_id() for _ in range(3)] == [
        "00000000-0000-4000-8000-000000000001",
        "00000000-0000-4000-8000-000000000002",
        "00000000-0000-4000-8000-000000000003",
    ]


def test_the_seed_sits_in_the_last_group() -> None:
    assert SequentialIds(0xBEEF).new_id() == "00000000-0000-4000-8000-beef00000001"


def test_the_seed_keeps_its_low_16_bits() -> None:
    assert SequentialIds(0x1_0002).new_id() == SequentialIds(2).new_id()


def test_same_seed_same_ids_other_seed_other_ids() -> None:
    a, b, c = SequentialIds(5), SequentialIds(5), SequentialIds(6)
    first = [a.new_id() for _ in range(4)]
    assert first == [b.new_id() for _ in range(4)]
    assert not set(first) & {c.new_id() for _ in range(4)}


def test_sequential_ids_are_version_4_rfc_4122_uuids() -> None:
    parsed = uuid.UUID(SequentialIds(3).new_id())
    assert parsed.version == 4
    assert parsed.variant == uuid.RFC_4122


def test_past_32_bits_the_counter_carries_into_the_first_group() -> None:
    ids = SequentialIds()
    ids._counter = iter([2**32 + 7])  # type: ignore[assignment]
    assert ids.new_id() == "00000001-0000-4000-8000-000000000007"


def test_sequential_ids_are_unique_across_threads() -> None:
    ids = SequentialIds()
    seen: list[str] = []

    def draw() -> None:
        seen.extend(ids.new_id() for _ in range(500))

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 2000


def test_random_ids_are_uuid4_and_differ() -> None:
    ids = RandomIds()
    drawn = {ids.new_id() for _ in range(50)}
    assert len(drawn) == 50
    assert {uuid.UUID(i).version for i in drawn} == {4}


@pytest.mark.parametrize("seed", [0, 1, 0xBEEF, 0xFFFF])
@pytest.mark.parametrize("n", [1, 2, 0xFFFF_FFFF, 2**32, 2**32 + 7, 0xDEAD_BEEF_0000_0001, 2**64 - 1])
def test_an_id_is_the_uuid_it_spells(seed: int, n: int) -> None:
    ids = SequentialIds(seed)
    ids._counter = iter([n])  # type: ignore[assignment]
    expected = uuid.UUID(int=(n >> 32 << 96) | (0x4000 << 64) | (0x8000 << 48) | (seed << 32) | n & 0xFFFF_FFFF)
    assert ids.new_id() == str(expected)


def test_past_64_bits_there_is_no_uuid_to_spell() -> None:
    ids = SequentialIds()
    ids._counter = iter([2**64])  # type: ignore[assignment]
    with pytest.raises(ValueError, match="out of range"):
        ids.new_id()
