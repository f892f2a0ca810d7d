"""The hand-written wire format matches the protobuf runtime's, and raw reads refuse what they
cannot bind."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from google.protobuf.internal.encoder import _VarintBytes
from ord_schema.proto import reaction_pb2
from sqlalchemy import select

from datastore import Datastore
from datastore import ord_wire as wire
from datastore.models import Event
from datastore.raw_rows import driver_rows, stored_time


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 16383, 16384, 2**21, 2**35 + 7])
def test_varint_is_the_runtime_varint(value: int) -> None:
    assert wire.varint(value) == _VarintBytes(value)


@pytest.mark.parametrize("text", ["", "a", "ü" * 70, "x" * 20_000])
def test_text_and_submessage_fields_are_the_runtime_bytes(text: str) -> None:
    notes = reaction_pb2.ReactionNotes(procedure_details=text)
    assert wire.text(9, text) == notes.SerializeToString(deterministic=True)
    reaction = reaction_pb2.Reaction()
    reaction.notes.CopyFrom(notes)
    assert wire.length_delimited(5, wire.text(9, text)) == reaction.SerializeToString()


@pytest.mark.parametrize("value", [0.0, -0.0, 1e-45, 1 / 3, -2.5e38, 3.4028234e38])
def test_float32_is_the_runtime_float(value: float) -> None:
    assert wire.float32(1, value) == reaction_pb2.Percentage(value=value).SerializeToString()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 3.5e38])
def test_float32_leaves_what_the_runtime_must_round_to_it(value: float) -> None:
    assert wire.float32(1, value) is None


def test_split_serialized_leaves_the_field_out_and_keeps_the_order() -> None:
    product = reaction_pb2.ProductCompound(is_desired_product=True, reaction_role=8)
    product.identifiers.add(type=reaction_pb2.CompoundIdentifier.NAME, value="p")
    product.measurements.add(details="m")
    below, above = wire.split_serialized(product, 3)
    measurement = wire.length_delimited(3, product.measurements[0].SerializeToString())
    assert below + measurement + above == product.SerializeToString(deterministic=True)


def test_driver_rows_refuse_a_value_that_needs_bind_processing(tmp_path: Path) -> None:
    store = Datastore(f"sqlite:///{tmp_path / 'x.db'}")
    table = Event.__table__  # type: ignore[attr-defined]
    query = select(table.c.id).where(table.c.created_at > datetime(2026, 1, 1, tzinfo=UTC))
    with store.session() as session, pytest.raises(TypeError, match="numbers and text"):
        driver_rows(session.connection(), query)
    with store.session() as session:
        assert driver_rows(session.connection(), select(table.c.id).where(table.c.id > 0)) == []
    store.dispose()


def test_stored_time_reads_sqlite_text_and_keeps_a_datetime() -> None:
    moment = datetime(2026, 12, 3, 17, 49, 0, 123456)
    assert stored_time("2026-12-03 17:49:00.123456") == moment
    assert stored_time(moment) is moment
