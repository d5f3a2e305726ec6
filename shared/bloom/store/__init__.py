"""Firestore access: the client, repository base, transactions, indexes and the outbox."""
