"""The faster message ids and person keys are exactly what they were: uuid5 and HMAC."""

from __future__ import annotations

import hashlib
import hmac
import uuid

from hypothesis import given
from hypothesis import strategies as st

from gateway.events import _ID_NAMESPACE, EventFactory


@given(st.text(max_size=40), st.text(max_size=70), st.integers(min_value=0, max_value=10**12))
def test_message_id_is_uuid5_of_sender_hash_and_index(sender: str, digest: str, index: int) -> None:
    expected = uuid.uuid5(_ID_NAMESPACE, f"{sender}\x1f{digest}\x1f{index}")
    assert EventFactory.message_id(sender, digest, index) == str(expected)


@given(st.lists(st.from_regex(r"[0-9]{9}", fullmatch=True), min_size=1, max_size=20))
def test_person_key_is_the_hmac_of_the_bsn_also_when_remembered(bsns: list[str]) -> None:
    secret = b"a-secret-of-sufficient-length-0123"
    factory = EventFactory(person_key_secret=secret, source_prefix="x:", topic_for=str)
    for bsn in bsns + bsns:
        expected = hmac.new(secret, bsn.encode(), hashlib.sha256).hexdigest()
        assert factory.person_key(bsn) == expected
