"""Bloom users, stored at `users/{authUid}` so the caller's record is one read away from a verified token.

Email search. Firestore has no substring match, so every user document also stores `emailGrams`: a map with
one key per 3-character piece (trigram) of the lower-cased email, e.g. `{"g616263": true, ...}` (the key is the
piece's UTF-8 in hex, so any character is a valid field name). A search for a substring of 3 characters or more
asks for documents holding up to 8 of its trigrams, spread over it: equality filters only, which Firestore
answers by merging its automatic single-field indexes (no composite index, no full scan), and which match a
superset of the wanted users, so the exact substring is then checked in Python. The result is exact; queries
are paged and stop at a hard cap of documents read, so the cost of a search is bounded whatever it matches.
Shorter substrings have no trigram: they fall back to the same paged, capped scan without the filter.

`emailGrams` is added by `to_doc`: write user documents through this repository (whole documents via `to_doc`,
or partial `update`s of other fields), never with a hand-made dump that would drop it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bloom.platform.store.client import count_round_trip
from bloom.platform.store.indexes import unindexed_field
from bloom.platform.store.repository import ArrayAdd, ArrayRemove, Filter, Repository
from bloom.platform.store.unit_of_work import UnitOfWork, repository
from bloom.users.schemas import UserRecord

if TYPE_CHECKING:
    from google.cloud.firestore import DocumentSnapshot


GRAM = 3
MAX_GRAM_FILTERS = 8
GRAMS_FIELD = "emailGrams"
Row = tuple[str, UserRecord]


def _gram_key(gram: str) -> str:
    return "g" + gram.encode().hex()


def email_grams(email: str) -> dict[str, bool]:
    """The stored trigram map of an email."""
    lowered = email.lower()
    return {_gram_key(lowered[i : i + GRAM]): True for i in range(len(lowered) - GRAM + 1)}


def email_substring_filters(needle: str) -> list[Filter]:
    """Equality filters every email containing `needle` satisfies (none for a needle shorter than 3)."""
    lowered = needle.lower()
    count = len(lowered) - GRAM + 1
    if count < 1:
        return []
    if count <= MAX_GRAM_FILTERS:
        chosen = list(range(count))
    else:  # spread the chosen trigrams evenly over the needle, first and last included
        step = (count - 1) / (MAX_GRAM_FILTERS - 1)
        chosen = sorted({round(i * step) for i in range(MAX_GRAM_FILTERS)})
    keys = dict.fromkeys(_gram_key(lowered[i : i + GRAM]) for i in chosen)
    return [Filter(f"{GRAMS_FIELD}.{key}", "==", True) for key in keys]


def partner_admin_filter(partner_admin_id: str) -> Filter:
    """Users with a partner-admin record: any (`IS NOT NULL`) or a given one. Equality-type filters only."""
    if partner_admin_id == "IS NOT NULL":
        return Filter("partnerAdmin.active", "in", [True, False])
    return Filter("partnerAdmin.id", "==", partner_admin_id)


class UsersRepository(Repository[UserRecord]):
    collection_name = "users"
    model = UserRecord

    def to_doc(self, item: UserRecord) -> dict[str, Any]:
        doc = super().to_doc(item)
        doc[GRAMS_FIELD] = email_grams(item.email)
        return doc

    def find_by_public_id(self, user_id: str) -> Row | None:
        """(document id = auth uid, user) for a public user id."""
        return self.find_one("id", user_id)

    def find_by_email(self, email: str) -> Row | None:
        return self.find_one("email", email.strip().lower())

    def by_public_ids(self, user_ids: Iterable[str]) -> list[UserRecord]:
        return self.where_in("id", user_ids)

    def admins_of_partner(self, partner_id: str) -> list[Row]:
        return self.select([Filter("partnerAdmin.partnerId", "==", partner_id)])

    # ------------------------------------------------------------ writes

    def update_fields(self, auth_uid: str, changes: dict[str, Any]) -> None:
        """Update the given model fields (snake_case names) and nothing else; keeps `emailGrams` in step."""
        data = self.stored_changes(changes)
        if "email" in changes:
            data[GRAMS_FIELD] = email_grams(str(changes["email"]))
        self._update_stored(auth_uid, data)

    def project(self, auth_uid: str, section: str, entries: dict[str, dict[str, Any] | None]) -> None:
        """Replace (or remove, with None) copies in the `section` of the user's profile projection."""
        self.update_entries(auth_uid, ("profile", section), entries)

    def add_to_lists(self, auth_uid: str, **values: str) -> None:
        """Add one value to each named id list (`course_ids="…"`), idempotently."""
        self.change(auth_uid, **{name: ArrayAdd((value,)) for name, value in values.items()})

    def remove_from_list(self, auth_uid: str, name: str, values: list[str]) -> None:
        self.change(auth_uid, **{name: ArrayRemove(tuple(values))})

    def count_active_between(self, start: datetime, end: datetime) -> int:
        return self.count([Filter("lastActiveAt", ">=", start), Filter("lastActiveAt", "<", end)])

    def record_active(self, auth_uid: str, when: datetime) -> bool:
        """Set `lastActiveAt` (one write, no transaction: the latest value wins); False if the user is gone."""
        from google.api_core.exceptions import NotFound

        count_round_trip()
        try:
            self.ref(auth_uid).update({"lastActiveAt": when})
        except NotFound:
            return False
        return True

    # ------------------------------------------------------------ bounded scans

    def scan(self, filters: Sequence[Filter], *, page_size: int, max_docs: int) -> Iterator[list[Row]]:
        """Pages of users matching equality-type `filters`, in document order, reading at most `max_docs`."""
        if any(f.op not in ("==", "in", "array_contains") for f in filters):
            raise ValueError("scan takes equality-type filters only (no composite index is declared for them)")
        return self._pages(filters, page_size, max_docs)

    def with_email_prefix(self, prefix: str, *, page_size: int, max_docs: int) -> Iterator[list[Row]]:
        """Pages of users whose (lower-cased) email starts with `prefix`: a single-field range query."""
        lowered = prefix.lower()
        filters = [Filter("email", ">=", lowered), Filter("email", "<", lowered + "\uf8ff")]
        return self._pages(filters, page_size, max_docs)

    def _pages(self, filters: Sequence[Filter], page_size: int, max_docs: int) -> Iterator[list[Row]]:
        query = self.query(filters)
        if query is None:
            return
        read = 0
        last: DocumentSnapshot[Any] | None = None
        while read < max_docs:
            size = min(page_size, max_docs - read)
            page_query = query.limit(size) if last is None else query.start_after(last).limit(size)
            count_round_trip()
            snapshots = list(page_query.stream())
            if not snapshots:
                return
            read += len(snapshots)
            last = snapshots[-1]
            rows = [(snapshot.id, self.model.model_validate(snapshot.to_dict())) for snapshot in snapshots]
            yield rows
            if len(snapshots) < size:
                return


unindexed_field(UsersRepository.collection_name, "profile")  # the profile projection is read whole, never queried


class UsersWork(UnitOfWork):
    users = repository(UsersRepository)
