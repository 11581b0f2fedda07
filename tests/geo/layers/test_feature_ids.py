"""Stable feature ids against a plain list of ids: any sequence of deletes and appends, then every row's id and
every id's row (and ids no row has) agree; a removed id is never given again."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from zhicheng.geo.layers.feature_ids import FeatureIds

ops = st.lists(st.one_of(st.tuples(st.just("delete"), st.floats(0, 1, exclude_max=True)),
                         st.tuples(st.just("create"), st.integers(1, 5))), max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 30), ops)
def test_ids_follow_the_features(start, steps):
    model = list(range(1, start + 1))  # the id of each row, in order
    ever = set(model)
    ids = FeatureIds()
    for op, arg in steps:
        if op == "delete":
            if len(model) <= 1:
                continue
            row = int(arg * len(model)) + 1
            ids = ids.after_delete(row, len(model))
            del model[row - 1]
        else:
            ids, new = ids.after_create(len(model), arg)
            assert not ever & set(new)  # never an id used before
            model += new
            ever |= set(new)
        rows = len(model)
        assert [ids.fid(r) for r in range(1, rows + 1)] == model
        assert all(ids.row(f, rows) == r for r, f in enumerate(model, 1))
        gone = (ever - set(model)) | {0, max(ever) + 1}
        assert all(ids.row(f, rows) is None for f in gone)
        assert len(ids.segments) <= len(steps) + 1


def test_row_numbers_until_a_transaction():
    ids = FeatureIds()
    assert ids.identity and ids.fid(7) == 7 and ids.row(7, 10) == 7 and ids.row(11, 10) is None
    after = ids.after_delete(3, 10)
    assert [after.fid(r) for r in range(1, 10)] == [1, 2, 4, 5, 6, 7, 8, 9, 10]
    grown, new = after.after_create(9, 2)
    assert new == [11, 12] and grown.row(12, 11) == 11 and grown.row(3, 11) is None
