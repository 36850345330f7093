from streams.stages.dedup import check_and_remember


def test_first_arrival_is_new() -> None:
    assert check_and_remember({}, "k", "a", "2026-01-08") == ("new", None)


def test_same_id_again_is_a_redelivery() -> None:
    store: dict = {}
    check_and_remember(store, "k", "a", "2026-01-08")
    assert check_and_remember(store, "k", "a", "2026-01-08") == ("redelivery", "a")


def test_new_id_for_a_known_url_is_a_duplicate_of_the_first() -> None:
    store: dict = {}
    check_and_remember(store, "k", "a", "2026-01-08")
    assert check_and_remember(store, "k", "b", "2026-01-08") == ("duplicate", "a")
    assert check_and_remember(store, "k", "b", "2026-01-08") == ("redelivery", "a")
