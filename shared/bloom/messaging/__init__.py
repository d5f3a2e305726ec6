"""Messaging: care and support threads, moderated and audited messages, reactions and read receipts; clients
receive, type and show presence through Firestore listeners under `firestore.rules`."""
